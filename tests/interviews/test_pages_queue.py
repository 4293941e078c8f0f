"""The review queue as supervisors use it: paging with filters, the researcher's answers
waiting for them, places with everything inside them, and what each row says."""

import html as html_lib
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fieldwork.accounts.models import Role
from fieldwork.interviews import selectors, views
from fieldwork.interviews.models import Interview, InterviewStatus
from fieldwork.interviews.services import interview_comment, interview_record, interview_review
from fieldwork.studies.models import PlaceLevel
from tests.factories import PlaceFactory
from tests.interviews.test_services import ANSWERS, BODY

S = InterviewStatus
FR, SUP, ADMIN = Role.FIELD_RESEARCHER, Role.SUPERVISOR, Role.STUDY_ADMIN


def _record(world, *, by=FR, place=None) -> Interview:
    return interview_record(
        study=world.study,
        by=world.member(by),
        client_uuid=uuid.uuid4(),
        instrument_version=world.instrument_version,
        source=world.source,
        answers=ANSWERS,
        raw_payload=BODY,
        payload_format="openrosa_xml",
        place=place or world.village,
    ).interview


def _queue(client, world, **query) -> str:
    url = reverse("interviews:interview-list", args=[world.study.slug])
    return client.get(url, query).content.decode()


def _short(interview) -> str:
    return str(interview.client_uuid)[:8]


# --- Paging ----------------------------------------------------------------------------------


