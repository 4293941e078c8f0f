"""Glue shared by the server-rendered pages: study context, service errors on forms, htmx."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header

from fieldwork.accounts.models import Role
from fieldwork.accounts.permissions import perms_for, study_role


def study_context(request: HttpRequest, study, **extra) -> dict:
    """What every page inside a study needs: the study, the user's role and permissions.

    Templates test permissions as `{% if "source_reveal" in study_perms %}`: the one place
    that decides is `accounts.permissions`, templates only read its answer."""
    role = study_role(user=request.user, study=study)
    return {
        "study": study,
        "study_role": Role(role).label if role else "",
        "study_perms": perms_for(request.user, study),
        **extra,
    }


def add_service_error(forms, exc: ValidationError) -> None:
    """Show a service's refusal on a form (or on the first of several forms that share one
    page and one POST): each message next to its field when a form has that field, above the
    first form otherwise. Never a 500 for a rule the user can fix."""
    forms = list(forms) if isinstance(forms, list | tuple) else [forms]
    if not hasattr(exc, "error_dict"):
        forms[0].add_error(None, exc.error_list)
        return
    for field, errors in exc.error_dict.items():
        owner = next((f for f in forms if field != NON_FIELD_ERRORS and field in f.fields), None)
        if owner is None:
            forms[0].add_error(None, errors)
        else:
            owner.add_error(field, errors)


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx request that swaps part of the page; a history restore needs the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def render_page(
    request: HttpRequest, template: str, context: dict, *, partial: str = "", status: int = 200
) -> HttpResponse:
    """The full page, or only its `partial` for htmx. Caches keep the two apart."""
    name = f"{template}#{partial}" if partial and wants_fragment(request) else template
    response = render(request, name, context, status=status)
    if partial:
        patch_vary_headers(response, ("HX-Request",))
    return response


def file_download(content: bytes, *, filename: str, content_type: str, private: bool = True):
    """A file to save, never to render: its name quoted safely, no type sniffing, and (for
    sensitive files) kept out of every cache."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    if private:
        response["Cache-Control"] = "no-store"
    return response
