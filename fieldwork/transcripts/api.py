"""REST API for an interview's transcript: read it (or one of its kept revisions) and save
it, with the same optimistic concurrency as the page: a save names the revision it is based
on, and one based on an older revision answers 409 and changes nothing."""

from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from fieldwork.accounts.permissions import Perm
from fieldwork.core.api import StudyScopedApi
from fieldwork.transcripts.content import TranscriptContent
from fieldwork.transcripts.models import TranscriptState
from fieldwork.transcripts.selectors import (
    transcript_content,
    transcript_for_reader,
    transcript_interview,
    transcript_revision,
    transcript_revision_content,
    transcript_revisions,
)
from fieldwork.transcripts.services import TranscriptConflict, transcript_save


class TranscriptRevisionOutputSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    saved_by = serializers.CharField(source="saved_by.username")
    saved_at = serializers.DateTimeField()


class TranscriptOutputSerializer(serializers.Serializer):
    interview = serializers.UUIDField()
    revision = serializers.IntegerField(
        help_text=gettext_lazy("0 while nothing is saved; send it back with the next save.")
    )
    # A plain string: the schema's one enum named after `state` is the interviews' states.
    state = serializers.CharField(help_text=gettext_lazy("“draft” or “final”."))
    language = serializers.CharField()
    translation_language = serializers.CharField()
    text = serializers.CharField()
    notes = serializers.CharField()
    translation = serializers.CharField()
    updated_by = serializers.CharField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)
    finalized_at = serializers.DateTimeField(allow_null=True)
    revisions = TranscriptRevisionOutputSerializer(
        many=True,
        help_text=gettext_lazy("The kept saves of a final transcript, newest first."),
    )


class TranscriptConflictOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()
    revision = serializers.IntegerField(help_text=gettext_lazy("The stored revision."))


class TranscriptDetailApi(StudyScopedApi):
    """An interview's transcript. A field researcher reads and saves the transcripts of her
    own interviews; coders read them."""

    required_perms = {"GET": Perm.TRANSCRIPT_VIEW, "PUT": Perm.TRANSCRIPT_EDIT}

    class FilterSerializer(serializers.Serializer):
        revision = serializers.IntegerField(
            required=False,
            min_value=1,
            help_text=gettext_lazy("Read this kept revision of a final transcript instead."),
        )

    class InputSerializer(serializers.Serializer):
        revision = serializers.IntegerField(
            min_value=0,
            help_text=gettext_lazy("The revision this save is based on (0 for the first save)."),
        )
        language = serializers.CharField(required=False, allow_blank=True, default="")
        translation_language = serializers.CharField(required=False, allow_blank=True, default="")
        text = serializers.CharField(
            required=False, allow_blank=True, default="", trim_whitespace=False
        )
        notes = serializers.CharField(
            required=False, allow_blank=True, default="", trim_whitespace=False
        )
        translation = serializers.CharField(
            required=False, allow_blank=True, default="", trim_whitespace=False
        )
        final = serializers.BooleanField(
            required=False,
            default=False,
            help_text=gettext_lazy(
                "Mark the transcript as final (it needs text and a language). A final "
                "transcript stays final; each later save is kept as a revision."
            ),
        )
        session = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            max_length=64,
            help_text=gettext_lazy(
                "Any string naming this editing session: a later save of the same session "
                "based on an older revision is not a conflict (a lost response)."
            ),
        )

    def _output(self, interview, *, user, number: int | None = None) -> dict:
        transcript = transcript_for_reader(user=user, interview=interview)
        revisions = transcript_revisions(transcript)
        out = {
            "interview": interview.client_uuid,
            "revision": 0,
            "state": TranscriptState.DRAFT,
            "language": "",
            "translation_language": "",
            "updated_by": None,
            "updated_at": None,
            "finalized_at": None,
            "revisions": revisions,
        }
        if number is not None:
            kept = transcript_revision(transcript, number) if transcript else None
            if kept is None:
                raise Http404
            content = transcript_revision_content(kept)
            out.update(
                revision=kept.number,
                state=TranscriptState.FINAL,
                language=kept.language,
                translation_language=kept.translation_language,
                updated_by=kept.saved_by.username,
                updated_at=kept.saved_at,
                finalized_at=transcript.finalized_at,
            )
        else:
            content = transcript_content(transcript)
            if transcript is not None:
                out.update(
                    revision=transcript.revision,
                    state=transcript.state,
                    language=transcript.language,
                    translation_language=transcript.translation_language,
                    updated_by=transcript.updated_by.username,
                    updated_at=transcript.updated_at,
                    finalized_at=transcript.finalized_at,
                )
        out.update(text=content.text, notes=content.notes, translation=content.translation)
        return TranscriptOutputSerializer(out).data

    @extend_schema(
        summary="Read an interview's transcript",
        description="An interview without a transcript answers revision 0 with empty text.",
        parameters=[FilterSerializer],
        responses=TranscriptOutputSerializer,
    )
    def get(self, request: Request, slug: str, interview_id) -> Response:
        interview = transcript_interview(
            study=self.study, user=request.user, interview_id=interview_id
        )
        query = self.validated(self.FilterSerializer, request.query_params)
        return Response(self._output(interview, user=request.user, number=query.get("revision")))

    @extend_schema(
        summary="Save an interview's transcript",
        description=(
            "Replaces text, notes, translation and languages. Sending what is already stored "
            "writes nothing. A save based on an older revision answers 409 and changes "
            "nothing: read the transcript again, merge, and save with its revision."
        ),
        request=InputSerializer,
        responses={
            200: TranscriptOutputSerializer,
            409: OpenApiResponse(
                TranscriptConflictOutputSerializer,
                description=gettext_lazy("Saved by someone else since that revision."),
            ),
        },
    )
    def put(self, request: Request, slug: str, interview_id) -> Response:
        interview = transcript_interview(
            study=self.study, user=request.user, interview_id=interview_id
        )
        data = self.validated(self.InputSerializer, request.data)
        try:
            transcript_save(
                interview=interview,
                by=request.user,
                base_revision=data["revision"],
                content=TranscriptContent(
                    text=data["text"], notes=data["notes"], translation=data["translation"]
                ),
                language=data["language"],
                translation_language=data["translation_language"],
                final=data["final"],
                session=data["session"],
                via="api",
            )
        except TranscriptConflict as exc:
            body = {"detail": exc.messages[0], "revision": exc.current.revision}
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(self._output(interview, user=request.user))
