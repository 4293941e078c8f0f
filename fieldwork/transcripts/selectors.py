"""Reads about transcripts. Who may read or write one follows the interview it belongs to:
`interview_visible_to` (a field researcher only her own interviews) and the TRANSCRIPT_*
permissions (coders read, analysts never)."""

from django.db.models import QuerySet

from fieldwork.accounts.permissions import Perm, has_perm
from fieldwork.interviews.models import Interview
from fieldwork.interviews.selectors import interview_get, interview_visible_to
from fieldwork.sources.blobs import open_blob
from fieldwork.transcripts.content import TranscriptContent
from fieldwork.transcripts.models import Transcript, TranscriptRevision, TranscriptState


def transcript_interview(*, study, user, interview_id) -> Interview:
    """The interview whose transcript is asked for, if the user may see it; 404 otherwise
    (the same answer for "missing" and "not yours")."""
    return interview_get(study=study, user=user, interview_id=interview_id)


def can_read_transcript(user, interview: Interview) -> bool:
    if not has_perm(user, interview.study, Perm.TRANSCRIPT_VIEW):
        return False
    return interview_visible_to(study=interview.study, user=user).filter(pk=interview.pk).exists()


def can_edit_transcript(user, interview: Interview) -> bool:
    """The field researcher who recorded the interview, supervisors and study admins."""
    if not has_perm(user, interview.study, Perm.TRANSCRIPT_EDIT):
        return False
    return interview_visible_to(study=interview.study, user=user).filter(pk=interview.pk).exists()


def transcript_of(*, interview: Interview) -> Transcript | None:
    return Transcript.objects.select_related("updated_by").filter(interview=interview).first()


def transcript_for_reader(*, user, interview: Interview) -> Transcript | None:
    """The interview's transcript as `user` may read it (see `can_read_transcript`): None
    when nothing was saved yet, and while it is a draft for a reader who may not edit it.
    A coder codes final text: a draft is the field researcher's work in progress, which may
    still hold what they mean to take out (a name first)."""
    transcript = transcript_of(interview=interview)
    if transcript is None or not transcript.revision:
        return None
    if transcript.state == TranscriptState.DRAFT and not can_edit_transcript(user, interview):
        return None
    return transcript


def transcript_content(transcript: Transcript | None) -> TranscriptContent:
    """The text, notes and translation, opened; empty for an interview without transcript."""
    if transcript is None or not transcript.revision:
        return TranscriptContent()
    data = open_blob(
        ciphertext=transcript.ciphertext,
        wrapped_key=transcript.wrapped_key,
        key_id=transcript.key_id,
        context=transcript.context,
    )
    return TranscriptContent.from_bytes(data)


def transcript_revisions(transcript: Transcript | None) -> QuerySet[TranscriptRevision]:
    """The kept saves of a final transcript, newest first, without their sealed bytes."""
    if transcript is None:
        return TranscriptRevision.objects.none()
    return (
        TranscriptRevision.objects.filter(transcript=transcript)
        .select_related("saved_by")
        .defer("ciphertext", "wrapped_key")
        .order_by("-number")
    )


def transcript_revision(transcript: Transcript, number: int) -> TranscriptRevision | None:
    return (
        TranscriptRevision.objects.select_related("saved_by")
        .filter(transcript=transcript, number=number)
        .first()
    )


def transcript_revision_content(revision: TranscriptRevision) -> TranscriptContent:
    data = open_blob(
        ciphertext=revision.ciphertext,
        wrapped_key=revision.wrapped_key,
        key_id=revision.key_id,
        context=revision.context,
    )
    return TranscriptContent.from_bytes(data)
