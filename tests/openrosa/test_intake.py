"""The phones' intake: ODK Collect's usual POST is answered once its body is stored, and a
worker records it as an interview moments later, as the full path would have. Whatever the
intake accepts, the full path would have accepted; whatever it cannot decide, the full path
answers, with its usual messages."""

import datetime as dt
import io
import time
import uuid

import pytest
from celery.signals import before_task_publish
from django.conf import settings
from django.db import connection
from django.test import Client as DjangoClient
from django.utils import timezone
from lxml import etree

from fieldwork.accounts.models import Membership, Role, User
from fieldwork.accounts.permissions import PERM_ROLES, Perm
from fieldwork.accounts.services import member_change_role, member_remove
from fieldwork.audit.models import AuditEvent
from fieldwork.interviews.models import Interview, InterviewVersion, SubmissionConflict
from fieldwork.interviews.selectors import version_content, version_payload
from fieldwork.openrosa import tasks
from fieldwork.openrosa.models import ReceivedSubmission
from fieldwork.openrosa.services import (
    RECORD_BATCH,
    device_revoke,
    received_record_pending,
    received_retry,
)
from fieldwork.openrosa.tasks import (
    BUSY_RATE,
    HELP_BACKLOG,
    MAX_DEFER_S,
    Pacer,
    received_record_task,
)
from fieldwork.sources.models import ConsentScope
from fieldwork.sources.services import ConsentGrant, consent_grant, consent_withdraw
from tests.factories import make_received
from tests.openrosa.conftest import publish
from tests.sources.test_keys import key_files  # noqa: F401  (fixture)

RESPONSE = "{http://openrosa.org/http/response}"
PENDING = ReceivedSubmission.State.PENDING
REFUSED = ReceivedSubmission.State.REFUSED


def visit(code: str, instance: uuid.UUID | None = None, *, armed_group: str = "dna") -> bytes:
    """A `source_visit` submission, as Collect finalizes it."""
    instance = instance or uuid.uuid4()
    return (
        '<data id="source_visit" version="1">'
        "<start>2026-11-20T09:30:00.000+00:00</start>"
        f"<source_code>{code}</source_code><armed_group>{armed_group}</armed_group>"
        f"<recording/><meta><instanceID>uuid:{instance}</instanceID></meta></data>"
    ).encode()


def message(response) -> str:
    return etree.fromstring(response.content).findtext(f"{RESPONSE}message")


@pytest.fixture
def visit_form(study_world):
    return publish(study_world, "fieldwork/source_visit.md")


def _withdraw(world):
    consent_withdraw(
        source=world.source,
        by=world.member(Role.FIELD_RESEARCHER),
        scopes=frozenset({ConsentScope.PARTICIPATE}),
        reason="Asked to stop.",
        withdrawn_on=dt.date(2026, 11, 21),
    )


def _consent_again(world):
    consent_grant(
        source=world.source,
        by=world.member(Role.FIELD_RESEARCHER),
        grant=ConsentGrant(
            form=world.consent_form,
            scopes=frozenset({ConsentScope.PARTICIPATE}),
            method="oral_witnessed",
            obtained_on=dt.date(2026, 11, 25),
        ),
    )


# --- Answered once stored, recorded by the worker --------------------------------------------


def test_a_phone_is_answered_once_the_body_is_stored_sealed_then_the_worker_records_it(
    study_world, phone, visit_form
):
    xml = visit(study_world.source.code)
    response = phone.post(xml)

    assert response.status_code == 201
    assert message(response) == "Interview received."
    assert response["X-OpenRosa-Version"] == "1.0"
    waiting = ReceivedSubmission.objects.get()
    assert waiting.state == PENDING
    assert waiting.payload_size == len(xml)
    assert xml not in bytes(waiting.payload_ciphertext)  # sealed at rest, like a version
    assert waiting.device == phone.device
    assert Interview.objects.count() == 0

    assert received_record_pending() == 1

    interview = Interview.objects.get()
    version = interview.current_version
    assert ReceivedSubmission.objects.count() == 0
    assert interview.source == study_world.source
    assert interview.researcher == study_world.member(Role.FIELD_RESEARCHER)
    assert version.via_device == phone.device
    assert version.received_at == waiting.received_at  # when the phone sent it, not later
    assert version_payload(version) == xml
    assert version_content(version)[0]["armed_group"] == "dna"
    assert AuditEvent.objects.filter(action="interview.received").count() == 1
    assert received_record_pending() == 0  # run again: nothing left to do


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: prepared statements and their plans are PostgreSQL's",
)
def test_postgresql_plans_the_intake_once_not_on_every_submission(study_world, phone, visit_form):
    for _ in range(8):
        assert phone.post(visit(study_world.source.code)).status_code == 201
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            [f'INSERT INTO "{ReceivedSubmission._meta.db_table}"%'],
        )
        plans = cursor.fetchall()
    assert len(plans) == 1  # one statement, prepared on this connection
    ((generic, custom),) = plans
    assert generic + custom == 8
    assert generic >= 3  # PostgreSQL's first five executions are planned each (custom plans)


