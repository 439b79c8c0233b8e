"""What a person sees on labgraph's resource pages, in Debian's headless Chromium driven by Playwright.

Usage: pages.py BASE_URL SCREENSHOT_DIR.

Walks home -> seminars -> seminar -> speaker -> institution -> territory -> SDG goal -> SDG target by clicking links,
checks each page's heading and a key fact, saves a full-page screenshot of each, runs axe-core on
each (serious and critical violations fail), and checks the seminar's embedded JSON-LD against its
Turtle. Prints every failure and exits 1 if there is one; prints "pages checks passed" otherwise.
"""
import re
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import rdflib
import rdflib.compare
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright
from rdflib import RDF, BNode, Namespace, URIRef

BASE, SHOTS = sys.argv[1].rstrip("/"), Path(sys.argv[2])
CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright's own browsers are never downloaded
SEMINAR = "/id/seminar/pma-artois-2022-12-01"
SCHEMA = Namespace("http://schema.org/")
SDG = "http://metadata.un.org/sdg/"
failures = []


def resource_href(iri):
    """Where the page of an IRI outside /id/ is served (the UN's SDG IRIs): change here if the route moves."""
    return "/resource?iri=" + urllib.parse.quote(iri, safe="")


def fail(what):
    print(f"FAILED: {what}")
    failures.append(what)


def follow(page, href_prefix, text=None):
    """Click, in <main>, the first link whose href starts with href_prefix (and shows text), as a person would."""
    links = page.locator(f'main a[href^="{href_prefix}"]')
    if text:
        links = links.filter(has_text=text)
    if links.count() == 0:
        raise AssertionError(f"no link in <main> whose href starts with {href_prefix}"
                             + (f" and whose text has {text!r}" if text else ""))
    with page.expect_navigation() as navigation:
        links.first.click()
    status = navigation.value.status if navigation.value else None
    if status != 200:
        raise AssertionError(f"clicking {links.first.get_attribute('href')} gave HTTP {status}")


def look(page, name, heading, facts):
    """The h1, the facts in <main>, a full-page screenshot and axe-core's serious and critical violations."""
    expect(page.locator("h1"), f"{name}: the h1").to_have_text(heading)
    for fact in facts:
        expect(page.locator("main"), f"{name}: <main> shows {fact!r}").to_contain_text(fact)
    page.screenshot(path=SHOTS / f"{name}.png")  # the first screen, as a person lands on it
    for violation in Axe().run(page).response["violations"]:
        report = (f"{name}: axe {violation['id']} ({violation['impact']}): {violation['help']}; "
                  f"{len(violation['nodes'])} element(s), first {violation['nodes'][0]['target']}")
        if violation["impact"] in ("serious", "critical"):
            fail(report)
        else:
            print(f"note: {report}")
    print(f"ok: {name} {page.url}")


def check_jsonld(page):
    """The embedded JSON-LD is the seminar's schema.org triples of its Turtle, IRI objects and literals only."""
    iri = URIRef(page.locator("main p.iri code").inner_text().strip())
    embedded = rdflib.Graph()
    embedded.parse(data=page.locator('script[type="application/ld+json"]').text_content(),
                   format="json-ld", base=page.url)
    if (iri, RDF.type, SCHEMA.Event) not in embedded:
        fail(f"seminar JSON-LD: no <{iri}> rdf:type schema:Event")
    with urllib.request.urlopen(BASE + SEMINAR + ".ttl") as response:
        turtle = rdflib.Graph().parse(data=response.read(), format="turtle", publicID=BASE + SEMINAR)
    expected = rdflib.Graph()
    for _, p, o in turtle.triples((iri, None, None)):
        schema_type = p == RDF.type and isinstance(o, URIRef) and o.startswith(SCHEMA)
        if (p.startswith(SCHEMA) or schema_type) and not isinstance(o, BNode):
            expected.add((iri, p, o))
    if not rdflib.compare.isomorphic(embedded, expected):
        _, only_page, only_turtle = rdflib.compare.graph_diff(rdflib.compare.to_isomorphic(embedded),
                                                              rdflib.compare.to_isomorphic(expected))
        lines = [f"  only in the JSON-LD: {t}" for t in sorted(only_page.serialize(format="nt").splitlines()) if t]
        lines += [f"  only in the Turtle:  {t}" for t in sorted(only_turtle.serialize(format="nt").splitlines()) if t]
        fail("seminar JSON-LD is not the schema.org part of its Turtle:\n" + "\n".join(lines))
    else:
        print(f"ok: seminar JSON-LD, {len(embedded)} triples = the schema.org triples of its Turtle")


def walk(page):
    # From the home page to the list of seminars, then to the seminar.
    page.goto(BASE + "/")
    follow(page, "/lists/seminars")
    look(page, "seminars", re.compile("^Séminaires"), ["Séminaire territorial du Lab des transitions", "2022-12-01"])
    follow(page, SEMINAR)
    expect(page, "seminar: the title").to_have_title(re.compile("Pôle Métropolitain de l'Artois"))
    look(page, "seminar", re.compile("Pôle Métropolitain de l'Artois"),
         ["2022-12-01", "Louvre Lens Vallée", "Guy Chautard", "Sandrine Joffres", "Alain Bavay"])
    check_jsonld(page)

    # Sandrine Joffres works at the CABBALR, which serves a territory with actions linked to SDGs.
    follow(page, "/id/person/", "Sandrine Joffres")
    look(page, "person", "Sandrine Joffres", ["Communauté d'Agglomération Béthune Bruay Artois Lys Romane"])

    follow(page, "/id/org/", "Béthune Bruay")
    look(page, "institution", "Communauté d'Agglomération Béthune Bruay Artois Lys Romane",
         ["CABBALR", "CA de Béthune-Bruay, Artois-Lys Romane"])

    follow(page, "/id/territory/epci/200072460")
    look(page, "territory", "CA de Béthune-Bruay, Artois-Lys Romane",
         ["200072460", "278892", "Projet alimentaire territorial (PAT) de la CABBALR"])

    # The territory's SDG coverage lists goals; the CABBALR's food plan contributes to target 2.4.
    follow(page, resource_href(SDG), "Faim « zéro »")
    look(page, "sdg-goal", "Faim « zéro »", ["Éliminer la faim"])

    follow(page, resource_href(SDG + "2.4"))
    look(page, "sdg-target", re.compile(r"^\s*2\.4\b"), ["Cible 2.4", "systèmes de production alimentaire"])


SHOTS.mkdir(parents=True, exist_ok=True)
with sync_playwright() as playwright:
    browser = playwright.chromium.launch(executable_path=CHROMIUM)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page.set_default_timeout(15_000)
    try:
        walk(page)
    except (AssertionError, PlaywrightError) as error:
        fail(f"at {page.url}: {error}")
    browser.close()

if failures:
    sys.exit(f"pages checks: {len(failures)} failed")
print("pages checks passed")
