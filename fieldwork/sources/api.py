"""REST API for sources, their consent, and consent forms.

Sources are pseudonymous everywhere here. An identity leaves the server in two cases only:
to the researcher who recorded the source (`can_see_identity_directly`), and through a
reveal, which the service audits before it opens the identity. Identity fields are never
filled from the model: `IdentitySerializer` reads what the view put in its context after
the check, so a new model attribute cannot leak one by accident.
"""

import dataclasses

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.fields import SkipField
from rest_framework.request import Request
from rest_framework.response import Response

from fieldwork.accounts.permissions import (
    Perm,
    can_edit_source,
    can_see_identity_directly,
    source_for,
)
from fieldwork.core.api import StudyObjectField, StudyScopedApi
from fieldwork.sources.identity import Identity
from fieldwork.sources.models import ConsentForm, ConsentMethod, ConsentScope, Gender, Source
from fieldwork.sources.selectors import (
    consent_form_current,
    consent_form_get,
    consent_form_list,
    source_consent_history,
    source_current_scopes,
    source_list,
)
from fieldwork.sources.services import (
    MIN_REVEAL_REASON,
    ConsentGrant,
    SourceAttributes,
    consent_form_create,
    consent_grant,
    consent_withdraw,
    source_create,
    source_identity,
    source_reveal,
    source_shred,
    source_update,
)
from fieldwork.studies.models import Place

IDENTITY_FIELDS = ("full_name", "aliases", "phone", "address", "contact_notes")
ATTRIBUTE_FIELDS = ("gender", "birth_year", "age", "place", "community", "language")


# --- Shared serializers ---------------------------------------------------------------------


class ScopesField(serializers.ListField):
    """Consent scopes, listed in the order the consent form asks them."""

    child = serializers.ChoiceField(choices=ConsentScope.choices)

    def to_representation(self, scopes):
        return [scope for scope in ConsentScope.values if scope in scopes]


class CurrentScopesField(ScopesField):
    """The scopes in force today: the fold of the source's consent events. Plain strings in
    the schema, which has one enum per choice set and names it after the `scopes` fields."""

    child = serializers.CharField()

    def get_attribute(self, source: Source):
        return source_current_scopes(source=source)


class IdentitySerializer(serializers.Serializer):
    """A source's identity in clear, taken only from `context["identity"]`: the view puts it
    there after checking that the user may read it, and leaves it out otherwise."""

    full_name = serializers.CharField()
    aliases = serializers.ListField(child=serializers.CharField())
    phone = serializers.CharField()
    address = serializers.CharField()
    contact_notes = serializers.CharField()

    def get_attribute(self, instance):
        identity = self.context.get("identity")
        if identity is None:
            raise SkipField
        return identity


class SourceOutputSerializer(serializers.Serializer):
    """What every source endpoint shows: the pseudonymous description, no identity."""

    class PlaceSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()

    code = serializers.CharField()
    gender = serializers.ChoiceField(choices=Gender.choices, allow_blank=True)
    birth_year = serializers.IntegerField(allow_null=True)
    age = serializers.IntegerField(allow_null=True, help_text=gettext_lazy("Age when recorded."))
    place = PlaceSerializer(allow_null=True)
    community = serializers.CharField()
    language = serializers.CharField()
    recorded_by = serializers.CharField(source="recorded_by.username")
    created_at = serializers.DateTimeField()
    shredded = serializers.BooleanField(
        source="is_shredded",
        help_text=gettext_lazy("The identity was destroyed; the rest of the record stays."),
    )
    consent_scopes = CurrentScopesField(
        help_text=gettext_lazy("What the source consents to today.")
    )


class SourceDetailOutputSerializer(SourceOutputSerializer):
    """A source's pseudonymous description, with the identity for its recorder only."""

    identity = IdentitySerializer(
        required=False,
        help_text=gettext_lazy(
            "Present only for the researcher who recorded the source, while the identity "
            "exists. Anyone else sees it only through a reveal."
        ),
    )


class SourceIdentityInputSerializer(serializers.Serializer):
    full_name = serializers.CharField()
    aliases = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=list
    )
    phone = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    address = serializers.CharField(required=False, allow_blank=True, default="")
    contact_notes = serializers.CharField(required=False, allow_blank=True, default="")


