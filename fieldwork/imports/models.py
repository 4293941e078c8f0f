"""Imports of KoboToolbox / Ona and ODK Central / Briefcase exports: one batch per uploaded
export, previewed before anything is written, then imported as interviews."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ImportBatch(models.Model):
    """One uploaded export and what became of its rows.

    The file is sealed at rest (exports hold every answer, identifying ones included), and
    so are the per-row results, whose messages quote answers. The counts are plain, for
    the list page."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"
        ZIP = "zip", pgettext_lazy("file format", "Zip (CSV files)")
        JSON = "json", "JSON"

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", _("Every row or nothing")
        VALID_ROWS = "valid_rows", _("The valid rows; list the others")

    class State(models.TextChoices):
        # A context of their own: in French a batch's state agrees with « importation ».
        PREVIEWED = "previewed", pgettext_lazy("import state", "Previewed")
        IMPORTED = "imported", pgettext_lazy("import state", "Imported")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(
        "studies.Study", on_delete=models.PROTECT, related_name="import_batches"
    )
    instrument_version = models.ForeignKey(
        "instruments.InstrumentVersion", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    original_filename = models.CharField(_("file"), max_length=255)
    file_format = models.CharField(max_length=8, choices=Format.choices)
    file_size = models.PositiveBigIntegerField()
    file_sha256 = models.CharField(max_length=64)
    file_ciphertext = models.BinaryField()
    file_wrapped_key = models.BinaryField()
    file_key_id = models.CharField(max_length=16)
    results_ciphertext = models.BinaryField()
    results_wrapped_key = models.BinaryField()
    results_key_id = models.CharField(max_length=16)
    mode = models.CharField(
        _("what to import"), max_length=16, choices=Mode.choices, default=Mode.ALL_OR_NOTHING
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PREVIEWED
    )
    row_count = models.PositiveIntegerField(default=0)
    #: At the preview: rows with an error, rows new to the study, rows already stored as
    #: they are (duplicates) or with other content (conflicts).
    error_count = models.PositiveIntegerField(default=0)
    new_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    conflict_count = models.PositiveIntegerField(default=0)
    #: Problems of the file as a whole (a repeat row without its parent row…).
    file_problem_count = models.PositiveIntegerField(default=0)
    #: After the import: interviews created, and rows left out for their errors.
    created_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=["previewed", "imported"]),
                name="import_batch_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(mode__in=["all_or_nothing", "valid_rows"]),
                name="import_batch_mode_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(state="previewed") | models.Q(imported_at__isnull=False),
                name="import_batch_imported_at_set",
            ),
        ]
        indexes = [
            models.Index(fields=["study", "-created_at", "-id"], name="import_batch_newest"),
            models.Index(
                fields=["study", "uploaded_by", "-created_at", "-id"], name="import_batch_by_user"
            ),
        ]

    def __str__(self) -> str:
        return f"import {self.public_id}"

    @property
    def audit_label(self) -> str:
        return str(self.public_id)

    @property
    def file_context(self) -> bytes:
        """What the sealed file is bound to: this batch's file, nothing else."""
        return f"import|{self.public_id}|file".encode()

    @property
    def results_context(self) -> bytes:
        return f"import|{self.public_id}|results".encode()
