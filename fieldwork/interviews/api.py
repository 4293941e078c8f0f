"""REST API for interviews: list and record them (idempotent on the client's UUID), read one
with its versions and review history, review and comment.

Interviews are shown by their source's code only: nothing here reads an identity."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FileUploadParser
from rest_framework.request import Request
from rest_framework.response import Response

from fieldwork.accounts.permissions import Perm, can_edit_interview
from fieldwork.core.api import StudyObjectField, StudyScopedApi
from fieldwork.core.errors import ServiceError
from fieldwork.core.web import file_download
from fieldwork.instruments.models import InstrumentVersion
from fieldwork.interviews.attachments import FileRefused, attachment_add, expected_files
from fieldwork.interviews.filters import InterviewFilter
from fieldwork.interviews.models import Interview, InterviewStatus, InterviewVersion
from fieldwork.interviews.selectors import (
    can_comment,
    interview_attachment,
    interview_get,
    interview_list,
    interview_review_history,
    interview_versions,
    version_content_for,
)
from fieldwork.interviews.services import (
    attachment_open,
    interview_comment,
    interview_edit,
    interview_record,
    interview_review,
    interview_submit,
)
from fieldwork.sources.models import Source
from fieldwork.studies.models import Place

# --- Fields -----------------------------------------------------------------------------------


class StudySlugField(serializers.SlugRelatedField):
    """An object of the view's study named by a slug field (a code, a form_id, a username).
    One of another study is answered as missing, like one that does not exist. `study_path`
    is the lookup from the object to its study."""

    def __init__(self, *, study_path: str = "study", **kwargs):
        self.study_path = study_path
        super().__init__(**kwargs)

    def get_queryset(self):
        return super().get_queryset().filter(**{self.study_path: self.context["study"]})


class StudyVersionField(serializers.PrimaryKeyRelatedField):
    """The id of a questionnaire version of the view's study."""

    def get_queryset(self):
        return super().get_queryset().filter(instrument__study=self.context["study"])


# --- Output -----------------------------------------------------------------------------------


class InterviewOutputSerializer(serializers.Serializer):
    """What every interview endpoint shows. The source is named by its code, never more."""

    class PlaceSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()

    uuid = serializers.UUIDField(
        source="client_uuid", help_text=gettext_lazy("The client-made UUID of the interview.")
    )
    state = serializers.ChoiceField(source="status", choices=InterviewStatus.choices)
    source = serializers.CharField(source="source.code", allow_null=True)
    researcher = serializers.CharField(source="researcher.username")
    form_id = serializers.CharField(source="instrument.form_id")
    instrument_version = serializers.CharField(
        source="current_version.instrument_version.version",
        help_text=gettext_lazy("The questionnaire version of the current answers."),
    )
    place = PlaceSerializer(allow_null=True)
    conducted_at = serializers.DateTimeField(allow_null=True)
    mode = serializers.ChoiceField(choices=Interview.Mode.choices)
    language = serializers.CharField()
    created_at = serializers.DateTimeField()


class AttachmentOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    received_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(
        help_text=gettext_lazy("Where to download the file (each download is audited).")
    )

    def get_url(self, attachment) -> str:
        version = attachment.version
        return reverse(
            "api:interview-attachment",
            kwargs={
                "slug": version.study.slug,
                "interview_id": version.interview.client_uuid,
                "version_number": version.number,
                "filename": attachment.name,
            },
        )


def _seen(context: dict, version: InterviewVersion):
    """A version's content as the reader may see it, worked out (and a decrypted version's
    seal opened) once per response however many fields show it."""
    seen = context.setdefault("seen", {})
    if version.pk not in seen:
        seen[version.pk] = version_content_for(context["user"], version)
    return seen[version.pk]


class InterviewVersionOutputSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    instance_id = serializers.UUIDField()
    deprecated_id = serializers.UUIDField(allow_null=True)
    instrument_version = serializers.CharField(source="instrument_version.version")
    received_at = serializers.DateTimeField()
    submitted_by = serializers.CharField(source="submitted_by.username")
    format = serializers.ChoiceField(
        source="payload_format", choices=InterviewVersion.Format.choices
    )
    device = serializers.CharField(
        source="via_device.label",
        allow_null=True,
        help_text=gettext_lazy("The phone's name, for a version a device token sent."),
    )
    device_id = serializers.CharField(help_text=gettext_lazy("The phone's own deviceID."))
    problems = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "What the server check found in answers a phone had already finalized (kept as sent)."
        ),
    )
    awaiting_decryption = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "The files received; those answering a direct-identifier question only for "
            "readers who may see identifiers."
        )
    )
    missing_attachments = serializers.SerializerMethodField(
        help_text=gettext_lazy("Files the submission names that have not arrived yet.")
    )

    def get_problems(self, version) -> list[str]:
        return _seen(self.context, version).problems

    @extend_schema_field(AttachmentOutputSerializer(many=True))
    def get_attachments(self, version):
        hidden = _seen(self.context, version).hidden_files
        files = [f for f in version.attachments.all() if f.name not in hidden]
        return AttachmentOutputSerializer(files, many=True).data

    def get_awaiting_decryption(self, version) -> bool:
        return (
            version.payload_format == InterviewVersion.Format.OPENROSA_ENCRYPTED
            and version.decrypted_at is None
        )

    def get_missing_attachments(self, version) -> list[str]:
        received = version.received_names
        return [name for name in version.expected_attachments if name not in received]