class SourceAttributesInputSerializer(serializers.Serializer):
    gender = serializers.ChoiceField(
        choices=Gender.choices, required=False, allow_blank=True, default=""
    )
    birth_year = serializers.IntegerField(required=False, allow_null=True, default=None)
    age = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("Age when recorded, when the birth year is not known."),
    )
    place = StudyObjectField(
        queryset=Place.objects.all(), required=False, allow_null=True, default=None
    )
    community = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    language = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class ConsentGrantInputSerializer(serializers.Serializer):
    consent_form = StudyObjectField(
        queryset=ConsentForm.objects.all(),
        help_text=gettext_lazy("The consent form version read to the source."),
    )
    scopes = serializers.MultipleChoiceField(
        choices=ConsentScope.choices, help_text=gettext_lazy("What the source agreed to.")
    )
    method = serializers.ChoiceField(choices=ConsentMethod.choices)
    obtained_on = serializers.DateField()


def _grant(data: dict) -> ConsentGrant:
    return ConsentGrant(
        form=data["consent_form"],
        scopes=frozenset(data["scopes"]),
        method=data["method"],
        obtained_on=data["obtained_on"],
    )


class ConsentRecordOutputSerializer(serializers.Serializer):
    class FormSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        title = serializers.CharField()
        version = serializers.IntegerField()

    id = serializers.IntegerField()
    kind = serializers.CharField(help_text=gettext_lazy("“grant” or “withdrawal”."))
    form = FormSerializer(allow_null=True)
    scopes = ScopesField()
    method = serializers.CharField(help_text=gettext_lazy("How consent was obtained (grants)."))
    effective_on = serializers.DateField()
    reason = serializers.CharField()
    recorded_by = serializers.CharField(source="recorded_by.username")
    created_at = serializers.DateTimeField()


# --- Sources -----------------------------------------------------------------------------------


class SourceApi(StudyScopedApi):
    def source(self, code: str, need: Perm) -> Source:
        return source_for(self.request.user, self.study, code, need=need)

    def detail(self, source: Source, *, status_code: int = status.HTTP_200_OK) -> Response:
        context = self.serializer_context()
        if can_see_identity_directly(self.request.user, source):
            context["identity"] = source_identity(source=source)
        data = SourceDetailOutputSerializer(source, context=context).data
        return Response(data, status=status_code)


class SourceListApi(SourceApi):
    required_perms = {"GET": Perm.SOURCE_VIEW, "POST": Perm.SOURCE_CREATE}
    ordering = "code"

    class FilterSerializer(serializers.Serializer):
        search = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            help_text=gettext_lazy("Part of the code or of the community; never the identity."),
        )
        place = StudyObjectField(queryset=Place.objects.all(), required=False, default=None)
        consent = serializers.ChoiceField(
            choices=[("withdrawn", gettext_lazy("Withdrew consent at least once"))],
            required=False,
            allow_blank=True,
            default="",
        )

    class InputSerializer(
        SourceIdentityInputSerializer, SourceAttributesInputSerializer, ConsentGrantInputSerializer
    ):
        confirm_not_duplicate = serializers.BooleanField(
            required=False,
            default=False,
            help_text=gettext_lazy(
                "Set after a duplicate warning, once the team checked it is another person."
            ),
        )

    @extend_schema(
        summary="List sources (pseudonymous)",
        parameters=[FilterSerializer],
        responses=SourceOutputSerializer(many=True),
    )
    def get(self, request: Request, slug: str) -> Response:
        filters = self.validated(self.FilterSerializer, request.query_params)
        return self.paginated(source_list(study=self.study, **filters), SourceOutputSerializer)

    @extend_schema(
        summary="Record a source with their consent",
        description=(
            "A name or phone that another source of the study already has is refused with "
            "a 400 on `full_name` or `phone`, without saying which source; send again with "
            "`confirm_not_duplicate` once the team has checked."
        ),
        request=InputSerializer,
        responses={201: SourceDetailOutputSerializer},
    )
    def post(self, request: Request, slug: str) -> Response:
        data = self.validated(self.InputSerializer, request.data)
        source = source_create(
            study=self.study,
            by=request.user,
            identity=Identity(**{f: data[f] for f in IDENTITY_FIELDS}),
            attributes=SourceAttributes(**{f: data[f] for f in ATTRIBUTE_FIELDS}),
            consent=_grant(data),
            confirm_not_duplicate=data["confirm_not_duplicate"],
        )
        return self.detail(source, status_code=status.HTTP_201_CREATED)


