import datetime as dt
import threading
import uuid
from unittest import mock

import pytest
from django.db import connection

from fieldwork.accounts.models import Role
from fieldwork.audit.models import AuditEvent
from fieldwork.core.errors import ServiceError
from fieldwork.instruments.services import instrument_version_publish
from fieldwork.interviews import services
from fieldwork.interviews.models import (
    Interview,
    InterviewStatus,
    InterviewVersion,
    ReviewEvent,
    SubmissionConflict,
)
from fieldwork.interviews.selectors import (
    conflict_payload,
    interview_list,
    interview_review_history,
    interview_version_diff,
    interview_versions,
    version_content,
    version_payload,
)
from fieldwork.interviews.services import (
    interview_comment,
    interview_edit,
    interview_record,
    interview_review,
    interview_submit,
)
from fieldwork.sources.models import ConsentScope
from fieldwork.sources.services import consent_withdraw
from tests.factories import make_source

S = InterviewStatus

ANSWERS = {
    "respondent_name": "Amadou",
    "telephone": "70000000",
    "age": "34",
    "gender": "male",
    "commune": "sangha",
    "village": "ogol",
    "checkpoint": {"armed_group": "none", "amount_paid": "5000", "items_taken": "money phone"},
    "incidents": [{"incident_date": "2025-01-02", "incident_description": "Stopped at dawn."}],
}
BODY = b"<data id='checkpoint'><respondent_name>Amadou</respondent_name>\r\n</data>"


def _counts():
    return (
        Interview.objects.count(),
        InterviewVersion.objects.count(),
        SubmissionConflict.objects.count(),
        ReviewEvent.objects.count(),
        AuditEvent.objects.count(),
    )


def _record(world, *, client_uuid=None, answers=None, body=BODY, by=None, source=None, **kw):
    return interview_record(
        study=world.study,
        by=by or world.member(Role.FIELD_RESEARCHER),
        client_uuid=client_uuid or uuid.uuid4(),
        instrument_version=kw.pop("instrument_version", world.instrument_version),
        source=source or world.source,
        answers=ANSWERS if answers is None else answers,
        raw_payload=body,
        payload_format="openrosa_xml",
        place=world.village,
        conducted_at=kw.pop("conducted_at", None),
        **kw,
    )


def _edit(world, interview, *, deprecated_id, instance_id=None, answers=None, body=b"<v2/>"):
    return interview_edit(
        interview=interview,
        by=world.member(Role.FIELD_RESEARCHER),
        instance_id=instance_id or uuid.uuid4(),
        deprecated_id=deprecated_id,
        answers=answers or {**ANSWERS, "age": "35"},
        raw_payload=body,
        payload_format="openrosa_xml",
    )


# --------------------------------------------------------------------------- record


@pytest.mark.django_db
def test_record_keeps_the_body_byte_for_byte_and_the_cleaned_answers(world):
    client_uuid = uuid.uuid4()
    result = _record(world, client_uuid=client_uuid)

    assert result.outcome == "created"
    interview = Interview.objects.get()
    assert interview == result.interview
    assert interview.client_uuid == client_uuid
    assert interview.status == S.RECEIVED
    version = interview.current_version
    assert version.number == 1 and version.instance_id == client_uuid
    assert version_payload(version) == BODY
    # amount_paid is not relevant when no armed group took part: dropped; age became a number.
    assert "amount_paid" not in version_content(version)[0]["checkpoint"]
    assert version_content(version)[0]["age"] == 34
    assert version_content(version)[0]["incidents"][0]["incident_date"] == "2025-01-02"
    assert AuditEvent.objects.filter(action="interview.received").count() == 1


@pytest.mark.django_db
def test_a_web_draft_is_recorded_as_draft_then_submitted_once(world):
    result = _record(world, draft=True)
    assert result.interview.status == S.DRAFT

    submitted = interview_submit(interview=result.interview, by=world.member(Role.FIELD_RESEARCHER))
    again = interview_submit(interview=submitted, by=world.member(Role.FIELD_RESEARCHER))

    assert again.status == S.RECEIVED
    assert ReviewEvent.objects.filter(interview=submitted).count() == 1


