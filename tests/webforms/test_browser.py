"""A field researcher fills questionnaires in a real browser (Debian's chromium through
Playwright) with ODK Web Forms, as built by `make webforms`.

The checkpoint questionnaire asks the amount paid only when an armed group was met
(`${armed_group} != 'none'`) and refuses an age outside 15–119 and a negative amount: the
question comes and goes with the answer, a broken rule keeps the form from being sent, and
once the answers are right the interview is stored through the OpenRosa path phones use. A
questionnaire about a registered source is refused for an unknown source's code; the
server's reason is shown and the answers stay for the researcher to correct.

Questions are found by the questionnaire's own labels (test data in French, the form's
default language), choices by their names, our page's parts by their ids.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from fieldwork.accounts.models import Role
from fieldwork.instruments.services import instrument_upload, instrument_version_publish
from fieldwork.interviews.models import Interview
from fieldwork.interviews.selectors import version_content
from tests.browser import BROWSER_MARKS, browser_fixture, sign_in

WEBFORMS_SRC = settings.BASE_DIR / "webforms"
BUNDLE = settings.BASE_DIR / "static" / "webforms" / "webforms.js"
SCREENSHOT = Path(os.environ.get("FIELDWORK_WEBFORMS_SCREENSHOT", "/tmp/fieldwork-webform.png"))

#: A questionnaire about a registered source, who is named by her code.
FOLLOW_UP = """\
| survey |
| | type | name | label |
| | text | source_code | Code de la source |
| | integer | visits | Visites depuis le dernier entretien |
| settings |
| | form_title | form_id | version |
| | Suivi | follow_up | 1 |
"""

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="session")
def bundle():
    """The ODK Web Forms bundle, built now if Node.js is there and nobody ran `make webforms`.
    Only a machine with neither skips: a build that fails is a failure."""
    if not BUNDLE.exists():
        if not (shutil.which("node") and shutil.which("npm")):
            pytest.skip(
                "The ODK Web Forms bundle is not built (static/webforms/) and Node.js/npm are "
                "not installed to build it: apt-get install nodejs npm, then make webforms."
            )
        for command in (["npm", "ci", "--no-audit", "--no-fund"], ["npm", "run", "build"]):
            subprocess.run(command, cwd=WEBFORMS_SRC, check=True, capture_output=True)
    assert BUNDLE.exists()
    return BUNDLE


chromium = browser_fixture


@pytest.fixture
def browser(chromium, bundle):
    """The browser, once the Web Forms bundle is there."""
    return chromium


@pytest.fixture
def researcher_page(live_server, browser, study_world):
    """A signed-in field researcher's page, and the list of requests that left the server."""
    base = live_server.url
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    offsite: list[str] = []
    # What left for another server. The page's Content-Security-Policy stops the map tiles
    # Web Forms asks OpenStreetMap for around a geopoint: the browser fails them as "csp"
    # before any connection, so they do not count.
    page.on(
        "requestfinished", lambda r: offsite.append(r.url) if not r.url.startswith(base) else None
    )
    page.on(
        "requestfailed",
        lambda r: (
            offsite.append(r.url) if not r.url.startswith(base) and r.failure != "csp" else None
        ),
    )
    sign_in(page, base, study_world.member(Role.FIELD_RESEARCHER).username)
    yield page, offsite
    context.close()


def open_form(page, url):
    page.goto(url)
    page.wait_for_selector(".form-initialization-status.ready", state="attached")


