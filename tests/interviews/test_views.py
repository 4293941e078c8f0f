import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fieldwork.accounts.models import Role
from fieldwork.interviews.models import Interview, InterviewStatus, ReviewEvent
from fieldwork.interviews.services import (
    interview_comment,
    interview_edit,
    interview_record,
    interview_review,
)
from tests.interviews.test_services import ANSWERS, BODY

S = InterviewStatus
FR, CODER, SUP = Role.FIELD_RESEARCHER, Role.CODER, Role.SUPERVISOR


def _record(world, *, by=FR, answers=None) -> Interview:
    return interview_record(
        study=world.study,
        by=world.member(by),
        client_uuid=uuid.uuid4(),
        instrument_version=world.instrument_version,
        source=world.source,
        answers=answers or ANSWERS,
        raw_payload=BODY,
        payload_format="openrosa_xml",
        place=world.village,
    ).interview


def _list_url(world, **query):
    url = reverse("interviews:interview-list", args=[world.study.slug])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def _url(world, name, interview):
    return reverse(f"interviews:{name}", args=[world.study.slug, interview.client_uuid])


def _short(interview) -> str:
    return str(interview.client_uuid)[:8]


def _login(client, world, role):
    client.force_login(world.member(role))
    return client


# --- Queue -----------------------------------------------------------------------------------


def test_queue_filters_by_state(client, world):
    waiting, approved = _record(world), _record(world)
    interview_review(interview=approved, by=world.member(SUP), to=S.APPROVED)
    _login(client, world, SUP)

    html = client.get(_list_url(world, state=S.APPROVED)).content.decode()
    assert _short(approved) in html and _short(waiting) not in html

    html = client.get(_list_url(world, state="")).content.decode()
    assert _short(approved) in html and _short(waiting) in html


def test_queue_opens_on_waiting_for_reviewers(client, world):
    waiting, approved = _record(world), _record(world)
    interview_review(interview=approved, by=world.member(SUP), to=S.APPROVED)
    response = _login(client, world, SUP).get(_list_url(world))
    html = response.content.decode()
    assert "Showing the interviews waiting for your review" in html
    assert _short(waiting) in html and _short(approved) not in html


def test_queue_filters_by_researcher(client, world):
    mine, theirs = _record(world, by=FR), _record(world, by=SUP)
    _login(client, world, SUP)
    html = client.get(_list_url(world, state="", researcher=world.member(SUP).pk)).content
    assert _short(theirs).encode() in html and _short(mine).encode() not in html


