"""One walk through the pages in a real browser (Debian's chromium through Playwright).

A field researcher records a source with consent and is warned, while typing, that a second
entry looks like the same person; a supervisor reveals the identity with a reason and finds the
reveal in the audit log; the interface switches to English. Selectors use names, ids and
technical values rather than visible text, so the walk holds once the French catalogue exists.
"""

import os
from pathlib import Path

from fieldwork.accounts.models import Role
from fieldwork.audit.models import AuditEvent
from fieldwork.sources.models import Source
from tests.browser import BROWSER_MARKS, browser_fixture, sign_in  # noqa: F401 - fixture

SCREENSHOT = Path(os.environ.get("FIELDWORK_SCREENSHOT", "/tmp/fieldwork-source-detail.png"))
NAME = "Fatoumata Canarisangaré"
PHONE = "+223 79 12 34 56"

pytestmark = BROWSER_MARKS


browser = browser_fixture


def _sign_out(page):
    page.click("form[action$='/accounts/logout/'] button[type=submit]")
    page.wait_for_url("**/accounts/login/")


def _fill_source(page, study_world):
    page.fill("input[name=full_name]", NAME)
    page.fill("input[name=phone]", PHONE)
    page.select_option("select[name=gender]", "woman")
    page.fill("input[name=birth_year]", "1988")
    page.select_option("select[name=place]", str(study_world.village.pk))
    page.fill("input[name=community]", "Dogon")
    page.select_option("select[name=consent_form]", str(study_world.consent_form.pk))
    page.check("input[name=scopes][value=participate]")
    page.check("input[name=scopes][value=share_anonymized]")
    page.check("input[name=method][value=oral_witnessed]")


def test_record_warn_reveal_audit_and_switch_language(live_server, browser, study_world):
    base = live_server.url
    slug = study_world.study.slug
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    offsite = []
    page.on("request", lambda r: offsite.append(r.url) if not r.url.startswith(base) else None)

    # A field researcher records a source with consent.
    sign_in(page, base, study_world.member(Role.FIELD_RESEARCHER).username)
    assert page.get_attribute("html", "lang") == "fr"
    page.goto(f"{base}/studies/{slug}/sources/new/")
    _fill_source(page, study_world)
    page.click("form[action$='/sources/new/'] button[type=submit].primary")
    page.wait_for_url(f"{base}/studies/{slug}/sources/SRC-*/")
    source = Source.objects.exclude(pk=study_world.source.pk).get()
    assert source.code in page.inner_text("h1")
    assert NAME in page.inner_text("#identity")

    # A second identical entry: htmx warns as soon as the name field loses focus.
    page.goto(f"{base}/studies/{slug}/sources/new/")
    page.fill("input[name=full_name]", NAME.upper())
    page.press("input[name=full_name]", "Tab")
    warning = page.wait_for_selector("#duplicate-warning .duplicate-hint")
    assert source.code not in warning.inner_text()
    _sign_out(page)

    # A supervisor sees no identity until she reveals it with a reason.
    sign_in(page, base, study_world.member(Role.SUPERVISOR).username)
    detail = f"{base}/studies/{slug}/sources/{source.code}/"
    page.goto(detail)
    assert NAME not in page.content()
    page.fill("#identity textarea[name=reason]", "Planning a follow-up interview")
    page.click("#identity button[type=submit]")
    page.wait_for_selector(f"#identity dd:has-text('{NAME}')")
    assert page.url == detail  # swapped in place by htmx, not a new page
    assert AuditEvent.objects.filter(
        action="source.identity_revealed", target_id=source.code
    ).exists()
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # The audit log lists the reveal.
    page.goto(f"{base}/studies/{slug}/audit/")
    assert page.locator("#rows [title='source.identity_revealed']").count() == 1
    assert "Planning a follow-up interview" in page.inner_text("#rows")

    # The interface switches to English and back to the same page.
    page.click("form.lang button[value=en]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "en"
    assert page.url.startswith(f"{base}/studies/{slug}/audit/")
    assert "Audit log" in page.inner_text("h1")

    assert offsite == []  # nothing loaded from the internet
    context.close()
