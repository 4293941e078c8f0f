"""Pages for reviewing interviews: the supervisors' queue, an interview with its versions and
review history, and the review and comment forms.

An interview is only ever shown by its source's code: no page here decrypts an identity."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fieldwork.accounts.permissions import Perm, can_edit_interview, has_perm, study_for
from fieldwork.core.web import add_service_error, file_download, render_page, study_context
from fieldwork.instruments.selectors import instrument_list, version_choices, version_questions
from fieldwork.instruments.xlsform import pick_text
from fieldwork.interviews import forms
from fieldwork.interviews.models import InterviewStatus, InterviewVersion
from fieldwork.interviews.selectors import (
    can_comment,
    can_review,
    can_submit,
    flatten_answers,
    interview_attachment,
    interview_conflict,
    interview_conflicts,
    interview_get,
    interview_page_ids,
    interview_queue,
    interview_researcher_choices,
    interview_review_history,
    interview_rows,
    interview_source_participates,
    interview_state_counts,
    interview_version_diff,
    interview_versions,
    version_content_for,
)
from fieldwork.interviews.services import (
    ALLOWED,
    attachment_open,
    conflict_open,
    interview_comment,
    interview_review,
    interview_submit,
)
from fieldwork.openrosa.selectors import received_counts
from fieldwork.studies.selectors import place_choices
from fieldwork.webforms.selectors import CORRECTABLE_FORMATS, is_encrypted

PAGE_SIZE = 50
_INSTANCE = re.compile(r"\[(\d+)\]")

# --- Access ----------------------------------------------------------------------------------


# --- Queue -----------------------------------------------------------------------------------


@login_required
def interview_list_view(request, slug):
    study = study_for(request.user, slug, need=Perm.INTERVIEW_VIEW)
    reviewer = has_perm(request.user, study, Perm.INTERVIEW_REVIEW)
    # A reviewer's queue opens on what waits for them; the state filter shows it and can be
    # set to "Any".
    waiting_default = reviewer and not request.GET
    data = {"state": forms.WAITING} if waiting_default else request.GET
    filters = forms.InterviewFilterForm(
        data,
        researchers=[(u, u.username) for u in interview_researcher_choices(study=study)],
        places=place_choices(study=study),
        instruments=[(i, i.title or i.form_id) for i in instrument_list(study=study)],
    )
    criteria = filters.criteria() if filters.is_valid() else {}
    state = filters.cleaned_data.get("state", "") if filters.is_valid() else ""
    waiting = state == forms.WAITING
    status = "" if waiting else state  # "waiting" is not a state but a filter of its own
    interviews = interview_queue(
        study=study, user=request.user, status=status, waiting=waiting, **criteria
    )
    state_counts = interview_state_counts(study=study, user=request.user, **criteria)
    counts = [
        (value, label, state_counts.per_state.get(value, 0))
        for value, label in InterviewStatus.choices
    ]
    paginator = Paginator(interview_page_ids(interviews), PAGE_SIZE)
    # Known from the per-state counts: no second COUNT over the study's interviews.
    paginator.count = state_counts.matching(status=status, waiting=waiting)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = interview_rows(interviews, page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    if waiting_default:
        query["state"] = forms.WAITING
    # The per-state links keep the other filters, as their counts do.
    other_filters = query.copy()
    other_filters.pop("state", None)
    ctx = study_context(
        request,
        study,
        filters=filters,
        page=page,
        counts=counts,
        query=query.urlencode(),
        other_filters=other_filters.urlencode(),
        waiting_default=waiting_default,
        received=(
            received_counts(study=study, user=request.user)
            if has_perm(request.user, study, Perm.INTERVIEW_RECORD)
            else None
        ),
    )
    return render_page(request, "interviews/list.html", ctx, partial="rows")


# --- Detail ----------------------------------------------------------------------------------


def _labeller(versions):
    """Two functions reading answers as the questionnaire words them, per questionnaire
    version: `label(version, path)` names a flattened answer path by its question's label
    (groups and repeats included, repeat instances numbered); `show(version, path, value)`
    gives a choice's label instead of its stored name ("money phone" → "Money, Phone")."""
    language = translation.get_language() or ""
    labels: dict[int, dict[str, str]] = {}
    lists: dict[int, dict[str, str]] = {}
    choice_labels: dict[int, dict[tuple[str, str], str]] = {}
    for iv in {v.instrument_version_id: v.instrument_version for v in versions}.values():

        def text(texts, name, iv=iv):
            return pick_text(texts, language=language, default_language=iv.default_language) or name

        questions = list(version_questions(version=iv))
        labels[iv.pk] = {q.path: text(q.labels, q.name) for q in questions}
        lists[iv.pk] = {q.path: q.list_name for q in questions if q.list_name}
        choice_labels[iv.pk] = {
            (c.list_name, c.name): text(c.labels, c.name) for c in version_choices(version=iv)
        }

    def label(version, path: str) -> str:
        known = labels.get(version.instrument_version_id, {})
        parts, prefix = [], ""
        for segment in path.split("/"):
            name = _INSTANCE.sub("", segment)
            prefix = f"{prefix}/{name}" if prefix else name
            text = known.get(prefix, name)
            instance = _INSTANCE.search(segment)
            parts.append(f"{text} {instance.group(1)}" if instance else text)
        return " › ".join(parts)

    def show(version, path: str, value) -> str:
        list_name = lists.get(version.instrument_version_id, {}).get(_INSTANCE.sub("", path))
        if not list_name or not isinstance(value, str) or not value.strip():
            return _show(value)
        names = choice_labels.get(version.instrument_version_id, {})
        return ", ".join(names.get((list_name, v), v) for v in value.split())

    return label, show


