"""A supervisor finds, in a real browser (Debian's chromium through Playwright), a phone's
submission that the worker could not record, reads why, and has it recorded once the
reason is gone: from the interview list's warning to the interview itself.

Embedded, recording runs in-process as the click commits; with REDIS_URL set (CI's second
run) a Celery worker process records it, and the page is reloaded until it has. Our page's
parts are found by their ids."""

import time
import uuid

from django.db import connection

from fieldwork.accounts.models import Role
from fieldwork.audit.models import AuditEvent
from fieldwork.interviews.models import Interview
from fieldwork.openrosa.models import ReceivedSubmission
from tests.browser import BROWSER_MARKS, browser_fixture, sign_in
from tests.factories import make_received
from tests.openrosa.conftest import publish
from tests.openrosa.test_intake import visit

pytestmark = BROWSER_MARKS

browser = browser_fixture


def test_a_supervisor_has_a_refused_submission_recorded_again(live_server, browser, study_world):
    version = publish(study_world, "fieldwork/source_visit.md")
    device, _token = study_world.device
    instance_id = uuid.uuid4()
    row = make_received(
        device=device,
        version=version,
        body=visit(study_world.source.code, instance_id),
        instance_id=instance_id,
        reason={"en": "The source did not consent then.", "fr": "La source n'a pas consenti."},
    )
    base = live_server.url
    slug = study_world.study.slug
    page = browser.new_page()
    sign_in(page, base, study_world.member(Role.SUPERVISOR).username)

    page.goto(f"{base}/studies/{slug}/interviews/")
    page.click("#received-refused a")
    page.wait_for_url(f"**/studies/{slug}/devices/received/")
    assert page.inner_text("#count-refused") == "1"
    assert "La source n'a pas consenti." in page.inner_text(f"#received-{row.pk}")

    page.click(f"#received-{row.pk} form button[type=submit]")
    page.wait_for_url(f"**/studies/{slug}/devices/received/")
    assert AuditEvent.objects.filter(action="submission.retried").exists()

    deadline = time.monotonic() + 60
    while page.locator(f"#received-{row.pk}").count() and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    assert page.locator(f"#received-{row.pk}").count() == 0
    assert page.inner_text("#count-pending") == page.inner_text("#count-refused") == "0"

    page.goto(f"{base}/studies/{slug}/interviews/?state=")
    page.click(f"a[title='{instance_id}']")
    page.wait_for_url(f"**/interviews/{instance_id}/")
    connection.close()  # read what the server committed
    assert Interview.objects.get(client_uuid=instance_id).source == study_world.source
    assert not ReceivedSubmission.objects.exists()
