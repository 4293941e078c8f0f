"""Interviews: what a field researcher recorded with a source, from a phone (OpenRosa), the
web or an import. Every version is kept exactly as received; review states are ODK Central's."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class InterviewStatus(models.TextChoices):
    """Review states, named as ODK Central names them where they overlap."""

    DRAFT = "draft", pgettext_lazy("interview status", "Draft")
    RECEIVED = "received", pgettext_lazy("interview status", "Received")
    HAS_ISSUES = "has_issues", pgettext_lazy("interview status", "Has issues")
    EDITED = "edited", pgettext_lazy("interview status", "Edited")
    APPROVED = "approved", pgettext_lazy("interview status", "Approved")
    REJECTED = "rejected", pgettext_lazy("interview status", "Rejected")


#: What a reviewer still has to look at, besides "has issues" interviews the field researcher
#: has answered (see `selectors.interview_queue`).
WAITING_STATES = (InterviewStatus.RECEIVED, InterviewStatus.EDITED)
#: The interviews waiting for a reviewer: those states, and "has issues" answered by the
#: field researcher (`Interview.answered`). The queue lists them, the counts count them, and
#: an index holds them in the queue's order.
WAITING = models.Q(status__in=WAITING_STATES) | models.Q(answered=True)


class Interview(models.Model):
    """One interview, known by the client-made UUID of its first submission (the OpenRosa
    instanceID); its content is the current `InterviewVersion`."""

    Status = InterviewStatus

    class Mode(models.TextChoices):
        FACE_TO_FACE = "face_to_face", _("Face to face")
        PHONE = "phone", _("By phone")
        REMOTE = "remote", _("Remote (video, messaging)")

    # No index of its own: every index of the table starts with the study (the unique
    # client_uuid, the queue's orders), and one more would only slow each insert.
    study = models.ForeignKey(
        "studies.Study", on_delete=models.PROTECT, related_name="interviews", db_index=False
    )
    client_uuid = models.UUIDField(_("interview UUID"))
    instrument = models.ForeignKey(
        "instruments.Instrument", on_delete=models.PROTECT, related_name="interviews"
    )
    # Empty only for a questionnaire that names no source (no `source_code` question), or
    # while an encrypted submission waits for decryption.
    source = models.ForeignKey(
        "sources.Source",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interviews",
    )
    researcher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="interviews"
    )
    place = models.ForeignKey(
        "studies.Place", on_delete=models.PROTECT, null=True, blank=True, related_name="interviews"
    )
    conducted_at = models.DateTimeField(_("conducted at"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=60, blank=True)
    mode = models.CharField(
        _("mode"), max_length=16, choices=Mode.choices, default=Mode.FACE_TO_FACE
    )
    status = models.CharField(_("state"), max_length=16, choices=Status.choices)
    #: "Has issues", and the field researcher has answered since: it waits for a reviewer
    #: again. Kept by the review services, so the queue filters on a column, not on the
    #: review history of every interview (make bench: queue).
    answered = models.BooleanField(default=False)
    current_version = models.OneToOneField(
        "InterviewVersion", on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["study", "client_uuid"], name="interview_unique_uuid"),
            models.CheckConstraint(
                condition=models.Q(status__in=InterviewStatus.values),
                name="interview_status_valid",
            ),
        ]
        indexes = [
            # The list order (-created_at, -id) with its usual filters, so a page of the
            # queue is an index range, not a sort of the whole study (make bench: queue).
            models.Index(fields=["study", "-created_at", "-id"], name="interview_newest"),
            models.Index(fields=["study", "status", "-created_at", "-id"], name="interview_queue"),
            # With the state: a field researcher's per-state counts read this index alone.
            models.Index(
                fields=["study", "researcher", "-created_at", "-id"],
                name="interview_by_researcher",
                include=["status", "answered"],
            ),
            # The queue's per-state counts read this index alone (selectors.
            # interview_state_counts).
            models.Index(fields=["study", "status", "answered"], name="interview_state_counts"),
            # What waits for a reviewer, newest first: the queue's default view and its deep
            # pages are a range of this index, not a walk of every interview before them.
            models.Index(
                fields=["study", "-created_at", "-id"], name="interview_waiting", condition=WAITING
            ),
        ]

    def __str__(self) -> str:
        return f"interview {self.client_uuid}"

    @property
    def audit_label(self) -> str:
        return str(self.client_uuid)


class InterviewVersion(models.Model):
    """One submission of an interview, immutable: the first one, then each edit (OpenRosa
    `deprecatedID` names the version it replaces).

    Its content is sealed at rest, as identities are: the body exactly as received
    (`payload_*`), and the answers validation kept with what the check found in them
    (`answers_*`), each under its own data key wrapped by the master key. A copy of the
    database reads neither a respondent's name nor anything they said. Read them with
    `selectors.version_payload` and `selectors.version_content`."""

    class Format(models.TextChoices):
        OPENROSA_XML = "openrosa_xml", _("OpenRosa XML")
        OPENROSA_ENCRYPTED = "openrosa_encrypted", _("Encrypted OpenRosa submission")
        JSON = "json", _("JSON")
        EXPORT_ROW = "export_row", _("Row of a KoboToolbox or ODK export")

    # No index of its own: the unique (study, instance_id) index serves a study's lookups,
    # and with a second one PostgreSQL looked instanceIDs up by study alone, reading every
    # version of the study for each submission (make bench: openrosa).
    study = models.ForeignKey(
        "studies.Study", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    interview = models.ForeignKey(Interview, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    instance_id = models.UUIDField()
    deprecated_id = models.UUIDField(null=True, blank=True)
    instrument_version = models.ForeignKey(
        "instruments.InstrumentVersion", on_delete=models.PROTECT, related_name="interview_versions"
    )
    payload_ciphertext = models.BinaryField()
    payload_wrapped_key = models.BinaryField()
    payload_key_id = models.CharField(max_length=16)
    payload_size = models.PositiveIntegerField()
    payload_format = models.CharField(max_length=20, choices=Format.choices)
    payload_sha256 = models.CharField(max_length=64)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    device_id = models.CharField(max_length=255, blank=True)
    # The phone's token it came in with (OpenRosa), if any.
    via_device = models.ForeignKey(
        "openrosa.Device", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField()
    # Notes about the whole submission (which form version it was checked against). What
    # the server's check found wrong in the answers quotes them, so it is sealed with them;
    # `problem_count` counts both, for lists.
    problems = models.JSONField(default=list, blank=True)
    problem_count = models.PositiveIntegerField(default=0)
    # File names the submission refers to (media questions; for an encrypted submission its
    # `.enc` files); those not yet received come in a later POST of the same instance.
    expected_attachments = models.JSONField(default=list, blank=True)
    # The answers (as validation kept them, or as a phone sent them when the check found
    # problems) and the check's problems, one sealed JSON document. Empty only for an
    # encrypted submission until a study admin decrypts it.
    decrypted_at = models.DateTimeField(null=True, blank=True)
    answers_ciphertext = models.BinaryField(null=True, blank=True)
    answers_wrapped_key = models.BinaryField(null=True, blank=True)
    answers_key_id = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["interview_id", "number"]
        constraints = [
            # The database, not a check-then-insert, makes a re-sent submission idempotent.
            models.UniqueConstraint(
                fields=["study", "instance_id"], name="interview_version_unique_instance"
            ),
            models.UniqueConstraint(
                fields=["interview", "number"], name="interview_version_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"interview version {self.instance_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("Interview versions are never changed; submit an edit instead.")
        super().save(*args, **kwargs)

    # What the sealed bytes are bound to: this study's instanceID (known before the row is
    # inserted, and unique), so no other version's ciphertext opens in their place.
    @property
    def answers_context(self) -> bytes:
        return f"answers|{self.study_id}|{self.instance_id}".encode()

    @property
    def payload_context(self) -> bytes:
        return f"payload|{self.study_id}|{self.instance_id}".encode()

    @property
    def received_names(self) -> set[str]:
        """Names of the files received so far (uses a prefetch of `attachments`)."""
        return {attachment.name for attachment in self.attachments.all()}


class Attachment(models.Model):
    """A file sent with a submission (audio, photo, document, or an encrypted `.enc` part),
    sealed at rest under its own data key: they are voices and faces."""

    study = models.ForeignKey("studies.Study", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(
        InterviewVersion, on_delete=models.PROTECT, related_name="attachments"
    )
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    ciphertext = models.BinaryField()
    wrapped_key = models.BinaryField()
    key_id = models.CharField(max_length=16)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["version_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["version", "name"], name="attachment_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def context(self) -> bytes:
        """What the sealed bytes are bound to: this file of this submission."""
        return attachment_context(version_id=self.version_id, name=self.name)


def attachment_context(*, version_id: int, name: str) -> bytes:
    return f"attachment|{version_id}|{name}".encode()


class SubmissionConflict(models.Model):
    """A body that arrived under an instanceID already stored with different content. Refused
    (ODK Central answers 409) and kept, so nothing a phone sent is ever lost."""

    study = models.ForeignKey("studies.Study", on_delete=models.PROTECT, related_name="+")
    #: The interview the refused body claims to belong to (its instanceID's, or the one it
    #: tried to edit), shown there to supervisors.
    interview = models.ForeignKey(
        Interview, on_delete=models.PROTECT, null=True, blank=True, related_name="conflicts"
    )
    instance_id = models.UUIDField()
    # The body as it arrived, sealed like a version's (it holds the same kind of answers).
    payload_ciphertext = models.BinaryField()
    payload_wrapped_key = models.BinaryField()
    payload_key_id = models.CharField(max_length=16)
    payload_size = models.PositiveIntegerField()
    payload_format = models.CharField(max_length=20, choices=InterviewVersion.Format.choices)
    payload_sha256 = models.CharField(max_length=64)
    reason = models.TextField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["study", "instance_id"], name="conflict_instance")]

    def __str__(self) -> str:
        return f"conflict {self.instance_id}"

    @property
    def payload_context(self) -> bytes:
        return f"conflict|{self.study_id}|{self.instance_id}|{self.payload_sha256}".encode()


class ReviewEvent(models.Model):
    """A step of an interview's review: a state change with its comment, or a comment alone
    (a field researcher answering "has issues")."""

    interview = models.ForeignKey(Interview, on_delete=models.PROTECT, related_name="review_events")
    from_status = models.CharField(max_length=16, choices=Interview.Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Interview.Status.choices)
    comment = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["interview_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"review {self.pk} {self.from_status}->{self.to_status}"