def _show(value) -> str:
    return "—" if value is None or value == "" else str(value)


def _detail_context(request, study, interview, *, review_form=None, comment_form=None) -> dict:
    versions = list(interview_versions(interview))
    label, show = _labeller(versions)
    current = next((v for v in versions if v.pk == interview.current_version_id), None)
    # Decrypted submissions' answers open from their seal, once per version; direct
    # identifiers (and the files they name) hidden from readers who may not see them.
    visible = {version.pk: version_content_for(request.user, version) for version in versions}
    contents = {pk: (seen.answers, seen.problems) for pk, seen in visible.items()}
    for version in versions:
        hidden = visible[version.pk].hidden_files
        version.visible_files = [f for f in version.attachments.all() if f.name not in hidden]
    answers, problems = [], []
    if current is not None:
        current_answers, problems = contents[current.pk]
        answers = [
            (path, label(current, path), show(current, path, value))
            for path, value in flatten_answers(current_answers).items()
        ]
    history = []
    for previous, version in zip([None, *versions], versions, strict=False):
        diff = []
        if previous is not None:
            shown = [
                (label(version, path), show(previous, path, old), show(version, path, new))
                for path, old, new in interview_version_diff(
                    contents[previous.pk][0], contents[version.pk][0]
                )
            ]
            # An answer absent on one side and blank on the other reads "— → —": no change
            # a reader can see.
            diff = [row for row in shown if row[1] != row[2]]
        history.append((version, diff))
    reviewer = can_review(request.user, interview)
    next_states = [
        (value, text)
        for value, text in InterviewStatus.choices
        if value in ALLOWED.get(interview.status, frozenset())
    ]
    return study_context(
        request,
        study,
        interview=interview,
        current=current,
        answers=answers,
        problems=problems,
        history=history,
        events=interview_review_history(interview),
        can_review=reviewer,
        can_comment=can_comment(request.user, interview),
        can_submit=can_submit(request.user, interview),
        # In the browser (ODK Web Forms), unless the phone encrypted the answers.
        can_correct=(
            current is not None
            and current.payload_format in CORRECTABLE_FORMATS
            and not is_encrypted(current.instrument_version)
            and interview.status != InterviewStatus.APPROVED
            and can_edit_interview(request.user, interview)
        ),
        conflicts=list(interview_conflicts(interview)) if reviewer else [],
        source_participates=interview_source_participates(interview),
        next_states=next_states,
        review_form=review_form or forms.ReviewForm(),
        comment_form=comment_form or forms.CommentForm(),
    )


