"""The transcript's card on the interview page, which gets what it needs itself: the
interview page's view knows nothing of transcripts."""

from django import template

from fieldwork.accounts.permissions import Perm, has_perm
from fieldwork.interviews.selectors import interview_visible_to
from fieldwork.transcripts.forms import language_label
from fieldwork.transcripts.selectors import transcript_for_reader

register = template.Library()


@register.simple_tag(takes_context=True)
def transcript_card(context, interview) -> dict:
    """What the card shows: whether the user may read or edit the interview's transcript,
    and its state and language (never its text)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    study = interview.study
    readable = has_perm(user, study, Perm.TRANSCRIPT_VIEW) and (
        interview_visible_to(study=study, user=user).filter(pk=interview.pk).exists()
    )
    if not readable:
        return {"visible": False}
    transcript = transcript_for_reader(user=user, interview=interview)
    return {
        "visible": True,
        "transcript": transcript,
        "language": language_label(transcript.language) if transcript else "",
        "can_edit": has_perm(user, study, Perm.TRANSCRIPT_EDIT),
    }