class ReviewEventOutputSerializer(serializers.Serializer):
    # Plain strings: the schema names the one enum of review states after `state`.
    from_state = serializers.CharField(
        source="from_status", help_text=gettext_lazy("A `state` value; blank for the first.")
    )
    to_state = serializers.CharField(
        source="to_status",
        help_text=gettext_lazy("A `state` value; the same as `from_state` for a comment."),
    )
    comment = serializers.CharField()
    by = serializers.CharField(source="by.username")
    created_at = serializers.DateTimeField()


class InterviewDetailOutputSerializer(InterviewOutputSerializer):
    answers = serializers.SerializerMethodField(
        help_text=gettext_lazy("The current version's answers, as validation kept them.")
    )
    versions = serializers.SerializerMethodField()
    review_history = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DictField())
    def get_answers(self, interview) -> dict:
        # A coder reads "hidden: direct identifier" where a respondent's name was.
        return _seen(self.context, interview.current_version).answers

    @extend_schema_field(InterviewVersionOutputSerializer(many=True))
    def get_versions(self, interview):
        return InterviewVersionOutputSerializer(
            interview_versions(interview), many=True, context=self.context
        ).data

    @extend_schema_field(ReviewEventOutputSerializer(many=True))
    def get_review_history(self, interview):
        return ReviewEventOutputSerializer(interview_review_history(interview), many=True).data


class ConflictOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()


# --- Views ------------------------------------------------------------------------------------


def _recorded(conflict) -> dict:
    """The schema's answers of an endpoint that records (see `InterviewApi.recorded`)."""
    return {
        201: InterviewDetailOutputSerializer,
        200: OpenApiResponse(
            InterviewDetailOutputSerializer,
            description=gettext_lazy("Already stored: the stored interview."),
        ),
        409: OpenApiResponse(ConflictOutputSerializer, description=conflict),
    }


class InterviewApi(StudyScopedApi):
    def interview(self, interview_id) -> Interview:
        return interview_get(study=self.study, user=self.request.user, interview_id=interview_id)

    def recorded(self, result, *, conflict: str) -> Response:
        """A recording's answer: 201 with the interview, 200 for a body already stored,
        409 with `conflict` for another body (kept)."""
        if result.outcome == "conflict":
            return Response({"detail": conflict}, status=status.HTTP_409_CONFLICT)
        if result.outcome == "duplicate":
            return self.detail(result.interview)
        return self.detail(result.interview, status_code=status.HTTP_201_CREATED)

    def detail(self, interview: Interview, status_code: int = status.HTTP_200_OK) -> Response:
        interview = self.interview(interview.client_uuid)
        serializer = InterviewDetailOutputSerializer(interview, context={"user": self.request.user})
        return Response(serializer.data, status=status_code)