@pytest.mark.django_db
def test_resending_the_same_body_is_a_duplicate_and_stores_nothing(world):
    client_uuid = uuid.uuid4()
    first = _record(world, client_uuid=client_uuid)
    before = _counts()

    again = _record(world, client_uuid=str(client_uuid))

    assert again.outcome == "duplicate"
    assert again.interview == first.interview and again.version == first.version
    assert _counts() == before


@pytest.mark.django_db
def test_a_different_body_under_the_same_uuid_is_refused_and_kept(world):
    client_uuid = uuid.uuid4()
    first = _record(world, client_uuid=client_uuid)

    result = _record(world, client_uuid=client_uuid, body=b"<other/>", answers={"age": "50"})

    assert result.outcome == "conflict"
    conflict = SubmissionConflict.objects.get()
    assert result.conflict == conflict
    assert conflict_payload(conflict) == b"<other/>" and conflict.instance_id == client_uuid
    assert InterviewVersion.objects.count() == 1
    interview = Interview.objects.get()
    assert interview.current_version == first.version
    assert version_payload(interview.current_version) == BODY
    assert AuditEvent.objects.filter(action="interview.conflict").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "outcome"), [(BODY, "duplicate"), (b"<other/>", "conflict")])
def test_the_unique_constraint_catches_a_resend_the_lookup_missed(world, body, outcome):
    """Two phones racing: the lookup saw nothing, the insert hits the constraint."""
    client_uuid = uuid.uuid4()
    first = _record(world, client_uuid=client_uuid)
    real = services._stored_version
    calls = []

    def missed_once(**kwargs):
        calls.append(kwargs)
        return None if len(calls) == 1 else real(**kwargs)

    with mock.patch.object(services, "_stored_version", missed_once):
        result = _record(world, client_uuid=client_uuid, body=body)

    assert len(calls) == 2
    assert result.outcome == outcome
    assert result.interview == first.interview
    assert Interview.objects.count() == 1 and InterviewVersion.objects.count() == 1
    assert SubmissionConflict.objects.count() == (outcome == "conflict")


@pytest.mark.django_db
def test_a_source_who_withdrew_cannot_be_interviewed(world):
    consent_withdraw(
        source=world.source,
        by=world.member(Role.FIELD_RESEARCHER),
        scopes=frozenset({ConsentScope.PARTICIPATE}),
        reason="Asked to stop.",
        withdrawn_on=dt.date.today(),
    )
    before = _counts()

    with pytest.raises(ServiceError) as exc:
        _record(world)

    assert "no current consent" in exc.value.message_dict["source"][0]
    assert _counts() == before


@pytest.mark.django_db
def test_a_draft_questionnaire_version_is_refused(study_world):
    before = _counts()
    with pytest.raises(ServiceError) as exc:
        _record(study_world)
    assert "published or retired" in exc.value.message_dict["instrument_version"][0]
    assert _counts() == before


@pytest.mark.django_db
def test_a_source_of_another_study_is_refused(world):
    from tests.factories import ConsentFormFactory

    outsider = world.outsider
    form = ConsentFormFactory(study=world.other_study, created_by=outsider)
    other_source = make_source(study=world.other_study, by=outsider, form=form)

    with pytest.raises(ServiceError) as exc:
        _record(world, source=other_source)

    assert "another study" in exc.value.message_dict["source"][0]
    assert Interview.objects.count() == 0


@pytest.mark.django_db
def test_invalid_answers_are_refused_naming_each_question_and_nothing_is_stored(world):
    before = _counts()
    with pytest.raises(ServiceError) as exc:
        _record(world, answers={"age": "12", "checkpoint": {}})

    messages = exc.value.message_dict["answers"]
    assert any("respondent_name" in m and "required" in m for m in messages)
    assert any(m.startswith("age:") for m in messages)
    assert any("checkpoint/armed_group" in m for m in messages)
    assert _counts() == before


# --------------------------------------------------------------------------- edit


