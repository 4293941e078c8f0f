"""The interviews REST API: record (idempotent on the client's UUID), list, read, review,
comment."""

import datetime as dt
import json
import uuid

import pytest

from fieldwork.accounts.models import Role
from fieldwork.interviews.models import (
    Interview,
    InterviewStatus,
    InterviewVersion,
    ReviewEvent,
    SubmissionConflict,
)
from fieldwork.interviews.selectors import version_content, version_payload
from fieldwork.sources.models import ConsentScope
from fieldwork.sources.services import consent_withdraw
from tests.interviews.test_services import ANSWERS

pytestmark = pytest.mark.django_db

FR, CODER, SUP, ADMIN = Role.FIELD_RESEARCHER, Role.CODER, Role.SUPERVISOR, Role.STUDY_ADMIN
S = InterviewStatus


def as_role(client, world, role):
    client.force_login(world.member(role))
    return client


def post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def body(world, **changes):
    return {
        "client_uuid": str(uuid.uuid4()),
        "instrument_version": world.instrument_version.pk,
        "source": world.source.code,
        "answers": ANSWERS,
        "place": world.village.pk,
        "language": "fr",
        "mode": "face_to_face",
        **changes,
    }


def record(client, world, role=FR, **changes):
    url = world.url("api:interview-list")
    return post_json(as_role(client, world, role), url, body(world, **changes))


def interview_url(world, interview_uuid, name="api:interview-detail"):
    world.extra["interview_id"] = interview_uuid
    return world.url(name)


def _counts():
    return (
        Interview.objects.count(),
        InterviewVersion.objects.count(),
        SubmissionConflict.objects.count(),
    )


# --------------------------------------------------------------------------- record


def test_record_answers_201_and_keeps_the_body_as_received(client, world):
    data = body(world)
    raw = json.dumps(data, indent=1).encode()

    response = as_role(client, world, FR).post(
        world.url("api:interview-list"), raw, content_type="application/json"
    )

    assert response.status_code == 201, response.json()
    out = response.json()
    assert out["uuid"] == data["client_uuid"]
    assert (out["state"], out["source"], out["researcher"]) == (
        "received",
        world.source.code,
        world.member(FR).username,
    )
    interview = Interview.objects.get()
    version = interview.current_version
    assert version_payload(version) == raw
    assert version.payload_format == "json"
    assert version_content(version)[0]["age"] == 34


def test_the_same_body_again_answers_200_with_the_stored_interview(client, world):
    data = body(world)
    first = post_json(as_role(client, world, FR), world.url("api:interview-list"), data)
    before = _counts()

    again = post_json(client, world.url("api:interview-list"), data)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["uuid"] == first.json()["uuid"]
    assert _counts() == before
    # the same document written otherwise (keys reordered, other spacing) by a retrying client
    rewritten = json.dumps(dict(reversed(list(data.items()))), indent=2) + "\n"
    retried = client.post(world.url("api:interview-list"), rewritten, "application/json")
    assert retried.status_code == 200
    assert _counts() == before


def test_another_body_under_the_same_uuid_answers_409_and_is_kept(client, world):
    data = body(world)
    post_json(as_role(client, world, FR), world.url("api:interview-list"), data)

    response = post_json(client, world.url("api:interview-list"), {**data, "language": "en"})

    assert response.status_code == 409
    assert "client_uuid" in response.json()["detail"]
    conflict = SubmissionConflict.objects.get()
    assert str(conflict.instance_id) == data["client_uuid"]
    assert Interview.objects.count() == 1


def test_a_source_without_consent_to_take_part_answers_400_on_source(client, world):
    consent_withdraw(
        source=world.source,
        by=world.member(FR),
        scopes=frozenset({ConsentScope.PARTICIPATE}),
        reason="Asked to stop.",
        withdrawn_on=dt.date.today(),
    )

    response = record(client, world)

    assert response.status_code == 400
    assert world.source.code in response.json()["source"][0]
    assert _counts() == (0, 0, 0)


def test_invalid_answers_answer_400_naming_the_questions(client, world):
    response = record(client, world, answers={"age": "12", "checkpoint": {}})

    assert response.status_code == 400
    messages = response.json()["answers"]
    assert any("respondent_name" in m for m in messages)
    assert any(m.startswith("age:") for m in messages)
    assert _counts() == (0, 0, 0)


def test_a_source_or_version_of_another_study_answers_400_on_that_field(client, world):
    from tests.factories import make_source

    other = world.other_study
    stranger = make_source(study=other, by=world.outsider)

    response = record(client, world, source=stranger.code, instrument_version=999999)

    assert response.status_code == 400
    assert set(response.json()) == {"source", "instrument_version"}


def test_a_draft_questionnaire_version_answers_400(client, study_world):
    response = record(client, study_world)

    assert response.status_code == 400
    assert "draft" in response.json()["instrument_version"][0]