class InterviewListApi(InterviewApi):
    required_perms = {"GET": Perm.INTERVIEW_VIEW, "POST": Perm.INTERVIEW_RECORD}
    ordering = "-created_at"
    # For the schema (drf-spectacular reads the filters from here); `get` applies them.
    filter_backends = [DjangoFilterBackend]
    filterset_class = InterviewFilter
    queryset = Interview.objects.none()

    class InputSerializer(serializers.Serializer):
        client_uuid = serializers.UUIDField(
            help_text=gettext_lazy("Made by the client; sending it again is safe.")
        )
        instrument_version = StudyVersionField(
            queryset=InstrumentVersion.objects.select_related("instrument"),
            help_text=gettext_lazy("Id of a published questionnaire version."),
        )
        source = StudySlugField(
            slug_field="code",
            queryset=Source.objects.all(),
            required=False,
            allow_null=True,
            default=None,
            help_text=gettext_lazy(
                "The source's code; required when the questionnaire has a source_code question."
            ),
        )
        answers = serializers.DictField(help_text=gettext_lazy("Answers by question name."))
        place = StudyObjectField(
            queryset=Place.objects.all(), required=False, allow_null=True, default=None
        )
        conducted_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
        language = serializers.CharField(required=False, allow_blank=True, default="")
        mode = serializers.ChoiceField(
            choices=Interview.Mode.choices, required=False, default=Interview.Mode.FACE_TO_FACE
        )
        draft = serializers.BooleanField(
            required=False,
            default=False,
            help_text=gettext_lazy("Keep it as a draft rather than send it for review."),
        )

    @extend_schema(
        summary="List interviews",
        description="A field researcher sees the interviews they recorded; others all of them.",
        responses=InterviewOutputSerializer(many=True),
    )
    def get(self, request: Request, slug: str) -> Response:
        filtered = InterviewFilter(
            request.query_params,
            interview_list(study=self.study, user=request.user),
            study=self.study,
        )
        if not filtered.is_valid():
            raise ValidationError(filtered.errors)
        return self.paginated(filtered.qs, InterviewOutputSerializer)

    @extend_schema(
        summary="Record an interview",
        description=(
            "Idempotent on `client_uuid`: the same body sent again answers 200 with the stored "
            "interview and writes nothing. A different body under a stored `client_uuid` is "
            "refused with 409 and kept for a supervisor to look at."
        ),
        request=InputSerializer,
        responses=_recorded(gettext_lazy("Another body is stored under this client_uuid.")),
    )
    def post(self, request: Request, slug: str) -> Response:
        raw = request.body  # before parsing: the body exactly as received
        data = self.validated(self.InputSerializer, request.data)
        result = interview_record(
            study=self.study,
            by=request.user,
            client_uuid=data["client_uuid"],
            instrument_version=data["instrument_version"],
            source=data["source"],
            answers=data["answers"],
            raw_payload=raw,
            payload_format=InterviewVersion.Format.JSON,
            expected_attachments=expected_files(
                version=data["instrument_version"], answers=data["answers"]
            ),
            place=data["place"],
            conducted_at=data["conducted_at"],
            language=data["language"],
            mode=data["mode"],
            draft=data["draft"],
        )
        return self.recorded(
            result,
            conflict=_(
                "A different submission is already stored under this client_uuid; this one "
                "was refused and kept for review."
            ),
        )


class InterviewDetailApi(InterviewApi):
    required_perms = {"GET": Perm.INTERVIEW_VIEW}

    @extend_schema(
        summary="Show an interview with its versions and review history",
        responses=InterviewDetailOutputSerializer,
    )
    def get(self, request: Request, slug: str, interview_id) -> Response:
        return self.detail(self.interview(interview_id))


class InterviewReviewApi(InterviewApi):
    required_perms = {"POST": Perm.INTERVIEW_REVIEW}

    class InputSerializer(serializers.Serializer):
        # A plain string (the schema's enum of states is `state`'s); the service checks it.
        to = serializers.CharField(
            help_text=gettext_lazy(
                "The new state: has_issues, approved or rejected, as the current state allows."
            )
        )
        comment = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            help_text=gettext_lazy("Required when marking the interview as having issues."),
        )

    @extend_schema(
        summary="Move an interview to another review state",
        description="A move the review states do not allow answers 400 under `to`.",
        request=InputSerializer,
        responses=InterviewDetailOutputSerializer,
    )
    def post(self, request: Request, slug: str, interview_id) -> Response:
        interview = self.interview(interview_id)
        data = self.validated(self.InputSerializer, request.data)
        interview_review(interview=interview, by=request.user, **data)
        return self.detail(interview)


class InterviewCommentApi(InterviewApi):
    required_perms = {"POST": Perm.INTERVIEW_VIEW}

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(allow_blank=True)

    @extend_schema(
        summary="Comment on an interview",
        description=(
            "Reviewers comment at any time; the field researcher who recorded the interview "
            "when it is marked as having issues."
        ),
        request=InputSerializer,
        responses={201: InterviewDetailOutputSerializer},
    )
    def post(self, request: Request, slug: str, interview_id) -> Response:
        interview = self.interview(interview_id)
        if not can_comment(request.user, interview):
            raise PermissionDenied
        data = self.validated(self.InputSerializer, request.data)
        interview_comment(interview=interview, by=request.user, text=data["text"])
        return self.detail(interview, status_code=status.HTTP_201_CREATED)


class InterviewSubmitApi(InterviewApi):
    required_perms = {"POST": Perm.INTERVIEW_RECORD}

    @extend_schema(
        summary="Send a draft interview for review",
        description=(
            "By the field researcher who recorded it. Moves a draft to “received”, checking "
            "its source's participation consent again. Sending a received interview again "
            "changes nothing; any other state answers 400."
        ),
        request=None,
        responses={
            200: InterviewDetailOutputSerializer,
            400: OpenApiResponse(description=gettext_lazy("Not a draft, or no consent.")),
        },
    )
    def post(self, request: Request, slug: str, interview_id) -> Response:
        interview = self.interview(interview_id)
        if interview.researcher_id != request.user.pk:
            raise PermissionDenied  # as on the page: the field researcher sends her own draft
        interview_submit(interview=interview, by=request.user)
        return self.detail(interview)


