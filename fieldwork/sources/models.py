import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    WOMAN = "woman", _("Woman")
    MAN = "man", _("Man")
    OTHER = "other", _("Other")
    UNDISCLOSED = "undisclosed", _("Not said")


class Source(models.Model):
    """A person who speaks to researchers, known everywhere by a random code.

    Identity fields (name, aliases, phone, address, contact notes) exist only inside
    `identity_ciphertext`, sealed with this source's own data key; that key exists only
    wrapped by a master key kept outside the database. Clearing `wrapped_key` (shredding)
    makes the identity unrecoverable while the pseudonymous attributes stay.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Indexed through the (study, …) composites below; a single-column index would only slow
    # inserts down.
    study = models.ForeignKey(
        "studies.Study", on_delete=models.PROTECT, related_name="sources", db_index=False
    )
    code = models.CharField(_("code"), max_length=16)
    gender = models.CharField(_("gender"), max_length=16, choices=Gender.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    age = models.PositiveSmallIntegerField(_("age when recorded"), null=True, blank=True)
    place = models.ForeignKey(
        "studies.Place",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sources",
        verbose_name=_("place"),
    )
    community = models.CharField(_("group or community"), max_length=120, blank=True)
    language = models.CharField(_("language"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="recorded_sources"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    identity_ciphertext = models.BinaryField(null=True, editable=False)
    wrapped_key = models.BinaryField(null=True, editable=False)
    key_id = models.CharField(max_length=16, blank=True, editable=False)
    name_index = models.CharField(max_length=64, blank=True, editable=False)
    phone_index = models.CharField(max_length=64, blank=True, editable=False)

    shredded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["study", "code"], name="source_unique_code_in_study"),
            models.CheckConstraint(
                condition=models.Q(birth_year__isnull=True) | models.Q(birth_year__gte=1900),
                name="source_birth_year_plausible",
            ),
            models.CheckConstraint(
                condition=models.Q(shredded_at__isnull=True) | models.Q(wrapped_key__isnull=True),
                name="source_shredded_has_no_key",
            ),
        ]
        indexes = [
            models.Index(fields=["study", "name_index"], name="source_name_index"),
            models.Index(fields=["study", "phone_index"], name="source_phone_index"),
            models.Index(fields=["key_id"], name="source_key_id"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def audit_label(self) -> str:
        return self.code

    @property
    def is_shredded(self) -> bool:
        return self.shredded_at is not None


class ConsentScope(models.TextChoices):
    PARTICIPATE = "participate", _("Take part in the study")
    RECORD_AUDIO = "record_audio", _("Record audio")
    QUOTE = "quote", _("Quote verbatim")
    SHARE_ANONYMIZED = "share_anonymized", _("Share anonymized data")
    ARCHIVE = "archive", _("Archive")
    RECONTACT = "recontact", _("Contact again")


class ConsentForm(models.Model):
    """One version of a consent text, in French and English, and the scopes it asks for.

    Versions are immutable: a change of wording is a new version, so every consent record
    points at the exact text the source heard."""

    study = models.ForeignKey(
        "studies.Study", on_delete=models.PROTECT, related_name="consent_forms"
    )
    title = models.CharField(_("title"), max_length=200)
    version = models.PositiveIntegerField(_("version"))
    text_fr = models.TextField(_("text in French"))
    text_en = models.TextField(_("text in English"))
    scopes = models.JSONField(_("scopes asked"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "title", "version"], name="consent_form_unique_version"
            )
        ]

    def __str__(self) -> str:
        return _("%(title)s v%(version)s") % {"title": self.title, "version": self.version}

    @property
    def audit_label(self) -> str:
        return f"{self.title} v{self.version}"

    def scope_labels(self) -> list[str]:
        """Labels in the order the consent form lists scopes, not by internal code."""
        return [label for value, label in ConsentScope.choices if value in self.scopes]


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", _("Written")
    ORAL_RECORDED = "oral_recorded", _("Oral, recorded")
    ORAL_WITNESSED = "oral_witnessed", _("Oral, witnessed")


class ConsentRecord(models.Model):
    """One consent event: a grant (scopes given under a form version) or a withdrawal.

    Never edited: a withdrawal is a new record. A source's current consent is the fold of its
    records in order (see `selectors.source_current_scopes`)."""

    class Kind(models.TextChoices):
        GRANT = "grant", _("Consent given")
        WITHDRAWAL = "withdrawal", _("Consent withdrawn")

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="consent_records")
    form = models.ForeignKey(
        ConsentForm, on_delete=models.PROTECT, null=True, blank=True, related_name="records"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    scopes = models.JSONField(_("scopes"), default=list)
    method = models.CharField(
        _("how obtained"), max_length=32, choices=ConsentMethod.choices, blank=True
    )
    effective_on = models.DateField(_("date"))
    reason = models.TextField(_("reason"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source_id", "effective_on", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="withdrawal")
                    | (models.Q(kind="grant") & models.Q(form__isnull=False) & ~models.Q(method=""))
                ),
                name="consent_grant_has_form_and_method",
            )
        ]

    def __str__(self) -> str:
        return f"consent {self.pk} {self.kind}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("Consent records are never edited; record a new event instead.")
        super().save(*args, **kwargs)

    def scope_labels(self) -> list[str]:
        """Labels in the order the consent form lists scopes, not by internal code."""
        return [label for value, label in ConsentScope.choices if value in self.scopes]
