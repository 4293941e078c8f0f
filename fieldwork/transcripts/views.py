"""Pages for an interview's transcript: reading it, and typing, pasting or uploading it.

The editing page is a plain form that works without JavaScript (save the draft, mark as
final, read a file); with JavaScript it also autosaves the draft through htmx, in small
requests, and keeps unsaved text in the browser until the server has it. A save refused
because someone saved meanwhile shows the typed text again, beside the saved version."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods
from django_htmx.http import trigger_client_event

from fieldwork.accounts.permissions import Perm, study_for
from fieldwork.core.uploads import InMemoryLimitedUploadHandler
from fieldwork.core.web import add_service_error, render_page, study_context
from fieldwork.transcripts.content import TranscriptContent
from fieldwork.transcripts.documents import (
    MAX_FILE_BYTES,
    DocumentError,
    ExtractedText,
    extract_text,
)
from fieldwork.transcripts.forms import TranscriptForm, UploadMode, language_label
from fieldwork.transcripts.selectors import (
    can_edit_transcript,
    transcript_content,
    transcript_for_reader,
    transcript_interview,
    transcript_of,
    transcript_revision,
    transcript_revision_content,
    transcript_revisions,
)
from fieldwork.transcripts.services import TranscriptConflict, append_text, transcript_save

#: Seconds between two autosaves of a draft that changed.
AUTOSAVE_SECONDS = 20


# --- Reading -----------------------------------------------------------------------------------


@login_required
def transcript_detail(request, slug, interview_id):
    study = study_for(request.user, slug, need=Perm.TRANSCRIPT_VIEW)
    interview = transcript_interview(study=study, user=request.user, interview_id=interview_id)
    transcript = transcript_for_reader(user=request.user, interview=interview)
    revisions = list(transcript_revisions(transcript))
    shown = None
    number = request.GET.get("revision", "")
    if number:
        if transcript is None or not number.isdigit():
            raise Http404
        shown = transcript_revision(transcript, int(number))
        if shown is None:
            raise Http404
        content = transcript_revision_content(shown)
        language, translation_language = shown.language, shown.translation_language
    else:
        content = transcript_content(transcript)
        language = transcript.language if transcript else ""
        translation_language = transcript.translation_language if transcript else ""
    ctx = study_context(
        request,
        study,
        interview=interview,
        transcript=transcript,
        content=content,
        language=language_label(language),
        translation_language=language_label(translation_language),
        revisions=revisions,
        shown_revision=shown,
        can_edit=can_edit_transcript(request.user, interview),
    )
    return render_page(request, "transcripts/detail.html", ctx)


# --- Writing -----------------------------------------------------------------------------------


@csrf_exempt  # the CSRF check runs in _transcript_edit, once the upload handler is in place
@require_http_methods(["GET", "POST"])
def transcript_edit(request, slug, interview_id):
    if request.method == "POST":
        # Before anything reads the body: the uploaded file stays in memory, never on disk.
        request.upload_handlers = [InMemoryLimitedUploadHandler(request, limit=MAX_FILE_BYTES)]
    return _transcript_edit(request, slug, interview_id)


@csrf_protect
@login_required
def _transcript_edit(request, slug, interview_id):
    study = study_for(request.user, slug, need=Perm.TRANSCRIPT_EDIT)
    interview = transcript_interview(study=study, user=request.user, interview_id=interview_id)
    transcript = transcript_of(interview=interview)
    if request.method == "GET":
        initial = TranscriptForm.initial_for(
            transcript=transcript,
            content=transcript_content(transcript),
            interview=interview,
            session=uuid.uuid4().hex,
        )
        return _edit_page(request, study, interview, transcript, TranscriptForm(initial=initial))

    form = TranscriptForm(request.POST, request.FILES)
    action = request.POST.get("action", "save")
    autosave = action == "autosave" and bool(request.htmx)
    form.is_valid()
    for name in request.upload_handlers[0].too_large:
        form.add_error("upload", _too_large(name))
    text, extracted = _text_with_upload(form)
    if form.errors:
        return _refused(request, study, interview, transcript, form, autosave=autosave)

    data = form.cleaned_data
    try:
        saved = transcript_save(
            interview=interview,
            by=request.user,
            base_revision=data["revision"],
            content=TranscriptContent(
                text=text, notes=data["notes"], translation=data["translation"]
            ),
            language=data["language"],
            translation_language=data["translation_language"],
            final=action == "final",
            session=data["session"],
            via="autosave" if autosave else "web",
            upload=extracted.kind if extracted else "",
        )
    except TranscriptConflict as exc:
        # The typed text (with the file's, if one was read) comes back, now based on the
        # saved revision: saving again is a conscious choice to replace it.
        form = _rebased(form, text=text, revision=exc.current.revision)
        form.add_error(None, exc.messages)
        form.add_error(
            None,
            _(
                "Your text is shown below, next to the saved version. Saving again replaces "
                "the saved version with yours."
            ),
        )
        return _refused(
            request, study, interview, exc.current, form, autosave=autosave, conflict=True
        )
    except ValidationError as exc:
        add_service_error(form, exc)
        return _refused(request, study, interview, transcript, form, autosave=autosave)

    if autosave:
        response = render(request, "transcripts/edit.html#status", _status(saved, state="saved"))
        return trigger_client_event(
            response,
            "transcript-saved",
            # The page's own session, even when its text matched another's save.
            {"revision": saved.revision, "session": data["session"]},
        )
    message = _saved_message(
        saved,
        changed=saved.revision != (transcript.revision if transcript else 0),
        extracted=extracted,
        appended=data["upload_mode"] == UploadMode.APPEND,
    )
    messages.success(request, message)
    return redirect(
        "transcripts:transcript-edit", slug=study.slug, interview_id=interview.client_uuid
    )


def _too_large(name: str) -> str:
    return _("The file “%(name)s” is larger than %(limit)s; it was not read.") % {
        "name": name,
        "limit": filesizeformat(MAX_FILE_BYTES),
    }


def _text_with_upload(form: TranscriptForm) -> tuple[str, ExtractedText | None]:
    """The transcript text to save: as typed, or with the uploaded file's text in its place
    or after it. A file that cannot be read becomes an error on the form."""
    data = getattr(form, "cleaned_data", {})
    text = data.get("text", "")
    upload = data.get("upload")
    if form.errors or not upload:
        return text, None
    try:
        extracted = extract_text(data=upload.read(), filename=upload.name)
    except DocumentError as exc:
        form.add_error("upload", str(exc))
        return text, None
    if data.get("upload_mode") == UploadMode.APPEND:
        return append_text(text, extracted.text), extracted
    return extracted.text, extracted


def _rebased(form: TranscriptForm, *, text: str, revision: int) -> TranscriptForm:
    data = form.data.copy()
    data["text"] = text
    data["revision"] = str(revision)
    rebased = TranscriptForm(data)
    rebased.is_valid()
    return rebased


def _saved_message(
    transcript, *, changed: bool, extracted: ExtractedText | None, appended: bool
) -> str:
    if not changed:
        return _("Nothing had changed since the last save.")
    parts = []
    if extracted is not None:
        what = extracted.description
        if appended:
            parts.append(
                _("The file's text (%(what)s) was added after the transcript.") % {"what": what}
            )
        else:
            parts.append(_("The file's text (%(what)s) replaced the transcript.") % {"what": what})
    if transcript.state != transcript.State.FINAL:
        # The time is not last: English times end with a period ("2:58 a.m.").
        parts.append(
            _("At %(time)s, the draft was saved.") % {"time": _time(transcript.updated_at)}
        )
    elif transcript.finalized_at == transcript.updated_at:
        parts.append(_("The transcript is marked as final."))
    else:
        parts.append(
            _("Your corrections to the final transcript were saved (revision %(n)s).")
            % {"n": transcript.revision}
        )
    return " ".join(parts)


def _time(moment) -> str:
    return date_filter(timezone.localtime(moment), "TIME_FORMAT")


def _status(transcript, *, state: str, message: str = "") -> dict:
    if not message and transcript is not None and transcript.revision:
        message = _("Saved at %(time)s") % {"time": _time(transcript.updated_at)}
    return {"save_state": state, "save_message": message}


def _refused(request, study, interview, transcript, form, *, autosave: bool, conflict=False):
    """The save was refused: for an autosave, say so in the status line (the text stays in
    the page and the browser); otherwise show the page again with the typed text and the
    errors, and, for a conflict, the saved version beside it."""
    if autosave:
        if conflict:
            message = _conflict_status(request.user, transcript)
        else:
            message = _("Not saved: %(errors)s") % {"errors": " ".join(_form_messages(form))}
        ctx = _status(transcript, state="conflict" if conflict else "error", message=message)
        response = render(request, "transcripts/edit.html#status", ctx)
        return trigger_client_event(response, "transcript-not-saved", {"conflict": conflict})
    return _edit_page(
        request,
        study,
        interview,
        transcript,
        form,
        saved=False,
        conflict_content=transcript_content(transcript) if conflict else None,
        status=200,
    )


def _conflict_status(user, transcript) -> str:
    """The status line after an autosave refused for a conflict: who saved meanwhile."""
    if transcript.updated_by_id == user.pk:
        return _(
            "Not saved: you saved this transcript in another tab or window meanwhile. Press "
            "“Save the draft” to compare the two versions."
        )
    if transcript.updated_by_id is None:
        return _(
            "Not saved: someone else saved this transcript meanwhile. Press “Save the "
            "draft” to compare the two versions."
        )
    return _(
        "Not saved: %(user)s saved this transcript meanwhile. Press “Save the draft” to "
        "compare the two versions."
    ) % {"user": transcript.updated_by.get_username()}


def _form_messages(form) -> list[str]:
    out = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            out.append(f"{label}: {error}" if label else str(error))
    return out


def _edit_page(
    request,
    study,
    interview,
    transcript,
    form,
    *,
    saved: bool = True,
    conflict_content=None,
    status: int = 200,
):
    final = transcript is not None and transcript.state == transcript.State.FINAL
    ctx = study_context(
        request,
        study,
        interview=interview,
        transcript=transcript,
        form=form,
        final=final,
        # Autosave only a draft shown as stored; after a refusal the user decides.
        autosave=saved and not final,
        page_saved=saved,
        autosave_seconds=AUTOSAVE_SECONDS,
        conflict_content=conflict_content,
        revisions=list(transcript_revisions(transcript))[:20] if final else [],
        **_status(transcript, state="idle"),
    )
    return render_page(request, "transcripts/edit.html", ctx, status=status)