class InterviewVersionListApi(InterviewApi):
    """Corrections: a new immutable version of an interview, as an ODK Collect edit
    (deprecatedID) is, for web and API clients."""

    required_perms = {"POST": Perm.INTERVIEW_RECORD}

    class InputSerializer(serializers.Serializer):
        instance_id = serializers.UUIDField(
            help_text=gettext_lazy("Made by the client for this version; sending it again is safe.")
        )
        replaces = serializers.UUIDField(
            help_text=gettext_lazy(
                "The instance ID of the version corrected, the interview's current one "
                "(an edit of an out-of-date version is refused with 409 and kept)."
            )
        )
        answers = serializers.DictField(help_text=gettext_lazy("All the answers, corrected."))
        instrument_version = StudyVersionField(
            queryset=InstrumentVersion.objects.select_related("instrument"),
            required=False,
            allow_null=True,
            default=None,
            help_text=gettext_lazy(
                "Id of a published version of the same questionnaire; the current one's "
                "when left out."
            ),
        )

    @extend_schema(
        summary="Correct an interview: record its next version",
        description=(
            "The field researcher who recorded the interview, or a reviewer. The answers are "
            "checked as on creation; the interview becomes “edited” and waits for review "
            "again."
        ),
        request=InputSerializer,
        responses=_recorded(
            gettext_lazy("Another body under this instance_id, or an out-of-date version replaced.")
        ),
    )
    def post(self, request: Request, slug: str, interview_id) -> Response:
        raw = request.body  # before parsing: the body exactly as received
        interview = self.interview(interview_id)
        if not can_edit_interview(request.user, interview):
            raise PermissionDenied
        data = self.validated(self.InputSerializer, request.data)
        result = interview_edit(
            interview=interview,
            by=request.user,
            instance_id=data["instance_id"],
            deprecated_id=data["replaces"],
            answers=data["answers"],
            raw_payload=raw,
            payload_format=InterviewVersion.Format.JSON,
            instrument_version=data["instrument_version"],
            expected_attachments=expected_files(
                version=data["instrument_version"] or interview.current_version.instrument_version,
                answers=data["answers"],
            ),
        )
        reason = result.conflict.reason if result.conflict is not None else ""
        return self.recorded(
            result,
            conflict=_("%(reason)s It was refused and kept for review.") % {"reason": reason},
        )


class InterviewAttachmentApi(InterviewApi):
    """Not JSON: the file itself."""

    required_perms = {"GET": Perm.INTERVIEW_VIEW, "PUT": Perm.INTERVIEW_RECORD}
    parser_classes = [FileUploadParser]

    @extend_schema(
        summary="Upload a file the interview's answers name",
        description=(
            "The request body is the file (any Content-Type; the name is the URL's). For a "
            "file the version's answers name (`missing_attachments`): sealed at rest, "
            "audited. The same file again answers 200; another file under a stored name "
            "409; a name the answers do not give, or a program or web page, 400; a file over "
            "the limit 413."
        ),
        request={"application/octet-stream": OpenApiTypes.BINARY},
        responses={
            201: AttachmentOutputSerializer,
            200: AttachmentOutputSerializer,
            409: OpenApiResponse(description=gettext_lazy("Another file under this name.")),
            413: OpenApiResponse(description=gettext_lazy("The file is over the limit.")),
        },
    )
    def put(self, request: Request, slug: str, interview_id, version_number: int, filename: str):
        interview = self.interview(interview_id)
        if not can_edit_interview(request.user, interview):
            raise PermissionDenied
        version = interview.versions.filter(number=version_number).first()
        upload = request.data.get("file")
        if version is None:
            raise Http404
        if upload is None:
            raise ValidationError({"file": [_("Send the file as the request body.")]})
        before = version.attachments.filter(name=filename).exists()
        try:
            attachment = attachment_add(
                version=version, by=request.user, name=filename, content=upload.read()
            )
        except FileRefused as refused:
            return Response({"file": [refused.message]}, status=refused.status)
        except ServiceError as exc:
            if exc.code == "conflict":
                return Response({"file": exc.messages}, status=status.HTTP_409_CONFLICT)
            raise
        return Response(
            AttachmentOutputSerializer(attachment).data,
            status=status.HTTP_200_OK if before else status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Download a file sent with an interview",
        description=(
            "The file as the phone sent it, opened from its seal; each download is audited."
        ),
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, slug: str, interview_id, version_number: int, filename: str):
        interview = self.interview(interview_id)
        attachment = interview_attachment(
            interview, number=version_number, name=filename, user=request.user
        )
        if attachment is None:
            raise Http404
        return file_download(
            attachment_open(attachment=attachment, by=request.user),
            filename=attachment.name,
            content_type=attachment.content_type,
        )
