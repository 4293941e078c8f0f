import pytest
from django.core.management import call_command


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
