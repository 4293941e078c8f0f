"""OpenRosa endpoints, as ODK Central serves them: form list, XForm download, manifest and
media, and the submission URL (HEAD/GET 204, multipart POST 201).

Two ways in, both per study:
- `/openrosa/key/<token>/<slug>/…`: the device token is in the URL (Central's app users);
  ODK Collect needs nothing else.
- `/openrosa/<slug>/…`: the browser session (Web Forms, with its CSRF token), or HTTP Basic
  where the password is a device token. Without either the answer is 401 with a Basic
  challenge, since Collect and Enketo ask for credentials only after one.

Every response carries `X-OpenRosa-Version: 1.0`; every request must (400 otherwise)."""

import base64
import binascii
import functools
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from lxml import etree

from fieldwork.accounts.permissions import Perm, has_perm, study_role
from fieldwork.core.web import file_download
from fieldwork.instruments.selectors import form_media_list
from fieldwork.instruments.xlsform import xform_media_references
from fieldwork.interviews.attachments import SubmissionFile
from fieldwork.openrosa.intake import submission_accept
from fieldwork.openrosa.models import Device, token_digest
from fieldwork.openrosa.selectors import (
    form_media_get,
    published_form_get,
    published_forms,
)
from fieldwork.openrosa.services import (
    SubmissionOutcome,
    device_seen,
    max_submission_bytes,
    submission_receive,
)
from fieldwork.openrosa.submission import openrosa_response
from fieldwork.studies.models import Study

XFORMS_LIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"
XML = "text/xml; charset=utf-8"


@dataclass(frozen=True)
class Caller:
    study: Study
    user: object
    device: Device | None
    token: str | None  # when it came in the URL, to build the URLs given back


def _stamp(response: HttpResponse) -> HttpResponse:
    response["X-OpenRosa-Version"] = "1.0"
    response["Date"] = http_date()
    return response


def _message(status: int, message: str, *, nature: str = "error") -> HttpResponse:
    return HttpResponse(openrosa_response(message, nature=nature), status=status, content_type=XML)


def _endpoint(*methods: str):
    """An OpenRosa view: CSRF is checked in the view (only browser sessions need it), other
    methods answer 405, and every response, errors included, says X-OpenRosa-Version."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method not in methods:
                response = HttpResponseNotAllowed(methods)
            else:
                response = view(request, *args, **kwargs)
            return _stamp(response)

        return wrapped

    return decorate


def _challenge(study_slug: str) -> HttpResponse:
    response = _message(
        401, _("Sign in: user name, and the device token Fieldwork gave as password.")
    )
    response["WWW-Authenticate"] = f'Basic realm="Fieldwork {study_slug}", charset="UTF-8"'
    return response


def _basic_device(request: HttpRequest) -> Device | None | bool:
    """The device whose token is the Basic password (its researcher's user name as user
    name); None without a Basic header; False for wrong credentials."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        username, _sep, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    device = (
        Device.objects.select_related("researcher", "study")
        .filter(token_sha256=token_digest(password), revoked_at__isnull=True)
        .first()
    )
    if device is None or device.researcher.username != username:
        return False
    return device


def _says_openrosa(request: HttpRequest) -> bool:
    """The request has the X-OpenRosa-Version header (read from the WSGI environ: building
    `request.headers` for one header costs a phone's POST more than its form lookup)."""
    return "HTTP_X_OPENROSA_VERSION" in request.META


def _caller(request: HttpRequest, slug: str, token: str | None) -> Caller | HttpResponse:
    """Who calls, for which study, or the response that refuses them."""
    if not _says_openrosa(request):
        return _message(400, _("This endpoint needs the header X-OpenRosa-Version: 1.0."))
    device = None
    if token is not None:
        device = (
            Device.objects.select_related("researcher", "study")
            .filter(token_sha256=token_digest(token))
            .first()
        )
        if device is None or not device.is_active:
            return _message(
                403,
                _(
                    "This device's access was revoked or its address is wrong. Ask your "
                    "study admin for a new QR code."
                ),
            )
        user = device.researcher
    elif request.user.is_authenticated:
        user = request.user
    else:
        found = _basic_device(request)
        if not found:
            return _challenge(slug)
        device, user = found, found.researcher
    if device is not None:
        # The device's study came with it; a token is scoped to that study alone.
        study = device.study if device.study.slug == slug else None
    else:
        study = Study.objects.filter(slug=slug).first()
    if study is None:
        return _message(404, _("There is no such study here."))
    if study_role(user=user, study=study) is None:
        return _message(404, _("There is no such study here."))
    if not has_perm(user, study, Perm.INTERVIEW_RECORD):
        return _message(403, _("Your role in this study does not allow recording interviews."))
    if device is not None:
        device_seen(device_id=device.pk, last_seen_at=device.last_seen_at)
    return Caller(study=study, user=user, device=device, token=token)


def _url(request: HttpRequest, caller: Caller, name: str, **kwargs) -> str:
    if caller.token is not None:
        path = reverse(f"openrosa:key-{name}", kwargs={"token": caller.token, **kwargs})
    else:
        path = reverse(f"openrosa:{name}", kwargs=kwargs)
    return request.build_absolute_uri(path)


def _xml(root: etree._Element) -> HttpResponse:
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return HttpResponse(body, content_type=XML)


