"""Pages for phones: the study's devices, a new device's QR code (shown once), revoking, and
what phones sent that is not an interview yet.

A field researcher makes a token for her own phone; supervisors and study admins for
anyone's, and revoke any. A submission the worker could not record is listed to its sender
and to reviewers; reviewers download its body and have it recorded again."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fieldwork.accounts.models import Membership
from fieldwork.accounts.permissions import PERM_ROLES, Perm, has_perm, study_for
from fieldwork.core.web import add_service_error, file_download, render_page, study_context
from fieldwork.openrosa.forms import DeviceForm
from fieldwork.openrosa.models import ReceivedSubmission
from fieldwork.openrosa.qr import collect_payload, collect_settings, qr_svg
from fieldwork.openrosa.selectors import (
    device_list,
    published_forms,
    received_counts,
    received_list,
)
from fieldwork.openrosa.services import (
    device_create,
    device_revoke,
    received_open,
    received_retry,
)

PAGE_SIZE = 50


def _researchers(study, user) -> list:
    if not has_perm(user, study, Perm.DEVICE_MANAGE):
        return [(user, user.username)]
    members = Membership.objects.filter(
        study=study, role__in=PERM_ROLES[Perm.INTERVIEW_RECORD]
    ).select_related("user")
    return [(m.user, m.user.username) for m in members.order_by("user__username")]


@login_required
def device_list_view(request, slug):
    study = study_for(request.user, slug, need=Perm.INTERVIEW_RECORD)
    form = DeviceForm(request.POST or None, researchers=_researchers(study, request.user))
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            device, token = device_create(
                study=study,
                by=request.user,
                researcher=form.cleaned_data["researcher"],
                label=form.cleaned_data["label"],
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            server_url = request.build_absolute_uri(
                reverse("openrosa:key-form-list", kwargs={"token": token, "slug": study.slug})
            ).removesuffix("/formList")
            payload = collect_payload(
                collect_settings(server_url=server_url, project_name=study.name)
            )
            created = {"device": device, "server_url": server_url, "qr": qr_svg(payload)}
            form = DeviceForm(researchers=_researchers(study, request.user))
    context = study_context(
        request,
        study,
        devices=device_list(study=study, user=request.user),
        form=form,
        created=created,
        forms=published_forms(study=study),
        can_manage=has_perm(request.user, study, Perm.DEVICE_MANAGE),
        received=received_counts(study=study, user=request.user),
    )
    response = render_page(request, "openrosa/devices.html", context)
    if created:
        response["Cache-Control"] = "no-store"  # the token is in this page, once
    return response


@login_required
@require_POST
def device_revoke_view(request, slug, device_id):
    study = study_for(request.user, slug, need=Perm.INTERVIEW_RECORD)
    device = get_object_or_404(device_list(study=study, user=request.user), pk=device_id)
    if not (has_perm(request.user, study, Perm.DEVICE_MANAGE) or device.researcher == request.user):
        raise PermissionDenied
    device_revoke(device=device, by=request.user)
    messages.success(
        request, _("“%(label)s” can no longer fetch forms or send interviews.") % {"label": device}
    )
    return redirect("devices:device-list", slug=study.slug)


@login_required
def received_list_view(request, slug):
    study = study_for(request.user, slug, need=Perm.INTERVIEW_RECORD)
    rows = received_list(study=study, user=request.user)
    context = study_context(
        request,
        study,
        page=Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        counts=received_counts(study=study, user=request.user),
        can_review=has_perm(request.user, study, Perm.INTERVIEW_REVIEW),
    )
    return render_page(request, "openrosa/received.html", context, partial="rows")


@login_required
@require_POST
def received_retry_view(request, slug, received_id):
    study = study_for(request.user, slug, need=Perm.INTERVIEW_REVIEW)
    row = get_object_or_404(received_list(study=study, user=request.user), pk=received_id)
    received_retry(received=row, by=request.user)
    messages.success(
        request,
        _("Submission %(id)s waits to be recorded again: this page shows it until it is.")
        % {"id": row.instance_id},
    )
    return redirect("devices:received-list", slug=study.slug)


@login_required
def received_body_view(request, slug, received_id):
    """The body exactly as the phone sent it; each download is audited (it holds the
    answers, identifiers included)."""
    study = study_for(request.user, slug, need=Perm.INTERVIEW_REVIEW)
    row = get_object_or_404(
        ReceivedSubmission.objects.select_related("study").filter(study=study), pk=received_id
    )
    return file_download(
        received_open(received=row, by=request.user),
        filename=f"received-{row.instance_id}.xml",
        content_type="application/xml",
    )
