from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    """Raised on any attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are append-only; they cannot be updated.")

    def delete(self):
        raise AppendOnlyError("Audit events are append-only; they cannot be deleted.")


class AuditEvent(models.Model):
    """Something that happened and must stay known: who did what, to what, and why.

    Append-only: the model refuses updates and deletes, and on PostgreSQL a trigger refuses
    them too (migration 0002). Targets are named by pseudonymous codes, never by identity.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    # No single-column index on study: the (study, created_at) index serves it, and every
    # index is paid on each insert.
    study = models.ForeignKey(
        "studies.Study",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    action = models.CharField(_("action"), max_length=64)
    target_type = models.CharField(max_length=32, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["study", "-created_at"], name="audit_study_time"),
            models.Index(fields=["study", "action"], name="audit_study_action"),
        ]

    def __str__(self) -> str:
        return f"audit {self.pk} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit events are append-only; they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only; they cannot be deleted.")
