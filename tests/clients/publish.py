"""What a running `labgraph serve` publishes, read by the tools its readers use.

Usage: publish.py BASE_URL SHAPES_DIR SITEMAP_XSD. Exits non-zero on the first failed check.

- data.gouv.fr's harvester (udata, backends/dcat.py): the catalogue fetched with no
  Accept header and no redirect followed, its format taken from the URL's extension,
  parsed with rdflib; every dataset's identifier, title, licence and distributions read
  back, and every dump downloaded against its size and checksum.
- The SEMIC DCAT-AP 3.0.1 shapes (shapes.ttl and range.ttl) with pySHACL: no violation,
  in each format.
- The calendars with the `icalendar` package: they parse, every event has its UID,
  DTSTAMP and start, no TZID; serialising the parsed calendar twice gives the same bytes.
- The Atom feed with feedparser; the sitemap against the protocol's schema (xmlschema).
"""
import hashlib
import io
import logging
import sys
import urllib.error
import urllib.request

import feedparser
import icalendar
import pyshacl
import rdflib
import xmlschema
from rdflib.namespace import DCAT, DCTERMS, RDF, SH

BASE, SHAPES_DIR, SITEMAP_XSD = sys.argv[1], sys.argv[2], sys.argv[3]
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
LICENCE = rdflib.URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence")
checks = 0


