#!/usr/bin/env python3
"""Generate labgraph's bundled reference data as Turtle.

Reads the reference facts (tab-separated files, one source column per row) and
writes two files of ``data/``, each loaded by labgraph into its own named graph:

``sdg.ttl`` (graph ``graph/sdg``)
    The UN Sustainable Development Goals as SKOS: 17 goals, 169 targets and the
    indicators of the 2019/2020 framework, under the UN's own IRIs
    (``http://metadata.un.org/sdg/…``), in labgraph's concept scheme
    ``sdg/scheme``, with the dataset description ``dataset/sdg``.
    Inputs: ``sdg-goals.tsv``, ``sdg-targets.tsv``, ``sdg-indicators.tsv``.

``territories.ttl`` (graph ``graph/territories``)
    The regions, départements, EPCI (à fiscalité propre) and communes actuelles
    of France, with their official codes, French names and memberships (commune
    → EPCI → département(s) → region), from the npm package
    ``@etalab/decoupage-administratif`` (version, tarball hash and COG year
    pinned below: ``DEC_*``); the collectivités d'outre-mer, communes déléguées
    and associées and arrondissements municipaux are left out. Over them, the
    Pôle métropolitain de l'Artois, its three agglomerations (EPCI) with their
    member communes and populations, the priority neighbourhoods (QPV, 2024
    geography), the QPV counts stated by the seminar page (2015 geography) and
    computed from the QPV list (2024 geography), and the contrats de ville of
    the 2015 generation; and the graph's description ``dataset/territories``.
    Every fact cites the IRI of what states it (``dct:source``): the package
    (its package URL), the INSEE, DGCL and ANCT files at the commit the reference
    files name, or the seminar page. Where the package and the reference files
    both state a fact of the Artois, the reference files' statement is kept and
    a disagreement is reported on stderr.
    Inputs: ``epci-member-communes.tsv``, ``qpv-artois.tsv``,
    ``actors-identifiers.tsv``, the seed page
    ``../seed/seminaire-pma-artois-2022-12-01.txt`` and the package's tarball:
    ``npm pack`` into ``tools/.cache/`` (git-ignored) unless already there, or
    ``--package PATH``; its sha512 and sha1 are checked against the pins.

The model is ``ontology/README.md``: instance IRIs are written relative (no
``@base``; labgraph resolves them against its configured base IRI), vocabulary
and SDG IRIs absolute. The output is deterministic: same inputs, same bytes.
The script checks the inputs' consistency and stops on an error; warnings go
to stderr.

Usage::

    python3 tools/gen_reference_data.py [REFERENCE_DIR] [OUTPUT_DIR] [--seed-dir DIR] [--package TGZ]

REFERENCE_DIR defaults to ``../shared/reference`` relative to the repository
root, OUTPUT_DIR to ``data/`` of the repository, the seed folder to
``REFERENCE_DIR/../seed``, the package's tarball to the one ``npm pack`` puts in
``tools/.cache/`` (the ``npm`` client is needed only when it is not there yet).
Standard library only.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# The prefix block of ontology/README.md, plus rdf: (needed for rdf:value of
# lg:QpvCount, which the README's block does not declare).
PREFIXES = [
    ("lg", "https://w3id.org/labgraph/def#"),
    ("schema", "http://schema.org/"),
    ("org", "http://www.w3.org/ns/org#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("prov", "http://www.w3.org/ns/prov#"),
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("void", "http://rdfs.org/ns/void#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("owl", "http://www.w3.org/2002/07/owl#"),
    ("sh", "http://www.w3.org/ns/shacl#"),
    ("sdg", "http://metadata.un.org/sdg/"),
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
]

SDG_NS = "http://metadata.un.org/sdg/"
# The UN SDG knowledge organization system, which states the goals, targets and
# indicators (their codes, texts, hierarchy and SDGIO/Wikidata matches): the dct:source of
# every SDG concept.
UN_SDG_KOS = "http://metadata.un.org/sdg/"
# The dump of the KOS the reference facts were read from (sdg-*.tsv, source column).
UN_SDG_KOS_DUMP = (
    "https://github.com/UNStats/LOD4Stats/blob/8a67ce650e62beb127cf08734160b2eb525ef2e5/"
    "sdg-data/sdg-kos-goals-targets-indicators.ttl"
)
# The goals' short titles are the UN communication titles, not in the KOS
# (sdg-goals.tsv, source column: "un.org/sustainabledevelopment, FR site").
UN_SDG_COMMUNICATION = ["https://www.un.org/sustainabledevelopment/", "https://www.un.org/sustainabledevelopment/fr/"]
# The official wording of the targets (General Assembly resolution A/RES/70/1), from which
# the English text of a target truncated in the dump was completed.
UN_A_RES_70_1 = "https://undocs.org/A/RES/70/1"
SDG_CITATION = (
    "Amit Joshi, Luis Gonzalez Morales, Szymon Klarman, and Aaron Helton. 2019. "
    "A Knowledge Organization System for the United Nations Sustainable Development "
    "Goals. New York, NY. http://metadata.un.org/sdg"
)

# The reference files' sources, as the IRIs of what states the facts (a GitHub file at the
# commit the source column names).
DGCL_EPCICOM = "https://github.com/datagouv/decoupage-administratif/blob/db0e5280/sources/epcicom.xlsx"
ANCT_QPV = "https://github.com/anct-carto/superposeur-V2/blob/3f2b0c0b/data/admin/centroide-4326_qpv.geojson"
# INSEE's official geographic code (COG) pages of the region and the département.
INSEE_COG_REGION = "https://www.insee.fr/fr/metadonnees/cog/region/REG{code}-hauts-de-france"
INSEE_COG_DEPARTEMENT = "https://www.insee.fr/fr/metadonnees/cog/departement/DEP{code}-pas-de-calais"
# What each source column of the reference files names, as an IRI: a source the generator
# cannot map stops it, so that no fact goes out with a plain-string source.
SOURCE_IRIS = [
    ("datagouv/decoupage-administratif sources/epcicom.xlsx @db0e5280", DGCL_EPCICOM),
    ("anct-carto/superposeur-V2 data/admin/centroide-4326_qpv.geojson @3f2b0c0b", ANCT_QPV),
]


def source_iris(text: str) -> list[str]:
    """The IRIs of the sources a reference file's source column names (at least one)."""
    found = [source for name, source in SOURCE_IRIS if name in text]
    if "EPCI attribution via DGCL epcicom" in text and DGCL_EPCICOM not in found:
        found.append(DGCL_EPCICOM)
    if not found:
        raise DataError(f"no IRI known for the source {text!r}")
    return found


SEED_FILE = "seminaire-pma-artois-2022-12-01.txt"
SEED_PAGE = (
    "https://www.irev.fr/thematiques/transitions/le-lab-des-transitions/"
    "seminaire-territorial-du-lab-des-transitions-pole"
)

# Sentences of the seed page stated about the territory of the Pôle métropolitain and about
# the contrats de ville (checked against the page), with an English rendering alongside.
POLE_SENTENCE = (
    "Un quart des QPV des Hauts-de-France appartiennent ainsi à ce territoire particulier avec une forte "
    "histoire liée à son passé minier et à la résilience qui a suivi."
)
POLE_SENTENCE_EN = (
    "A quarter of the QPV (priority neighbourhoods) of Hauts-de-France thus belong to this particular "
    "territory, with a strong history tied to its mining past and to the resilience that followed."
)
CONTRATS_SENTENCE = (
    "Jusque-là absente des contrats de ville, la notion de transition a été peu qualifiée et quantifiée "
    "sur les territoires de la Politique de la ville."
)
CONTRATS_SENTENCE_EN = (
    "Absent until then from the contrats de ville, the notion of transition has been little qualified "
    "and quantified on the territories of the Politique de la ville."
)