@pytest.mark.django_db
def test_an_edit_is_a_new_version_and_the_first_stays_as_it_was(world):
    first = _record(world)
    v1_answers = dict(version_content(first.version)[0])

    result = _edit(world, first.interview, deprecated_id=first.version.instance_id)

    assert result.outcome == "created"
    interview = Interview.objects.get()
    assert interview.status == S.EDITED
    assert interview.current_version.number == 2
    assert interview.current_version.deprecated_id == first.version.instance_id
    assert version_content(interview.current_version)[0]["age"] == 35
    v1 = InterviewVersion.objects.get(number=1)
    assert version_content(v1)[0] == v1_answers and version_payload(v1) == BODY
    assert [v.number for v in interview_versions(interview)] == [1, 2]
    history = list(interview_review_history(interview))
    assert [(e.from_status, e.to_status) for e in history] == [(S.RECEIVED, S.EDITED)]


@pytest.mark.django_db
def test_an_edit_of_an_out_of_date_version_is_a_conflict_and_kept(world):
    first = _record(world)
    _edit(world, first.interview, deprecated_id=first.version.instance_id)

    stale = _edit(world, first.interview, deprecated_id=first.version.instance_id, body=b"<v2b/>")

    assert stale.outcome == "conflict"
    assert conflict_payload(stale.conflict) == b"<v2b/>"
    assert InterviewVersion.objects.count() == 2
    assert Interview.objects.get().current_version.number == 2


@pytest.mark.django_db
def test_resending_an_edit_is_a_duplicate(world):
    first = _record(world)
    instance_id = uuid.uuid4()
    edit = _edit(
        world, first.interview, deprecated_id=first.version.instance_id, instance_id=instance_id
    )
    before = _counts()

    again = _edit(
        world, first.interview, deprecated_id=first.version.instance_id, instance_id=instance_id
    )

    assert again.outcome == "duplicate" and again.version == edit.version
    assert _counts() == before


@pytest.mark.django_db
def test_an_invalid_edit_is_refused_and_nothing_changes(world):
    first = _record(world)
    before = _counts()
    with pytest.raises(ServiceError) as exc:
        _edit(world, first.interview, deprecated_id=first.version.instance_id, answers={"x": 1})
    assert exc.value.message_dict["answers"]
    assert _counts() == before
    assert Interview.objects.get().status == S.RECEIVED


@pytest.mark.django_db
def test_an_edit_of_a_draft_stays_a_draft(world):
    first = _record(world, draft=True)
    result = _edit(world, first.interview, deprecated_id=first.version.instance_id)
    assert result.interview.status == S.DRAFT


# --------------------------------------------------------------------------- review

ALLOWED_PAIRS = [
    (S.RECEIVED, S.HAS_ISSUES),
    (S.RECEIVED, S.APPROVED),
    (S.RECEIVED, S.REJECTED),
    (S.HAS_ISSUES, S.APPROVED),
    (S.HAS_ISSUES, S.REJECTED),
    (S.EDITED, S.HAS_ISSUES),
    (S.EDITED, S.APPROVED),
    (S.EDITED, S.REJECTED),
    (S.APPROVED, S.HAS_ISSUES),
    (S.REJECTED, S.HAS_ISSUES),
]
FORBIDDEN_PAIRS = [(a, b) for a in S for b in S if (a, b) not in ALLOWED_PAIRS]


def _interview_in(world, status):
    interview = _record(world).interview
    Interview.objects.filter(pk=interview.pk).update(status=status)
    interview.refresh_from_db()
    return interview


@pytest.mark.django_db
@pytest.mark.parametrize(("before", "after"), ALLOWED_PAIRS)
def test_allowed_review_transitions(world, before, after):
    interview = _interview_in(world, before)
    supervisor = world.member(Role.SUPERVISOR)

    reviewed = interview_review(interview=interview, by=supervisor, to=after, comment="Checked.")

    assert reviewed.status == after
    event = ReviewEvent.objects.get(interview=interview)
    assert (event.from_status, event.to_status, event.by) == (before, after, supervisor)
    assert AuditEvent.objects.filter(action="interview.reviewed").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("before", "after"), FORBIDDEN_PAIRS)