def check(condition, what):
    global checks
    if not condition:
        sys.exit(f"FAILED: {what}")
    checks += 1


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """udata treats any 3xx as an error."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(req.full_url, code, f"redirected to {newurl}", headers, fp)


harvester = urllib.request.build_opener(NoRedirect)


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    # urllib sends no Accept header unless told: as the harvester.
    check(headers is not None or not request.has_header("Accept"), "no Accept header")
    with harvester.open(request, timeout=60) as response:
        check(response.status == 200, f"{url} answers 200")
        return response.headers, response.read()


logging.getLogger("rdflib.term").setLevel(logging.ERROR)
shapes = rdflib.Graph()
for name in ("shapes.ttl", "range.ttl"):
    shapes.parse(f"{SHAPES_DIR}/{name}", format="turtle")

# The catalogue, in each format, as the harvester reads it.
for extension, rdflib_format, media in [
    ("ttl", "turtle", "text/turtle"),
    ("jsonld", "json-ld", "application/ld+json"),
    ("rdf", "xml", "application/rdf+xml"),
]:
    url = f"{BASE}/catalog.{extension}"
    headers, body = fetch(url)
    check(headers["Content-Type"].startswith(media), f"{url} is {media}")
    graph = rdflib.Graph().parse(data=body, format=rdflib_format)
    conforms, results, text = pyshacl.validate(
        graph, shacl_graph=shapes, inference="none", allow_warnings=True
    )
    violations = list(results.subjects(SH.resultSeverity, SH.Violation))
    check(not violations, f"{url}: no DCAT-AP 3.0.1 violation\n{text}")
    check(conforms, f"{url} conforms to DCAT-AP 3.0.1\n{text}")

    datasets = list(graph.subjects(RDF.type, DCAT.Dataset))
    check(len(datasets) == 7, f"{url}: 7 datasets, not {len(datasets)}")
    identifiers = set()
    for dataset in datasets:
        identifier = graph.value(dataset, DCTERMS.identifier)
        check(identifier is not None, f"{dataset} has a dct:identifier (else skipped)")
        identifiers.add(str(identifier))
        titles = {t.language: str(t) for t in graph.objects(dataset, DCTERMS.title)}
        check(titles.get("fr") and titles.get("en"), f"{dataset}: French and English titles")
        licence = graph.value(dataset, DCTERMS.license)
        if str(identifier) == "labgraph-odd-onu":
            # The sources state no licence for the UN's classification.
            check(licence is None, "no licence is stated for the UN SDG KOS")
        else:
            check(licence == LICENCE, f"{dataset}: Licence Ouverte 2.0, as data.gouv.fr knows it")
        check(graph.value(dataset, DCAT.landingPage) is not None, f"{dataset}: a landing page")
        distributions = list(graph.objects(dataset, DCAT.distribution))
        check(len(distributions) >= 3, f"{dataset}: dumps and the SPARQL endpoint")
        for distribution in distributions:
            access = graph.value(distribution, DCAT.downloadURL) or graph.value(distribution, DCAT.accessURL)
            check(access is not None and str(access).startswith(BASE), f"{distribution}: a URL here")
            if extension == "ttl" and "/dumps/" in str(access):
                _, dump = fetch(str(access))
                size = int(graph.value(distribution, DCAT.byteSize))
                checksum = graph.value(graph.value(distribution, SPDX.checksum), SPDX.checksumValue)
                check(len(dump) == size, f"{access}: {size} bytes")
                check(hashlib.sha256(dump).hexdigest() == str(checksum), f"{access}: its SHA-256")
    check(
        {"labgraph", "labgraph-seminaires", "labgraph-acteurs", "labgraph-territoires",
         "labgraph-themes-odd", "labgraph-actions", "labgraph-odd-onu"} == identifiers,
        f"{url}: the stable identifiers, {identifiers}",
    )

# A redirect would be an error for the harvester: none of these redirects.
try:
    fetch(f"{BASE}/catalog.ttl", {"Accept": "text/html"})
except urllib.error.HTTPError as e:
    sys.exit(f"FAILED: the catalogue redirects or fails for a browser's Accept: {e}")

# The calendars.
for path in ["/feeds/seminaires.ics", "/feeds/seminaires/territoire/commune/62498.ics",
             "/feeds/seminaires/theme/sante.ics"]:
    _, body = fetch(BASE + path)
    _, again = fetch(BASE + path)
    check(body == again, f"{path}: the same bytes at each fetch")
    calendar = icalendar.Calendar.from_ical(body)
    events = list(calendar.walk("VEVENT"))
    check(len(events) == 1, f"{path}: one dated seminar")
    for event in events:
        for name in ("UID", "DTSTAMP", "DTSTART", "SUMMARY", "URL"):
            check(event.get(name) is not None, f"{path}: {name}")
        check(str(event["UID"]).startswith("https://w3id.org/labgraph/id/seminar/"), "UID is the IRI")
    check(b"TZID" not in body, f"{path}: no TZID without its VTIMEZONE")
    if path == "/feeds/seminaires.ics":
        check("Dunkerque" in str(calendar.get("X-WR-CALDESC")), f"{path}: the undated seminar is named")
    first = calendar.to_ical()
    second = icalendar.Calendar.from_ical(first).to_ical()
    check(first == second, f"{path}: re-serialising gives the same bytes")
    check(calendar.to_ical() == first, f"{path}: serialising twice gives the same bytes")

# The Atom feed.
_, body = fetch(BASE + "/feeds/nouveautes.atom")
feed = feedparser.parse(io.BytesIO(body))
check(not feed.bozo, f"the Atom feed parses: {feed.get('bozo_exception')}")
check(feed.version == "atom10", "Atom 1.0")
check(len(feed.entries) >= 5, "the seminars and resources imported")
for entry in feed.entries:
    check(entry.get("id") and entry.get("title") and entry.get("updated") and entry.get("link"),
          f"an entry has its id, title, date and link: {entry.get('id')}")

# The sitemap, against the protocol's schema; every seminar page is in it.
schema = xmlschema.XMLSchema(SITEMAP_XSD)
_, body = fetch(BASE + "/sitemap.xml")
schema.validate(io.BytesIO(body))
root = schema.to_dict(io.BytesIO(body))
locations = {u["sm:loc"] if "sm:loc" in u else u.get("loc") for u in root.get("sm:url", root.get("url", []))}
for seminar in ["seminar/pma-artois-2022-12-01", "seminar/cud-dunkerque"]:
    check(f"{BASE}/id/{seminar}" in locations, f"the sitemap lists {seminar}")
_, robots = fetch(BASE + "/robots.txt")
check(f"Sitemap: {BASE}/sitemap.xml".encode() in robots, "robots.txt names the sitemap")

print(f"{checks} checks passed")