@_endpoint("GET", "HEAD")
def form_list(request: HttpRequest, slug: str, token: str | None = None) -> HttpResponse:
    caller = _caller(request, slug, token)
    if isinstance(caller, HttpResponse):
        return caller
    wanted = request.GET.get("formID")
    root = etree.Element("xforms", nsmap={None: XFORMS_LIST_NS})
    for version in published_forms(study=caller.study):
        form_id = version.instrument.form_id
        if wanted and form_id != wanted:
            continue
        item = etree.SubElement(root, "xform")
        etree.SubElement(item, "formID").text = form_id
        etree.SubElement(item, "name").text = version.title or form_id
        etree.SubElement(item, "version").text = version.version
        etree.SubElement(item, "hash").text = f"md5:{version.xform_md5}"
        etree.SubElement(item, "downloadUrl").text = _url(
            request, caller, "form-download", slug=slug, xform_id=form_id
        )
        # As Central: a manifest for every form that declares media, uploaded or not yet.
        if version.media_count or xform_media_references(version.xform_xml):
            etree.SubElement(item, "manifestUrl").text = _url(
                request, caller, "form-manifest", slug=slug, xform_id=form_id
            )
    return _xml(root)


@_endpoint("GET", "HEAD")
def form_download(
    request: HttpRequest, slug: str, xform_id: str, token: str | None = None
) -> HttpResponse:
    caller = _caller(request, slug, token)
    if isinstance(caller, HttpResponse):
        return caller
    version = published_form_get(study=caller.study, form_id=xform_id, with_xml=True)
    if version is None:
        return _message(404, _("The form “%(form)s” is not published here.") % {"form": xform_id})
    return HttpResponse(version.xform_xml.encode("utf-8"), content_type=XML)


@_endpoint("GET", "HEAD")
def form_manifest(
    request: HttpRequest, slug: str, xform_id: str, token: str | None = None
) -> HttpResponse:
    caller = _caller(request, slug, token)
    if isinstance(caller, HttpResponse):
        return caller
    version = published_form_get(study=caller.study, form_id=xform_id)
    if version is None:
        return _message(404, _("The form “%(form)s” is not published here.") % {"form": xform_id})
    root = etree.Element("manifest", nsmap={None: MANIFEST_NS})
    for media in form_media_list(version=version):
        item = etree.SubElement(root, "mediaFile")
        etree.SubElement(item, "filename").text = media.filename
        etree.SubElement(item, "hash").text = f"md5:{media.md5}"
        etree.SubElement(item, "downloadUrl").text = _url(
            request, caller, "form-media", slug=slug, xform_id=xform_id, filename=media.filename
        )
    return _xml(root)


@_endpoint("GET", "HEAD")
def form_media(
    request: HttpRequest, slug: str, xform_id: str, filename: str, token: str | None = None
) -> HttpResponse:
    caller = _caller(request, slug, token)
    if isinstance(caller, HttpResponse):
        return caller
    version = published_form_get(study=caller.study, form_id=xform_id)
    media = form_media_get(version=version, filename=filename) if version else None
    if media is None:
        return _message(404, _("This form has no file “%(name)s”.") % {"name": filename})
    return file_download(
        bytes(media.content),
        filename=media.filename,
        content_type=media.content_type,
        private=False,
    )


def _accept(request: HttpRequest, slug: str, token: str) -> HttpResponse | None:
    """ODK Collect's usual POST (a device token, one XML part, nothing else) answered from
    the intake's single INSERT (`intake.submission_accept`); None for anything else, which
    the full path below answers and refuses with its usual messages."""
    if not _says_openrosa(request) or _too_large(request):
        return None
    if list(request.FILES) != ["xml_submission_file"]:
        return None
    (part, *others) = request.FILES.getlist("xml_submission_file")
    if others:
        return None
    outcome = submission_accept(token=token, slug=slug, xml=part.read())
    if outcome is None:
        part.seek(0)  # the full path reads it again
        return None
    return _submission_answer(request, outcome)


def _too_large(request: HttpRequest) -> bool:
    """Over the size advertised in X-OpenRosa-Accept-Content-Length (an unreadable length
    counts as none: reading the body then says what is wrong)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return length > max_submission_bytes()


def _submission_answer(request: HttpRequest, outcome: SubmissionOutcome) -> HttpResponse:
    nature = "submit_success" if outcome.status == 201 else "error"
    response = _message(outcome.status, outcome.message, nature=nature)
    if outcome.status == 201:
        response["Location"] = request.build_absolute_uri()
    response["X-OpenRosa-Accept-Content-Length"] = str(max_submission_bytes())
    return response


@_endpoint("GET", "HEAD", "POST")
def submission(request: HttpRequest, slug: str, token: str | None = None) -> HttpResponse:
    if token is not None and request.method == "POST":
        accepted = _accept(request, slug, token)
        if accepted is not None:
            return accepted
    caller = _caller(request, slug, token)
    if isinstance(caller, HttpResponse):
        return caller
    if request.method != "POST":
        response = HttpResponse(status=204)
        response["X-OpenRosa-Accept-Content-Length"] = str(max_submission_bytes())
        return response
    if _too_large(request):
        return _message(
            413,
            _("The submission is larger than the %(max)s MB this server accepts in one request.")
            % {"max": max_submission_bytes() // 1024 // 1024},
        )
    if token is None and caller.device is None:
        # Signed in through the browser (Web Forms): the session needs its CSRF token.
        refused = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if refused is not None:
            return _message(403, _("The page's security token is missing or expired; reload it."))
    xml_parts = request.FILES.getlist("xml_submission_file")
    if len(xml_parts) != 1:
        return _message(
            400,
            _("The request must have exactly one xml_submission_file part; it has %(n)s.")
            % {"n": len(xml_parts)},
        )
    files = [
        SubmissionFile(name=part.name, content=part.read(), content_type=part.content_type or "")
        for key in request.FILES
        if key != "xml_submission_file"
        for part in request.FILES.getlist(key)
    ]
    outcome = submission_receive(
        study=caller.study,
        by=caller.user,
        xml=xml_parts[0].read(),
        files=files,
        device=caller.device,
    )
    return _submission_answer(request, outcome)
