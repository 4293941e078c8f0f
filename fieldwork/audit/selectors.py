from datetime import date

from django.db.models import Q, QuerySet

from fieldwork.audit.models import AuditEvent


def audit_event_list(
    *,
    study,
    action: str = "",
    actor: str = "",
    target: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """A study's audit trail, newest first, filtered as the audit page and API ask.

    Sign-ins belong to no study; a study's trail shows those of its own members (and failed
    attempts under their usernames), so its admins can see who got in and who tried.
    """
    members = study.memberships.values("user__username")
    qs = AuditEvent.objects.filter(
        Q(study=study) | Q(study__isnull=True, actor_username__in=members)
    ).select_related("actor")
    if action:
        qs = qs.filter(action__startswith=action)
    if actor:
        qs = qs.filter(actor_username__iexact=actor)
    if target:
        qs = qs.filter(target_id__iexact=target)
    if since:
        qs = qs.filter(created_at__date__gte=since)
    if until:
        qs = qs.filter(created_at__date__lte=until)
    return qs


def audit_action_names(*, study) -> list[str]:
    return list(
        AuditEvent.objects.filter(study=study)
        .order_by()
        .values_list("action", flat=True)
        .distinct()
    )
