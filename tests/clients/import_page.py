"""An administrator imports a seminar record from the browser: labgraph's import page in Debian's headless
Chromium, driven by Playwright.

Usage: import_page.py BASE_URL TOKEN RECORD SCREENSHOT_DIR.

Opens /admin/import, types the admin token, chooses the record, asks for the dry run; checks that it shows
what would change, the resources that would be created and a report with no violation; confirms; checks the
result, then follows the link to the seminar's speakers (the named query seminar-speakers) and finds the
record's speaker there. A wrong token is refused on the page, and a dry run confirmed twice is refused the
second time. axe-core runs on each page (serious and critical violations fail). Prints "import checks passed".
"""
import sys
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

BASE, TOKEN, RECORD, SHOTS = sys.argv[1].rstrip("/"), sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
CHROMIUM = "/usr/bin/chromium"
failures = []


def fail(what):
    print(f"FAILED: {what}")
    failures.append(what)


def accessible(page, name):
    for violation in Axe().run(page).response["violations"]:
        report = f"{name}: axe {violation['id']} ({violation['impact']}): {violation['help']}"
        if violation["impact"] in ("serious", "critical"):
            fail(report)
        else:
            print(f"note: {report}")


def submit(page, button):
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=button).click()
    return navigation.value.status if navigation.value else None


def walk(page):
    page.goto(f"{BASE}/admin/import")
    expect(page.locator("h1")).to_contain_text("Importer un fichier")
    accessible(page, "import-form")

    # A wrong token: refused on the page, nothing written.
    page.fill("#token", "not-the-admin-token-000")
    page.set_input_files("#file", str(RECORD))
    status = submit(page, "Essayer")
    if status != 403:
        fail(f"a wrong token gave HTTP {status}, not 403")
    expect(page.locator("main")).to_contain_text("jeton d'administration refusé")

    page.goto(f"{BASE}/admin/import")
    page.fill("#token", TOKEN)
    page.set_input_files("#file", str(RECORD))
    status = submit(page, "Essayer")
    if status != 200:
        fail(f"the dry run gave HTTP {status}")
    main = page.locator("main")
    expect(main).to_contain_text("Ce que l'import ferait")
    expect(main).to_contain_text("graph/seminaire-lille-2024-06-13")
    expect(main).to_contain_text("0 violation(s)")
    expect(main).to_contain_text("seminar/lille-2024-06-13")
    expect(main).to_contain_text("person/claire-dupont-essai")
    expect(main).to_contain_text("rien n'a été écrit")
    page.screenshot(path=SHOTS / "import-dry-run.png", full_page=True)
    accessible(page, "import-dry-run")
    staged = page.locator("input[name=staged]").get_attribute("value")

    # Nothing is written before the confirmation.
    answer = page.request.get(f"{BASE}/id/seminar/lille-2024-06-13", headers={"Accept": "text/turtle"})
    if answer.status != 404:
        fail(f"before the confirmation, the seminar answers {answer.status}, not 404")

    status = submit(page, "Confirmer l'import")
    if status != 200:
        fail(f"the confirmation gave HTTP {status}")
    expect(main).to_contain_text("Résultat")
    expect(main).to_contain_text("importé")
    page.screenshot(path=SHOTS / "import-done.png", full_page=True)
    accessible(page, "import-done")

    # The same dry run cannot be confirmed twice.
    again = page.request.post(f"{BASE}/admin/import", multipart={"staged": staged, "action": "confirm"})
    if again.status != 410:
        fail(f"a second confirmation gave HTTP {again.status}, not 410")

    # The named query of the seminar's speakers answers with the record's speaker.
    speakers = page.request.get(f"{BASE}/queries/seminar-speakers",
                                params={"seminar": "seminar/lille-2024-06-13", "format": "json"})
    text = speakers.text()
    if speakers.status != 200 or "Claire Dupont-Essai" not in text or "Ouverture de la journée" not in text:
        fail(f"seminar-speakers does not list the record's speaker: {speakers.status} {text[:500]}")
    if page.locator("main a", has_text="Ses intervenants").count() != 1:
        fail("the result links no query page of the seminar's speakers")
    # The seminar's page, from the result: its programme names the speaker.
    with page.expect_navigation():
        page.locator("main a", has_text="La page du séminaire").click()
    expect(page.locator("h1")).to_contain_text("Journée régionale du Lab des transitions à Lille")
    expect(page.locator("main")).to_contain_text("Claire Dupont-Essai")
    answer = page.request.get(f"{BASE}/id/seminar/lille-2024-06-13", headers={"Accept": "text/turtle"})
    if answer.status != 200:
        fail(f"after the confirmation, the seminar answers {answer.status}")
    print("ok: upload, dry run, confirm, seminar-speakers")


SHOTS.mkdir(parents=True, exist_ok=True)
with sync_playwright() as playwright:
    browser = playwright.chromium.launch(executable_path=CHROMIUM)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page.set_default_timeout(20_000)
    try:
        walk(page)
    except (AssertionError, PlaywrightError) as error:
        fail(f"at {page.url}: {error}")
    browser.close()

if failures:
    sys.exit(f"import checks: {len(failures)} failed")
print("import checks passed")
