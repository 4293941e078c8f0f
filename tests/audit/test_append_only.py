import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from fieldwork.accounts.models import Role
from fieldwork.audit.models import AppendOnlyError, AuditEvent
from fieldwork.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_an_audit_event_cannot_be_changed_or_removed_through_the_app(study_world):
    event = audit_record(
        actor=study_world.member(Role.SUPERVISOR),
        study=study_world.study,
        action="source.identity_revealed",
        target=study_world.source,
        reason="Checking a duplicate",
    )
    event.reason = "nothing to see"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == "Checking a duplicate"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET reason = 'rewritten' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_postgresql_refuses_raw_updates_and_deletes(study_world, sql):
    event = audit_record(
        actor=None,
        study=study_world.study,
        action="source.shredded",
        target=study_world.source,
        reason="Erasure request",
    )
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).reason == "Erasure request"


def test_audit_names_targets_by_code_and_records_the_client_address(client, study_world):
    user = study_world.member(Role.SUPERVISOR)
    client.force_login(user)
    from fieldwork.audit.middleware import _client_ip

    token = _client_ip.set("10.1.2.3")
    try:
        event = audit_record(
            actor=user, study=study_world.study, action="x.y", target=study_world.source
        )
    finally:
        _client_ip.reset(token)
    assert event.target_type == "source" and event.target_id == study_world.source.code
    assert event.ip_address == "10.1.2.3"