@login_required
def interview_detail(request, slug, interview_id):
    study = study_for(request.user, slug, need=Perm.INTERVIEW_VIEW)
    interview = interview_get(study=study, user=request.user, interview_id=interview_id)
    return render_page(
        request, "interviews/detail.html", _detail_context(request, study, interview)
    )


@login_required
@require_POST
def interview_submit_view(request, slug, interview_id):
    """The field researcher sends her draft for review."""
    study = study_for(request.user, slug, need=Perm.INTERVIEW_RECORD)
    interview = interview_get(study=study, user=request.user, interview_id=interview_id)
    if interview.researcher_id != request.user.pk:
        raise PermissionDenied
    try:
        interview = interview_submit(interview=interview, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The interview was sent for review."))
    return redirect(
        "interviews:interview-detail", slug=study.slug, interview_id=interview.client_uuid
    )


@login_required
@require_POST
def interview_review_view(request, slug, interview_id):
    study = study_for(request.user, slug, need=Perm.INTERVIEW_REVIEW)
    interview = interview_get(study=study, user=request.user, interview_id=interview_id)
    form = forms.ReviewForm(request.POST)
    if form.is_valid():
        try:
            interview = interview_review(
                interview=interview,
                by=request.user,
                to=form.cleaned_data["to"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("The interview is now “%(state)s”.") % {"state": interview.get_status_display()},
            )
            return redirect(
                "interviews:interview-detail", slug=study.slug, interview_id=interview.client_uuid
            )
    ctx = _detail_context(request, study, interview, review_form=form)
    return render_page(request, "interviews/detail.html", ctx)


@login_required
@require_POST
def interview_comment_view(request, slug, interview_id):
    study = study_for(request.user, slug, need=Perm.INTERVIEW_VIEW)
    interview = interview_get(study=study, user=request.user, interview_id=interview_id)
    if not can_comment(request.user, interview):
        if interview.researcher_id != request.user.pk:
            raise PermissionDenied
        # Her own interview, not (or no longer) marked as having issues: say when she can
        # answer rather than blame her role.
        messages.error(
            request, _("You can answer once a supervisor marks the interview “has issues”.")
        )
        ctx = _detail_context(request, study, interview)
        return render_page(request, "interviews/detail.html", ctx, status=403)
    form = forms.CommentForm(request.POST)
    if form.is_valid():
        try:
            interview_comment(interview=interview, by=request.user, text=form.cleaned_data["text"])
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Your comment was added to the review history."))
            return redirect(
                "interviews:interview-detail", slug=study.slug, interview_id=interview.client_uuid
            )
    ctx = _detail_context(request, study, interview, comment_form=form)
    return render_page(request, "interviews/detail.html", ctx)


@login_required
def interview_attachment_view(request, slug, interview_id, version_number, filename):
    """A file sent with the interview, opened from its seal for someone who may see the
    interview (coders listen to recordings to code them); each opening is audited."""
    study = study_for(request.user, slug, need=Perm.INTERVIEW_VIEW)
    interview = interview_get(study=study, user=request.user, interview_id=interview_id)
    attachment = interview_attachment(
        interview, number=version_number, name=filename, user=request.user
    )
    if attachment is None:
        raise Http404
    return file_download(
        attachment_open(attachment=attachment, by=request.user),
        filename=attachment.name,
        content_type=attachment.content_type,
    )


_CONFLICT_FILES = {
    InterviewVersion.Format.JSON: ("json", "application/json"),
    InterviewVersion.Format.EXPORT_ROW: ("json", "application/json"),
}


@login_required
def interview_conflict_view(request, slug, interview_id, conflict_id):
    """A refused submission's body exactly as it arrived, for a reviewer; each download is
    audited (the body holds the answers, identifiers included)."""
    study = study_for(request.user, slug, need=Perm.INTERVIEW_REVIEW)
    interview = interview_get(study=study, user=request.user, interview_id=interview_id)
    conflict = interview_conflict(interview, conflict_id=conflict_id)
    if conflict is None:
        raise Http404
    extension, content_type = _CONFLICT_FILES.get(
        conflict.payload_format, ("xml", "application/xml")
    )
    return file_download(
        conflict_open(conflict=conflict, by=request.user),
        filename=f"conflict-{conflict.instance_id}-{conflict.pk}.{extension}",
        content_type=content_type,
    )