# The three agglomerations: entity key in actors-identifiers.tsv, labgraph org
# slug (data/institutions.ttl), and the sentence of the seed page stating the
# agglomeration's QPV count (2015 geography).
EPCIS = [
    ("CABBALR", "cabbalr", 15, "Béthune, Bruay, Artois, Lys Romane qui compte 15 QPV"),
    ("CALL", "call", 22, "Lens Liévin pour 22 QPV"),
    ("CAHC", "cahc", 12, "Hénin-Carvin avec 12 QPV"),
]


class DataError(Exception):
    """An inconsistency in the reference facts that stops generation."""


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


# --------------------------------------------------------------------------
# Turtle writing
# --------------------------------------------------------------------------

_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_LOCAL_NAME = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def iri(value: str) -> str:
    """An IRI as Turtle: a prefixed name when one fits, else ``<…>`` (relative kept)."""
    if _IRI_FORBIDDEN.search(value):
        raise DataError(f"not a valid IRI: {value!r}")
    for prefix, namespace in PREFIXES:
        if value.startswith(namespace):
            local = value[len(namespace):]
            if _LOCAL_NAME.match(local):
                return f"{prefix}:{local}"
    return f"<{value}>"


def literal(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    """A string literal, escaped for Turtle; Unicode kept as-is (the file is UTF-8)."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    quoted = '"' + "".join(out) + '"'
    if lang:
        return f"{quoted}@{lang}"
    if datatype:
        return f"{quoted}^^{datatype}"
    return quoted


def integer(value: int) -> str:
    return str(int(value))


class Node:
    """A subject (IRI or blank node) with its predicates, in insertion order."""

    def __init__(self, subject: str | None = None):
        self.subject = subject  # rendered IRI, or None for a blank node
        self.props: list[tuple[str, list]] = []

    def add(self, predicate: str, *objects) -> "Node":
        """Add objects (rendered strings or blank Nodes); empty values are skipped."""
        objects = [o for o in objects if o]
        for existing, values in self.props:
            if existing == predicate and objects and not any(isinstance(o, Node) for o in objects + values):
                values.extend(objects)
                return self
        if objects:
            self.props.append((predicate, objects))
        return self


def render(node: Node, indent: str = "") -> str:
    inner = indent + "    "
    lines = []
    for i, (predicate, objects) in enumerate(node.props):
        end = " ." if node.subject and i == len(node.props) - 1 else ("" if i == len(node.props) - 1 else " ;")
        blanks = [o for o in objects if isinstance(o, Node)]
        if blanks:
            # one blank node per statement, for readability
            for j, blank in enumerate(blanks):
                body = render(blank, inner)
                last = j == len(blanks) - 1
                lines.append(f"{inner}{predicate} [\n{body}\n{inner}]" + (end if last else " ;"))
            continue
        one_line = f"{inner}{predicate} " + ", ".join(objects)
        if len(objects) == 1 or len(one_line) <= 100:
            lines.append(one_line + end)
        else:
            lines.append(f"{inner}{predicate}")
            for k, obj in enumerate(objects):
                lines.append(f"{inner}    {obj}" + ("," if k < len(objects) - 1 else end))
    if node.subject is None:
        return "\n".join(lines)
    return node.subject + "\n" + "\n".join(lines)


def write_turtle(path: Path, header: list[str], nodes: list[Node]) -> None:
    parts = ["".join(f"# {line}".rstrip() + "\n" for line in header)]
    width = max(len(p) for p, _ in PREFIXES)
    parts.append("".join(f"@prefix {(p + ':').ljust(width + 1)} <{ns}> .\n" for p, ns in PREFIXES))
    parts.extend(render(n) + "\n" for n in nodes)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(parts))


def header_lines(what: str, graph: str, inputs: list[str]) -> list[str]:
    return [
        f"labgraph bundled data: {what}",
        f"Named graph: {graph} (instance IRIs are relative to the deployment's base IRI; no @base).",
        "Generated by tools/gen_reference_data.py from the reference facts:",
        *[f"  {name}" for name in inputs],
        "DO NOT EDIT BY HAND: change the generator or its inputs and run it again.",
        "",
    ]


# --------------------------------------------------------------------------
# Reading the reference facts
# --------------------------------------------------------------------------


def read_tsv(path: Path, required: list[str]) -> list[dict[str, str]]:
    if not path.is_file():
        raise DataError(f"missing input: {path}")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"{path.name}: missing columns {missing}")
        rows = []
        for n, row in enumerate(reader, start=2):
            if None in row or any(v is None for v in row.values()):
                raise DataError(f"{path.name}:{n}: wrong number of fields")
            rows.append({k: v.strip() for k, v in row.items()})
    return rows


def code_key(code: str) -> tuple:
    """Natural order of SDG codes: 1 < 2 < 10; 1.1 < 1.10 < 1.a; 1.1.1 < 1.1.2."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in code.split("."))


def sdg_code(iri_value: str) -> str:
    if not iri_value.startswith(SDG_NS):
        raise DataError(f"not a UN SDG IRI: {iri_value}")
    return iri_value[len(SDG_NS):]


# --------------------------------------------------------------------------
# sdg.ttl
# --------------------------------------------------------------------------


def sdgio_doubts(targets: list[dict[str, str]]) -> dict[str, list[str]]:
    """Notes on the UN dump's likely X.1 / X.10 mix-up of SDGIO matches, by target code.

    In the KOS dump, targets 8.1, 16.1 and 17.1 carry two SDGIO IRIs and 8.10, 16.10 and
    17.10 none (the codes were probably compared as numbers: 8.1 == 8.10). The matches are
    kept as the UN publishes them; the doubt is recorded beside them, on both targets, and
    nothing is moved.
    """
    by_code = {t["code"]: t for t in targets}
    notes: dict[str, list[str]] = {}
    for t in sorted(targets, key=lambda r: code_key(r["code"])):
        matches = sorted(t["sdgio_iri"].split())
        if len(matches) < 2:
            continue
        sibling = by_code.get(t["code"] + "0")
        ids = [m.rsplit("/", 1)[-1] for m in matches]
        if len(matches) != 2 or sibling is None or sibling["sdgio_iri"]:
            raise DataError(f"target {t['code']}: several SDGIO matches {matches}, not the known X.1/X.10 mix-up")
        warn(f"target {t['code']}: two SDGIO matches and none on {sibling['code']}; kept as published, with a note")
        x1, x10 = t["code"], sibling["code"]
        notes[x1] = [
            literal(f"Données de l'ONU gardées telles que publiées, avec un doute : la cible {x1} porte deux "
                    f"correspondances SDGIO ({ids[0]}, {ids[1]}) et la cible {x10} aucune. Les codes {x1} et "
                    f"{x10} ont sans doute été confondus (comparés comme des nombres) ; {ids[1]} pourrait être "
                    f"la correspondance de {x10}, l'ontologie SDGIO numérotant les cibles d'un objectif dans "
                    "l'ordre. Non vérifié.", "fr"),
            literal(f"UN data kept as published, with a doubt: target {x1} carries two SDGIO matches "
                    f"({ids[0]}, {ids[1]}) and target {x10} none. The codes {x1} and {x10} were probably "
                    f"mixed up (compared as numbers); {ids[1]} may be the match of {x10}, as SDGIO numbers "
                    "the targets of a goal in order. Not checked.", "en"),
        ]
        notes[x10] = [
            literal(f"Aucune correspondance SDGIO dans les données de l'ONU, alors que la cible {x1} en porte "
                    f"deux ({ids[0]}, {ids[1]}) : {ids[1]} pourrait être celle de {x10} (confusion probable "
                    f"des codes {x1} et {x10}). Non vérifié ; aucune correspondance n'est ajoutée.", "fr"),
            literal(f"No SDGIO match in the UN data, while target {x1} carries two ({ids[0]}, {ids[1]}): "
                    f"{ids[1]} may be the match of {x10} (the codes {x1} and {x10} were probably mixed up). "
                    "Not checked; no match is added.", "en"),
        ]
    return notes


def build_sdg(ref: Path) -> list[Node]:
    goals = read_tsv(ref / "sdg-goals.tsv", ["code", "iri", "label_en", "label_fr", "description_en",
                                             "description_fr", "sdgio_iri", "wikidata_iri", "n_targets", "source"])
    targets = read_tsv(ref / "sdg-targets.tsv", ["code", "iri", "label_en", "label_fr", "description_en",
                                                 "description_fr", "goal_iri", "indicator_iris", "sdgio_iri", "source"])
    indicators = read_tsv(ref / "sdg-indicators.tsv", ["code", "iri", "label_en", "label_fr", "description_en",
                                                       "description_fr", "target_iris", "source"])
    scheme = iri("sdg/scheme")

    def unique(rows, what):
        seen = {}
        for r in rows:
            if r["iri"] in seen:
                raise DataError(f"{what}: duplicate IRI {r['iri']}")
            seen[r["iri"]] = r
        return seen

    goal_by_iri = unique(goals, "goals")
    target_by_iri = unique(targets, "targets")
    indicator_by_iri = unique(indicators, "indicators")
    for r in goals + targets:
        if r["iri"] != SDG_NS + r["code"]:
            raise DataError(f"code {r['code']} does not match IRI {r['iri']}")
    sdgio_notes = sdgio_doubts(targets)

    # goal -> targets
    targets_of_goal = defaultdict(list)
    for t in targets:
        if t["goal_iri"] not in goal_by_iri:
            raise DataError(f"target {t['code']}: unknown goal {t['goal_iri']}")
        targets_of_goal[t["goal_iri"]].append(t["iri"])
    for g in goals:
        if str(len(targets_of_goal[g["iri"]])) != g["n_targets"]:
            raise DataError(f"goal {g['code']}: n_targets {g['n_targets']} but "
                            f"{len(targets_of_goal[g['iri']])} targets")

    # target -> indicators, from the indicators' target_iris (checked against the targets' indicator_iris)
    indicators_of_target = defaultdict(list)
    for i in indicators:
        if not i["target_iris"].split():
            raise DataError(f"indicator {i['code']}: no target")
        for t in i["target_iris"].split():
            if t not in target_by_iri:
                raise DataError(f"indicator {i['code']}: unknown target {t}")
            indicators_of_target[t].append(i["iri"])
    for t in targets:
        listed = set(t["indicator_iris"].split())
        derived = set(indicators_of_target[t["iri"]])
        for x in sorted(listed - set(indicator_by_iri)):
            raise DataError(f"target {t['code']}: unknown indicator {x}")
        if listed != derived:
            warn(f"target {t['code']}: indicator_iris {sorted(listed)} differ from the indicators' "
                 f"target_iris {sorted(derived)}; using the union")
            indicators_of_target[t["iri"]] = sorted(listed | derived)

    def by_code(iris):
        return sorted(iris, key=lambda x: code_key(sdg_code(x)))

    def indicator_key(row):
        return code_key(row["code"].split()[0])

    nodes = []

    # the scheme
    sorted_goals = sorted(goals, key=lambda r: code_key(r["code"]))
    nodes.append(Node(scheme)
                 .add("a", "skos:ConceptScheme")
                 .add("skos:prefLabel", literal("Objectifs de développement durable (ODD)", "fr"),
                      literal("Sustainable Development Goals (SDG)", "en"))
                 .add("skos:hasTopConcept", *[iri(g["iri"]) for g in sorted_goals])
                 .add("dct:source", iri(UN_SDG_KOS)))

    # the dataset description, with the source and known gaps taken from the inputs
    commit = sorted({m for r in goals for m in re.findall(r"@([0-9a-f]{40})", r["source"])})
    if len(commit) != 1:
        raise DataError(f"sdg-goals.tsv: expected one source commit, found {commit}")
    dump_date = re.search(r"@[0-9a-f]{40} \((\d{4}-\d{2}-\d{2})", goals[0]["source"])
    gaps = []
    for t in sorted(targets, key=lambda r: code_key(r["code"])):
        if "PATCHED" in t["source"]:
            gaps.append(f"the English text of target {t['code']} is truncated in the dump and was completed "
                        "from the official wording (A/RES/70/1)")
    if any("later refinements not reflected" in r["source"] for r in indicators):
        gaps.append("the indicator framework is that of 2019/2020: later refinements of the indicator list "
                    "are not reflected")
    if sdgio_notes:
        doubtful = sorted(sdgio_notes, key=code_key)
        gaps.append(f"targets {', '.join(c for c in doubtful if not c.endswith('0'))} carry two UNEP SDGIO "
                    f"matches each and targets {', '.join(c for c in doubtful if c.endswith('0'))} none, "
                    "probably a mix-up of the X.1 and X.10 codes in the dump; kept as published, with a "
                    "skos:note on each of these targets")
    no_sdgio = [t["code"] for t in sorted(targets, key=lambda r: code_key(r["code"])) if not t["sdgio_iri"]]
    if no_sdgio:
        gaps.append(f"targets {', '.join(no_sdgio)} have no UNEP SDGIO match")
    gaps.append("indicators carry no SDGIO match (not in the reference facts)")
    multi = [i for i in sorted(indicators, key=indicator_key) if len(i["code"].split()) > 1]
    if multi:
        gaps.append("indicators shared by several targets keep the UN's single code label (skos:altLabel) "
                    "and carry each of their codes as skos:notation and in their skos:prefLabel ("
                    + "; ".join(f"{sdg_code(i['iri'])}: {', '.join(i['code'].split())}" for i in multi) + ")")
    note = (
        f"Source: the UN SDG knowledge organization system ({UN_SDG_KOS}), read from the dump "
        f"UNStats/LOD4Stats sdg-data/sdg-kos-goals-targets-indicators.ttl at commit {commit[0]}"
        + (f" ({dump_date.group(1)})" if dump_date else "")
        + ". The goals' short titles (their skos:prefLabel) are the UN communication titles, which the KOS "
          "does not hold. Known gaps and corrections: "
        + "; ".join(f"({n}) {g}" for n, g in enumerate(gaps, start=1)) + "."
    )
    nodes.append(Node(iri("dataset/sdg"))
                 .add("a", "dcat:Dataset", "void:Dataset")
                 .add("dct:title", literal("Objectifs de développement durable de l'ONU : objectifs, cibles et "
                                           "indicateurs", "fr"),
                      literal("UN Sustainable Development Goals: goals, targets and indicators", "en"))
                 .add("dct:description",
                      literal(f"Les {len(goals)} objectifs de développement durable (ODD) de l'ONU, leurs "
                              f"{len(targets)} cibles et {len(indicators)} indicateurs (cadre 2019/2020), tels "
                              "que les publie le système d'organisation des connaissances des ODD de l'ONU.", "fr"),
                      literal(f"The UN's {len(goals)} Sustainable Development Goals, their {len(targets)} targets "
                              f"and {len(indicators)} indicators (2019/2020 framework), as the UN SDG knowledge "
                              "organization system publishes them.", "en"))
                 .add("dct:source", iri(UN_SDG_KOS), iri(UN_SDG_KOS_DUMP), *[iri(x) for x in UN_SDG_COMMUNICATION])
                 .add("dct:bibliographicCitation", literal(SDG_CITATION))
                 .add("skos:note", literal(note, "en")))

    for g in sorted_goals:
        nodes.append(Node(iri(g["iri"]))
                     .add("a", "skos:Concept", "lg:SDGGoal")
                     .add("skos:prefLabel", literal(g["label_fr"], "fr"), literal(g["label_en"], "en"))
                     .add("skos:definition", literal(g["description_fr"], "fr"), literal(g["description_en"], "en"))
                     .add("skos:notation", literal(g["code"]))
                     .add("skos:inScheme", scheme)
                     .add("skos:topConceptOf", scheme)
                     .add("skos:narrower", *[iri(t) for t in by_code(targets_of_goal[g["iri"]])])
                     .add("skos:exactMatch", *[iri(x) for x in (g["sdgio_iri"], g["wikidata_iri"]) if x])
                     # the KOS states the goal; its short title is a UN communication title
                     .add("dct:source", iri(UN_SDG_KOS), *[iri(x) for x in UN_SDG_COMMUNICATION]))

    # Targets and indicators: the KOS labels them by code only ("Cible 11.6"), so every
    # answer would show a code. Their skos:prefLabel is the code followed by the UN's own
    # text (its skos:definition); the UN's code labels stay as skos:altLabel, the code as
    # skos:notation.
    def readable(codes: str, text: str) -> str:
        return f"{codes} — {text}"

    for t in sorted(targets, key=lambda r: code_key(r["code"])):
        nodes.append(Node(iri(t["iri"]))
                     .add("a", "skos:Concept", "lg:SDGTarget")
                     .add("skos:prefLabel", literal(readable(t["code"], t["description_fr"]), "fr"),
                          literal(readable(t["code"], t["description_en"]), "en"))
                     .add("skos:altLabel", literal(t["label_fr"], "fr"), literal(t["label_en"], "en"))
                     .add("skos:definition", literal(t["description_fr"], "fr"), literal(t["description_en"], "en"))
                     .add("skos:notation", literal(t["code"]))
                     .add("skos:inScheme", scheme)
                     .add("skos:broader", iri(t["goal_iri"]))
                     .add("skos:narrower", *[iri(x) for x in sorted(indicators_of_target[t["iri"]],
                                                                     key=lambda x: indicator_key(indicator_by_iri[x]))])
                     .add("skos:exactMatch", *[iri(x) for x in sorted(t["sdgio_iri"].split())])
                     .add("skos:note", *sdgio_notes.get(t["code"], []))
                     .add("dct:source", iri(UN_SDG_KOS),
                          iri(UN_A_RES_70_1) if "A/RES/70/1" in t["source"] else None))

    for i in sorted(indicators, key=indicator_key):
        nodes.append(Node(iri(i["iri"]))
                     .add("a", "skos:Concept", "lg:SDGIndicator")
                     .add("skos:prefLabel",
                          literal(readable(", ".join(sorted(i["code"].split(), key=code_key)), i["description_fr"]), "fr"),
                          literal(readable(", ".join(sorted(i["code"].split(), key=code_key)), i["description_en"]), "en"))
                     .add("skos:altLabel", literal(i["label_fr"], "fr"), literal(i["label_en"], "en"))
                     .add("skos:definition", literal(i["description_fr"], "fr"), literal(i["description_en"], "en"))
                     .add("skos:notation", *[literal(c) for c in sorted(i["code"].split(), key=code_key)])
                     .add("skos:inScheme", scheme)
                     .add("skos:broader", *[iri(x) for x in sorted(i["target_iris"].split(),
                                                                   key=lambda x: code_key(sdg_code(x)))])
                     .add("dct:source", iri(UN_SDG_KOS)))
    return nodes


# --------------------------------------------------------------------------
# The official geographic code: the npm package @etalab/decoupage-administratif
# --------------------------------------------------------------------------

# The package, pinned: its version, the hashes of its tarball as the registry states them
# (`npm view @etalab/decoupage-administratif@6.0.0 dist.integrity dist.shasum`), and the
# year of the official geographic code (COG) it reflects, as its README's table of
# "millésimes" states it (checked when the tarball is read). To move to another version,
# change the four pins together and run the tool again.
DEC_NAME = "@etalab/decoupage-administratif"
DEC_VERSION = "6.0.0"
DEC_INTEGRITY = "sha512-XavYsFlbcM/prKr8hNHPKER94IHw/dsxNM4nxjWMYk6PLFACpEedvn/7wK8Baozm0dCYhWWcf+7bcWpA5pmCaQ=="
DEC_SHASUM = "0330556cf07e21fff21111e5775a316ec18b9636"
DEC_COG_YEAR = "2026"
# The package's versioned IRI, the dct:source of every resource read from it: its package
# URL (purl, https://github.com/package-url/purl-spec), which names the package and its
# version without naming a registry's host.
DEC_SOURCE = f"pkg:npm/{DEC_NAME.replace('@', '%40', 1)}@{DEC_VERSION}"
# Where `npm pack` puts the tarball (git-ignored), and the name it gives it.
CACHE_DIR = REPO_ROOT / "tools" / ".cache"
DEC_TARBALL = DEC_NAME.lstrip("@").replace("/", "-") + f"-{DEC_VERSION}.tgz"
# The package's data files read (in the tarball, under package/).
DEC_FILES = ["regions", "departements", "epci", "communes"]


def tarball_digests(path: Path) -> tuple[str, str]:
    """The npm integrity string (sha512, base64) and the sha1 (hex) of a file."""
    sha512, sha1 = hashlib.sha512(), hashlib.sha1()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha512.update(block)
            sha1.update(block)
    return "sha512-" + base64.b64encode(sha512.digest()).decode("ascii"), sha1.hexdigest()


def check_tarball(path: Path) -> None:
    if not path.is_file():
        raise DataError(f"missing package tarball: {path}")
    integrity, shasum = tarball_digests(path)
    if (integrity, shasum) != (DEC_INTEGRITY, DEC_SHASUM):
        raise DataError(f"{path}: not the pinned {DEC_NAME}@{DEC_VERSION} (sha512 {integrity}, sha1 {shasum}; "
                        f"pinned {DEC_INTEGRITY}, {DEC_SHASUM})")


def fetch_package(cache_dir: Path) -> Path:
    """The package's tarball in the cache, fetched with `npm pack` when it is not there (or differs)."""
    cached = cache_dir / DEC_TARBALL
    if cached.is_file():
        try:
            check_tarball(cached)
            return cached
        except DataError as err:
            warn(f"{err}; fetching it again")
    if shutil.which("npm") is None:
        raise DataError(f"{cached} is not there and npm is not installed: install npm, or give the tarball "
                        f"with --package PATH")
    cache_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="npm-pack-", dir=cache_dir))
    try:
        spec = f"{DEC_NAME}@{DEC_VERSION}"
        done = subprocess.run(["npm", "pack", spec, "--ignore-scripts", "--silent"], cwd=work,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise DataError(f"npm pack {spec} failed: {done.stderr.strip() or done.stdout.strip()}")
        packed = work / DEC_TARBALL
        if not packed.is_file():
            raise DataError(f"npm pack {spec} wrote {sorted(p.name for p in work.iterdir())}, not {DEC_TARBALL}")
        check_tarball(packed)
        os.replace(packed, cached)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"fetched {DEC_NAME}@{DEC_VERSION} into {cached}", file=sys.stderr)
    return cached


