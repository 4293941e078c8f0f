from typing import Any

from django.db import models
from django.utils import timezone

from fieldwork.audit.middleware import current_client_ip
from fieldwork.audit.models import AuditEvent


def audit_event(
    *,
    actor,
    action: str,
    study=None,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    actor_username: str = "",
) -> AuditEvent:
    """Build (not save) one audit event; `audit_record` appends it, `audit_record_many`
    appends several in one statement.

    The target is named by `audit_label` (a pseudonymous code) when it has one, else by pk.
    `actor_username` names who tried when nobody is signed in (a failed sign-in).
    """
    if target is not None:
        target_type = target_type or target._meta.model_name
        target_id = target_id or str(getattr(target, "audit_label", target.pk))
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent(
        actor=user,
        actor_username=user.get_username() if user else actor_username[:150],
        study=study,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        ip_address=current_client_ip(),
        data=data or {},
        created_at=timezone.now(),
    )


def audit_record(**kwargs) -> AuditEvent:
    """Append one audit event (arguments as `audit_event`). Call it inside the transaction of
    the change it records."""
    event = audit_event(**kwargs)
    event.save()
    return event


def audit_record_many(events: list[AuditEvent]) -> list[AuditEvent]:
    """Append several events built by `audit_event` in one INSERT."""
    return AuditEvent.objects.bulk_create(events)
