"""A phone names the source an interview is with by its code: the submission is linked to
that source only if they gave participation consent; and fifty phones sending the same
interview at once store it once (PostgreSQL)."""

import datetime as dt
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from lxml import etree

from fieldwork.accounts.models import Role
from fieldwork.interviews.models import Interview, InterviewVersion
from fieldwork.interviews.selectors import version_content
from fieldwork.sources.models import ConsentScope
from fieldwork.sources.services import consent_withdraw
from tests.openrosa.conftest import publish

RESPONSE = "{http://openrosa.org/http/response}"


def visit(code: str, instance: uuid.UUID | None = None) -> bytes:
    instance = instance or uuid.uuid4()
    return (
        '<data id="source_visit" version="1">'
        "<start>2026-11-20T09:30:00.000+00:00</start>"
        f"<source_code>{code}</source_code><armed_group>dna</armed_group>"
        f"<recording/><meta><instanceID>uuid:{instance}</instanceID></meta></data>"
    ).encode()


def message(response) -> str:
    return etree.fromstring(response.content).findtext(f"{RESPONSE}message")


@pytest.fixture
def visit_form(study_world):
    return publish(study_world, "fieldwork/source_visit.md")


def test_the_source_code_answer_links_the_interview_to_that_source(study_world, phone, visit_form):
    response = phone.send(visit(study_world.source.code.lower()))
    assert response.status_code == 201, message(response)
    interview = Interview.objects.get()
    assert interview.source == study_world.source
    assert interview.conducted_at.isoformat() == "2026-11-20T09:30:00+00:00"
    assert version_content(interview.current_version)[0]["armed_group"] == "dna"


def test_an_unknown_source_code_is_refused_and_the_phone_keeps_the_form(phone, visit_form):
    response = phone.send(visit("SRC-NOPE"))
    assert response.status_code == 400
    assert "SRC-NOPE" in message(response)
    assert Interview.objects.count() == 0


def test_a_source_who_withdrew_consent_cannot_be_interviewed_by_phone(
    study_world, phone, visit_form
):
    consent_withdraw(
        source=study_world.source,
        by=study_world.member(Role.FIELD_RESEARCHER),
        scopes=frozenset({ConsentScope.PARTICIPATE}),
        reason="Asked to stop.",
        withdrawn_on=dt.date(2026, 11, 1),
    )
    response = phone.send(visit(study_world.source.code))
    assert response.status_code == 400
    assert "consent" in message(response).lower()
    assert Interview.objects.count() == 0


def test_an_empty_source_code_is_refused(phone, visit_form):
    response = phone.send(visit(""))
    assert response.status_code == 400
    assert "source_code" in message(response)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serializes writers, so there is no race to test",
)
@pytest.mark.django_db(transaction=True)
def test_fifty_phones_posting_one_instance_at_once_store_one_interview(study_world, phone):
    publish(study_world, "fieldwork/source_visit.md")
    body = visit(study_world.source.code, uuid.uuid4())
    barrier = threading.Barrier(50)
    statuses, errors = [], []

    def send():
        try:
            client = Client()
            barrier.wait(timeout=20)
            statuses.append(
                client.post(
                    phone.url("submission"),
                    data={"xml_submission_file": _upload(body)},
                    headers={"X-OpenRosa-Version": "1.0"},
                ).status_code
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert statuses == [201] * 50
    assert Interview.objects.count() == 1
    assert InterviewVersion.objects.count() == 1


def _upload(body: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("submission.xml", body, "text/xml")