def question(page, label: str):
    """The question whose label (in the form's language) is exactly `label`."""
    return page.locator(".question-container").filter(
        has=page.locator("label", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    )


def choose(page, label: str, value: str):
    question(page, label).locator(f"label[for$='_{value}']").click()


def type_into(page, label: str, text: str):
    """Type as a researcher does, key by key (number fields read keystrokes, not a pasted
    value), then leave the field, which commits the answer."""
    field = question(page, label).locator("input, textarea").first
    field.click()
    field.press("Control+A")
    field.press("Backspace")
    field.press_sequentially(text)
    field.press("Tab")


def test_relevance_and_constraints_then_the_interview_is_stored(
    live_server, researcher_page, study_world
):
    page, offsite = researcher_page
    version = study_world.published_version
    open_form(page, live_server.url + study_world.url("webforms:form-fill"))
    amount = question(page, "Montant payé (FCFA)")

    # The amount is asked only when an armed group was met.
    choose(page, "Groupe armé", "none")
    amount.wait_for(state="detached")
    choose(page, "Groupe armé", "dna")
    amount.wait_for(state="visible")

    # Broken rules: a 12-year-old, a negative amount. Sending is refused, with the reasons.
    type_into(page, "Nom du répondant", "Répondant de test")
    type_into(page, "Âge", "12")
    type_into(page, "Montant payé (FCFA)", "-5")
    page.get_by_role("button", name="Send").click()
    page.wait_for_selector(".form-error-message")
    assert question(page, "Âge").locator(".validation-message").inner_text() == ("Entre 15 et 119.")
    assert amount.locator(".validation-message").inner_text() == "Pas de montant négatif."
    assert page.locator("#webform-status").is_hidden()
    assert Interview.objects.count() == 0

    # Corrected, it goes (an adult is asked for a phone number).
    type_into(page, "Âge", "34")
    type_into(page, "Numéro de téléphone", "22300000001")
    type_into(page, "Montant payé (FCFA)", "5000")
    page.get_by_role("button", name="Send").click()
    page.wait_for_selector("#webform-status[data-state=sent]")
    assert page.locator("#webform").is_hidden()
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    interview = Interview.objects.select_related("current_version").get()
    assert interview.researcher == study_world.member(Role.FIELD_RESEARCHER)
    assert interview.current_version.instrument_version_id == version.pk
    answers = version_content(interview.current_version)[0]
    assert answers["age"] == 34
    assert answers["checkpoint"]["armed_group"] == "dna"
    assert answers["checkpoint"]["amount_paid"] == 5000
    assert answers["respondent_name"] == "Répondant de test"

    # Another one: a fresh, empty form with its own instanceID.
    page.click("#webform-again")
    page.wait_for_selector("#webform", state="visible")
    assert page.locator("#webform-status").is_hidden()
    assert question(page, "Âge").locator("input").input_value() == ""
    type_into(page, "Nom du répondant", "Deuxième répondant")
    type_into(page, "Âge", "51")
    type_into(page, "Numéro de téléphone", "22300000002")
    choose(page, "Groupe armé", "none")
    page.get_by_role("button", name="Send").click()
    page.wait_for_selector("#webform-status[data-state=sent]")
    assert Interview.objects.count() == 2
    second = Interview.objects.exclude(pk=interview.pk).select_related("current_version").get()
    assert version_content(second.current_version)[0]["checkpoint"]["armed_group"] == "none"
    assert "amount_paid" not in version_content(second.current_version)[0]["checkpoint"]

    assert offsite == []  # nothing loaded from the internet


def test_a_refused_interview_shows_the_reason_and_keeps_the_answers(
    live_server, researcher_page, study_world
):
    page, offsite = researcher_page
    admin = study_world.member(Role.STUDY_ADMIN)
    version = instrument_upload(
        study=study_world.study,
        by=admin,
        content=FOLLOW_UP.encode(),
        filename="follow_up.md",
        validate=False,
    )
    instrument_version_publish(version=version, by=admin)
    open_form(page, f"{live_server.url}/studies/{study_world.study.slug}/fill/follow_up/")

    type_into(page, "Code de la source", "SRC-NOBODY")
    type_into(page, "Visites depuis le dernier entretien", "2")
    page.get_by_role("button", name="Send").click()
    page.wait_for_selector("#webform-status[data-state=refused]")

    message = page.inner_text("#webform-message")
    assert "SRC-NOBODY" in message  # the server's own reason, not a generic failure
    assert page.locator("#webform").is_visible()
    assert (
        question(page, "Visites depuis le dernier entretien").locator("input").input_value() == "2"
    )
    assert Interview.objects.count() == 0

    # The right code: the same filled form goes through.
    type_into(page, "Code de la source", study_world.source.code)
    page.get_by_role("button", name="Send").click()
    page.wait_for_selector("#webform-status[data-state=sent]")
    interview = Interview.objects.get()
    assert interview.source == study_world.source
    assert version_content(interview.current_version)[0]["visits"] == 2
    assert offsite == []


def test_a_researcher_corrects_an_interview_marked_as_having_issues(
    live_server, researcher_page, study_world
):
    """The form opens with the phone's answers; the corrected form becomes the interview's
    next version (an edit by deprecatedID, as from ODK Collect), and the page shows it."""
    from fieldwork.interviews.services import interview_review
    from fieldwork.openrosa.services import submission_receive

    page, offsite = researcher_page
    version = study_world.published_version
    researcher = study_world.member(Role.FIELD_RESEARCHER)
    xml = (
        f'<data id="checkpoint" version="{version.version}"><respondent_name>Amadou'
        "</respondent_name><telephone>70000000</telephone><age>34</age><gender>male</gender>"
        "<checkpoint><armed_group>none</armed_group><what_happened>Arrêté à l'aube"
        "</what_happened></checkpoint><meta><instanceID>"
        "uuid:7d1f3c2a-4b5e-4c6d-8e9f-0a1b2c3d4e5f</instanceID></meta></data>"
    ).encode()
    outcome = submission_receive(study=study_world.study, by=researcher, xml=xml, files=[])
    assert outcome.status == 201, outcome.message
    interview = outcome.interview
    interview_review(
        interview=interview,
        by=study_world.member(Role.SUPERVISOR),
        to=Interview.Status.HAS_ISSUES,
        comment="L'âge est-il juste ?",
    )

    detail = (
        f"{live_server.url}/studies/{study_world.study.slug}/interviews/{interview.client_uuid}/"
    )
    page.goto(detail)
    page.click("#correct-link")
    page.wait_for_selector(".form-initialization-status.ready", state="attached")
    assert question(page, "Âge").locator("input").input_value() == "34"
    assert question(page, "Nom du répondant").locator("input").input_value() == "Amadou"

    type_into(page, "Âge", "43")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(detail)

    interview.refresh_from_db()
    assert interview.status == Interview.Status.EDITED
    versions = list(interview.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[1].deprecated_id == versions[0].instance_id
    assert version_content(versions[1])[0]["age"] == 43
    assert version_content(versions[1])[0]["respondent_name"] == "Amadou"
    assert "<del>34</del>" in page.content() and "<ins>43</ins>" in page.content()
    assert offsite == []