class SourceDetailApi(SourceApi):
    required_perms = {"GET": Perm.SOURCE_VIEW, "PATCH": Perm.SOURCE_EDIT}

    class InputSerializer(SourceIdentityInputSerializer, SourceAttributesInputSerializer):
        confirm_not_duplicate = serializers.BooleanField(required=False, default=False)

    @extend_schema(summary="Show a source", responses=SourceDetailOutputSerializer)
    def get(self, request: Request, slug: str, code: str) -> Response:
        return self.detail(self.source(code, Perm.SOURCE_VIEW))

    @extend_schema(
        summary="Change a source's description or identity",
        description=(
            "Fields left out keep their value. Identity fields may be changed only by the "
            "researcher who recorded the source."
        ),
        request=InputSerializer,
        responses=SourceDetailOutputSerializer,
    )
    def patch(self, request: Request, slug: str, code: str) -> Response:
        source = self.source(code, Perm.SOURCE_EDIT)
        if not can_edit_source(request.user, source):
            raise PermissionDenied(_("You may edit only the sources you recorded."))
        data = self.validated(self.InputSerializer, request.data, partial=True)
        attributes = SourceAttributes(
            **{f: data.get(f, getattr(source, f)) for f in ATTRIBUTE_FIELDS}
        )
        identity = None
        if changes := {f: data[f] for f in IDENTITY_FIELDS if f in data}:
            if not can_see_identity_directly(request.user, source):
                raise PermissionDenied(
                    _("Only the researcher who recorded this source can change its identity.")
                )
            # Fields not sent keep their value; a shredded identity starts empty and the
            # service refuses it.
            current = source_identity(source=source) or Identity(full_name="")
            identity = dataclasses.replace(current, **changes)
        source_update(
            source=source,
            by=request.user,
            attributes=attributes,
            identity=identity,
            confirm_not_duplicate=data.get("confirm_not_duplicate", False),
        )
        return self.detail(self.source(code, Perm.SOURCE_EDIT))


class SourceRevealApi(SourceApi):
    required_perms = {"POST": Perm.SOURCE_REVEAL}

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(
            allow_blank=True,
            help_text=lazy(
                lambda: (
                    _(
                        "Why you need to see this identity (at least %(n)s characters). It is "
                        "kept in the audit trail."
                    )
                    % {"n": MIN_REVEAL_REASON}
                ),
                str,
            )(),
        )

    class OutputSerializer(serializers.Serializer):
        code = serializers.CharField()
        identity = IdentitySerializer()

    @extend_schema(
        summary="Reveal a source's identity (audited)",
        request=InputSerializer,
        responses=OutputSerializer,
    )
    def post(self, request: Request, slug: str, code: str) -> Response:
        source = self.source(code, Perm.SOURCE_REVEAL)
        data = self.validated(self.InputSerializer, request.data)
        identity = source_reveal(source=source, by=request.user, reason=data["reason"])
        context = {**self.serializer_context(), "identity": identity}
        return Response(self.OutputSerializer(source, context=context).data)


class SourceShredApi(SourceApi):
    required_perms = {"POST": Perm.SOURCE_SHRED}

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(
            allow_blank=True,
            help_text=gettext_lazy("Why the identity is destroyed; kept in the audit trail."),
        )

    @extend_schema(
        summary="Destroy a source's identity for good",
        description="The pseudonymous record and its consent history stay. Irreversible.",
        request=InputSerializer,
        responses=SourceDetailOutputSerializer,
    )
    def post(self, request: Request, slug: str, code: str) -> Response:
        source = self.source(code, Perm.SOURCE_SHRED)
        data = self.validated(self.InputSerializer, request.data)
        source_shred(source=source, by=request.user, reason=data["reason"])
        return self.detail(self.source(code, Perm.SOURCE_SHRED))


# --- Consent -------------------------------------------------------------------------------------


