"""Pages for importing KoboToolbox / ODK exports: the study's imports, uploading an export
(which only previews it), a batch's preview or outcome row by row, and the confirmation.

A batch is named by `?id=<uuid>` on its page and in the confirmation's form, never by a
guessable number; it is shown only to who may see it (see `selectors`)."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from fieldwork.accounts.permissions import Perm, study_for
from fieldwork.core.web import add_service_error, render_page, study_context
from fieldwork.imports import forms
from fieldwork.imports.models import ImportBatch
from fieldwork.imports.selectors import (
    import_batch_get,
    import_batch_list,
    import_row_interviews,
    import_versions,
)
from fieldwork.imports.services import (
    CONFLICT,
    CREATED,
    DUPLICATE,
    ERROR,
    MAX_IMPORT_BYTES,
    NEW,
    SKIPPED,
    ExportFile,
    batch_results,
    import_confirm,
    import_preview,
    other_form_warning,
)

PAGE_SIZE = 50
#: A preview of thousands of rows stays a light page on a slow connection.
ROWS_PER_PAGE = 100


def _version_label(version) -> str:
    instrument = version.instrument
    return _("%(title)s, version %(version)s (%(status)s)") % {
        "title": instrument.title or instrument.form_id,
        "version": version.version,
        "status": version.get_status_display(),
    }


def _detail_url(study, batch: ImportBatch) -> str:
    return f"{reverse('imports:import-detail', args=[study.slug])}?id={batch.public_id}"


@login_required
def import_list_view(request, slug):
    study = study_for(request.user, slug, need=Perm.INTERVIEW_RECORD)
    page = Paginator(import_batch_list(study=study, user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    ctx = study_context(request, study, page=page)
    return render_page(request, "imports/list.html", ctx, partial="rows")


@login_required
def import_create_view(request, slug):
    study = study_for(request.user, slug, need=Perm.INTERVIEW_RECORD)
    versions = [(v, _version_label(v)) for v in import_versions(study=study)]
    posted = request.method == "POST"
    form = forms.ImportUploadForm(
        request.POST if posted else None, request.FILES if posted else None, versions=versions
    )
    if posted and form.is_valid():
        # One byte past the limit is enough for the service to refuse a file too large;
        # the size the upload declares lets it say how large.
        files = [
            ExportFile(name=f.name, content=f.read(MAX_IMPORT_BYTES + 1), size=f.size)
            for f in form.cleaned_data["files"]
        ]
        try:
            batch = import_preview(
                study=study,
                by=request.user,
                instrument_version=form.cleaned_data["instrument_version"],
                files=files,
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            return redirect(_detail_url(study, batch))
    ctx = study_context(request, study, form=form, has_versions=bool(versions))
    return render_page(request, "imports/create.html", ctx)


def _batch_or_404(request, study, value):
    try:
        public_id = uuid.UUID(str(value))
    except ValueError:
        raise Http404 from None
    batch = import_batch_get(study=study, user=request.user, public_id=public_id)
    if batch is None:
        raise Http404
    return batch


STATUS_LABELS = {
    NEW: gettext_lazy("New"),
    DUPLICATE: gettext_lazy("Already imported"),
    CONFLICT: gettext_lazy("In conflict"),
    ERROR: gettext_lazy("Error"),
    CREATED: gettext_lazy("Imported"),
    SKIPPED: gettext_lazy("Not imported"),
}


@login_required
def import_detail_view(request, slug):
    study = study_for(request.user, slug, need=Perm.INTERVIEW_RECORD)
    if not request.GET.get("id"):
        return redirect("imports:import-list", slug=study.slug)
    batch = _batch_or_404(request, study, request.GET["id"])
    results = batch_results(batch=batch)
    rows = [(row, str(STATUS_LABELS.get(row.status, row.status))) for row in results.rows]
    error_count = sum(1 for row, _label in rows if row.errors)
    # Rows with errors first: they are what the uploader has to act on.
    only_errors = bool(error_count) and request.GET.get("show") != "all"
    shown = [(row, label) for row, label in rows if row.errors] if only_errors else rows
    page = Paginator(shown, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    # The interviews the rows point to, linked (and a conflict's answers shown) only for
    # who may see them: a row of this batch may name another researcher's interview.
    visible = import_row_interviews(
        study=study, user=request.user, uuids=[row.interview for row, _label in page]
    )
    # (row, status label, whether its interview opens, whether its answers are shown)
    entries = [
        (row, label, row.interview in visible, visible.get(row.interview, False))
        for row, label in page
    ]
    query = request.GET.copy()
    query.pop("page", None)
    may_confirm = (
        batch.state == ImportBatch.State.PREVIEWED and batch.uploaded_by_id == request.user.pk
    )
    confirm_form = forms.ImportConfirmForm(initial={"batch": batch.public_id, "mode": batch.mode})
    ctx = study_context(
        request,
        study,
        batch=batch,
        version_label=_version_label(batch.instrument_version),
        results=results,
        other_form=other_form_warning(results=results, version=batch.instrument_version),
        entries=entries,
        page=page,
        query=query.urlencode(),
        only_errors=only_errors,
        error_count=error_count,
        may_confirm=may_confirm,
        confirm_form=confirm_form,
    )
    return render_page(request, "imports/detail.html", ctx, partial="rows")


@login_required
@require_POST
def import_confirm_view(request, slug):
    study = study_for(request.user, slug, need=Perm.INTERVIEW_RECORD)
    form = forms.ImportConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an import and what to import from it."))
        return redirect("imports:import-list", slug=study.slug)
    batch = _batch_or_404(request, study, form.cleaned_data["batch"])
    try:
        batch = import_confirm(batch=batch, by=request.user, mode=form.cleaned_data["mode"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _outcome_message(batch))
    return redirect(_detail_url(study, batch))


def _outcome_message(batch: ImportBatch) -> str:
    if batch.created_count == 0 and batch.duplicate_count == batch.row_count:
        return ngettext(
            "Nothing new: the row was already imported.",
            "Nothing new: all %(count)s rows were already imported.",
            batch.row_count,
        ) % {"count": batch.row_count}
    parts = [
        ngettext(
            "%(count)s interview imported.", "%(count)s interviews imported.", batch.created_count
        )
        % {"count": batch.created_count}
    ]
    if batch.duplicate_count:
        parts.append(
            ngettext(
                "%(count)s row was already imported.",
                "%(count)s rows were already imported.",
                batch.duplicate_count,
            )
            % {"count": batch.duplicate_count}
        )
    if batch.conflict_count:
        parts.append(
            ngettext(
                "%(count)s row differs from the interview stored under its instance ID: it is "
                "kept as a conflict, not imported.",
                "%(count)s rows differ from the interviews stored under their instance IDs: "
                "they are kept as conflicts, not imported.",
                batch.conflict_count,
            )
            % {"count": batch.conflict_count}
        )
    if batch.skipped_count:
        parts.append(
            ngettext(
                "%(count)s row with errors was not imported (listed below).",
                "%(count)s rows with errors were not imported (listed below).",
                batch.skipped_count,
            )
            % {"count": batch.skipped_count}
        )
    return " ".join(parts)
