"""Who may do what, per study. The one permission layer for pages, API and templates.

Deny by default: a permission missing from `PERM_ROLES` grants nothing, a user without a
membership has no role, and access helpers answer 404 for "missing" and "not yours" alike.
"""

import enum
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from fieldwork.accounts.models import Membership, Role

if TYPE_CHECKING:
    from fieldwork.sources.models import Source
    from fieldwork.studies.models import Study


class Perm(enum.StrEnum):
    STUDY_VIEW = "study_view"
    SOURCE_VIEW = "source_view"
    SOURCE_CREATE = "source_create"
    SOURCE_EDIT = "source_edit"
    SOURCE_REVEAL = "source_reveal"
    SOURCE_SHRED = "source_shred"
    CONSENT_RECORD = "consent_record"
    CONSENT_FORM_VIEW = "consent_form_view"
    CONSENT_FORM_MANAGE = "consent_form_manage"
    PLACE_VIEW = "place_view"
    PLACE_MANAGE = "place_manage"
    ACTOR_VIEW = "actor_view"
    ACTOR_MANAGE = "actor_manage"
    MEMBER_VIEW = "member_view"
    MEMBER_MANAGE = "member_manage"
    AUDIT_VIEW = "audit_view"
    INSTRUMENT_VIEW = "instrument_view"
    INSTRUMENT_MANAGE = "instrument_manage"
    INTERVIEW_VIEW = "interview_view"
    INTERVIEW_RECORD = "interview_record"
    INTERVIEW_REVIEW = "interview_review"
    TRANSCRIPT_VIEW = "transcript_view"
    TRANSCRIPT_EDIT = "transcript_edit"
    DEVICE_MANAGE = "device_manage"
    FORM_KEY_MANAGE = "form_key_manage"


FR, CODER, SUP, ANALYST, ADMIN = (
    Role.FIELD_RESEARCHER,
    Role.CODER,
    Role.SUPERVISOR,
    Role.ANALYST,
    Role.STUDY_ADMIN,
)
STAFF = frozenset({SUP, ADMIN})
EVERYONE = frozenset(Role)

PERM_ROLES: dict[Perm, frozenset[Role]] = {
    Perm.STUDY_VIEW: EVERYONE,
    # Sources are pseudonymous here; identity needs SOURCE_IDENTITY rules below.
    Perm.SOURCE_VIEW: STAFF | {FR},
    Perm.SOURCE_CREATE: STAFF | {FR},
    Perm.SOURCE_EDIT: STAFF | {FR},
    Perm.SOURCE_REVEAL: STAFF,
    Perm.SOURCE_SHRED: frozenset({ADMIN}),
    Perm.CONSENT_RECORD: STAFF | {FR},
    Perm.CONSENT_FORM_VIEW: STAFF | {FR, CODER},
    Perm.CONSENT_FORM_MANAGE: frozenset({ADMIN}),
    Perm.PLACE_VIEW: EVERYONE,
    Perm.PLACE_MANAGE: STAFF,
    Perm.ACTOR_VIEW: EVERYONE,
    Perm.ACTOR_MANAGE: STAFF,
    Perm.MEMBER_VIEW: STAFF,
    Perm.MEMBER_MANAGE: frozenset({ADMIN}),
    Perm.AUDIT_VIEW: STAFF,
    # Questionnaires are not sensitive; analysts will read their codebook in releases.
    Perm.INSTRUMENT_VIEW: STAFF | {FR, CODER},
    Perm.INSTRUMENT_MANAGE: frozenset({ADMIN}),
    # Content, never identity: coders read interviews to code them. A field researcher's
    # view is narrowed to their own interviews by `interview_visible_to` (interviews/selectors).
    Perm.INTERVIEW_VIEW: STAFF | {FR, CODER},
    Perm.INTERVIEW_RECORD: STAFF | {FR},
    Perm.INTERVIEW_REVIEW: STAFF,
    # Transcripts follow interviews: a field researcher only for her own (narrowed by
    # `interview_visible_to`), coders read them to code them.
    Perm.TRANSCRIPT_VIEW: STAFF | {FR, CODER},
    Perm.TRANSCRIPT_EDIT: STAFF | {FR},
    # Phones' tokens for anyone's phone; a field researcher makes one for her own phone
    # with INTERVIEW_RECORD (openrosa/device views).
    Perm.DEVICE_MANAGE: STAFF,
    # The study's encrypted-form keys and decrypting what phones sealed with them.
    Perm.FORM_KEY_MANAGE: frozenset({ADMIN}),
}

