"""The transcript page in a real browser (Debian's chromium through Playwright), on the
connection it is made for: a field researcher types a transcript and sees it autosaved without
a page load; after a reload it is there. Then the connection drops while she types: the page
says so, keeps the text in the browser, and when she comes back (a new tab, online again) the
text is restored with a notice and saved. Selectors use names, ids and data attributes rather
than visible text, so the walk holds in French too."""

import os
from pathlib import Path

from django.urls import reverse

from fieldwork.accounts.models import Role
from fieldwork.transcripts.models import Transcript
from fieldwork.transcripts.selectors import transcript_content
from tests.browser import BROWSER_MARKS, browser_fixture, sign_in  # noqa: F401 - fixture

SCREENSHOT = Path(os.environ.get("FIELDWORK_SCREENSHOT_DIR", "/tmp")) / "fieldwork-transcript.png"
TEXT = "Q : Combien avez-vous payé au poste de Boni ?\nR : Deux mille francs, à chaque passage."
OFFLINE_TEXT = "\nQ : Et ensuite ?\nR : Ils ont pris la moto de mon frère."

pytestmark = BROWSER_MARKS


browser = browser_fixture


def _stored_text() -> str:
    transcript = Transcript.objects.first()
    return transcript_content(transcript).text if transcript else ""


def test_type_autosave_reload_and_recover_after_the_connection_drops(
    live_server, browser, study_world
):
    base = live_server.url
    interview = study_world.interview
    edit = base + reverse(
        "transcripts:transcript-edit", args=[study_world.study.slug, interview.client_uuid]
    )
    researcher = study_world.member(Role.FIELD_RESEARCHER)
    key = f"fieldwork:transcript:{researcher.pk}:{study_world.study.slug}:{interview.client_uuid}"
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    offsite = []
    page.on("request", lambda r: offsite.append(r.url) if not r.url.startswith(base) else None)

    sign_in(page, base, study_world.member(Role.FIELD_RESEARCHER).username)

    # She types; leaving the field autosaves, in place. A file she has chosen but not yet
    # asked to read stays out of the autosave.
    page.goto(edit)
    page.evaluate("window.stillTheSamePage = true")
    page.set_input_files(
        "input[name=upload]",
        files=[{"name": "autre.txt", "mimeType": "text/plain", "buffer": b"Autre texte."}],
    )
    page.fill("textarea[name=text]", TEXT)
    page.press("textarea[name=text]", "Tab")
    page.wait_for_selector("#save-status[data-state=saved]")
    assert page.evaluate("window.stillTheSamePage") is True  # no page load
    assert page.input_value("input[name=revision]") == "1"
    assert _stored_text() == TEXT
    assert page.evaluate(f"localStorage.getItem('{key}')") is None  # the server has it all

    # After a reload the text comes from the server.
    page.reload()
    assert page.input_value("textarea[name=text]") == TEXT
    assert page.is_hidden("#restore-notice")
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # The connection drops while she types: the page says so and keeps the text.
    context.set_offline(True)
    page.fill("textarea[name=text]", TEXT + OFFLINE_TEXT)
    page.press("textarea[name=text]", "Tab")
    page.wait_for_selector("#save-status[data-state=offline]")
    kept = page.evaluate(f"JSON.parse(localStorage.getItem('{key}')).values.text")
    assert kept == TEXT + OFFLINE_TEXT
    assert _stored_text() == TEXT
    page.close()  # the tab is closed before the connection comes back

    # Back online, in a new tab: the unsaved text is restored, with a notice, and saved.
    context.set_offline(False)
    page = context.new_page()
    page.goto(edit)
    page.wait_for_selector("#restore-notice:not([hidden])")
    assert page.input_value("textarea[name=text]") == TEXT + OFFLINE_TEXT
    assert _stored_text() == TEXT  # the closed tab sent nothing while offline
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#save-status[data-state=saved]")
    assert _stored_text() == TEXT + OFFLINE_TEXT
    assert page.evaluate(f"localStorage.getItem('{key}')") is None

    # Offline again, she types and signs out: nothing of it stays in this browser.
    context.set_offline(True)
    page.fill("textarea[name=text]", TEXT + OFFLINE_TEXT + "\nQ : Autre chose ?")
    page.press("textarea[name=text]", "Tab")
    page.wait_for_selector("#save-status[data-state=offline]")
    assert page.evaluate(f"localStorage.getItem('{key}')") is not None
    context.set_offline(False)
    page.click("form[data-forget-local] button[type=submit]")
    page.wait_for_url("**/accounts/login/")
    assert page.evaluate(f"localStorage.getItem('{key}')") is None

    assert offsite == []  # nothing loaded from the internet
    context.close()