def test_page_two_keeps_the_filters(client, world, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    mine = [_record(world) for _n in range(3)]
    theirs = _record(world, by=SUP)
    client.force_login(world.member(SUP))
    researcher = world.member(FR).pk

    first = _queue(client, world, state=S.RECEIVED, researcher=researcher)
    assert "QueryDict" not in first
    next_link = f"?state=received&amp;researcher={researcher}&amp;page=2"
    assert f'href="{next_link}"' in first

    second = _queue(client, world, state=S.RECEIVED, researcher=researcher, page=2)
    assert "Page 2 of 2" in second
    shown = [i for i in mine if _short(i) in first + second]
    assert len(shown) == 3 and _short(theirs) not in first + second


def test_the_page_count_matches_what_each_filter_lists(client, world, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    for _n in range(2):
        _record(world)
    answered = _record(world)
    interview_review(interview=answered, by=world.member(SUP), to=S.HAS_ISSUES, comment="Age?")
    interview_comment(interview=answered, by=world.member(FR), text="The source said 35.")
    for _n in range(2):
        interview_review(interview=_record(world), by=world.member(SUP), to=S.APPROVED, comment="")

    client.force_login(world.member(SUP))
    with CaptureQueriesContext(connection) as captured:
        waiting = _queue(client, world)
    assert "Page 1 of 3" in waiting  # two received, one answered
    counting = [
        q["sql"]
        for q in captured
        if "COUNT(" in q["sql"] and 'FROM "interviews_interview" ' in q["sql"]
    ]
    assert len(counting) == 1  # the per-state counts give the pages too
    assert "Page 1 of 2" in _queue(client, world, state=S.RECEIVED)
    assert "Page 1 of 2" in _queue(client, world, state=S.APPROVED)
    assert "Page 1 of 5" in _queue(client, world, state="")
    client.force_login(world.member(FR))
    assert "Page 1 of 5" in _queue(client, world)


def test_pages_list_the_newest_first_each_interview_once(client, world, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    recorded = [_record(world) for _n in range(5)]
    client.force_login(world.member(SUP))
    pages = [_queue(client, world, state="", page=n) for n in (1, 2, 3)]
    shown = [
        [
            _short(i)
            for i in sorted(recorded, key=lambda i: page.find(_short(i)))
            if _short(i) in page
        ]
        for page in pages
    ]
    newest_first = [_short(i) for i in reversed(recorded)]
    assert shown == [newest_first[0:2], newest_first[2:4], newest_first[4:5]]


def test_state_counts_keep_the_other_filters(client, world):
    _record(world)
    client.force_login(world.member(SUP))
    html = _queue(client, world, state="", researcher=world.member(FR).pk)
    assert f'href="?researcher={world.member(FR).pk}&amp;state=approved"' in html


# --- Waiting: the researcher's answers --------------------------------------------------------


def test_the_researcher_s_answer_waits_for_the_supervisor(client, world):
    received = _record(world)
    answered = _record(world)
    interview_review(
        interview=answered, by=world.member(SUP), to=S.HAS_ISSUES, comment="Age looks wrong."
    )
    unanswered = _record(world)
    interview_review(
        interview=unanswered, by=world.member(SUP), to=S.HAS_ISSUES, comment="Check the date."
    )
    settled = _record(world)
    interview_review(interview=settled, by=world.member(SUP), to=S.HAS_ISSUES, comment="Why?")
    interview_comment(interview=settled, by=world.member(FR), text="Because.")
    interview_comment(interview=settled, by=world.member(SUP), text="Fine, I will look.")
    interview_comment(interview=answered, by=world.member(FR), text="The source said 35.")

    client.force_login(world.member(SUP))
    html = _queue(client, world)  # opens on what waits
    assert "Showing the interviews waiting for your review" in html
    assert _short(received) in html and _short(answered) in html
    assert _short(unanswered) not in html and _short(settled) not in html
    assert html.count('class="badge answered"') == 1

    everything = _queue(client, world, state="")
    assert all(_short(i) in everything for i in (received, answered, unanswered, settled))
    assert everything.count('class="badge answered"') == 1


def test_a_supervisor_who_recorded_an_interview_does_not_answer_it(client, world):
    """A reviewer's own comment on her own interview is not an answer waiting for review."""
    own = _record(world, by=SUP)
    interview_review(interview=own, by=world.member(ADMIN), to=S.HAS_ISSUES, comment="Date?")
    interview_comment(interview=own, by=world.member(SUP), text="Will check.")
    client.force_login(world.member(ADMIN))
    assert _short(own) not in _queue(client, world)


# --- Places ----------------------------------------------------------------------------------


@pytest.fixture
def elsewhere(world):
    segou = PlaceFactory(study=world.study, name="Ségou", level=PlaceLevel.REGION)
    return _record(world, place=segou)


@pytest.mark.parametrize("level", ["region", "cercle", "commune", "village"])
def test_a_place_filter_includes_the_places_inside_it(client, world, elsewhere, level):
    in_village = _record(world)
    client.force_login(world.member(SUP))
    html = _queue(client, world, state="", place=getattr(world, level).pk)
    assert _short(in_village) in html and _short(elsewhere) not in html


def test_the_api_place_filter_includes_the_places_inside_it(client, world, elsewhere):
    in_village = _record(world)
    client.force_login(world.member(SUP))
    url = reverse("api:interview-list", args=[world.study.slug])
    response = client.get(url, {"place": world.region.pk})
    assert response.status_code == 200
    uuids = {row["uuid"] for row in response.json()["results"]}
    assert uuids == {str(in_village.client_uuid)}


# --- What a row and the filters say ----------------------------------------------------------


def test_the_researcher_filter_lists_who_records_interviews(client, world):
    """Field researchers, supervisors and study admins record interviews; coders and
    analysts never, so the menu does not offer them."""
    client.force_login(world.member(SUP))
    html = _queue(client, world)
    start = html.index('name="researcher"')
    select = html[start : html.index("</select>", start)]
    for role in (FR, SUP, ADMIN):
        assert f">{world.member(role).username}</option>" in select
    for role in (Role.CODER, Role.ANALYST):
        assert f">{world.member(role).username}</option>" not in select


def test_a_row_names_the_questionnaire_version(client, world):
    _record(world)
    client.force_login(world.member(SUP))
    html = html_lib.unescape(_queue(client, world))
    assert f"version {world.instrument_version.version}" in html
    assert "version 1<" not in html


# --- Indexes the queue reads (make bench: queue) ---------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: the plans are PostgreSQL's"
)
def test_postgresql_reads_the_waiting_queue_and_its_counts_from_their_indexes(world):
    """A deep page of what waits is a range of the `interview_waiting` partial index, and
    the per-state counts read `interview_state_counts` alone. If the queue's filter and the
    index's condition drift apart, PostgreSQL can no longer use the index: this fails."""
    _record(world)
    supervisor = world.member(SUP)
    page = selectors.interview_page_ids(
        selectors.interview_queue(study=world.study, user=supervisor, waiting=True)
    )[2450:2500]
    with CaptureQueriesContext(connection) as captured:
        selectors.interview_state_counts(study=world.study, user=supervisor)
    (counts,) = [q["sql"] for q in captured if "GROUP BY" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # a few test rows: a scan would be cheaper
        try:
            assert "interview_waiting" in page.explain()
            cursor.execute("EXPLAIN " + counts)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Index Only Scan using interview_state_counts" in plan, plan
        finally:
            cursor.execute("RESET enable_seqscan")
