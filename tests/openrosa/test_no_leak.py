"""A copied database and the logs must not reveal what respondents said, nor who they are.

A phone sends the checkpoint form with canary answers (a name, a phone number, an account
of what happened, a wrong answer the server's check quotes), then another body under the
same instanceID (refused and kept) and an edit; the whole database is dumped and searched,
with the logs, for any trace of them."""

import logging

import pytest
from django.db import connection

from fieldwork.interviews.models import Interview, SubmissionConflict
from fieldwork.interviews.selectors import conflict_payload, version_content, version_payload
from tests.sources.test_no_leak import _dump_database

INSTANCE = "uuid:7d3f1e2a-9b4c-4e5d-8f6a-1b2c3d4e5f60"
EDIT = "uuid:0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d"
CANARIES = [
    "Zoumana Canarikoulibaly",
    "91374658",
    "canari-recit-ils-ont-pris-la-moto",
    "canari-age-quarante",  # not a number: the check's problem quotes it
    "canari-corps-refuse",
    "canari-correction",
]


def _body(version, *, instance: str, told: str, deprecated: str = "") -> bytes:
    meta = f"<instanceID>{instance}</instanceID>"
    if deprecated:
        meta += f"<deprecatedID>{deprecated}</deprecatedID>"
    return (
        f"<data id='checkpoint' version='{version.version}'><respondent_name>Zoumana "
        "Canarikoulibaly</respondent_name><telephone>91374658</telephone><age>"
        "canari-age-quarante</age><checkpoint><armed_group>none</armed_group><what_happened>"
        f"{told}</what_happened></checkpoint><meta>{meta}</meta></data>"
    ).encode()


@pytest.mark.django_db(transaction=True)
def test_no_answer_in_a_database_dump_or_the_logs(study_world, phone, caplog):
    version = study_world.published_version
    caplog.set_level(logging.DEBUG)
    connection.force_debug_cursor = True  # log every SQL statement with its parameters
    try:
        first = _body(version, instance=INSTANCE, told="canari-recit-ils-ont-pris-la-moto")
        assert phone.send(first).status_code == 201
        refused = _body(version, instance=INSTANCE, told="canari-corps-refuse")
        assert phone.send(refused).status_code == 409
        edit = _body(version, instance=EDIT, told="canari-correction", deprecated=INSTANCE)
        assert phone.send(edit).status_code == 201
    finally:
        connection.force_debug_cursor = False

    # Everything is still there for those who may read it, from its seal.
    interview = Interview.objects.get()
    versions = list(interview.versions.order_by("number"))
    assert [version_payload(v) for v in versions] == [first, edit]
    answers, problems = version_content(versions[0])
    assert answers["respondent_name"] == "Zoumana Canarikoulibaly"
    assert any("canari-age-quarante" in str(p) for p in problems)
    assert versions[0].problem_count == len(problems) > 0
    assert conflict_payload(SubmissionConflict.objects.get()) == refused

    dump = _dump_database()
    assert str(interview.client_uuid).encode() in dump  # the dump holds our rows
    assert caplog.records  # and logging really ran
    logs = caplog.text.encode("utf-8")
    for canary in CANARIES:
        for needle in (canary.encode("utf-8"), canary.encode("utf-16-le")):
            assert needle not in dump, f"an answer found in the database dump: {needle!r}"
            assert needle not in logs, f"an answer found in the logs: {needle!r}"