class SourceConsentListApi(SourceApi):
    required_perms = {"GET": Perm.SOURCE_VIEW, "POST": Perm.CONSENT_RECORD}
    ordering = ("effective_on", "created_at", "pk")

    class InputSerializer(ConsentGrantInputSerializer):
        pass

    @extend_schema(
        summary="List a source's consent events",
        responses=ConsentRecordOutputSerializer(many=True),
    )
    def get(self, request: Request, slug: str, code: str) -> Response:
        source = self.source(code, Perm.SOURCE_VIEW)
        return self.paginated(source_consent_history(source=source), ConsentRecordOutputSerializer)

    @extend_schema(
        summary="Record consent given again",
        description="The scopes given replace those in force.",
        request=InputSerializer,
        responses={201: ConsentRecordOutputSerializer},
    )
    def post(self, request: Request, slug: str, code: str) -> Response:
        source = self.source(code, Perm.CONSENT_RECORD)
        data = self.validated(self.InputSerializer, request.data)
        record = consent_grant(source=source, by=request.user, grant=_grant(data))
        return Response(ConsentRecordOutputSerializer(record).data, status=status.HTTP_201_CREATED)


class SourceConsentWithdrawApi(SourceApi):
    required_perms = {"POST": Perm.CONSENT_RECORD}

    class InputSerializer(serializers.Serializer):
        scopes = serializers.MultipleChoiceField(
            choices=ConsentScope.choices,
            help_text=gettext_lazy("Withdrawing participation withdraws everything."),
        )
        reason = serializers.CharField(allow_blank=True)
        withdrawn_on = serializers.DateField(required=False, default=timezone.localdate)

    @extend_schema(
        summary="Record a withdrawal of consent",
        request=InputSerializer,
        responses={201: ConsentRecordOutputSerializer},
    )
    def post(self, request: Request, slug: str, code: str) -> Response:
        source = self.source(code, Perm.CONSENT_RECORD)
        data = self.validated(self.InputSerializer, request.data)
        record = consent_withdraw(
            source=source,
            by=request.user,
            scopes=frozenset(data["scopes"]),
            reason=data["reason"],
            withdrawn_on=data["withdrawn_on"],
        )
        return Response(ConsentRecordOutputSerializer(record).data, status=status.HTTP_201_CREATED)


# --- Consent forms -------------------------------------------------------------------------------


class ConsentFormOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    version = serializers.IntegerField()
    text_fr = serializers.CharField()
    text_en = serializers.CharField()
    scopes = ScopesField()
    created_by = serializers.CharField(source="created_by.username")
    created_at = serializers.DateTimeField()


class ConsentFormListApi(StudyScopedApi):
    required_perms = {"GET": Perm.CONSENT_FORM_VIEW, "POST": Perm.CONSENT_FORM_MANAGE}
    ordering = ("title", "-version")

    class FilterSerializer(serializers.Serializer):
        current = serializers.BooleanField(
            required=False,
            default=False,
            help_text=gettext_lazy("Only the newest version of each form."),
        )

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(
            max_length=200,
            help_text=gettext_lazy("The title of an existing form publishes its next version."),
        )
        text_fr = serializers.CharField()
        text_en = serializers.CharField()
        scopes = serializers.MultipleChoiceField(choices=ConsentScope.choices)

    @extend_schema(
        summary="List consent forms",
        parameters=[FilterSerializer],
        responses=ConsentFormOutputSerializer(many=True),
    )
    def get(self, request: Request, slug: str) -> Response:
        filters = self.validated(self.FilterSerializer, request.query_params)
        select = consent_form_current if filters["current"] else consent_form_list
        return self.paginated(select(study=self.study), ConsentFormOutputSerializer)

    @extend_schema(
        summary="Publish a consent form or a new version of one",
        request=InputSerializer,
        responses={201: ConsentFormOutputSerializer},
    )
    def post(self, request: Request, slug: str) -> Response:
        data = self.validated(self.InputSerializer, request.data)
        form = consent_form_create(
            study=self.study,
            by=request.user,
            title=data["title"],
            text_fr=data["text_fr"],
            text_en=data["text_en"],
            scopes=frozenset(data["scopes"]),
        )
        return Response(ConsentFormOutputSerializer(form).data, status=status.HTTP_201_CREATED)


class ConsentFormDetailApi(StudyScopedApi):
    required_perms = {"GET": Perm.CONSENT_FORM_VIEW}

    @extend_schema(summary="Show a consent form version", responses=ConsentFormOutputSerializer)
    def get(self, request: Request, slug: str, form_id: int) -> Response:
        form = consent_form_get(study=self.study, form_id=form_id)
        if form is None:
            raise Http404
        return Response(ConsentFormOutputSerializer(form).data)