def read_package(path: Path) -> dict:
    """The package's data files, its README's COG year for the version, checked against the pins."""
    check_tarball(path)
    out = {}
    with tarfile.open(path, "r:gz") as tar:
        def member(name: str) -> bytes:
            try:
                fh = tar.extractfile(f"package/{name}")
            except KeyError:
                fh = None
            if fh is None:
                raise DataError(f"{path}: no package/{name}")
            return fh.read()

        manifest = json.loads(member("package.json"))
        if (manifest.get("name"), manifest.get("version")) != (DEC_NAME, DEC_VERSION):
            raise DataError(f"{path}: package.json names {manifest.get('name')}@{manifest.get('version')}")
        readme = member("README.md").decode("utf-8")
        years = re.findall(rf"^\|\s*(\d{{4}})\s*\|\s*{re.escape(DEC_VERSION)}\s*\|", readme, re.M)
        if years != [DEC_COG_YEAR]:
            raise DataError(f"{path}: the README's table gives the year(s) {years} for version {DEC_VERSION}, "
                            f"not {DEC_COG_YEAR}")
        for name in DEC_FILES:
            out[name] = json.loads(member(f"data/{name}.json"))
    return out


def france(pkg: dict) -> dict:
    """The regions, départements, EPCI and communes actuelles of the package, checked.

    The collectivités d'outre-mer (zone "com": Saint-Pierre-et-Miquelon, Saint-Barthélemy,
    Saint-Martin, the TAAF, Wallis-et-Futuna, French Polynesia, New Caledonia, Clipperton) are
    left out: neither regions nor départements, their codes (975, 977…) fit neither level,
    and none of their communes is a member of an EPCI. Communes déléguées and associées and
    arrondissements municipaux are left out: only communes actuelles are read.
    """
    def kept(rows):
        return [r for r in rows if r.get("zone") != "com"]

    regions = {r["code"]: r for r in kept(pkg["regions"])}
    departements = {d["code"]: d for d in kept(pkg["departements"])}
    for r in regions:
        if not re.fullmatch(r"\d{2}", r):
            raise DataError(f"{DEC_NAME}: bad region code {r}")
    for d in departements.values():
        if not re.fullmatch(r"\d{2}|2[AB]|97[1-6]", d["code"]):
            raise DataError(f"{DEC_NAME}: bad département code {d['code']}")
        if d["region"] not in regions:
            raise DataError(f"{DEC_NAME}: département {d['code']} in unknown region {d['region']}")
    skipped = defaultdict(int)
    communes = {}
    for c in pkg["communes"]:
        if c.get("type") != "commune-actuelle":
            skipped[c.get("type")] += 1
            continue
        if c.get("zone") == "com":
            skipped["commune-com"] += 1
            continue
        code = c["code"]
        if not re.fullmatch(r"\d{5}|2[AB]\d{3}", code):
            raise DataError(f"{DEC_NAME}: bad commune code {code}")
        if code in communes:
            raise DataError(f"{DEC_NAME}: duplicate commune {code}")
        d = departements.get(c.get("departement"))
        if d is None:
            raise DataError(f"{DEC_NAME}: commune {code} in unknown département {c.get('departement')}")
        if c.get("region") != d["region"]:
            raise DataError(f"{DEC_NAME}: commune {code} in region {c.get('region')}, its département in "
                            f"{d['region']}")
        communes[code] = c
    epcis, epci_of = {}, {}
    for e in pkg["epci"]:
        siren = e["code"]
        if not re.fullmatch(r"\d{9}", siren) or siren in epcis:
            raise DataError(f"{DEC_NAME}: bad or duplicate EPCI SIREN {siren}")
        if not e["membres"]:
            raise DataError(f"{DEC_NAME}: EPCI {siren} has no member")
        for m in e["membres"]:
            if m["code"] not in communes:
                raise DataError(f"{DEC_NAME}: EPCI {siren}: member {m['code']} is not a commune actuelle kept here")
            if m["code"] in epci_of:
                raise DataError(f"{DEC_NAME}: commune {m['code']} in EPCI {epci_of[m['code']]} and {siren}")
            epci_of[m["code"]] = siren
        epcis[siren] = e
    return {"regions": regions, "departements": departements, "epcis": epcis, "communes": communes,
            "epci_of": epci_of, "skipped": dict(skipped),
            "com": sorted({r["code"] for r in pkg["regions"] + pkg["departements"] if r.get("zone") == "com"})}


