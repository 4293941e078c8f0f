"""Writes about transcripts: saving a draft (typed, pasted, uploaded or autosaved), marking
it final, correcting a final one.

Nothing typed is lost and nobody's save silently replaces another's: each save names the
revision it started from, and one based on an older revision is refused with
`TranscriptConflict` (the caller shows the typed text back). A re-send of what is already
stored (a retry after a lost response on a bad connection) writes nothing, and the later
saves of the editing session that made the last one are not conflicts either."""

import logging

from django.db import IntegrityError, transaction
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from fieldwork.audit.services import audit_record
from fieldwork.core.errors import ServiceError
from fieldwork.interviews.models import Interview
from fieldwork.sources.blobs import seal_blob
from fieldwork.transcripts.content import TranscriptContent, normalize_text
from fieldwork.transcripts.models import (
    Transcript,
    TranscriptRevision,
    TranscriptState,
)
from fieldwork.transcripts.selectors import transcript_content

logger = logging.getLogger(__name__)

#: About five hours of speech in French; a form post of text and translation at this length
#: stays under Django's 2.5 MB limit for fields even in a three-byte script.
MAX_TEXT_CHARS = 300_000
MAX_NOTES_CHARS = 50_000
MAX_LANGUAGE_CHARS = 60


class TranscriptConflict(ServiceError):
    """Someone saved the transcript after the revision this save started from. `current` is
    the stored transcript, for the caller to show beside the refused text. `by` is who
    tried to save: when the newer save is theirs too (another tab or window), the message
    says so rather than name them as someone else."""

    def __init__(self, *, current: Transcript, by):
        self.current = current
        same_user = current.updated_by_id is not None and current.updated_by_id == by.pk
        moment = timezone.localtime(current.updated_at)
        when = {
            "date": date_filter(moment, "SHORT_DATE_FORMAT"),
            "time": date_filter(moment, "TIME_FORMAT"),
            "revision": current.revision,
        }
        # The date and the time apart: "on 11/25/2026 at 2:58 a.m.", "le 25/11/2026 à 03:03".
        if same_user:
            message = (
                _(
                    "You saved this transcript in another tab or window on %(date)s at %(time)s "
                    "(revision %(revision)s), after the version this save started from; nothing "
                    "was changed."
                )
                % when
            )
        else:
            who = current.updated_by.get_username() if current.updated_by_id else "—"
            message = _(
                "%(user)s saved this transcript on %(date)s at %(time)s (revision "
                "%(revision)s), after the version this save started from; nothing was changed."
            ) % {"user": who, **when}
        super().__init__(message, code="stale")


def _validate(
    *,
    content: TranscriptContent,
    language: str,
    translation_language: str,
    final: bool,
) -> None:
    errors: dict[str, list[str]] = {}
    for field, value, limit in (
        ("text", content.text, MAX_TEXT_CHARS),
        ("translation", content.translation, MAX_TEXT_CHARS),
        ("notes", content.notes, MAX_NOTES_CHARS),
    ):
        if len(value) > limit:
            errors[field] = [
                _(
                    "This is %(count)s characters long; at most %(limit)s can be saved. Move "
                    "part of it elsewhere (the notes, or a file kept with the study admin)."
                )
                % {
                    "count": number_format(len(value), force_grouping=True),
                    "limit": number_format(limit, force_grouping=True),
                }
            ]
    for field, value in (("language", language), ("translation_language", translation_language)):
        if len(value) > MAX_LANGUAGE_CHARS:
            errors[field] = [
                _("Name the language in at most %(limit)s characters.")
                % {"limit": MAX_LANGUAGE_CHARS}
            ]
    if final:
        if not content.text.strip():
            errors.setdefault("text", []).append(
                _("A transcript without text cannot be marked as final.")
            )
        if not language:
            errors.setdefault("language", []).append(
                _("Say in which language the transcript is written before marking it final.")
            )
        if content.translation.strip() and not translation_language:
            errors.setdefault("translation_language", []).append(
                _("Say into which language the transcript was translated.")
            )
    if errors:
        raise ServiceError(errors)


def _locked_transcript(*, interview: Interview, by) -> tuple[Transcript, bool]:
    """The interview's transcript, locked; created empty (revision 0) if it has none. Two
    first saves at once: the database's one-to-one constraint lets one create it, and the
    other then finds it and is judged as a save based on revision 0."""
    transcript = Transcript.objects.select_for_update().filter(interview=interview).first()
    if transcript is not None:
        return transcript, False
    try:
        with transaction.atomic():
            transcript = Transcript.objects.create(
                study=interview.study,
                interview=interview,
                revision=0,
                ciphertext=b"",
                wrapped_key=b"",
                key_id="",
                updated_by=by,
                updated_at=timezone.now(),
            )
    except IntegrityError:
        return Transcript.objects.select_for_update().get(interview=interview), False
    return transcript, True


