"""REST API for instruments: list and upload XLSForms, read a version's questions and
choices, publish or delete a version, confirm disclosure roles."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from fieldwork.accounts.permissions import Perm
from fieldwork.core.api import FIELD_ERRORS, StudyScopedApi
from fieldwork.instruments.filters import InstrumentFilter
from fieldwork.instruments.models import Disclosure, Instrument, InstrumentVersion
from fieldwork.instruments.selectors import instrument_list, instrument_version_get
from fieldwork.instruments.services import (
    MAX_UPLOAD_BYTES,
    instrument_upload,
    instrument_version_delete,
    instrument_version_publish,
    question_disclosure_set,
)

TEXTS_HELP = _("Texts by language, as the form's columns name them (“default” without one).")


class ProblemSerializer(serializers.Serializer):
    message = serializers.CharField()
    sheet = serializers.CharField(allow_null=True)
    row = serializers.IntegerField(allow_null=True)
    column = serializers.CharField(allow_null=True)


def texts_field(**kwargs) -> serializers.DictField:
    return serializers.DictField(child=serializers.CharField(), help_text=TEXTS_HELP, **kwargs)


class QuestionOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    path = serializers.CharField(
        help_text=_("Path in the form without its root, e.g. “household/members/age”.")
    )
    type = serializers.CharField(help_text=_("pyxform's type: “select one”, “integer”, “group”…"))
    list_name = serializers.CharField()
    repeat_path = serializers.CharField(help_text=_("The innermost repeat holding the question."))
    labels = texts_field()
    hints = texts_field()
    required = serializers.BooleanField()
    required_message = texts_field()
    relevant = serializers.CharField()
    constraint = serializers.CharField()
    constraint_message = texts_field()
    calculation = serializers.CharField()
    choice_filter = serializers.CharField()
    appearance = serializers.CharField()
    default = serializers.CharField()
    read_only = serializers.BooleanField()
    disclosure = serializers.ChoiceField(choices=Disclosure.choices)
    disclosure_suggested = serializers.BooleanField(
        help_text=_("The role is Fieldwork's suggestion; a study admin has not confirmed it.")
    )


class ChoiceOutputSerializer(serializers.Serializer):
    list_name = serializers.CharField()
    name = serializers.CharField()
    labels = texts_field()
    extra = serializers.DictField(
        child=serializers.CharField(), help_text=_("Other columns of the choices sheet.")
    )


class VersionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=InstrumentVersion.Status.choices)
    original_filename = serializers.CharField()
    xform_md5 = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    default_language = serializers.CharField()
    uploaded_by = serializers.CharField(source="uploaded_by.username")
    created_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)


class VersionDetailOutputSerializer(VersionOutputSerializer):
    form_id = serializers.CharField(source="instrument.form_id")
    warnings = ProblemSerializer(many=True, help_text=_("pyxform's warnings at conversion."))
    settings = serializers.DictField(
        source="form_settings", child=serializers.CharField(), help_text=_("The settings sheet.")
    )
    questions = QuestionOutputSerializer(many=True, source="questions.all")
    choices = ChoiceOutputSerializer(many=True, source="choices.all")


class InstrumentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    form_id = serializers.CharField()
    title = serializers.CharField()
    created_at = serializers.DateTimeField()
    versions = VersionOutputSerializer(many=True, source="versions.all")


class InstrumentListApi(StudyScopedApi):
    required_perms = {"GET": Perm.INSTRUMENT_VIEW, "POST": Perm.INSTRUMENT_MANAGE}
    ordering = "form_id"
    parser_classes = [MultiPartParser, FormParser]
    # For the schema (drf-spectacular reads the filters from here); `get` applies them.
    filter_backends = [DjangoFilterBackend]
    filterset_class = InstrumentFilter
    queryset = Instrument.objects.none()

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(
            help_text=_(
                "An XLSForm (.xlsx, .xls, .csv or .md). Its form_id picks the instrument; its "
                "version must be new for that instrument."
            )
        )

    @extend_schema(
        summary="List instruments with their versions",
        responses=InstrumentOutputSerializer(many=True),
    )
    def get(self, request: Request, slug: str) -> Response:
        filtered = InstrumentFilter(
            request.query_params, instrument_list(study=self.study), study=self.study
        )
        if not filtered.is_valid():
            raise ValidationError(filtered.errors)
        return self.paginated(filtered.qs, InstrumentOutputSerializer)

    @extend_schema(
        summary="Upload an XLSForm as a new draft version",
        description=(
            "The form is converted with pyxform and checked with ODK Validate. A refused form "
            "answers 400 with one message per problem under `file`, each starting with its "
            "sheet, row and column when known; nothing is stored."
        ),
        request={"multipart/form-data": InputSerializer},
        responses={201: VersionDetailOutputSerializer},
    )
    def post(self, request: Request, slug: str) -> Response:
        data = self.validated(self.InputSerializer, request.data)
        upload = data["file"]
        version = instrument_upload(
            study=self.study,
            by=request.user,
            content=upload.read(MAX_UPLOAD_BYTES + 1),
            filename=upload.name,
        )
        return Response(VersionDetailOutputSerializer(version).data, status=status.HTTP_201_CREATED)


class VersionApi(StudyScopedApi):
    def version(self, version_id: int) -> InstrumentVersion:
        version = instrument_version_get(study=self.study, version_id=version_id)
        if version is None:
            raise Http404
        return version


class InstrumentVersionDetailApi(VersionApi):
    required_perms = {"GET": Perm.INSTRUMENT_VIEW, "DELETE": Perm.INSTRUMENT_MANAGE}

    @extend_schema(
        summary="Show a version with its questions and choices",
        responses=VersionDetailOutputSerializer,
    )
    def get(self, request: Request, slug: str, version_id: int) -> Response:
        return Response(VersionDetailOutputSerializer(self.version(version_id)).data)

    @extend_schema(
        summary="Delete a draft version",
        description="A published or retired version, or one interviews point at, is in use: 400.",
        responses={
            204: None,
            400: OpenApiResponse(
                response=FIELD_ERRORS,
                description=_("The version is in use (published, retired, or has interviews)."),
            ),
        },
    )
    def delete(self, request: Request, slug: str, version_id: int) -> Response:
        instrument_version_delete(version=self.version(version_id), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InstrumentVersionPublishApi(VersionApi):
    required_perms = {"POST": Perm.INSTRUMENT_MANAGE}

    @extend_schema(
        summary="Publish a draft version",
        description="The version published before it is retired. A retired version: 400.",
        request=None,
        responses={
            200: VersionDetailOutputSerializer,
            400: OpenApiResponse(response=FIELD_ERRORS, description=_("The version is retired.")),
        },
    )
    def post(self, request: Request, slug: str, version_id: int) -> Response:
        version = instrument_version_publish(version=self.version(version_id), by=request.user)
        return Response(VersionDetailOutputSerializer(self.version(version.pk)).data)


class InstrumentVersionDisclosureApi(VersionApi):
    required_perms = {"POST": Perm.INSTRUMENT_MANAGE}

    class InputSerializer(serializers.Serializer):
        roles = serializers.DictField(
            child=serializers.ChoiceField(choices=Disclosure.choices),
            allow_empty=False,
            help_text=_("The role of each question, by path. Each question named is confirmed."),
        )

    @extend_schema(
        summary="Confirm or change disclosure roles",
        request=InputSerializer,
        responses=VersionDetailOutputSerializer,
    )
    def post(self, request: Request, slug: str, version_id: int) -> Response:
        version = self.version(version_id)
        data = self.validated(self.InputSerializer, request.data)
        question_disclosure_set(version=version, by=request.user, roles=data["roles"])
        return Response(VersionDetailOutputSerializer(self.version(version.pk)).data)
