from typing import Any

from django.db import models
from django.utils import timezone

from fieldwork.audit.middleware import current_client_ip
from fieldwork.audit.models import AuditEvent


def audit_record(
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
    """Append one audit event. Call it inside the transaction of the change it records.

    The target is named by `audit_label` (a pseudonymous code) when it has one, else by pk.
    `actor_username` names who tried when nobody is signed in (a failed sign-in).
    """
    if target is not None:
        target_type = target_type or target._meta.model_name
        target_id = target_id or str(getattr(target, "audit_label", target.pk))
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
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