# --------------------------------------------------------------------------
# territories.ttl
# --------------------------------------------------------------------------


def build_territories(ref: Path, seed_dir: Path, pkg: dict) -> list[Node]:
    actors = {r["entity"]: r for r in read_tsv(ref / "actors-identifiers.tsv",
                                               ["entity", "name_official", "siren", "insee_code", "other_codes",
                                                "source", "notes"])}
    communes = read_tsv(ref / "epci-member-communes.tsv",
                        ["epci_siren", "epci_name", "commune_insee", "commune_name", "ptot_2025", "source"])
    qpvs = read_tsv(ref / "qpv-artois.tsv",
                    ["code_qpv_2024", "name", "commune_insee_codes", "commune_names", "epci_siren", "epci_name",
                     "inter_epci", "source", "notes"])
    seed_path = seed_dir / SEED_FILE
    if not seed_path.is_file():
        raise DataError(f"missing seed page: {seed_path}")
    seed_text = " ".join(seed_path.read_text(encoding="utf-8").split())

    seed = iri(SEED_PAGE)
    t_region, t_dep, t_pole = iri("territory/region/32"), iri("territory/departement/62"), \
        iri("territory/pole-metropolitain/artois")

    region = actors["Région Hauts-de-France"]
    dep = actors["Département du Pas-de-Calais"]
    if (region["insee_code"], dep["insee_code"]) != ("32", "62"):
        raise DataError("actors-identifiers.tsv: unexpected INSEE codes of the region or département")
    nodes = [
        Node(t_region).add("a", "lg:Region")
        .add("schema:name", literal("Hauts-de-France", "fr"))
        .add("dct:identifier", literal(region["insee_code"]))
        .add("dct:source", iri(INSEE_COG_REGION.format(code=region["insee_code"]))),
        Node(t_dep).add("a", "lg:Departement")
        .add("schema:name", literal("Pas-de-Calais", "fr"))
        .add("dct:identifier", literal(dep["insee_code"]))
        .add("schema:containedInPlace", t_region)
        .add("dct:source", iri(INSEE_COG_DEPARTEMENT.format(code=dep["insee_code"]))),
        Node(t_pole).add("a", "lg:PoleMetropolitain")
        .add("schema:name", literal(actors["PMA"]["name_official"], "fr"))
        .add("schema:containedInPlace", t_dep)
        # The page's sentence on the territory, as printed: its share of the region's QPV,
        # its mining past and the resilience that followed.
        .add("schema:description", literal(POLE_SENTENCE, "fr"), literal(POLE_SENTENCE_EN, "en"))
        .add("dct:source", seed),
    ]
    if POLE_SENTENCE not in seed_text:
        raise DataError(f"seed page: {POLE_SENTENCE!r} not found")
    if CONTRATS_SENTENCE not in seed_text:
        raise DataError(f"seed page: {CONTRATS_SENTENCE!r} not found")

    # communes, by EPCI
    commune_by_insee = {}
    communes_of_epci = defaultdict(list)
    for c in communes:
        if not re.fullmatch(r"\d{5}|2[AB]\d{3}", c["commune_insee"]):
            raise DataError(f"epci-member-communes.tsv: bad INSEE code {c['commune_insee']}")
        if c["commune_insee"] in commune_by_insee:
            raise DataError(f"epci-member-communes.tsv: duplicate commune {c['commune_insee']}")
        if not c["ptot_2025"].isdigit():
            raise DataError(f"epci-member-communes.tsv: bad population for {c['commune_insee']}")
        commune_by_insee[c["commune_insee"]] = c
        communes_of_epci[c["epci_siren"]].append(c)

    # QPV (2024 geography) and the EPCIs they touch
    qpvs_of_epci = defaultdict(set)
    qpv_communes = {}
    for q in qpvs:
        codes = q["commune_insee_codes"].split(";")
        names = q["commune_names"].split(";")
        if len(codes) != len(names):
            raise DataError(f"qpv-artois.tsv: {q['code_qpv_2024']}: communes and names do not pair up")
        kept = []
        for code, name in zip(codes, names):
            c = commune_by_insee.get(code)
            if c is None:
                warn(f"QPV {q['code_qpv_2024']}: commune {code} {name} is not among the member communes; "
                     "link left out")
                continue
            if c["commune_name"] != name:
                warn(f"QPV {q['code_qpv_2024']}: commune {code} named {name!r} here, {c['commune_name']!r} in "
                     "epci-member-communes.tsv")
            kept.append(code)
            qpvs_of_epci[c["epci_siren"]].add(q["code_qpv_2024"])
        qpv_communes[q["code_qpv_2024"]] = sorted(set(kept))
        touched = sorted({commune_by_insee[c]["epci_siren"] for c in kept})
        if touched != sorted(q["epci_siren"].split(";")):
            warn(f"QPV {q['code_qpv_2024']}: epci_siren {q['epci_siren']} but its communes are in {touched}")
        if (q["inter_epci"] == "yes") != (len(touched) > 1):
            warn(f"QPV {q['code_qpv_2024']}: inter_epci={q['inter_epci']} but its communes are in {touched}")
    qpv_sources = sorted({x for q in qpvs for x in source_iris(q["source"])})

    # EPCIs, with their populations, QPV counts and contrats de ville
    epci_nodes, commune_nodes, contract_nodes = [], [], []
    def contract_notes(code: str) -> list[str]:
        """The page's statement on the contrats de ville, and where the contract's code comes from."""
        return [
            literal(f"La page du séminaire : « {CONTRATS_SENTENCE} »", "fr"),
            literal(f"The seminar page: \"{CONTRATS_SENTENCE_EN}\"", "en"),
            literal(f"Le code {code} vient des données « ci-ville » de l'ANCT (contrats de ville de la génération "
                    "2015) ; le fichier de référence ne donne pas l'adresse de ces données : la source citée est "
                    "la page du séminaire, qui nomme les trois agglomérations pilotes de contrats de ville.", "fr"),
            literal(f"The code {code} comes from the ANCT's ci-ville data (contrats de ville of the 2015 "
                    "generation); the reference file gives no address for those data: the source cited is the "
                    "seminar page, which names the three agglomerations piloting contrats de ville.", "en"),
        ]

    for key, org_slug, count_2015, seed_sentence in EPCIS:
        a = actors[key]
        siren = a["siren"]
        members = communes_of_epci.get(siren, [])
        if not members:
            raise DataError(f"EPCI {key} ({siren}) has no member communes")
        names = {c["epci_name"] for c in members}
        if names != {a["name_official"]}:
            warn(f"EPCI {siren}: name {a['name_official']!r} in actors-identifiers.tsv, {sorted(names)} in "
                 "epci-member-communes.tsv")
        population = sum(int(c["ptot_2025"]) for c in members)
        stated = re.search(r"total pop 2025 = ([\d ]+\d)", a["notes"])
        if stated and int(stated.group(1).replace(" ", "")) != population:
            raise DataError(f"EPCI {siren}: member populations sum to {population}, notes say {stated.group(1)}")
        stated_n = re.search(r"(\d+) member communes", a["notes"])
        if stated_n and int(stated_n.group(1)) != len(members):
            raise DataError(f"EPCI {siren}: {len(members)} member communes, notes say {stated_n.group(1)}")
        if seed_sentence not in seed_text:
            raise DataError(f"seed page: {seed_sentence!r} not found")
        t_epci = iri(f"territory/epci/{siren}")
        count_2024 = len(qpvs_of_epci[siren])
        epci_nodes.append(
            Node(t_epci).add("a", "lg:EPCI")
            .add("schema:name", literal(a["name_official"], "fr"))
            .add("dct:identifier", literal(siren))
            .add("schema:containedInPlace", t_pole)
            .add("lg:population", integer(population))
            .add("lg:populationYear", literal("2025", datatype="xsd:gYear"))
            .add("lg:qpvCount", Node()
                 .add("a", "lg:QpvCount")
                 .add("rdf:value", integer(count_2015))
                 .add("lg:qpvGeography", literal("2015"))
                 .add("dct:source", seed))
            .add("lg:qpvCount", Node()
                 .add("a", "lg:QpvCount")
                 .add("rdf:value", integer(count_2024))
                 .add("lg:qpvGeography", literal("2024"))
                 .add("skos:note",
                      literal("Nombre calculé : QPV de la géographie 2024 dont au moins une commune est membre de "
                              "l'EPCI (un QPV à cheval sur deux EPCI compte pour chacun).", "fr"),
                      literal("Computed count: QPV of the 2024 geography with at least one commune in the EPCI "
                              "(a QPV straddling two EPCIs counts for each).", "en"))
                 .add("dct:source", *[iri(x) for x in qpv_sources]))
            .add("dct:source", seed, *[iri(x) for x in sorted({x for c in members for x in source_iris(c["source"])})])
            .add("skos:note", literal("lg:population is the sum of the member communes' 2025 populations.", "en")))

        # contrats de ville (2015 generation) piloted by this EPCI, or by its predecessors
        own = re.findall(r"\bCV\d+\b", a["other_codes"])
        predecessors = re.findall(r'\b(CV\d+) "([^"]+)" \((?:codgeo )?(\d+)\)', a["notes"])
        if len(predecessors) != len(set(re.findall(r"\bCV\d+\b", a["notes"]))):
            raise DataError(f"actors-identifiers.tsv: {key}: could not read every contrat de ville of the notes")
        for code in own:
            contract_nodes.append(
                Node(iri(f"contrat-de-ville/{code}")).add("a", "lg:ContratDeVille")
                .add("schema:name", literal(f"Contrat de ville de la {a['name_official']}", "fr"))
                .add("dct:identifier", literal(code))
                .add("lg:pilotedBy", iri(f"org/{org_slug}"))
                .add("dct:spatial", t_epci)
                .add("lg:qpvGeography", literal("2015"))
                .add("skos:note", *contract_notes(code))
                .add("dct:source", seed))
        for code, signatory, signatory_code in predecessors:
            contract_nodes.append(
                Node(iri(f"contrat-de-ville/{code}")).add("a", "lg:ContratDeVille")
                .add("schema:name", literal(f"Contrat de ville de la {signatory}", "fr"))
                .add("dct:identifier", literal(code))
                .add("lg:pilotedBy", iri(f"org/{org_slug}"))
                .add("dct:spatial", t_epci)
                .add("lg:qpvGeography", literal("2015"))
                .add("skos:note",
                     literal(f"Signé par la {signatory} (code {signatory_code}), fusionnée depuis dans la "
                             f"{a['name_official']} : le pilote indiqué est l'EPCI successeur, et le territoire "
                             f"du contrat n'est qu'une partie de celui de l'EPCI actuel.", "fr"),
                     literal(f"Signed by the {signatory} (code {signatory_code}), since merged into the "
                             f"{a['name_official']}: the pilot given is the successor EPCI, and the contract "
                             f"covered only part of today's EPCI territory.", "en"),
                     *contract_notes(code))
                .add("dct:source", seed))
        if not own and not predecessors:
            warn(f"EPCI {key}: no contrat de ville code found")

        for c in sorted(members, key=lambda r: r["commune_insee"]):
            commune_nodes.append(
                Node(iri(f"territory/commune/{c['commune_insee']}")).add("a", "lg:Commune")
                .add("schema:name", literal(c["commune_name"], "fr"))
                .add("dct:identifier", literal(c["commune_insee"]))
                .add("schema:containedInPlace", t_epci)
                .add("lg:population", integer(int(c["ptot_2025"])))
                .add("lg:populationYear", literal("2025", datatype="xsd:gYear"))
                .add("dct:source", *[iri(x) for x in source_iris(c["source"])]))

    known_epcis = {actors[k]["siren"] for k, *_ in EPCIS}
    for siren in sorted(set(communes_of_epci) - known_epcis):
        warn(f"epci-member-communes.tsv: EPCI {siren} is not one of the three agglomerations; left out")

    qpv_nodes = []
    for q in sorted(qpvs, key=lambda r: r["code_qpv_2024"]):
        code = q["code_qpv_2024"]
        node = (Node(iri(f"territory/qpv/{code}")).add("a", "lg:QPV")
                .add("schema:name", literal(q["name"], "fr"))
                .add("dct:identifier", literal(code))
                .add("lg:qpvGeography", literal("2024"))
                .add("schema:containedInPlace", *[iri(f"territory/commune/{c}") for c in qpv_communes[code]]))
        if q["inter_epci"] == "yes":
            epci_names = " ; ".join(q["epci_name"].split(";"))
            node.add("skos:note",
                     literal(f"QPV à cheval sur plusieurs EPCI (par ses communes) : {epci_names}. La liste "
                             "officielle (listeqp2024-cog2024.csv, colonne siren_epci) ne donne qu'un EPCI "
                             "pilote, non vérifié ici.", "fr"),
                     literal(f"QPV straddling several EPCIs (through its communes): {', '.join(q['epci_name'].split(';'))}. "
                             "The official list (listeqp2024-cog2024.csv, column siren_epci) gives a single "
                             "pilot EPCI, not checked here.", "en"))
        node.add("dct:source", *[iri(x) for x in source_iris(q["source"])])
        qpv_nodes.append(node)

    epci_nodes.sort(key=lambda n: n.subject)
    commune_nodes.sort(key=lambda n: n.subject)
    contract_nodes.sort(key=lambda n: n.subject)

    # France: every region, département, EPCI and commune of the package, the Artois' among
    # them; then the Pôle, the QPV and the contrats de ville; the graph's description first.
    fr = france(pkg)
    pole = [n for n in nodes if n.subject == t_pole]
    levels, disagreements = merge_france(fr, [n for n in nodes if n.subject != t_pole] + epci_nodes + commune_nodes)
    body = (levels["region"] + levels["departement"] + pole + levels["epci"] + levels["commune"] + qpv_nodes
            + contract_nodes)
    return [dataset_node(fr, levels, body, len(qpv_nodes), disagreements)] + body