def test_the_phone_s_last_call_is_noted(study_world, phone, visit_form):
    phone.post(visit(study_world.source.code))
    phone.device.refresh_from_db()
    assert phone.device.last_seen_at is not None


def test_a_resend_while_the_first_still_waits_is_answered_as_a_duplicate(
    study_world, phone, visit_form
):
    xml = visit(study_world.source.code)
    phone.post(xml)
    again = phone.post(xml)
    assert again.status_code == 201
    assert message(again) == "This submission was already received."
    assert Interview.objects.count() == 1  # the resend had the waiting one recorded first
    assert ReceivedSubmission.objects.count() == 0


def test_another_body_under_a_waiting_instance_id_is_409_and_kept(study_world, phone, visit_form):
    instance = uuid.uuid4()
    phone.post(visit(study_world.source.code, instance))
    other = phone.post(visit(study_world.source.code, instance, armed_group="jnim"))
    assert other.status_code == 409
    conflict = SubmissionConflict.objects.get()
    assert conflict.interview == Interview.objects.get()
    assert version_content(conflict.interview.current_version)[0]["armed_group"] == "dna"


def test_an_edit_of_a_waiting_submission_becomes_its_second_version(study_world, phone, visit_form):
    first = uuid.uuid4()
    phone.post(visit(study_world.source.code, first))
    edit = visit(study_world.source.code, armed_group="jnim").replace(
        b"</instanceID>", f"</instanceID><deprecatedID>uuid:{first}</deprecatedID>".encode()
    )
    response = phone.post(edit)
    assert response.status_code == 201, message(response)
    interview = Interview.objects.get()
    assert interview.versions.count() == 2
    assert version_content(interview.current_version)[0]["armed_group"] == "jnim"


def test_a_submission_with_its_files_is_recorded_at_once(study_world, phone, visit_form):
    xml = visit(study_world.source.code).replace(
        b"<recording/>", b"<recording>voice.m4a</recording>"
    )
    response = phone.post(xml, ("voice.m4a", b"\x00\x00\x00\x18ftypM4A "))
    assert response.status_code == 201
    assert ReceivedSubmission.objects.count() == 0
    assert Interview.objects.get().current_version.attachments.count() == 1


def test_a_submission_naming_a_file_not_sent_yet_is_recorded_at_once(
    study_world, phone, visit_form
):
    xml = visit(study_world.source.code).replace(
        b"<recording/>", b"<recording>voice.m4a</recording>"
    )
    response = phone.post(xml)
    assert response.status_code == 201
    assert "1 file is still expected." in message(response)
    assert ReceivedSubmission.objects.count() == 0
    assert Interview.objects.count() == 1


# --- What the intake refuses, the full path refuses with its own words ------------------------


def test_a_source_without_consent_is_refused_before_anything_is_stored(
    study_world, phone, visit_form
):
    _withdraw(study_world)
    response = phone.post(visit(study_world.source.code))
    assert response.status_code == 400
    assert "consent" in message(response).lower()
    assert ReceivedSubmission.objects.count() == Interview.objects.count() == 0


def test_an_interview_dated_in_the_future_is_refused_before_anything_is_stored(
    study_world, phone, visit_form
):
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S")
    xml = visit(study_world.source.code).replace(
        b"2026-11-20T09:30:00.000+00:00", f"{future}.000+00:00".encode()
    )
    response = phone.post(xml)
    assert response.status_code == 400
    assert "future" in message(response)
    assert ReceivedSubmission.objects.count() == 0