def test_forbidden_review_transitions(world, before, after):
    interview = _interview_in(world, before)

    with pytest.raises(ServiceError) as exc:
        interview_review(
            interview=interview, by=world.member(Role.SUPERVISOR), to=after, comment="Hm."
        )

    message = exc.value.message_dict["to"][0]
    assert str(S(before).label) in message and str(S(after).label) in message
    interview.refresh_from_db()
    assert interview.status == before
    assert not ReviewEvent.objects.exists()


@pytest.mark.django_db
def test_has_issues_needs_a_comment(world):
    interview = _record(world).interview
    with pytest.raises(ServiceError) as exc:
        interview_review(interview=interview, by=world.member(Role.SUPERVISOR), to=S.HAS_ISSUES)
    assert exc.value.message_dict["comment"]
    interview.refresh_from_db()
    assert interview.status == S.RECEIVED


@pytest.mark.django_db
def test_the_field_researcher_answers_has_issues_with_a_comment(world):
    interview = _record(world).interview
    interview_review(
        interview=interview,
        by=world.member(Role.SUPERVISOR),
        to=S.HAS_ISSUES,
        comment="The village does not match the commune.",
    )
    researcher = world.member(Role.FIELD_RESEARCHER)

    event = interview_comment(interview=interview, by=researcher, text="The source moved.")

    assert (event.from_status, event.to_status) == (S.HAS_ISSUES, S.HAS_ISSUES)
    assert [e.comment for e in interview_review_history(interview)] == [
        "The village does not match the commune.",
        "The source moved.",
    ]
    with pytest.raises(ServiceError):
        interview_comment(interview=interview, by=researcher, text="  ")


# --------------------------------------------------------------------------- selectors


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (Role.FIELD_RESEARCHER, {"mine"}),
        (Role.CODER, {"mine", "theirs"}),
        (Role.SUPERVISOR, {"mine", "theirs"}),
        (Role.STUDY_ADMIN, {"mine", "theirs"}),
        ("outsider", set()),
    ],
)
def test_interview_list_shows_what_each_role_may_see(world, role, sees):
    mine = _record(world).interview
    theirs = _record(world, by=world.member(Role.SUPERVISOR)).interview
    names = {mine.pk: "mine", theirs.pk: "theirs"}

    listed = interview_list(study=world.study, user=world.member(role))

    assert {names[i.pk] for i in listed} == sees


@pytest.mark.django_db
def test_interview_list_filters_by_status(world):
    received = _record(world).interview
    _record(world, draft=True)
    admin = world.member(Role.STUDY_ADMIN)
    assert list(interview_list(study=world.study, user=admin, status=S.RECEIVED)) == [received]


def test_version_diff_names_changed_answers_by_path():
    old = {"age": 30, "household": {"members": [{"age": 3}, {"age": 7}]}, "gone": "x"}
    new = {"age": 30, "household": {"members": [{"age": 3}, {"age": 8}, {"age": 1}]}}

    assert interview_version_diff(old, new) == [
        ("household/members[2]/age", 7, 8),
        ("gone", "x", None),
        ("household/members[3]/age", None, 1),
    ]


# --------------------------------------------------------------------------- concurrency


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serializes writers, so there is no race to test",
)
@pytest.mark.django_db(transaction=True)
def test_twenty_phones_sending_the_same_interview_at_once_store_it_once(study_world):
    world = study_world
    instrument_version_publish(version=world.instrument_version, by=world.member(Role.STUDY_ADMIN))
    world.instrument_version.refresh_from_db()
    client_uuid = uuid.uuid4()
    barrier = threading.Barrier(20)
    outcomes, errors = [], []

    def send():
        try:
            barrier.wait(timeout=10)
            outcomes.append(_record(world, client_uuid=client_uuid).outcome)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert sorted(outcomes) == ["created"] + ["duplicate"] * 19
    assert Interview.objects.count() == 1
    assert InterviewVersion.objects.count() == 1
