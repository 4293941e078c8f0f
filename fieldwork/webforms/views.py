"""Web entry of questionnaires: the study's published forms, and a page that fills one with
ODK Web Forms (webforms/src/main.js) and sends it to the study's OpenRosa submission URL,
the path phones use, so a web interview is checked and stored as a phone's is."""

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from fieldwork.accounts.permissions import Perm, can_edit_interview, study_for
from fieldwork.core.web import render_page, study_context
from fieldwork.interviews.selectors import interview_get
from fieldwork.webforms.assets import BUILD_COMMAND, bundle_built
from fieldwork.webforms.selectors import (
    editable_xml,
    fillable_version_get,
    fillable_versions,
    is_encrypted,
)

MEDIA_PLACEHOLDER = "__file__"

#: The fill and correct pages may reach this server only. Web Forms draws a geopoint on an
#: OpenStreetMap map whose tiles, fetched around the point, would tell a third party where
#: an interview took place: the browser is told not to fetch them. (Its bundle evaluates
#: code at run time, hence 'unsafe-eval'; its components set inline styles.)
WEBFORM_CSP = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "script-src 'self' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "frame-ancestors 'none'",
    )
)


def _same_origin_only(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = WEBFORM_CSP
        return response

    return wrapped


@login_required
@require_GET
def form_list(request, slug):
    study = study_for(request.user, slug, need=Perm.INTERVIEW_RECORD)
    versions = [(v, is_encrypted(v)) for v in fillable_versions(study=study)]
    ctx = study_context(
        request,
        study,
        versions=versions,
        bundle_built=bundle_built(),
        build_command=BUILD_COMMAND,
    )
    return render_page(request, "webforms/list.html", ctx)


def _browser_messages() -> dict[str, str]:
    """What main.js says, translated here so the page speaks the user's language."""
    return {
        "sending": _("Sending the interview…"),
        "sent": _("The interview was received."),
        # %(status)s is filled in by the browser with the HTTP status code.
        "refused": _(
            "The server refused the interview (HTTP %(status)s). Your answers are still in "
            "the form."
        ),
        "offline": _(
            "The interview could not be sent: the server did not answer. Your answers are "
            "still in the form; check the connection and press “Send” again."
        ),
    }


def _media_url(study, xform_id: str) -> str:
    # The form's images and CSV lists, from where phones get them; main.js puts the file
    # name in place of the placeholder.
    media = {"slug": study.slug, "xform_id": xform_id, "filename": MEDIA_PLACEHOLDER}
    return reverse("openrosa:form-media", kwargs=media)


@login_required
@require_GET
@_same_origin_only
def form_fill(request, slug, xform_id):
    study = study_for(request.user, slug, need=Perm.INTERVIEW_RECORD)
    version = fillable_version_get(study=study, xform_id=xform_id)
    if version is None:
        raise Http404
    encrypted = is_encrypted(version)
    built = bundle_built()
    ctx = study_context(
        request,
        study,
        version=version,
        instrument=version.instrument,
        encrypted=encrypted,
        bundle_built=built,
        build_command=BUILD_COMMAND,
    )
    if built and not encrypted:
        ctx["form_xml"] = version.xform_xml
        ctx["config"] = {
            "submissionUrl": reverse("openrosa:submission", kwargs={"slug": study.slug}),
            "mediaUrl": _media_url(study, xform_id),
            "mediaPlaceholder": MEDIA_PLACEHOLDER,
            "csrfToken": get_token(request),
            "messages": _browser_messages(),
        }
    return render_page(request, "webforms/fill.html", ctx)


def _editable(request, slug, interview_id):
    """The study, the interview the caller may correct, and its current version's XML (None
    for a version that did not come as XForm XML: the API, an import)."""
    study = study_for(request.user, slug, need=Perm.INTERVIEW_RECORD)
    interview = interview_get(study=study, user=request.user, interview_id=interview_id)
    if not can_edit_interview(request.user, interview):
        raise PermissionDenied
    return study, interview, editable_xml(interview.current_version)


@login_required
@require_GET
@_same_origin_only
def form_edit(request, slug, interview_id):
    """Correct an interview in the browser: ODK Web Forms opens its current answers, and
    the corrected form goes to the OpenRosa endpoint as an edit (deprecatedID), which
    becomes the interview's next version, as an edit from ODK Collect does."""
    study, interview, xml = _editable(request, slug, interview_id)
    current = interview.current_version
    version = current.instrument_version
    encrypted = is_encrypted(version)
    built = bundle_built()
    back = reverse(
        "interviews:interview-detail",
        kwargs={"slug": study.slug, "interview_id": interview.client_uuid},
    )
    ctx = study_context(
        request,
        study,
        version=version,
        instrument=version.instrument,
        interview=interview,
        editing=True,
        editable=xml is not None,
        encrypted=encrypted,
        bundle_built=built,
        build_command=BUILD_COMMAND,
        back_url=back,
    )
    if built and not encrypted and xml is not None:
        files = {
            "slug": study.slug,
            "interview_id": interview.client_uuid,
            "version_number": current.number,
            "filename": MEDIA_PLACEHOLDER,
        }
        ctx["form_xml"] = version.xform_xml
        ctx["config"] = {
            "submissionUrl": reverse("openrosa:submission", kwargs={"slug": study.slug}),
            "mediaUrl": _media_url(study, version.instrument.form_id),
            "mediaPlaceholder": MEDIA_PLACEHOLDER,
            "csrfToken": get_token(request),
            "messages": {
                **_browser_messages(),
                "sent": _("The correction was received: it is the interview's next version."),
            },
            "edit": {
                "instanceUrl": reverse(
                    "webforms:form-edit-instance",
                    kwargs={"slug": study.slug, "interview_id": interview.client_uuid},
                ),
                "attachmentFileNames": sorted(current.received_names),
                "attachmentUrl": reverse("interviews:interview-attachment", kwargs=files),
                "returnUrl": back,
            },
        }
    return render_page(request, "webforms/fill.html", ctx)


@login_required
@require_GET
def form_edit_instance(request, slug, interview_id):
    """The current version's answers as the XForm instance Web Forms opens for a correction."""
    _study, _interview, xml = _editable(request, slug, interview_id)
    if xml is None:
        raise Http404
    response = HttpResponse(xml, content_type="text/xml; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