def test_a_token_revoked_after_it_was_used_stops_at_once(study_world, phone, visit_form):
    assert phone.post(visit(study_world.source.code)).status_code == 201
    device_revoke(device=phone.device, by=study_world.member(Role.STUDY_ADMIN))
    response = phone.post(visit(study_world.source.code))
    assert response.status_code == 403
    assert "revoked" in message(response)
    assert ReceivedSubmission.objects.count() == 1


@pytest.mark.parametrize("role", [r for r in Role if r != Role.FIELD_RESEARCHER], ids=str)
def test_the_carrier_s_role_decides_as_it_does_everywhere(study_world, phone, visit_form, role):
    assert phone.post(visit(study_world.source.code)).status_code == 201
    membership = Membership.objects.get(
        study=study_world.study, user=study_world.member(Role.FIELD_RESEARCHER)
    )
    member_change_role(membership=membership, by=study_world.member(Role.STUDY_ADMIN), role=role)
    response = phone.post(visit(study_world.source.code))
    may_record = role in PERM_ROLES[Perm.INTERVIEW_RECORD]
    assert (response.status_code == 201) == may_record, message(response)
    assert ReceivedSubmission.objects.count() == (2 if may_record else 1)


def test_a_carrier_no_longer_a_member_reaches_no_study(study_world, phone, visit_form):
    assert phone.post(visit(study_world.source.code)).status_code == 201
    member_remove(
        membership=Membership.objects.get(
            study=study_world.study, user=study_world.member(Role.FIELD_RESEARCHER)
        ),
        by=study_world.member(Role.STUDY_ADMIN),
    )
    assert phone.post(visit(study_world.source.code)).status_code == 404


def test_a_carrier_whose_account_is_closed_can_send_no_more(study_world, phone, visit_form):
    assert phone.post(visit(study_world.source.code)).status_code == 201
    carrier = study_world.member(Role.FIELD_RESEARCHER)
    carrier.is_active = False
    carrier.save(update_fields=["is_active"])
    assert phone.post(visit(study_world.source.code)).status_code == 404


# --- Refused after the phone was answered: kept, shown, recorded again ------------------------


def test_consent_withdrawn_before_the_worker_came_keeps_the_submission_refused(
    study_world, phone, visit_form
):
    phone.post(visit(study_world.source.code))
    _withdraw(study_world)

    assert received_record_pending() == 1

    kept = ReceivedSubmission.objects.get()
    assert kept.state == REFUSED
    assert "consent" in " ".join(kept.reason.values()).lower()
    assert Interview.objects.count() == 0
    assert AuditEvent.objects.filter(action="submission.not_recorded").count() == 1
    assert received_record_pending() == 0  # a refused one is not tried again by itself

    _consent_again(study_world)
    received_retry(received=kept, by=study_world.member(Role.SUPERVISOR))
    received_record_pending()
    assert Interview.objects.get().source == study_world.source
    assert ReceivedSubmission.objects.count() == 0


def test_a_body_that_cannot_be_opened_is_set_aside_and_the_queue_goes_on(
    study_world, phone, visit_form
):
    phone.post(visit(study_world.source.code))
    phone.post(visit(study_world.source.code))
    broken = ReceivedSubmission.objects.order_by("pk").first()
    # A tampered row: its key no longer opens its body.
    ReceivedSubmission.objects.filter(pk=broken.pk).update(payload_wrapped_key=b"\x00" * 60)

    assert received_record_pending() == 2

    broken.refresh_from_db()
    assert broken.state == REFUSED
    assert "log" in broken.reason["en"]
    assert Interview.objects.count() == 1


def test_a_submission_waiting_through_a_key_rotation_is_recorded_readable(
    key_files,  # noqa: F811
    study_world,
    phone,
    visit_form,
):
    from django.core.management import call_command

    from fieldwork.sources import crypto
    from fieldwork.sources.keys import keyring, reset_keyring

    xml = visit(study_world.source.code)
    phone.post(xml)
    old_id = ReceivedSubmission.objects.get().payload_key_id

    call_command("rotate_master_key", stdout=io.StringIO())
    reset_keyring()

    assert ReceivedSubmission.objects.get().payload_key_id == crypto.key_id(keyring().current)
    assert ReceivedSubmission.objects.get().payload_key_id != old_id
    assert received_record_pending() == 1
    assert version_payload(Interview.objects.get().current_version) == xml