def values(node: Node, predicate: str) -> list:
    """The objects a node states for a predicate (rendered), in order."""
    return [o for p, objects in node.props if p == predicate for o in objects]


def shown(rendered: str) -> str:
    """A rendered term as a person reads it: a French name in « », an IRI as written."""
    m = re.fullmatch(r'"((?:[^"\\]|\\.)*)"@fr', rendered)
    return f"« {m.group(1)} »" if m else rendered


def merge_france(fr: dict, artois: list[Node]) -> tuple[dict[str, list[Node]], list[str]]:
    """The package's regions, départements, EPCI and communes as nodes, merged with the Artois.

    A resource the reference files already describe (the Artois' region, département, three
    EPCI and their communes) keeps its statements, and cites the package too; where the
    package states otherwise (a name, an EPCI's membership), the reference files' statement
    is kept and the disagreement is returned (and, for a commune's name, noted on it).
    Returns the nodes by level (each sorted by subject) and the disagreements.
    """
    src = iri(DEC_SOURCE)
    described = {n.subject: n for n in artois}
    used = set()
    disagreements = []

    def existing(subject: str) -> Node | None:
        node = described.get(subject)
        if node is not None:
            used.add(subject)
        return node

    def check(node: Node, predicate: str, expected: list[str], what: str) -> bool:
        stated = values(node, predicate)
        if sorted(stated) != sorted(expected):
            disagreements.append(f"{what}: {', '.join(map(shown, stated)) or 'nothing'} in the reference files, "
                                 f"{', '.join(map(shown, expected)) or 'nothing'} in {DEC_NAME} {DEC_VERSION} "
                                 "(kept: the first)")
            warn(disagreements[-1])
            return False
        return True

    levels: dict[str, list[Node]] = {"region": [], "departement": [], "epci": [], "commune": []}

    for code in sorted(fr["regions"]):
        name = fr["regions"][code]["nom"]
        subject = iri(f"territory/region/{code}")
        node = existing(subject)
        if node is None:
            node = Node(subject).add("a", "lg:Region").add("schema:name", literal(name, "fr")) \
                .add("dct:identifier", literal(code))
        else:
            check(node, "schema:name", [literal(name, "fr")], f"region {code}: name")
        levels["region"].append(node.add("dct:source", src))

    for code in sorted(fr["departements"]):
        d = fr["departements"][code]
        subject = iri(f"territory/departement/{code}")
        region = iri(f"territory/region/{d['region']}")
        node = existing(subject)
        if node is None:
            node = Node(subject).add("a", "lg:Departement").add("schema:name", literal(d["nom"], "fr")) \
                .add("dct:identifier", literal(code)).add("schema:containedInPlace", region)
        else:
            check(node, "schema:name", [literal(d["nom"], "fr")], f"département {code}: name")
            check(node, "schema:containedInPlace", [region], f"département {code}: region")
        levels["departement"].append(node.add("dct:source", src))

    for siren in sorted(fr["epcis"]):
        e = fr["epcis"][siren]
        subject = iri(f"territory/epci/{siren}")
        deps = sorted({fr["communes"][m["code"]]["departement"] for m in e["membres"]})
        node = existing(subject)
        if node is None:
            node = Node(subject).add("a", "lg:EPCI").add("schema:name", literal(e["nom"], "fr")) \
                .add("dct:identifier", literal(siren)) \
                .add("schema:containedInPlace", *[iri(f"territory/departement/{d}") for d in deps])
            if len(deps) > 1:
                named = ", ".join(f"{fr['departements'][d]['nom']} ({d})" for d in deps)
                node.add("skos:note",
                         literal(f"EPCI à cheval sur plusieurs départements (par ses communes membres) : {named}.",
                                 "fr"),
                         literal(f"EPCI straddling several départements (through its member communes): {named}.",
                                 "en"))
        else:
            # An EPCI of the Pôle: contained in the Pôle (itself in the Pas-de-Calais), its
            # members those of the reference file.
            check(node, "schema:name", [literal(e["nom"], "fr")], f"EPCI {siren}: name")
            if deps != ["62"]:
                disagreements.append(f"EPCI {siren}: members in départements {deps} in {DEC_NAME}, "
                                     "the Pôle métropolitain de l'Artois lies in 62")
                warn(disagreements[-1])
        levels["epci"].append(node.add("dct:source", src))

    for code in sorted(fr["communes"]):
        c = fr["communes"][code]
        subject = iri(f"territory/commune/{code}")
        siren = fr["epci_of"].get(code)
        epci = [iri(f"territory/epci/{siren}")] if siren else []
        node = existing(subject)
        if node is None:
            node = Node(subject).add("a", "lg:Commune").add("schema:name", literal(c["nom"], "fr")) \
                .add("dct:identifier", literal(code)).add("schema:containedInPlace", *epci)
            if not siren:
                d = fr["departements"][c["departement"]]
                node.add("skos:note",
                         literal("Commune membre d'aucun EPCI à fiscalité propre (commune insulaire) ; "
                                 f"département : {d['nom']} ({d['code']}).", "fr"),
                         literal("Commune in no EPCI with its own taxation (an island commune); "
                                 f"département: {d['nom']} ({d['code']}).", "en"))
        else:
            stated = values(node, "schema:name")
            if not check(node, "schema:name", [literal(c["nom"], "fr")], f"commune {code}: name"):
                node.add("skos:note",
                         literal(f"Nommée « {c['nom']} » dans le code officiel géographique {DEC_COG_YEAR} "
                                 f"({DEC_NAME} {DEC_VERSION}) ; le nom donné ici, {shown(stated[0])}, est celui "
                                 "de la liste des EPCI de la DGCL de 2025.", "fr"),
                         literal(f"Named « {c['nom']} » in the official geographic code {DEC_COG_YEAR} "
                                 f"({DEC_NAME} {DEC_VERSION}); the name given here, {shown(stated[0])}, is that "
                                 "of the DGCL's 2025 list of EPCI.", "en"))
            check(node, "schema:containedInPlace", epci, f"commune {code}: EPCI")
        levels["commune"].append(node.add("dct:source", src))

    for subject in sorted(set(described) - used):
        level = subject.split("/")[1]
        if level in levels:
            disagreements.append(f"{subject}: not in {DEC_NAME} {DEC_VERSION} (kept from the reference files)")
            warn(disagreements[-1])
            levels[level].append(described[subject])
    for level in levels.values():
        level.sort(key=lambda n: n.subject)
    return levels, disagreements


