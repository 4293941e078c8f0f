import datetime as dt

import pytest
from django.utils import timezone

from fieldwork.accounts.permissions import ADMIN, ANALYST, CODER, FR, SUP
from fieldwork.audit.services import audit_record
from fieldwork.sources.services import source_reveal

pytestmark = pytest.mark.django_db


def as_role(client, study_world, role):
    client.force_login(study_world.member(role))
    return client


@pytest.fixture
def revealed(study_world):
    source_reveal(
        source=study_world.source,
        by=study_world.member(SUP),
        reason="Recontact for the second round.",
    )
    return study_world


def test_a_reveal_shows_in_the_audit_trail(client, revealed):
    as_role(client, revealed, ADMIN)

    response = client.get(revealed.url("api:audit-event-list"), {"action": "source.identity"})

    assert response.status_code == 200
    [event] = response.json()["results"]
    assert event["actor"] == "supervisor-user"
    assert event["target_id"] == revealed.source.code
    assert event["reason"] == "Recontact for the second round."


def test_audit_filters(client, revealed):
    as_role(client, revealed, SUP)
    url = revealed.url("api:audit-event-list")

    def actions(**params):
        response = client.get(url, params)
        assert response.status_code == 200, response.json()
        return {event["action"] for event in response.json()["results"]}

    today = timezone.localdate()
    assert actions(action="source.") == {"source.created", "source.identity_revealed"}
    assert actions(actor="SUPERVISOR-USER", action="source.") == {"source.identity_revealed"}
    assert actions(target=revealed.source.code) == {
        "source.created",
        "consent.granted",
        "source.identity_revealed",
    }
    assert "source.identity_revealed" in actions(since=today.isoformat(), until=today.isoformat())
    assert actions(until=(today - dt.timedelta(days=1)).isoformat()) == set()


def test_audit_date_errors_are_field_level(client, study_world):
    as_role(client, study_world, ADMIN)
    url = study_world.url("api:audit-event-list")

    wrong_order = client.get(url, {"since": "2026-05-02", "until": "2026-05-01"})
    not_a_date = client.get(url, {"since": "last week"})

    assert wrong_order.status_code == not_a_date.status_code == 400
    assert list(wrong_order.json()) == ["until"]
    assert list(not_a_date.json()) == ["since"]


def test_other_studies_events_stay_out(client, study_world):
    audit_record(
        actor=study_world.member("outsider"),
        study=study_world.other_study,
        action="place.created",
        target_id="Paris",
    )
    as_role(client, study_world, ADMIN)

    response = client.get(study_world.url("api:audit-event-list"), {"target": "Paris"})

    assert response.json()["results"] == []


@pytest.mark.parametrize("role", [FR, CODER, ANALYST])
def test_only_supervisors_and_admins_read_the_audit_trail(client, revealed, role):
    as_role(client, revealed, role)

    response = client.get(revealed.url("api:audit-event-list"))

    assert response.status_code == 403
    assert "Recontact" not in response.content.decode()


def test_audit_pages_newest_first(client, study_world):
    for n in range(5):
        audit_record(
            actor=study_world.member(ADMIN),
            study=study_world.study,
            action="test.event",
            target_id=f"T{n}",
        )
    as_role(client, study_world, ADMIN)

    first = client.get(
        study_world.url("api:audit-event-list"), {"action": "test.", "page_size": 3}
    ).json()
    second = client.get(first["next"]).json()

    assert [e["target_id"] for e in first["results"]] == ["T4", "T3", "T2"]
    assert [e["target_id"] for e in second["results"]] == ["T1", "T0"]
    assert second["next"] is None
