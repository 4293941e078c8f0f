"""Questionnaires (instruments) made from XLSForms, versioned, with their questions and choices
extracted into tables the rest of the app reads."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Disclosure(models.TextChoices):
    """How a question's answers may leak who a source is; the release pipeline reads it
    (REDCap's identifier flag, refined)."""

    DIRECT_IDENTIFIER = "direct_identifier", _("Direct identifier")
    QUASI_IDENTIFIER = "quasi_identifier", _("Quasi-identifier")
    SENSITIVE = "sensitive", _("Sensitive")
    NONE = "none", _("None")


class Instrument(models.Model):
    """A questionnaire of a study, known by its XLSForm form_id; its content lives in versions."""

    study = models.ForeignKey("studies.Study", on_delete=models.PROTECT, related_name="instruments")
    form_id = models.CharField(_("form ID"), max_length=255)
    title = models.CharField(_("title"), max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["study", "form_id"], name="instrument_unique_form_id")
        ]

    def __str__(self) -> str:
        return self.form_id

    @property
    def audit_label(self) -> str:
        return self.form_id


class InstrumentVersion(models.Model):
    """One upload of an XLSForm: the original file, the XForm pyxform made of it, and what was
    extracted. A draft until published; interviews point at the version they were made with."""

    class Status(models.TextChoices):
        # A context of their own: in French a version's status agrees with « version ».
        DRAFT = "draft", pgettext_lazy("version status", "Draft")
        PUBLISHED = "published", pgettext_lazy("version status", "Published")
        RETIRED = "retired", pgettext_lazy("version status", "Retired")

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(_("version"), max_length=255)
    title = models.CharField(_("title"), max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    original_filename = models.CharField(max_length=255)
    original_file = models.BinaryField()
    xform_xml = models.TextField()
    xform_md5 = models.CharField(max_length=32)
    languages = models.JSONField(default=list)
    default_language = models.CharField(max_length=64, blank=True)
    #: pyxform's warnings at conversion, as shown to the uploader: [{"message", "sheet", "row"}]
    warnings = models.JSONField(default=list)
    #: XLSForm settings sheet (public_key for encrypted forms, submission_url, instance_name…)
    form_settings = models.JSONField(default=dict)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["instrument_id", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "version"], name="instrument_version_unique"
            ),
            # Phones get one form per form_id: publishing retires the version before.
            models.UniqueConstraint(
                fields=["instrument"],
                condition=models.Q(status="published"),
                name="instrument_one_published_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id}@{self.version}"

    @property
    def audit_label(self) -> str:
        return f"{self.instrument.form_id}@{self.version}"


class Question(models.Model):
    """A question (or group, repeat, note, calculate, metadata field) of one version.

    `path` is the XForm path without the root, e.g. "household/members/age", so repeats and
    groups are plain prefixes; `repeat_path` names the innermost repeat that contains it."""

    version = models.ForeignKey(
        InstrumentVersion, on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=255)
    path = models.CharField(max_length=1024)
    type = models.CharField(max_length=64)  # pyxform's type: "select one", "integer", "group"…
    list_name = models.CharField(max_length=255, blank=True)  # choices list for selects
    repeat_path = models.CharField(max_length=1024, blank=True)
    labels = models.JSONField(default=dict)  # {"French (fr)": "…", "default": "…"}
    hints = models.JSONField(default=dict)
    required = models.BooleanField(default=False)
    required_if = models.TextField(blank=True)  # "" with required: always required
    required_message = models.JSONField(default=dict)
    relevant = models.TextField(blank=True)
    constraint = models.TextField(blank=True)
    constraint_message = models.JSONField(default=dict)
    calculation = models.TextField(blank=True)
    choice_filter = models.TextField(blank=True)
    appearance = models.CharField(max_length=255, blank=True)
    default = models.TextField(blank=True)
    read_only = models.BooleanField(default=False)
    disclosure = models.CharField(
        max_length=32, choices=Disclosure.choices, default=Disclosure.NONE
    )
    #: True while the role is the app's guess (no disclosure column): a study admin confirms it.
    disclosure_suggested = models.BooleanField(default=False)

    class Meta:
        ordering = ["version_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "path"], name="question_unique_path"),
        ]

    def __str__(self) -> str:
        return self.path


class Choice(models.Model):
    """One row of the choices sheet. Names are unique in a list unless the form's settings say
    `allow_choice_duplicates` (real forms do), so rows are told apart by their position."""

    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="choices")
    list_name = models.CharField(max_length=255)
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=255)
    labels = models.JSONField(default=dict)
    #: Extra columns of the choices sheet, used by choice_filter expressions.
    extra = models.JSONField(default=dict)

    class Meta:
        ordering = ["version_id", "list_name", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "list_name", "position"], name="choice_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.list_name}:{self.name}"


class FormMedia(models.Model):
    """A file a version's XForm refers to (jr://images/…, jr://audio/…, jr://file-csv/… for
    choices from a file), served to phones through the form's manifest."""

    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="media")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    content = models.BinaryField()
    size = models.PositiveBigIntegerField()
    md5 = models.CharField(max_length=32)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version_id", "filename"]
        constraints = [
            models.UniqueConstraint(fields=["version", "filename"], name="form_media_unique_name")
        ]

    def __str__(self) -> str:
        return self.filename