def test_queue_htmx_returns_rows_only(client, world):
    interview = _record(world)
    response = _login(client, world, SUP).get(_list_url(world, state=""), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="rows">') and _short(interview) in html


def test_researcher_sees_only_her_own(client, world):
    mine, theirs = _record(world, by=FR), _record(world, by=SUP)
    _login(client, world, FR)
    html = client.get(_list_url(world)).content.decode()
    assert _short(mine) in html and _short(theirs) not in html
    assert client.get(_url(world, "interview-detail", theirs)).status_code == 404
    assert client.get(_url(world, "interview-detail", mine)).status_code == 200


def test_queue_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    for _n in range(6):
        interview = _record(world)
        # Each row with a kept refused submission and an answered "has issues" review.
        interview_record(
            study=world.study,
            by=world.member(FR),
            client_uuid=interview.client_uuid,
            instrument_version=world.instrument_version,
            source=world.source,
            answers=ANSWERS,
            raw_payload=b"<other/>",
            payload_format="openrosa_xml",
        )
        interview_review(interview=interview, by=world.member(SUP), to=S.HAS_ISSUES, comment="?")
        interview_comment(interview=interview, by=world.member(FR), text="Fixed.")
    _login(client, world, SUP)
    with django_assert_max_num_queries(15):
        response = client.get(_list_url(world, state=""))
    html = response.content.decode()
    assert html.count("badge state-has_issues") >= 7
    assert html.count('class="badge answered"') == 6
    assert html.count('class="badge conflicts"') == 6


def test_a_queue_row_links_its_interview_and_reads_no_sealed_identity(client, world):
    interview = _record(world)
    _login(client, world, SUP)
    with CaptureQueriesContext(connection) as captured:
        html = client.get(_list_url(world, state="")).content.decode()
    assert f'href="{_url(world, "interview-detail", interview)}"' in html
    assert world.source.code in html and "version" in html
    read = " ".join(q["sql"] for q in captured)
    for column in ("identity_ciphertext", "wrapped_key", "xform_xml", "original_file"):
        assert f'"{column}"' not in read, column


# --- Detail ----------------------------------------------------------------------------------


def test_detail_shows_labels_and_no_identity(client, world):
    interview = _record(world)
    html = _login(client, world, SUP).get(_url(world, "interview-detail", interview)).content
    html = html.decode()
    assert world.source.code in html
    assert "Armed group" in html and "Age" in html
    assert "Personne Fictive" not in html


def test_detail_shows_choices_by_their_labels(client, world):
    interview = _record(world)
    html = _login(client, world, SUP).get(_url(world, "interview-detail", interview)).content
    html = html.decode()
    assert "Money, Phone" in html  # items_taken "money phone"
    assert ">Man<" in html  # gender "male"
    assert "money phone" not in html


def test_detail_shows_diff_of_an_edit(client, world):
    interview = _record(world)
    interview_edit(
        interview=interview,
        by=world.member(FR),
        instance_id=uuid.uuid4(),
        deprecated_id=interview.client_uuid,
        answers={**ANSWERS, "age": "35"},
        raw_payload=b"<v2/>",
        payload_format="openrosa_xml",
    )
    html = _login(client, world, SUP).get(_url(world, "interview-detail", interview)).content
    assert b"<del>34</del>" in html and b"<ins>35</ins>" in html


def test_coder_reads_without_review_form(client, world):
    interview = _record(world, by=SUP)
    response = _login(client, world, CODER).get(_url(world, "interview-detail", interview))
    assert response.status_code == 200
    assert b'id="review-form"' not in response.content
    assert b'id="comment-form"' not in response.content


# --- Review ----------------------------------------------------------------------------------


def test_supervisor_approves(client, world):
    interview = _record(world)
    detail = _url(world, "interview-detail", interview)
    _login(client, world, SUP)
    assert b'id="review-form"' in client.get(detail).content
    response = client.post(_url(world, "interview-review", interview), {"to": S.APPROVED})
    assert response.status_code == 302 and response["Location"] == detail
    interview.refresh_from_db()
    assert interview.status == S.APPROVED


def test_has_issues_needs_a_comment(client, world):
    interview = _record(world)
    _login(client, world, SUP)
    url = _url(world, "interview-review", interview)
    response = client.post(url, {"to": S.HAS_ISSUES, "comment": " "})
    assert response.status_code == 200
    assert "Say what the issues are" in response.content.decode()
    interview.refresh_from_db()
    assert interview.status == S.RECEIVED

    client.post(url, {"to": S.HAS_ISSUES, "comment": "The age looks wrong."})
    interview.refresh_from_db()
    assert interview.status == S.HAS_ISSUES
    event = ReviewEvent.objects.filter(interview=interview).last()
    assert (event.by, event.comment) == (world.member(SUP), "The age looks wrong.")


def test_forbidden_transition_shows_the_service_message(client, world):
    interview = _record(world)
    interview_review(interview=interview, by=world.member(SUP), to=S.APPROVED)
    response = _login(client, world, SUP).post(
        _url(world, "interview-review", interview), {"to": S.REJECTED}
    )
    assert response.status_code == 200
    assert "cannot be marked" in response.content.decode()
    interview.refresh_from_db()
    assert interview.status == S.APPROVED


def test_researcher_answers_has_issues(client, world):
    interview = _record(world)
    _login(client, world, FR)
    comment_url = _url(world, "interview-comment", interview)
    detail = client.get(_url(world, "interview-detail", interview)).content.decode()
    assert 'id="comment-form"' not in detail and "You can answer here once" in detail
    too_early = client.post(comment_url, {"text": "Too early."})
    assert too_early.status_code == 403
    html = too_early.content.decode()
    assert "You can answer once a supervisor marks the interview" in html
    assert "does not allow" not in html
    assert not ReviewEvent.objects.filter(interview=interview).exists()

    interview_review(
        interview=interview, by=world.member(SUP), to=S.HAS_ISSUES, comment="Age is wrong."
    )
    html = client.get(_url(world, "interview-detail", interview)).content.decode()
    assert (
        "Age is wrong." in html and 'id="comment-form"' in html and 'id="review-form"' not in html
    )

    assert client.post(comment_url, {"text": ""}).status_code == 200  # the service's message
    response = client.post(comment_url, {"text": "The source gave 35, I fixed it."})
    assert response.status_code == 302
    event = ReviewEvent.objects.filter(interview=interview).last()
    assert (event.by, event.comment) == (world.member(FR), "The source gave 35, I fixed it.")
    interview.refresh_from_db()
    assert interview.status == S.HAS_ISSUES


def test_coder_may_not_comment(client, world):
    interview = _record(world)
    interview_review(interview=interview, by=world.member(SUP), to=S.HAS_ISSUES, comment="No.")
    response = _login(client, world, CODER).post(
        _url(world, "interview-comment", interview), {"text": "Hi"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("name", ["interview-review", "interview-comment"])
def test_post_only(client, world, name):
    interview = _record(world)
    response = _login(client, world, SUP).get(_url(world, name, interview))
    assert response.status_code == 405