# --- The worker, for real: a committed POST queues it ------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_committed_submission_is_recorded_by_the_worker_without_anyone_asking(
    study_world, phone, visit_form
):
    """Embedded, the task runs in-process as the POST commits; with REDIS_URL set (CI's
    second run) a Celery worker process records it."""
    response = phone.post(visit(study_world.source.code))
    assert response.status_code == 201
    deadline = time.monotonic() + 60
    while not Interview.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
        connection.close()  # read what the worker committed, not a snapshot
    assert Interview.objects.get().source == study_world.source
    assert ReceivedSubmission.objects.count() == 0
    assert InterviewVersion.objects.get().via_device == phone.device


# --- What people see of it -------------------------------------------------------------------


def _refused(world, phone) -> ReceivedSubmission:
    """A submission the worker refused: its source withdrew consent after the phone sent."""
    phone.post(visit(world.source.code))
    _withdraw(world)
    received_record_pending()
    return ReceivedSubmission.objects.get(state=REFUSED)


def _signed_in(world, role) -> DjangoClient:
    client = DjangoClient()
    client.force_login(world.member(role))
    return client


def test_the_interview_list_says_what_waits_and_what_was_refused(study_world, phone, visit_form):
    _refused(study_world, phone)
    _consent_again(study_world)
    phone.post(visit(study_world.source.code))  # waits for a worker
    url = f"/studies/{study_world.study.slug}/interviews/"

    page = _signed_in(study_world, Role.FIELD_RESEARCHER).get(url).content.decode()
    assert "1 submission from a phone could not be recorded as an interview." in page
    assert "1 submission from a phone is being recorded" in page
    assert f"/studies/{study_world.study.slug}/devices/received/" in page

    coder_page = _signed_in(study_world, Role.CODER).get(url).content.decode()
    assert "could not be recorded" not in coder_page  # coders see interviews, not phones


def test_a_field_researcher_sees_why_her_submission_was_refused_and_no_one_else_s(
    study_world, phone, visit_form
):
    row = _refused(study_world, phone)
    url = f"/studies/{study_world.study.slug}/devices/received/"
    page = _signed_in(study_world, Role.FIELD_RESEARCHER).get(url).content.decode()
    assert str(row.instance_id)[:8] in page
    assert row.reason_text in page and "consent" in row.reason_text.lower()
    assert "Record again" not in page  # a reviewer's decision
    assert f"received/{row.pk}/body/" not in page

    other = User.objects.create_user(username="second-researcher", password="x")
    Membership.objects.create(study=study_world.study, user=other, role=Role.FIELD_RESEARCHER)
    client = DjangoClient()
    client.force_login(other)
    assert str(row.instance_id)[:8] not in client.get(url).content.decode()


