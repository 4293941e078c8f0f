import pytest

from fieldwork.accounts.models import Role
from fieldwork.audit.models import AuditEvent
from fieldwork.audit.selectors import audit_event_list
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_sign_ins_and_failed_attempts_are_audited_and_shown_to_the_members_study(study_world):
    from django.test import Client

    coder = study_world.member(Role.CODER)
    assert Client().login(username=coder.username, password=PASSWORD)
    assert not Client().login(username=coder.username, password="wrong password")
    ok = AuditEvent.objects.get(action="auth.login")
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert ok.actor == coder
    assert failed.actor is None and failed.actor_username == coder.username
    assert "wrong password" not in str(failed.data) + failed.reason
    trail = set(audit_event_list(study=study_world.study).values_list("action", flat=True))
    assert {"auth.login", "auth.login_failed"} <= trail
    assert not audit_event_list(study=study_world.other_study).filter(actor=coder).exists()
