"""An interview's page as its readers use it: sending a draft for review, the refused
submissions kept for reviewers, a withdrawn consent, the versions' differences."""

import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from fieldwork.accounts.models import Role
from fieldwork.audit.models import AuditEvent
from fieldwork.interviews.models import InterviewStatus, ReviewEvent
from fieldwork.interviews.services import interview_edit, interview_record
from fieldwork.sources.models import ConsentScope
from fieldwork.sources.services import consent_withdraw
from tests.interviews.test_services import ANSWERS, BODY

S = InterviewStatus
FR, CODER, SUP = Role.FIELD_RESEARCHER, Role.CODER, Role.SUPERVISOR


def _record(world, *, by=FR, client_uuid=None, body=BODY, draft=False):
    return interview_record(
        study=world.study,
        by=world.member(by),
        client_uuid=client_uuid or uuid.uuid4(),
        instrument_version=world.instrument_version,
        source=world.source,
        answers=ANSWERS,
        raw_payload=body,
        payload_format="openrosa_xml",
        place=world.village,
        draft=draft,
    )


def _url(world, name, interview, *args):
    return reverse(f"interviews:{name}", args=[world.study.slug, interview.client_uuid, *args])


def _page(client, world, interview) -> str:
    return client.get(_url(world, "interview-detail", interview)).content.decode()


# --- Sending a draft for review --------------------------------------------------------------


def test_the_researcher_sends_her_draft_for_review(client, world):
    draft = _record(world, draft=True).interview
    client.force_login(world.member(FR))
    assert 'id="submit-form"' in _page(client, world, draft)

    response = client.post(_url(world, "interview-submit", draft), follow=True)
    assert response.redirect_chain[-1][0] == _url(world, "interview-detail", draft)
    html = response.content.decode()
    assert "The interview was sent for review." in html
    assert 'id="submit-form"' not in html
    draft.refresh_from_db()
    assert draft.status == S.RECEIVED
    event = ReviewEvent.objects.get(interview=draft)
    assert (event.from_status, event.to_status, event.by) == (S.DRAFT, S.RECEIVED, draft.researcher)


@pytest.mark.parametrize("role", [SUP, CODER])
def test_only_the_recorder_sends_a_draft(client, world, role):
    draft = _record(world, draft=True).interview
    client.force_login(world.member(role))
    assert 'id="submit-form"' not in _page(client, world, draft)
    assert client.post(_url(world, "interview-submit", draft)).status_code == 403
    draft.refresh_from_db()
    assert draft.status == S.DRAFT


def test_a_draft_without_consent_stays_a_draft_with_the_reason(client, world):
    draft = _record(world, draft=True).interview
    _withdraw(world)
    client.force_login(world.member(FR))
    response = client.post(_url(world, "interview-submit", draft), follow=True)
    assert "no current consent to take part" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == S.DRAFT


def test_submit_is_post_only(client, world):
    draft = _record(world, draft=True).interview
    client.force_login(world.member(FR))
    assert client.get(_url(world, "interview-submit", draft)).status_code == 405


# --- Refused submissions kept ----------------------------------------------------------------


@pytest.fixture
def conflicted(world):
    interview = _record(world).interview
    refused = _record(world, client_uuid=interview.client_uuid, body=b"<other>x</other>")
    assert refused.outcome == "conflict"
    return interview, refused.conflict


def test_a_reviewer_sees_and_downloads_the_refused_submissions(client, world, conflicted):
    interview, conflict = conflicted
    client.force_login(world.member(SUP))
    html = _page(client, world, interview)
    assert "Refused submissions kept" in html
    assert "A different submission is already stored under this instance ID." in html
    assert str(conflict.instance_id) in html and world.member(FR).username in html
    assert "16\xa0bytes" in html

    response = client.get(_url(world, "interview-conflict", interview, conflict.pk))
    assert response.status_code == 200
    assert b"".join(response) == b"<other>x</other>"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="interview.conflict_opened")
    assert event.actor == world.member(SUP)
    assert event.data["conflict"] == conflict.pk


def test_the_queue_flags_interviews_with_refused_submissions(client, world, conflicted):
    interview, _conflict = conflicted
    other = _record(world).interview
    client.force_login(world.member(SUP))
    html = client.get(reverse("interviews:interview-list", args=[world.study.slug])).content
    row = html.decode().split(str(interview.client_uuid)[:8])[-1].split("</tr>")[0]
    assert "refused submissions kept" in row
    assert html.decode().count("refused submissions kept") == 1
    assert str(other.client_uuid)[:8].encode() in html


@pytest.mark.parametrize("role", [FR, CODER])
def test_others_neither_see_nor_download_refused_submissions(client, world, conflicted, role):
    interview, conflict = conflicted
    client.force_login(world.member(role))
    assert "Refused submissions kept" not in _page(client, world, interview)
    response = client.get(_url(world, "interview-conflict", interview, conflict.pk))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="interview.conflict_opened").exists()


def test_a_conflict_of_another_interview_is_not_found(client, world, conflicted):
    _interview, conflict = conflicted
    other = _record(world).interview
    client.force_login(world.member(SUP))
    response = client.get(_url(world, "interview-conflict", other, conflict.pk))
    assert response.status_code == 404


# --- Consent ---------------------------------------------------------------------------------


def _withdraw(world):
    consent_withdraw(
        source=world.source,
        by=world.member(FR),
        scopes=frozenset({ConsentScope.PARTICIPATE}),
        reason="Asked by phone.",
        withdrawn_on=timezone.localdate(),
    )


def test_a_withdrawn_consent_is_shown_on_the_interview(client, world):
    interview = _record(world).interview
    client.force_login(world.member(SUP))
    assert 'id="consent-warning"' not in _page(client, world, interview)
    _withdraw(world)
    html = _page(client, world, interview)
    assert 'id="consent-warning"' in html
    assert f"Source {world.source.code} has no current consent to take part" in html


# --- Versions --------------------------------------------------------------------------------


def _edit(world, interview, **changed):
    """An edit that also sends the blank answers a form sends (they are stored as None)."""
    blanks = {"location": "", "checkpoint": {**ANSWERS["checkpoint"], "what_happened": ""}}
    interview_edit(
        interview=interview,
        by=world.member(FR),
        instance_id=uuid.uuid4(),
        deprecated_id=interview.client_uuid,
        answers={**ANSWERS, **blanks, **changed},
        raw_payload=b"<v2/>",
        payload_format="openrosa_xml",
    )


def test_the_diff_leaves_out_answers_blank_on_both_sides(client, world):
    interview = _record(world).interview
    _edit(world, interview, age="35")
    client.force_login(world.member(SUP))
    html = _page(client, world, interview)
    assert "<del>34</del>" in html and "<ins>35</ins>" in html
    assert "<del>—</del>" not in html  # "Location", "What happened": absent, then blank


def test_an_edit_adding_only_blank_answers_changed_nothing(client, world):
    interview = _record(world).interview
    _edit(world, interview)
    client.force_login(world.member(SUP))
    assert "No answer changed from the previous version." in _page(client, world, interview)


# --- Style -----------------------------------------------------------------------------------


def test_the_hidden_attribute_wins_over_button_styles():
    """ "Fill in another" after a refused web submission has `hidden` and `.button`."""
    css = (Path(settings.BASE_DIR) / "static" / "css" / "fieldwork.css").read_text()
    rule = css.split("[hidden] {", 1)[1].split("}", 1)[0]
    assert "display: none !important" in rule
