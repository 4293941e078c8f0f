import uuid

import pytest
from django.core.management import call_command

from tests.factories import make_received


@pytest.mark.django_db
def test_health_page_says_services_answer_and_nothing_more(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert set(response.json()) == {"database", "cache", "broker"}
    assert response.json()["database"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_check_services_command_reports_each_service(capsys):
    call_command("check_services", timeout=60)
    out = capsys.readouterr().out
    assert "database: ok" in out and "cache: ok" in out
    assert "submissions from phones waiting to be recorded: 0" in out


@pytest.mark.django_db
def test_check_services_counts_the_phones_submissions_not_recorded(study_world, capsys):
    device, _token = study_world.device
    for reason in (None, None, {"en": "No consent."}):
        make_received(
            device=device,
            version=study_world.published_version,
            body=b"<data/>",
            instance_id=uuid.uuid4(),
            reason=reason,
        )
    call_command("check_services", timeout=60)
    summary = capsys.readouterr().out
    assert "submissions from phones waiting to be recorded: 2 (oldest received 0 s ago)" in summary
    assert "submissions from phones the worker refused: 1" in summary
