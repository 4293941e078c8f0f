"""Web entry of questionnaires: the study's published forms, and a page that fills one with
ODK Web Forms (webforms/src/main.js) and sends it to the study's OpenRosa submission URL,
the path phones use, so a web interview is checked and stored as a phone's is."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from fieldwork.accounts.permissions import Perm, study_for
from fieldwork.core.web import render_page, study_context
from fieldwork.webforms.assets import BUILD_COMMAND, bundle_built
from fieldwork.webforms.selectors import fillable_version_get, fillable_versions, is_encrypted

MEDIA_PLACEHOLDER = "__file__"


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


@login_required
@require_GET
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
        media = {"slug": study.slug, "xform_id": xform_id, "filename": MEDIA_PLACEHOLDER}
        ctx["config"] = {
            "submissionUrl": reverse("openrosa:submission", kwargs={"slug": study.slug}),
            # The form's images and CSV lists, from where phones get them; main.js puts the
            # file name in place of the placeholder.
            "mediaUrl": reverse("openrosa:form-media", kwargs=media),
            "mediaPlaceholder": MEDIA_PLACEHOLDER,
            "csrfToken": get_token(request),
            "messages": _browser_messages(),
        }
    return render_page(request, "webforms/fill.html", ctx)