#: Roles that may read the identity of a source they recorded themselves, without a reveal.
RECORDER_ROLES = STAFF | {FR}


def study_role(*, user, study: "Study") -> Role | None:
    """The user's role in the study, or None (anonymous, inactive, or not a member).

    Cached on the user object for the request, since a page asks several times."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    cache = user.__dict__.setdefault("_fieldwork_roles", {})
    if study.pk not in cache:
        role = (
            Membership.objects.filter(user=user, study=study).values_list("role", flat=True).first()
        )
        cache[study.pk] = Role(role) if role else None
    return cache[study.pk]


def has_perm(user, study: "Study", perm: Perm) -> bool:
    role = study_role(user=user, study=study)
    return role is not None and role in PERM_ROLES.get(perm, frozenset())


def perms_for(user, study: "Study") -> frozenset[Perm]:
    """Every permission the user holds in the study (for templates: `perms.source_reveal`)."""
    role = study_role(user=user, study=study)
    if role is None:
        return frozenset()
    return frozenset(p for p, roles in PERM_ROLES.items() if role in roles)


def can_see_identity_directly(user, source: "Source") -> bool:
    """The field researcher who recorded a source reads its identity; nobody else does
    without a logged reveal. A recorder who became coder or analyst loses it."""
    if source.recorded_by_id != getattr(user, "pk", None):
        return False
    role = study_role(user=user, study=source.study)
    return role in RECORDER_ROLES


def can_edit_interview(user, interview) -> bool:
    """A new version of an interview: from the field researcher who recorded it (her phone,
    the API) or a reviewer of the study."""
    if has_perm(user, interview.study, Perm.INTERVIEW_REVIEW):
        return True
    return interview.researcher_id == getattr(user, "pk", None) and has_perm(
        user, interview.study, Perm.INTERVIEW_RECORD
    )


def can_see_answer_identifiers(user, interview) -> bool:
    """Answers to a questionnaire's direct-identifier questions (a respondent's name, phone
    number, photo): the field researcher who recorded the interview and the supervisors and
    study admins who review it read them; coders code without them."""
    role = study_role(user=user, study=interview.study)
    if role in STAFF:
        return True
    return role in RECORDER_ROLES and interview.researcher_id == getattr(user, "pk", None)


def can_edit_source(user, source: "Source") -> bool:
    """Supervisors and study admins edit any source of their study; a field researcher
    edits only the sources they recorded."""
    if not has_perm(user, source.study, Perm.SOURCE_EDIT):
        return False
    return (
        source.recorded_by_id == getattr(user, "pk", None)
        or study_role(user=user, study=source.study) in STAFF
    )


# --- Access helpers: the only way views obtain protected objects ----------------------------


def study_for(user, slug: str, *, need: Perm = Perm.STUDY_VIEW) -> "Study":
    from fieldwork.studies.models import Study

    study = Study.objects.filter(slug=slug).first()
    if study is None or study_role(user=user, study=study) is None:
        raise Http404
    if not has_perm(user, study, need):
        # A member learns the page exists but is not theirs; a stranger learns nothing.
        raise PermissionDenied
    return study


def source_for(user, study: "Study", code: str, *, need: Perm = Perm.SOURCE_VIEW) -> "Source":
    from fieldwork.sources.models import Source

    if not has_perm(user, study, need):
        raise PermissionDenied
    source = (
        Source.objects.select_related("study", "place", "recorded_by")
        .filter(study=study, code=code)
        .first()
    )
    if source is None:
        raise Http404
    return source


# --- REST framework ----------------------------------------------------------------------------


class StudyPermission(BasePermission):
    """For API views under /api/v1/studies/<slug>/: the view names the Perm it needs per
    method in `required_perms` ({"GET": Perm..., "POST": Perm...}); a method not listed
    is refused."""

    def has_permission(self, request, view) -> bool:
        perm = getattr(view, "required_perms", {}).get(request.method)
        if perm is None and request.method in ("HEAD", "OPTIONS"):
            perm = getattr(view, "required_perms", {}).get("GET")
        if perm is None:
            if not hasattr(view, request.method.lower()):
                raise exceptions.MethodNotAllowed(request.method)  # 405, as HTTP says
            return False
        # REST framework's own exceptions, not Django's: the browsable API probes the other
        # methods' permissions while rendering a response and catches only these; a Django
        # PermissionDenied there turned an allowed GET into a 403 page.
        try:
            view.study = study_for(request.user, view.kwargs["slug"], need=perm)
        except Http404 as exc:
            raise exceptions.NotFound from exc
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied from exc
        return True