@transaction.atomic
def transcript_save(
    *,
    interview: Interview,
    by,
    base_revision: int,
    content: TranscriptContent,
    language: str = "",
    translation_language: str = "",
    final: bool = False,
    session: str = "",
    via: str = "web",
    upload: str = "",
) -> Transcript:
    """Save the transcript of an interview: create it (`base_revision` 0) or replace its
    text, notes, translation and languages, sealed under a fresh data key.

    A draft stays a draft until `final`; a final transcript stays final and each of its saves
    is kept as a `TranscriptRevision`. Locks the transcript row. Idempotent: content,
    languages and state equal to the stored ones write nothing. Raises `TranscriptConflict`
    for a save based on an older revision (unless the newer ones came from the same
    `session`), ServiceError (keyed by field) for text over the limits or a final transcript
    without text or language. One audit event per write, without the text: `via` says how it
    came (web, autosave, api) and `upload` the kind of file it was read from, if any."""
    content = content.normalized()
    language = (language or "").strip()
    translation_language = (translation_language or "").strip()
    if base_revision < 0:
        raise ServiceError({"revision": [_("The revision number is not valid.")]})
    transcript, created = _locked_transcript(interview=interview, by=by)
    was_final = transcript.state == TranscriptState.FINAL
    _validate(
        content=content,
        language=language,
        translation_language=translation_language,
        final=final or was_final,
    )
    if base_revision > transcript.revision:
        raise ServiceError(
            {
                "revision": [
                    _("This transcript has no revision %(revision)s yet.")
                    % {"revision": base_revision}
                ]
            }
        )

    target_state = TranscriptState.FINAL if final or was_final else TranscriptState.DRAFT
    if not created and transcript.revision:
        unchanged = (
            transcript_content(transcript) == content
            and transcript.language == language
            and transcript.translation_language == translation_language
            and transcript.state == target_state
        )
        if unchanged:
            return transcript  # a re-send: nothing to write, nothing to refuse
    stale = base_revision != transcript.revision
    if stale and not (session and transcript.editor_session == session):
        raise TranscriptConflict(current=transcript, by=by)

    now = timezone.now()
    transcript.revision += 1
    sealed = seal_blob(data=content.to_bytes(), context=transcript.context)
    transcript.ciphertext = sealed.ciphertext
    transcript.wrapped_key = sealed.wrapped_key
    transcript.key_id = sealed.key_id
    transcript.language = language
    transcript.translation_language = translation_language
    transcript.state = target_state
    transcript.editor_session = session[:64]
    transcript.updated_by = by
    transcript.updated_at = now
    becomes_final = target_state == TranscriptState.FINAL and not was_final
    if becomes_final:
        transcript.finalized_at = now
    transcript.full_clean(exclude=["ciphertext", "wrapped_key", "interview", "study"])
    transcript.save()

    if target_state == TranscriptState.FINAL:
        _keep_revision(transcript=transcript, content=content, by=by, at=now)
    data = {"revision": transcript.revision, "state": str(target_state), "via": via}
    if upload:
        data["upload"] = upload
    audit_record(
        actor=by,
        study=interview.study,
        action="transcript.finalized" if becomes_final else "transcript.saved",
        target_type="transcript",
        target_id=str(interview.client_uuid),
        data=data,
    )
    logger.info("transcript %s saved as revision %s", transcript.pk, transcript.revision)
    return transcript


def _keep_revision(*, transcript: Transcript, content: TranscriptContent, by, at) -> None:
    revision = TranscriptRevision(
        transcript=transcript,
        number=transcript.revision,
        language=transcript.language,
        translation_language=transcript.translation_language,
        saved_by=by,
        saved_at=at,
    )
    # Its own data key and context: a revision opens only as this revision.
    sealed = seal_blob(data=content.to_bytes(), context=revision.context)
    revision.ciphertext = sealed.ciphertext
    revision.wrapped_key = sealed.wrapped_key
    revision.key_id = sealed.key_id
    revision.save()


def append_text(current: str, addition: str) -> str:
    """The text with `addition` after it, a blank line between (none for an empty text)."""
    current = normalize_text(current).rstrip("\n")
    if not current.strip():
        return addition
    return f"{current}\n\n{addition}"
