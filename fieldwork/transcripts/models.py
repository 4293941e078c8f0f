"""Transcripts: what was said in an interview, typed up or uploaded later, with the
researcher's notes and a translation beside the original.

Transcripts name places, people and events, so their text is as sensitive as an identity:
text, notes and translation are sealed together (`fieldwork.sources.blobs`) under a data key
of their own, fresh for every save, and the database holds only ciphertext."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TranscriptState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("transcript state", "Draft")
    FINAL = "final", pgettext_lazy("transcript state", "Final")


class Transcript(models.Model):
    """The transcript of one interview. `revision` counts saves; a save names the revision
    it was based on, and one based on an older revision is refused (optimistic
    concurrency), unless the newer revisions came from the same editing session."""

    State = TranscriptState

    study = models.ForeignKey("studies.Study", on_delete=models.PROTECT, related_name="+")
    interview = models.OneToOneField(
        "interviews.Interview", on_delete=models.PROTECT, related_name="transcript"
    )
    language = models.CharField(_("language"), max_length=60, blank=True)
    translation_language = models.CharField(
        _("language of the translation"), max_length=60, blank=True
    )
    state = models.CharField(
        _("state"), max_length=8, choices=TranscriptState.choices, default=TranscriptState.DRAFT
    )
    revision = models.PositiveIntegerField(default=0)
    # Text, notes and translation as one sealed JSON document; see `transcript_context`.
    ciphertext = models.BinaryField()
    wrapped_key = models.BinaryField()
    key_id = models.CharField(max_length=16)
    # The page (or API client) session that made the last save: its own later saves are not
    # conflicts even when a lost response left it behind on the revision number.
    editor_session = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField()
    finalized_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=TranscriptState.values),
                name="transcript_state_valid",
            ),
        ]
        indexes = [models.Index(fields=["study", "state"], name="transcript_by_state")]

    def __str__(self) -> str:
        return f"transcript {self.pk} r{self.revision}"

    @property
    def context(self) -> bytes:
        return transcript_context(pk=self.pk, revision=self.revision)


def transcript_context(*, pk: int, revision: int) -> bytes:
    """What a transcript's sealed bytes are bound to: this row at this revision, so neither
    another row's ciphertext nor an older one of this row opens in its place."""
    return f"transcript|{pk}|{revision}".encode()


class TranscriptRevision(models.Model):
    """A save of a final transcript (the one that made it final, then every correction),
    kept sealed so a coder's reference text can always be found again."""

    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    language = models.CharField(max_length=60, blank=True)
    translation_language = models.CharField(max_length=60, blank=True)
    ciphertext = models.BinaryField()
    wrapped_key = models.BinaryField()
    key_id = models.CharField(max_length=16)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    saved_at = models.DateTimeField()

    class Meta:
        ordering = ["transcript_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["transcript", "number"], name="transcript_revision_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"transcript {self.transcript_id} revision {self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("Transcript revisions are kept as saved; never changed.")
        super().save(*args, **kwargs)

    @property
    def context(self) -> bytes:
        return f"transcript-revision|{self.transcript_id}|{self.number}".encode()
