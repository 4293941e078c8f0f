"""Phones that send to a study: ODK Collect, KoboCollect, Enketo. A device holds a token in
its server URL (as ODK Central's app users do), never a person's web password."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def token_digest(token: str) -> str:
    """Tokens are stored only as their SHA-256: a database copy gives no phone access."""
    return hashlib.sha256(token.encode()).hexdigest()


class Device(models.Model):
    """A phone (or a web form session) allowed to fetch a study's questionnaires and send
    interviews, on behalf of the field researcher who carries it."""

    study = models.ForeignKey("studies.Study", on_delete=models.PROTECT, related_name="devices")
    researcher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="devices"
    )
    label = models.CharField(_("label"), max_length=100)
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["revoked_at", "-created_at", "-id"]

    def __str__(self) -> str:
        return self.label

    @property
    def audit_label(self) -> str:
        return self.label

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