def test_a_supervisor_downloads_the_body_and_has_it_recorded_once_consent_is_back(
    study_world, phone, visit_form
):
    row = _refused(study_world, phone)
    supervisor = _signed_in(study_world, Role.SUPERVISOR)
    base = f"/studies/{study_world.study.slug}/devices/received/{row.pk}"

    body = supervisor.get(f"{base}/body/")
    assert body.status_code == 200
    assert body.content == visit(study_world.source.code, row.instance_id)
    assert body["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="submission.opened").count() == 1

    _consent_again(study_world)
    answer = supervisor.post(f"{base}/retry/", follow=True)
    assert answer.status_code == 200
    assert "waits to be recorded again" in answer.content.decode()
    assert ReceivedSubmission.objects.get().state == PENDING
    assert AuditEvent.objects.filter(action="submission.retried").count() == 1

    received_record_pending()
    assert Interview.objects.get().client_uuid == row.instance_id
    page = supervisor.get(f"/studies/{study_world.study.slug}/devices/received/")
    assert "Every submission phones sent is recorded as an interview." in page.content.decode()


def test_the_reason_reads_in_the_reader_s_language(study_world, phone, visit_form):
    carrier = study_world.member(Role.FIELD_RESEARCHER)
    carrier.language = "fr"
    carrier.save(update_fields=["language"])
    row = _refused(study_world, phone)
    assert set(row.reason) == {"fr"}  # as the phone would have read it
    page = _signed_in(study_world, Role.SUPERVISOR).get(
        f"/studies/{study_world.study.slug}/devices/received/"
    )
    assert row.reason["fr"] in page.content.decode()


# --- Phones first: recording waits while a burst lasts ---------------------------------------


def test_recording_waits_while_phones_send_fast_but_never_past_the_longest_wait(
    study_world, visit_form
):
    device, _token = study_world.device
    now = [0.0]
    pacer = Pacer(clock=lambda: now[0])

    def arrive(count: int) -> None:
        for _ in range(count):
            make_received(
                device=device, version=visit_form, body=b"<data/>", instance_id=uuid.uuid4()
            )

    assert not pacer.phones_first()  # a first look has nothing to compare with
    arrive(int(BUSY_RATE) + 10)
    now[0] = 1.0
    assert pacer.phones_first()  # 60 a second: the phones come first
    now[0] = 1.1
    arrive(5)
    assert pacer.phones_first()  # looked less than POLL_S ago: the same answer
    now[0] = 2.1
    assert not pacer.phones_first()  # 5 in the last second: record

    arrive(int(BUSY_RATE) * 2)
    ReceivedSubmission.objects.filter(pk=ReceivedSubmission.objects.order_by("pk")[0].pk).update(
        received_at=timezone.now() - dt.timedelta(seconds=MAX_DEFER_S + 1)
    )
    now[0] = 3.1
    assert not pacer.phones_first()  # the oldest has waited long enough: record anyway


def test_a_paused_recording_stops_before_the_next_row(study_world, phone, visit_form):
    phone.post(visit(study_world.source.code))
    phone.post(visit(study_world.source.code))
    answers = iter([False, True])
    assert received_record_pending(pause=lambda: next(answers)) == 1
    assert ReceivedSubmission.objects.count() == Interview.objects.count() == 1


def test_more_waiting_than_a_batch_are_all_recorded_in_order(study_world, phone, visit_form):
    sent = [uuid.uuid4() for _ in range(RECORD_BATCH + 2)]
    for instance in sent:
        phone.post(visit(study_world.source.code, instance))

    assert received_record_pending() == len(sent)

    assert ReceivedSubmission.objects.count() == 0
    recorded = Interview.objects.order_by("pk").values_list("client_uuid", flat=True)
    assert list(recorded) == sent  # oldest first


@pytest.mark.parametrize("same_body", [True, False])
def test_a_waiting_row_whose_instance_id_was_stored_meanwhile_is_a_duplicate_or_a_conflict(
    study_world, phone, visit_form, same_body
):
    """The full path can store an instanceID while the intake's row for it waits (a phone's
    re-send racing the worker): the worker then answers that row as the full path would."""
    instance = uuid.uuid4()
    first = visit(study_world.source.code, instance)
    phone.post(first)
    received_record_pending()
    again = first if same_body else visit(study_world.source.code, instance, armed_group="jnim")
    make_received(device=phone.device, version=visit_form, body=again, instance_id=instance)

    assert received_record_pending() == 1

    assert ReceivedSubmission.objects.count() == 0
    interview = Interview.objects.get()
    assert interview.versions.count() == 1
    assert version_content(interview.current_version)[0]["armed_group"] == "dna"
    assert SubmissionConflict.objects.count() == (0 if same_body else 1)


@pytest.mark.skipif(
    not settings.REDIS_URL,
    reason="needs a broker: embedded, the task runs in-process and records a backlog itself",
)
@pytest.mark.parametrize(("waiting", "helpers"), [(HELP_BACKLOG + 1, 1), (HELP_BACKLOG, 0)])
def test_a_task_that_finds_a_backlog_asks_another_worker_process_to_help(
    study_world, visit_form, monkeypatch, waiting, helpers
):
    device, _token = study_world.device
    for _ in range(waiting):
        make_received(device=device, version=visit_form, body=b"<data/>", instance_id=uuid.uuid4())
    monkeypatch.setattr(tasks, "_queued_seen_at", float("-inf"))
    published = []

    def count(sender=None, **kwargs):
        published.append(sender)

    before_task_publish.connect(count, weak=False)
    try:
        assert received_record_task() == waiting  # run here, as a worker process runs it
    finally:
        before_task_publish.disconnect(count)

    assert published == [received_record_task.name] * helpers
