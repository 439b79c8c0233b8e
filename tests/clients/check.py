"""Python's SPARQLWrapper and rdflib against a running `labgraph serve`.

Usage: check.py BASE_URL ADMIN_TOKEN. Exits non-zero on the first failed check.
"""
import sys
import urllib.error
import urllib.request

import rdflib
import rdflib.compare
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import (CSV, GET, JSON, JSONLD, POST, POSTDIRECTLY, RDFXML, TSV,
                           TURTLE, URLENCODED, XML, SPARQLWrapper)
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, Unauthorized

BASE, TOKEN = sys.argv[1], sys.argv[2]
ENDPOINT = BASE + "/sparql"
LG = "https://w3id.org/labgraph/def#"
SEMINAR = "https://w3id.org/labgraph/id/seminar/pma-artois-2022-12-01"
SEMINARS = f"PREFIX lg: <{LG}> SELECT ?s WHERE {{ ?s a lg:Seminar }} ORDER BY ?s"
checks = 0


def check(condition, what):
    global checks
    if not condition:
        sys.exit(f"FAILED: {what}")
    checks += 1


def wrapper(method=GET, request=URLENCODED):
    sparql = SPARQLWrapper(ENDPOINT)
    sparql.setMethod(method)
    sparql.setRequestMethod(request)
    return sparql


# SELECT in every results format, by GET, POST form and POST direct.
for method, request in [(GET, URLENCODED), (POST, URLENCODED), (POST, POSTDIRECTLY)]:
    sparql = wrapper(method, request)
    sparql.setQuery(SEMINARS)
    sparql.setReturnFormat(JSON)
    rows = sparql.query().convert()["results"]["bindings"]
    check([r["s"]["value"] for r in rows][-1] == SEMINAR, f"JSON by {method} {request}")
sparql = wrapper()
sparql.setQuery(SEMINARS)
sparql.setReturnFormat(XML)
document = sparql.query().convert()
check(len(document.getElementsByTagName("result")) == 2, "XML results")
sparql.setReturnFormat(CSV)
lines = sparql.query().convert().decode().splitlines()
check(lines[0] == "s" and lines[-1] == SEMINAR, "CSV results")
sparql.setReturnFormat(TSV)
lines = sparql.query().convert().decode().splitlines()
check(lines[0] == "?s" and lines[-1] == f"<{SEMINAR}>", "TSV results")

# ASK.
sparql = wrapper()
sparql.setQuery(f"ASK {{ <{SEMINAR}> a <{LG}Seminar> }}")
sparql.setReturnFormat(JSON)
check(sparql.query().convert()["boolean"] is True, "ASK")

# CONSTRUCT in Turtle, RDF/XML and JSON-LD, parsed by rdflib: the same graph.
construct = f"CONSTRUCT {{ <{SEMINAR}> ?p ?o }} WHERE {{ <{SEMINAR}> ?p ?o }}"
graphs = {}
for name, fmt, parse_as in [("turtle", TURTLE, "turtle"), ("rdfxml", RDFXML, "xml"), ("jsonld", JSONLD, "json-ld")]:
    sparql = wrapper()
    sparql.setQuery(construct)
    sparql.setReturnFormat(fmt)
    result = sparql.query()
    body = result.response.read()
    graph = rdflib.Graph()
    graph.parse(data=body, format=parse_as)
    graphs[name] = graph
check(len(graphs["turtle"]) > 10, "CONSTRUCT Turtle")
check(rdflib.compare.isomorphic(graphs["turtle"], graphs["rdfxml"]), "RDF/XML = Turtle")
check(rdflib.compare.isomorphic(graphs["turtle"], graphs["jsonld"]), "JSON-LD = Turtle")

# A malformed query is reported as such.
sparql = wrapper()
sparql.setQuery("SELECT ?s WHERE { ?s ?p")
sparql.setReturnFormat(JSON)
try:
    sparql.query()
    check(False, "malformed query accepted")
except QueryBadFormed:
    check(True, "malformed query")

# rdflib's SPARQLStore: a remote graph queried through rdflib.
remote = rdflib.Graph(store=SPARQLStore(ENDPOINT, returnFormat="json"))
rows = list(remote.query(SEMINARS))
check(str(rows[-1][0]) == SEMINAR, "rdflib SPARQLStore SELECT")
check(bool(remote.query(f"ASK {{ <{SEMINAR}> ?p ?o }}").askAnswer), "rdflib SPARQLStore ASK")

# Updates: refused without the token, accepted with it.
update = "INSERT DATA { GRAPH <https://w3id.org/labgraph/id/graph/python> { <urn:py:s> <urn:py:p> \"é\" } }"
sparql = wrapper(POST)
sparql.setQuery(update)
try:
    sparql.query()
    check(False, "update without token accepted")
except Unauthorized:
    check(True, "update without token")
sparql = wrapper(POST)
sparql.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
sparql.setQuery(update)
sparql.query()
sparql = wrapper()
sparql.setQuery("ASK { <urn:py:s> <urn:py:p> \"é\" }")
sparql.setReturnFormat(JSON)
check(sparql.query().convert()["boolean"] is True, "update applied")

# Graph Store Protocol: PUT a graph made by rdflib, read it back into rdflib.
made = rdflib.Graph()
made.add((rdflib.URIRef("urn:py:a"), rdflib.URIRef("urn:py:b"), rdflib.Literal("Lille", lang="fr")))
store_url = BASE + "/store?graph=" + urllib.request.quote("https://w3id.org/labgraph/id/graph/python-gsp", safe="")
request = urllib.request.Request(store_url, data=made.serialize(format="turtle").encode(), method="PUT",
                                 headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {TOKEN}"})
check(urllib.request.urlopen(request).status == 201, "GSP PUT creates")
back = rdflib.Graph()
back.parse(store_url, format="turtle")
check(rdflib.compare.isomorphic(made, back), "GSP GET returns what PUT sent")

# 406 and the Service Description.
request = urllib.request.Request(ENDPOINT + "?query=" + urllib.request.quote(SEMINARS), headers={"Accept": "image/png"})
try:
    urllib.request.urlopen(request)
    check(False, "406 expected")
except urllib.error.HTTPError as error:
    check(error.code == 406, "406 for image/png")
description = rdflib.Graph()
description.parse(ENDPOINT, format="turtle")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
check((None, SD.supportedLanguage, SD.SPARQL11Update) in description, "service description")

print(f"python clients: {checks} checks passed (SPARQLWrapper, rdflib {rdflib.__version__})")