def sources_of(nodes: list) -> set[str]:
    """The dct:source values of nodes and of their blank nodes."""
    found = set()
    for node in nodes:
        for predicate, objects in node.props:
            for o in objects:
                if isinstance(o, Node):
                    found |= sources_of([o])
                elif predicate == "dct:source":
                    found.add(o)
    return found


def dataset_node(fr: dict, levels: dict[str, list[Node]], all_nodes: list[Node], n_qpv: int,
                 disagreements: list[str]) -> Node:
    """The graph's description, dataset/territories: what it holds, from which package and COG year."""
    n = {k: len(v) for k, v in levels.items()}
    straddling = sum(1 for e in fr["epcis"].values()
                     if len({fr["communes"][m["code"]]["departement"] for m in e["membres"]}) > 1)
    outside = sum(1 for c in fr["communes"] if c not in fr["epci_of"])
    skipped = fr["skipped"]
    note = (
        f"Regions, départements, EPCI and communes: the npm package {DEC_NAME} version {DEC_VERSION} "
        f"({DEC_SOURCE}; tarball {DEC_INTEGRITY}, sha1 {DEC_SHASUM}), whose README gives {DEC_COG_YEAR} as the "
        "year of its data (the INSEE's official geographic code, COG, and the DGCL's list of EPCI with their own "
        f"taxation). Left out: the collectivités d'outre-mer (codes {', '.join(fr['com'])}) and their "
        f"{skipped.get('commune-com', 0)} communes, "
        f"{skipped.get('commune-deleguee', 0)} communes déléguées, {skipped.get('commune-associee', 0)} communes "
        f"associées and {skipped.get('arrondissement-municipal', 0)} arrondissements municipaux; populations and "
        "postal codes. A commune lies in its EPCI (schema:containedInPlace), an EPCI in the département(s) of "
        f"its member communes ({straddling} EPCI straddle several, each with a skos:note), a département in its "
        f"region; {outside} island communes belong to no EPCI (each with a skos:note naming its département). "
        "The Pôle métropolitain de l'Artois, its three EPCI (contained in the Pôle, itself in the Pas-de-Calais), "
        "their communes' 2025 populations, the QPV, the QPV counts and the contrats de ville come from the "
        "reference files and the seminar page, each fact with its source; where these and the package both "
        "state a fact, the reference files' statement is kept"
        + (f" (disagreements: {'; '.join(disagreements)})" if disagreements else " (no disagreement)") + "."
    )
    return (Node(iri("dataset/territories"))
            .add("a", "dcat:Dataset", "void:Dataset")
            .add("dct:title",
                 literal(f"Territoires de France (code officiel géographique {DEC_COG_YEAR}) et de la Politique de la "
                         "ville dans l'Artois", "fr"),
                 literal(f"Territories of France (official geographic code {DEC_COG_YEAR}) and of the urban policy "
                         "in the Artois", "en"))
            .add("dct:description",
                 literal(f"Les {n['region']} régions, {n['departement']} départements, {n['epci']} EPCI à fiscalité "
                         f"propre et {n['commune']} communes de France (communes actuelles du code officiel "
                         f"géographique {DEC_COG_YEAR}, hors collectivités d'outre-mer), avec leurs codes officiels, "
                         "leurs noms et leurs rattachements, d'après le paquet npm "
                         f"{DEC_NAME} {DEC_VERSION} ; et le Pôle métropolitain de l'Artois, ses trois "
                         f"agglomérations, la population 2025 de leurs communes, les {n_qpv} quartiers prioritaires "
                         "(QPV, géographie 2024) qui les touchent, leurs nombres de QPV et les contrats de ville.",
                         "fr"),
                 literal(f"The {n['region']} regions, {n['departement']} départements, {n['epci']} EPCI (with their "
                         f"own taxation) and {n['commune']} communes of France (communes actuelles of the official "
                         f"geographic code {DEC_COG_YEAR}, collectivités d'outre-mer excepted), with their official "
                         f"codes, names and memberships, from the npm package {DEC_NAME} {DEC_VERSION}; and the "
                         "Pôle métropolitain de l'Artois, its three agglomerations, their communes' 2025 "
                         f"populations, the {n_qpv} priority neighbourhoods (QPV, 2024 geography) touching them, "
                         "their QPV counts and the contrats de ville.", "en"))
            .add("dct:source", *sorted(sources_of(all_nodes)))
            .add("skos:note", literal(note, "en")))


# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reference_dir", nargs="?", type=Path,
                        default=REPO_ROOT.parent / "shared" / "reference",
                        help="folder of the reference TSV files (default: ../shared/reference of the repository)")
    parser.add_argument("output_dir", nargs="?", type=Path, default=REPO_ROOT / "data",
                        help="folder to write sdg.ttl and territories.ttl into (default: data/ of the repository)")
    parser.add_argument("--seed-dir", type=Path, default=None,
                        help="folder of the seed page (default: REFERENCE_DIR/../seed)")
    parser.add_argument("--package", type=Path, default=None, metavar="TGZ",
                        help=f"the tarball of {DEC_NAME}@{DEC_VERSION} (default: `npm pack` it into "
                             f"tools/.cache/ unless already there); its hashes must be the pinned ones")
    args = parser.parse_args(argv)
    ref = args.reference_dir
    seed_dir = args.seed_dir or ref.parent / "seed"
    try:
        sdg_nodes = build_sdg(ref)
        pkg = read_package(args.package or fetch_package(CACHE_DIR))
        territory_nodes = build_territories(ref, seed_dir, pkg)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1

    out = args.output_dir
    write_turtle(out / "sdg.ttl",
                 header_lines("the UN Sustainable Development Goals (goals, targets, indicators) as SKOS",
                              "graph/sdg", ["sdg-goals.tsv", "sdg-targets.tsv", "sdg-indicators.tsv"]),
                 sdg_nodes)
    write_turtle(out / "territories.ttl",
                 header_lines(f"territories of France (regions, départements, EPCI, communes; official geographic "
                              f"code {DEC_COG_YEAR}), of the Pôle métropolitain de l'Artois (populations, QPV) "
                              "and contrats de ville",
                              "graph/territories",
                              [f"{DEC_NAME} {DEC_VERSION} (npm package; COG {DEC_COG_YEAR} as its README states; "
                               f"dct:source {DEC_SOURCE}):",
                               f"  data/{{{','.join(DEC_FILES)}}}.json of its tarball, {DEC_INTEGRITY}",
                               "epci-member-communes.tsv", "qpv-artois.tsv", "actors-identifiers.tsv",
                               f"../seed/{SEED_FILE} (QPV counts, 2015 geography; its statements on the territory and the contrats de ville)"]),
                 territory_nodes)
    print(f"wrote {out / 'sdg.ttl'} ({len(sdg_nodes)} resources) and "
          f"{out / 'territories.ttl'} ({len(territory_nodes)} resources)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