# --------------------------------------------------------------------------- read


def test_list_filters_and_a_field_researcher_sees_only_her_own(client, world):
    mine = record(client, world, FR).json()["uuid"]
    theirs = record(client, world, SUP, place=None).json()["uuid"]
    url = world.url("api:interview-list")

    def uuids(role, **params):
        response = as_role(client, world, role).get(url, params)
        assert response.status_code == 200, response.json()
        return [i["uuid"] for i in response.json()["results"]]

    assert uuids(FR) == [mine]
    assert uuids(SUP) == [theirs, mine]
    assert uuids(CODER, researcher=world.member(FR).username) == [mine]
    assert uuids(CODER, place=world.village.pk) == [mine]
    assert uuids(CODER, instrument="checkpoint", state="received") == [theirs, mine]
    assert uuids(CODER, state="approved") == []
    assert uuids(CODER, source=world.source.code.lower()) == [theirs, mine]
    assert uuids(CODER, source="SRC-NONE") == []
    assert uuids(CODER, since="2000-01-01T00:00:00Z", until="2000-01-02T00:00:00Z") == []
    bad = as_role(client, world, CODER).get(url, {"researcher": "outsider"})
    assert bad.status_code == 400 and "researcher" in bad.json()


def test_detail_shows_versions_and_history_without_identity(client, world):
    uuid_ = record(client, world, FR).json()["uuid"]

    response = as_role(client, world, CODER).get(interview_url(world, uuid_))

    assert response.status_code == 200
    out = response.json()
    assert out["source"] == world.source.code
    assert out["form_id"] == "checkpoint"
    assert out["answers"]["age"] == 34
    [version] = out["versions"]
    assert (version["number"], version["instance_id"], version["deprecated_id"]) == (
        1,
        uuid_,
        None,
    )
    assert out["review_history"] == []
    assert "Personne Fictive" not in response.content.decode()


def test_a_field_researcher_cannot_read_anothers_interview(client, world):
    uuid_ = record(client, world, SUP).json()["uuid"]

    response = as_role(client, world, FR).get(interview_url(world, uuid_))

    assert response.status_code == 404


# --------------------------------------------------------------------------- review, comment


def test_review_moves_the_state_and_refuses_a_forbidden_move(client, world):
    uuid_ = record(client, world, FR).json()["uuid"]
    url = interview_url(world, uuid_, "api:interview-review")
    as_role(client, world, SUP)

    no_comment = post_json(client, url, {"to": "has_issues"})
    issues = post_json(client, url, {"to": "has_issues", "comment": "Age looks wrong."})
    forbidden = post_json(client, url, {"to": "received"})
    approved = post_json(client, url, {"to": "approved"})

    assert no_comment.status_code == 400 and "comment" in no_comment.json()
    assert issues.status_code == 200 and issues.json()["state"] == "has_issues"
    assert forbidden.status_code == 400 and "to" in forbidden.json()
    assert approved.status_code == 200
    history = approved.json()["review_history"]
    assert [(e["from_state"], e["to_state"]) for e in history] == [
        ("received", "has_issues"),
        ("has_issues", "approved"),
    ]
    assert history[0]["comment"] == "Age looks wrong."


def test_the_field_researcher_comments_once_issues_are_raised(client, world):
    uuid_ = record(client, world, FR).json()["uuid"]
    url = interview_url(world, uuid_, "api:interview-comment")

    too_early = post_json(as_role(client, world, FR), url, {"text": "Fixed."})
    post_json(
        as_role(client, world, SUP),
        interview_url(world, uuid_, "api:interview-review"),
        {"to": "has_issues", "comment": "Check the age."},
    )
    blank = post_json(as_role(client, world, FR), url, {"text": "  "})
    answered = post_json(client, url, {"text": "The age is right."})
    coder = post_json(as_role(client, world, CODER), url, {"text": "Hello"})

    assert too_early.status_code == 403
    assert blank.status_code == 400 and "text" in blank.json()
    assert answered.status_code == 201
    assert answered.json()["review_history"][-1]["comment"] == "The age is right."
    assert answered.json()["state"] == S.HAS_ISSUES
    assert coder.status_code == 403
    assert ReviewEvent.objects.count() == 2


def test_answers_naming_another_source_than_the_interview_s_answer_400(client, world):
    """The `source_code` answer must name the interview's own source: the API must not
    store answers about someone whose consent nobody checked."""
    from tests.factories import make_source
    from tests.openrosa.conftest import publish

    visit = publish(world, "fieldwork/source_visit.md")
    other = make_source(study=world.study, by=world.member(FR))

    def visit_body(code):
        answers = {"source_code": code, "armed_group": "dna"}
        return body(world, instrument_version=visit.pk, answers=answers, place=None)

    response = record(client, world, **visit_body(other.code))
    assert response.status_code == 400
    (message,) = response.json()["answers"]
    assert other.code in message and world.source.code in message
    assert _counts() == (0, 0, 0)

    response = record(client, world, **visit_body(world.source.code.lower()))
    assert response.status_code == 201, response.json()


