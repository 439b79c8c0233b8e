#!/usr/bin/env python3
"""Compute the golden results of the named queries of ``queries/``.

For every ``queries/{name}.rq`` (except those listed in ``SKIPPED``) this runs the query,
with the parameters of its ``# example:`` header line, on the bundled graph and writes
``tests/golden/{name}.srj`` (SPARQL 1.1 Query Results JSON). The Rust tests compare
labgraph's (Oxigraph's) answers with these files as *sets* of solutions; this script is the
record of how the files were made, with an independent engine (rdflib).

The bundled graph is built the way labgraph loads it: each Turtle file of ``ontology/``
(``ontology.ttl``, ``shapes.ttl``) and of ``data/`` is parsed with the base IRI
``https://w3id.org/labgraph/id/`` (the files write instance IRIs relative) into its own
named graph ``https://w3id.org/labgraph/id/graph/{file stem}``; the default graph is the
union of the named graphs. (labgraph also writes its import records, graph
``graph/imports``; no query with a golden answer reads them.)

Parameters are read from the header (``# param: NAME TYPE — …`` gives the type,
``# example: NAME=VALUE …`` the values; a value with spaces is quoted, ``NAME="a b"``) and bound as initial
bindings, like SEP-0007 substitution: ``iri`` values are resolved against the base IRI,
``date`` becomes ``xsd:date``, ``integer`` ``xsd:integer``, ``string`` a plain string.

Usage::

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install rdflib
    /tmp/venv/bin/python tools/make_goldens.py [--check] [NAME …]

Extra cases of a query, with other parameters, are lines of ``tests/golden/cases.txt``
(``NAME CASE PARAM=VALUE …``); each has its answer in ``tests/golden/{NAME}.{CASE}.srj``.
A case with ``with=FIXTURE`` runs with ``tests/golden/fixtures/FIXTURE.ttl`` added, as the
graph ``graph/fixture-FIXTURE``, to the bundled graph.

With ``--check`` nothing is written: the script prints the row count of each query and
says whether the golden file on disk has the same solutions.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from urllib.parse import urljoin

import rdflib
from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.plugins.sparql import prepareQuery

REPO = Path(__file__).resolve().parent.parent
BASE = "https://w3id.org/labgraph/id/"
# import-history reads the metadata graph labgraph writes at import time: no fixed answer.
# search asks labgraph's text index (SERVICE lg:search), which rdflib does not have: its
# answers are checked by tests/search.rs.
SKIPPED = {"import-history", "search"}

PARAM_RE = re.compile(r"^#\s*param:\s*(\w+)\s+(iri|string|date|integer)\b")
EXAMPLE_PAIR_RE = re.compile(r'(\w+)=(?:"([^"]*)"|(\S*))')


def load_dataset() -> Dataset:
    # Keep literals as written (rdflib would rewrite "…Z" as "…+00:00"), as Oxigraph does.
    rdflib.NORMALIZE_LITERALS = False
    ds = Dataset(default_union=True)
    files = sorted((REPO / "ontology").glob("*.ttl")) + sorted((REPO / "data").glob("*.ttl"))
    for path in files:
        graph = ds.graph(URIRef(f"{BASE}graph/{path.stem}"))
        graph.parse(path, format="turtle", publicID=BASE)
    return ds


def read_header(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """Returns (parameter types, example values) from the query's header comments."""
    types: dict[str, str] = {}
    example: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if m := PARAM_RE.match(line):
            types[m.group(1)] = m.group(2)
        elif line.startswith("# example:"):
            rest = line[len("# example:"):].strip()
            example.update({k: quoted or bare for k, quoted, bare in EXAMPLE_PAIR_RE.findall(rest)})
    return types, example


def bind(kind: str, value: str):
    if kind == "iri":
        return URIRef(urljoin(BASE, value))
    if kind == "date":
        return Literal(value, datatype=XSD.date)
    if kind == "integer":
        return Literal(value, datatype=XSD.integer)
    return Literal(value)


def term_json(term) -> dict:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype and term.datatype != XSD.string:
        out["datatype"] = str(term.datatype)
    return out


def read_cases() -> list[tuple[str, str, dict[str, str]]]:
    """The extra cases of ``tests/golden/cases.txt``: (query name, case name, parameters)."""
    cases = []
    for line in (REPO / "tests" / "golden" / "cases.txt").read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, case, *pairs = line.split()
        cases.append((name, case, dict(pair.split("=", 1) for pair in pairs)))
    return cases


def run(ds: Dataset, name: str, example: dict[str, str] | None = None) -> dict:
    text = (REPO / "queries" / f"{name}.rq").read_text(encoding="utf-8")
    types, header_example = read_header(text)
    example = header_example if example is None else dict(example)
    fixture = example.pop("with", None)
    if fixture is not None:
        graph = ds.graph(URIRef(f"{BASE}graph/fixture-{fixture}"))
        graph.parse(REPO / "tests" / "golden" / "fixtures" / f"{fixture}.ttl", format="turtle", publicID=BASE)
        try:
            return run(ds, name, example)
        finally:
            ds.remove_graph(graph)
    unknown = set(example) - set(types)
    if unknown:
        raise SystemExit(f"{name}: example names undeclared parameters {sorted(unknown)}")
    bindings = {k: bind(types[k], v) for k, v in example.items()}
    query = prepareQuery(text)
    result = ds.query(query, initBindings=bindings)
    variables = [str(v) for v in result.vars]
    rows = []
    for row in result:
        solution = {}
        for var in variables:
            value = row[var]
            if value is None:
                continue
            if isinstance(value, BNode):
                print(f"warning: {name}: blank node bound to ?{var}", file=sys.stderr)
            solution[var] = term_json(value)
        rows.append(solution)
    return {"head": {"vars": variables}, "results": {"bindings": rows}}


def as_set(srj: dict) -> set:
    return {json.dumps(b, sort_keys=True, ensure_ascii=False) for b in srj["results"]["bindings"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="query names (default: all)")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    names = args.names or sorted(p.stem for p in (REPO / "queries").glob("*.rq"))
    ds = load_dataset()
    status = 0
    runs = [(name, None, None) for name in names]
    runs += [(name, case, params) for name, case, params in read_cases() if name in names]
    for name, case, params in runs:
        if name in SKIPPED:
            print(f"{name}: skipped (no fixed answer, or answered by labgraph's text index)")
            continue
        srj = run(ds, name, params)
        count = len(srj["results"]["bindings"])
        label = name if case is None else f"{name}.{case}"
        target = REPO / "tests" / "golden" / f"{label}.srj"
        if args.check:
            same = target.exists() and as_set(json.loads(target.read_text("utf-8"))) == as_set(srj)
            print(f"{label}: {count} rows, golden {'matches' if same else 'DIFFERS'}")
            status |= 0 if same else 1
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(srj, ensure_ascii=False, indent=1) + "\n", "utf-8")
            print(f"{label}: {count} rows -> {target.relative_to(REPO)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
