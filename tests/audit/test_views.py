import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from fieldwork.accounts.models import Role
from fieldwork.audit.models import AuditEvent
from fieldwork.audit.services import audit_record
from fieldwork.sources.services import source_reveal

pytestmark = pytest.mark.django_db


def _url(study_world):
    return reverse("audit:event-list", args=[study_world.study.slug])


def _rows(response) -> str:
    page = response.content.decode()
    return page[page.index('<div id="rows">') :]


def test_the_audit_log_lists_a_reveal_with_its_reason(client, study_world):
    supervisor = study_world.member(Role.SUPERVISOR)
    source_reveal(source=study_world.source, by=supervisor, reason="Recontact for follow-up")
    client.force_login(study_world.member(Role.STUDY_ADMIN))
    rows = _rows(client.get(_url(study_world)))
    assert "Identity revealed" in rows
    assert "Recontact for follow-up" in rows
    assert study_world.source.code in rows and supervisor.username in rows


def test_filters_by_action_actor_and_target(client, study_world):
    supervisor = study_world.member(Role.SUPERVISOR)
    source_reveal(source=study_world.source, by=supervisor, reason="Recontact for follow-up")
    client.force_login(study_world.member(Role.SUPERVISOR))
    url = _url(study_world)

    reveals = _rows(client.get(url, {"action": "source.identity_revealed"}))
    assert "Identity revealed" in reveals and "Source recorded" not in reveals

    family = _rows(client.get(url, {"action": "source."}))
    assert "Identity revealed" in family and "Source recorded" in family
    assert "Consent given" not in family

    by_actor = _rows(client.get(url, {"actor": "field_researcher-user"}))
    assert "Source recorded" in by_actor and "Identity revealed" not in by_actor

    by_target = _rows(client.get(url, {"target": study_world.source.code.lower()}))
    assert "Identity revealed" in by_target
    assert "Place added" not in by_target


def test_filters_by_date_range_and_refuses_a_backwards_range(client, study_world):
    audit_record(
        actor=study_world.member(Role.STUDY_ADMIN),
        study=study_world.study,
        action="place.created",
        target_id="today",
    )
    client.force_login(study_world.member(Role.STUDY_ADMIN))
    url = _url(study_world)
    today = timezone.now().date()

    current = _rows(client.get(url, {"since": today.isoformat(), "until": today.isoformat()}))
    assert "Place added" in current
    past = _rows(client.get(url, {"until": (today - dt.timedelta(days=3)).isoformat()}))
    assert "No event matches." in past

    backwards = client.get(
        url, {"since": today.isoformat(), "until": (today - dt.timedelta(days=1)).isoformat()}
    )
    assert "must not be before the start date" in backwards.content.decode()


def test_htmx_gets_only_the_rows_and_pages_are_linked(client, study_world):
    admin = study_world.member(Role.STUDY_ADMIN)
    for n in range(60):
        audit_record(actor=admin, study=study_world.study, action="actor.updated", target_id=str(n))
    client.force_login(admin)
    response = client.get(_url(study_world), {"action": "actor."}, headers={"HX-Request": "true"})
    fragment = response.content.decode()
    assert "<html" not in fragment and fragment.strip().startswith('<div id="rows">')
    assert "Page 1 of 2" in fragment
    assert "action=actor.&amp;page=2" in fragment

    second = client.get(_url(study_world), {"action": "actor.", "page": 2})
    assert _rows(second).count("Actor changed") == 10
    assert AuditEvent.objects.filter(action="actor.updated").count() == 60


def test_researchers_coders_and_analysts_cannot_read_the_log(client, study_world):
    for role in (Role.FIELD_RESEARCHER, Role.CODER, Role.ANALYST):
        client.force_login(study_world.member(role))
        assert client.get(_url(study_world)).status_code == 403