def test_a_draft_is_sent_for_review_through_the_api(client, world):
    response = record(client, world, draft=True)
    assert response.status_code == 201 and response.json()["state"] == S.DRAFT
    url = interview_url(world, response.json()["uuid"], "api:interview-submit")
    assert post_json(as_role(client, world, CODER), url, {}).status_code == 403
    sent = post_json(as_role(client, world, FR), url, {})
    assert sent.status_code == 200 and sent.json()["state"] == S.RECEIVED
    # once received, the supervisor's moves apply; sending again changes nothing
    assert post_json(client, url, {}).json()["state"] == S.RECEIVED


def test_the_researcher_corrects_an_interview_marked_as_having_issues(client, world):
    created = record(client, world).json()
    first = created["versions"][0]["instance_id"]
    review = interview_url(world, created["uuid"], "api:interview-review")
    marked = post_json(as_role(client, world, SUP), review, {"to": "has_issues", "comment": "Age?"})
    assert marked.status_code == 200, marked.json()
    url = interview_url(world, created["uuid"], "api:interview-version-list")
    correction = {
        "instance_id": str(uuid.uuid4()),
        "replaces": first,
        "answers": {**ANSWERS, "age": "43"},
    }
    bad = {**correction, "instance_id": str(uuid.uuid4()), "answers": {**ANSWERS, "age": "9"}}
    refused = post_json(as_role(client, world, FR), url, bad)
    assert refused.status_code == 400 and refused.json()["answers"][0].startswith("age:")

    response = post_json(client, url, correction)
    assert response.status_code == 201, response.json()
    detail = response.json()
    assert detail["state"] == S.EDITED and detail["answers"]["age"] == 43
    assert [v["number"] for v in detail["versions"]] == [1, 2]
    assert post_json(client, url, correction).status_code == 200  # sent again: nothing new
    # a second correction of version 1, made from an out-of-date copy: 409, kept
    stale = {**correction, "instance_id": str(uuid.uuid4())}
    response = post_json(client, url, stale)
    assert response.status_code == 409 and "no longer the current one" in response.json()["detail"]
    assert SubmissionConflict.objects.count() == 1
    # a coder never corrects
    assert post_json(as_role(client, world, CODER), url, correction).status_code == 403


def test_an_interview_dated_in_the_future_answers_400(client, world):
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()
    response = record(client, world, conducted_at=later)
    assert response.status_code == 400
    assert "future" in response.json()["conducted_at"][0]


def test_a_method_the_endpoint_does_not_have_answers_405(client, world):
    interview = record(client, world).json()
    url = interview_url(world, interview["uuid"])
    response = as_role(client, world, SUP).patch(url, "{}", content_type="application/json")
    assert response.status_code == 405
    assert "GET" in response["Allow"]


def test_an_interview_id_that_is_not_a_uuid_answers_a_json_404(client, world):
    response = as_role(client, world, SUP).get(
        f"/api/v1/studies/{world.study.slug}/interviews/not-a-uuid/"
    )
    assert response.status_code == 404
    assert response.json()["detail"]


def test_files_named_by_the_answers_are_uploaded_after_them(client, world):
    """A recording sent through the API: listed as missing until uploaded, sealed, and
    downloaded back as sent."""
    from tests.openrosa.conftest import publish

    visit = publish(world, "fieldwork/source_visit.md")
    answers = {"source_code": world.source.code, "armed_group": "dna", "recording": "rec.m4a"}
    created = record(client, world, instrument_version=visit.pk, answers=answers, place=None)
    assert created.status_code == 201, created.json()
    (version,) = created.json()["versions"]
    assert version["missing_attachments"] == ["rec.m4a"]

    world.extra.update(interview_id=created.json()["uuid"], version_number=1, filename="rec.m4a")
    url = world.url("api:interview-attachment")

    def put(content, role=FR, target=url):
        return as_role(client, world, role).put(target, content, content_type="audio/mp4")

    assert put(b"a voice", role=CODER).status_code == 403
    stored = put(b"a voice")
    assert stored.status_code == 201, stored.content
    assert stored.json()["size"] == 7 and stored.json()["content_type"] == "audio/mp4"
    assert put(b"a voice").status_code == 200  # sent again
    assert put(b"another voice").status_code == 409
    refused = put(b"x", target=url.replace("rec.m4a", "other.m4a"))
    assert refused.status_code == 400 and "rec.m4a" in refused.json()["file"][0]
    detail = client.get(interview_url(world, created.json()["uuid"])).json()
    assert detail["versions"][0]["missing_attachments"] == []
    assert client.get(url).content == b"a voice"
