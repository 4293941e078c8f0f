"""Pages for instruments: list, upload, a version's questions, publish, delete, disclosure
review, downloads. Each view: access helper, form, service or selector."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from fieldwork.accounts.permissions import Perm, study_for
from fieldwork.core.web import add_service_error, file_download, study_context
from fieldwork.instruments import forms
from fieldwork.instruments.models import InstrumentVersion
from fieldwork.instruments.selectors import (
    VersionComparison,
    form_media_list,
    instrument_list,
    instrument_version_get,
    version_choices,
    version_diff,
    version_questions,
)
from fieldwork.instruments.services import (
    MAX_UPLOAD_BYTES,
    instrument_upload,
    instrument_version_delete,
    instrument_version_publish,
    question_disclosure_set,
    version_media_add,
)
from fieldwork.instruments.xlsform import (
    pick_text,
    problem_from_dict,
    problem_text,
    takes_disclosure_role,
    xform_media_references,
)

#: Media types of the original file, by extension, for its download.
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    "xls": "application/vnd.ms-excel",
    "csv": "text/csv",
    "md": "text/markdown",
}


def _version_or_404(study, version_id: int) -> InstrumentVersion:
    version = instrument_version_get(study=study, version_id=version_id)
    if version is None:
        raise Http404
    return version


def _text(texts: dict, version: InstrumentVersion) -> str:
    return pick_text(
        texts, language=translation.get_language() or "", default_language=version.default_language
    )


def _diff_rows(comparison: VersionComparison, version: InstrumentVersion) -> dict:
    """The diff as table rows, with labels in the reader's language: {"questions": rows,
    "choice_lists": [(list diff, rows)]}; a row is {"kind", "name", "summary", "changes"}."""
    base, diff = comparison.base, comparison.diff

    def row(kind: str, name: str, summary: str = "", changes=()) -> dict:
        return {"kind": kind, "name": name, "summary": summary, "changes": changes}

    def question(kind: str, q, of: InstrumentVersion) -> dict:
        label = _text(q.labels, of)
        return row(kind, q.path, f"{q.type} — {label}" if label else q.type)

    questions = [
        *(question("added", q, version) for q in diff.added),
        *(question("removed", q, base) for q in diff.removed),
        *(row("changed", c.path, changes=c.changes) for c in diff.changed),
    ]
    choice_lists = [
        (
            listed,
            [
                *(row("added", c.name, _text(c.labels, version)) for c in listed.added),
                *(row("removed", c.name, _text(c.labels, base)) for c in listed.removed),
                *(row("changed", c.name, changes=c.changes) for c in listed.changed),
            ],
        )
        for listed in diff.choice_lists
    ]
    return {"questions": questions, "choice_lists": choice_lists}


@login_required
def instrument_list_view(request, slug):
    study = study_for(request.user, slug, need=Perm.INSTRUMENT_VIEW)
    ctx = study_context(request, study, instruments=instrument_list(study=study))
    return render(request, "instruments/list.html", ctx)


@login_required
def instrument_upload_view(request, slug):
    study = study_for(request.user, slug, need=Perm.INSTRUMENT_MANAGE)
    posted = request.method == "POST"
    form = forms.UploadForm(request.POST if posted else None, request.FILES if posted else None)
    problems = []
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        # One byte past the limit is enough for the service to refuse a file too large.
        content = upload.read(MAX_UPLOAD_BYTES + 1)
        try:
            version = instrument_upload(
                study=study, by=request.user, content=content, filename=upload.name
            )
        except ValidationError as exc:
            problems = getattr(exc, "problems", [])
            if problems:
                form.add_error(
                    "file",
                    ngettext(
                        "The form was not imported: fix the problem below and upload it again.",
                        "The form was not imported: fix the %(count)s problems below and "
                        "upload it again.",
                        len(problems),
                    )
                    % {"count": len(problems)},
                )
            else:
                add_service_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Version “%(version)s” of “%(form_id)s” was imported as a draft. Check its "
                    "questions and disclosure roles, then publish it."
                )
                % {"version": version.version, "form_id": version.instrument.form_id},
            )
            return redirect("instruments:version-detail", slug=study.slug, version_id=version.pk)
    ctx = study_context(request, study, form=form, problems=problems)
    return render(request, "instruments/upload.html", ctx)


@login_required
def version_detail(request, slug, version_id, *, media_form=None, status=200):
    study = study_for(request.user, slug, need=Perm.INSTRUMENT_VIEW)
    version = _version_or_404(study, version_id)
    questions = [
        {
            "q": q,
            "label": _text(q.labels, version),
            "hint": _text(q.hints, version),
            "constraint_message": _text(q.constraint_message, version),
            "depth": q.path.count("/"),
            "structural": not takes_disclosure_role(q),
        }
        for q in version_questions(version=version)
    ]
    lists: dict[str, list] = {}
    for choice in version_choices(version=version):
        lists.setdefault(choice.list_name, []).append((choice, _text(choice.labels, version)))
    is_draft = version.status == InstrumentVersion.Status.DRAFT
    comparison = version_diff(version=version) if is_draft else None  # shown on drafts only
    media = {m.filename: m for m in form_media_list(version=version)}
    media_rows = [(name, media.get(name)) for name in xform_media_references(version.xform_xml)]
    ctx = study_context(
        request,
        study,
        version=version,
        instrument=version.instrument,
        questions=questions,
        choice_lists=sorted(lists.items()),
        warnings=[problem_text(problem_from_dict(w)) for w in version.warnings],
        comparison=comparison,
        diff=_diff_rows(comparison, version) if comparison else None,
        suggested_count=sum(1 for r in questions if r["q"].disclosure_suggested),
        is_draft=is_draft,
        media_rows=media_rows,
        missing_media=[name for name, file in media_rows if file is None],
        media_form=media_form or forms.MediaForm(),
    )
    return render(request, "instruments/version_detail.html", ctx, status=status)


@login_required
@require_POST
def version_media(request, slug, version_id):
    study = study_for(request.user, slug, need=Perm.INSTRUMENT_MANAGE)
    version = _version_or_404(study, version_id)
    form = forms.MediaForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            version_media_add(
                version=version, by=request.user, filename=upload.name, content=upload.read()
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("“%(name)s” is added; phones fetch it with the form.") % {"name": upload.name},
            )
            return redirect("instruments:version-detail", slug=study.slug, version_id=version.pk)
    return version_detail(request, slug, version_id, media_form=form, status=400)


@login_required
@require_POST
def version_publish(request, slug, version_id):
    study = study_for(request.user, slug, need=Perm.INSTRUMENT_MANAGE)
    version = _version_or_404(study, version_id)
    try:
        instrument_version_publish(version=version, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Version “%(version)s” is published; phones receive it from now on.")
            % {"version": version.version},
        )
    return redirect("instruments:version-detail", slug=study.slug, version_id=version.pk)


@login_required
@require_POST
def version_delete(request, slug, version_id):
    study = study_for(request.user, slug, need=Perm.INSTRUMENT_MANAGE)
    version = _version_or_404(study, version_id)
    try:
        instrument_version_delete(version=version, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("instruments:version-detail", slug=study.slug, version_id=version.pk)
    messages.success(
        request, _("Draft version “%(version)s” was deleted.") % {"version": version.version}
    )
    return redirect("instruments:instrument-list", slug=study.slug)


@login_required
def version_disclosure(request, slug, version_id):
    study = study_for(request.user, slug, need=Perm.INSTRUMENT_MANAGE)
    version = _version_or_404(study, version_id)
    questions = [q for q in version_questions(version=version) if takes_disclosure_role(q)]
    data = request.POST if request.method == "POST" else None
    form = forms.DisclosureReviewForm(data, questions=questions)
    if request.method == "POST" and form.is_valid():
        try:
            count = question_disclosure_set(version=version, by=request.user, roles=form.roles())
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                ngettext(
                    "The disclosure role of %(count)s question was saved.",
                    "The disclosure roles of %(count)s questions were saved.",
                    count,
                )
                % {"count": count},
            )
            return redirect("instruments:version-detail", slug=study.slug, version_id=version.pk)
    rows = [{"q": q, "field": field, "label": _text(q.labels, version)} for q, field in form.rows()]
    ctx = study_context(
        request,
        study,
        version=version,
        instrument=version.instrument,
        form=form,
        rows=rows,
        suggested_count=sum(1 for q in questions if q.disclosure_suggested),
    )
    return render(request, "instruments/disclosure.html", ctx)


@login_required
@require_GET
def version_xform(request, slug, version_id):
    study = study_for(request.user, slug, need=Perm.INSTRUMENT_VIEW)
    version = _version_or_404(study, version_id)
    return file_download(
        version.xform_xml.encode(),
        filename=f"{version.instrument.form_id}-{version.version}.xml",
        content_type="application/xml; charset=utf-8",
        private=False,
    )


@login_required
@require_GET
def version_xlsform(request, slug, version_id):
    study = study_for(request.user, slug, need=Perm.INSTRUMENT_VIEW)
    version = _version_or_404(study, version_id)
    extension = version.original_filename.rsplit(".", 1)[-1].lower()
    return file_download(
        bytes(version.original_file),
        filename=version.original_filename,
        content_type=MEDIA_TYPES.get(extension, "application/octet-stream"),
        private=False,
    )
