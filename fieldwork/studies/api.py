"""REST API for studies, their places and their actors."""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from fieldwork.accounts.permissions import Perm, perms_for, study_role
from fieldwork.core.api import BaseApi, StudyObjectField, StudyScopedApi
from fieldwork.studies.models import Actor, ActorKind, Place, PlaceLevel, PlaceScheme, Study
from fieldwork.studies.selectors import (
    actor_get,
    actor_list,
    place_get,
    place_list,
    study_list_for,
)
from fieldwork.studies.services import actor_create, actor_update, place_create, study_create

# --- Studies -----------------------------------------------------------------------------------


class StudyCreatePermission(BasePermission):
    """Anyone signed in lists their own studies; only staff accounts create studies."""

    message = _("Only staff accounts can create studies.")

    def has_permission(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return request.method == "POST" and bool(request.user.is_staff)


class StudyOutputSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField()
    place_scheme = serializers.ChoiceField(choices=PlaceScheme.choices)
    created_at = serializers.DateTimeField()
    role = serializers.CharField(help_text=_("Your role in this study."))


class StudyListApi(BaseApi):
    permission_classes = [IsAuthenticated, StudyCreatePermission]
    ordering = ("name", "pk")

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        slug = serializers.CharField(
            max_length=60,
            required=False,
            allow_blank=True,
            default="",
            help_text=_("Short name used in addresses; made from the name when left out."),
        )
        description = serializers.CharField(required=False, allow_blank=True, default="")
        place_scheme = serializers.ChoiceField(choices=PlaceScheme.choices)

    @extend_schema(summary="List your studies", responses=StudyOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.paginated(study_list_for(user=request.user), StudyOutputSerializer)

    @extend_schema(
        summary="Create a study (staff accounts only)",
        request=InputSerializer,
        responses={201: StudyOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.validated(self.InputSerializer, request.data)
        study = study_create(by=request.user, **data)
        study.role = study_role(user=request.user, study=study)
        return Response(StudyOutputSerializer(study).data, status=status.HTTP_201_CREATED)


class StudyDetailApi(StudyScopedApi):
    required_perms = {"GET": Perm.STUDY_VIEW}

    class OutputSerializer(StudyOutputSerializer):
        place_levels = serializers.ListField(
            child=serializers.CharField(),
            help_text=_("The levels of this study's places, outermost first (see `level`)."),
        )
        permissions = serializers.ListField(
            child=serializers.CharField(), help_text=_("What you may do in this study.")
        )

    @extend_schema(summary="Show a study", responses=OutputSerializer)
    def get(self, request: Request, slug: str) -> Response:
        study: Study = self.study
        study.role = study_role(user=request.user, study=study)
        study.permissions = sorted(perms_for(request.user, study))
        return Response(self.OutputSerializer(study).data)


# --- Places --------------------------------------------------------------------------------------


class PlaceOutputSerializer(serializers.Serializer):
    class AncestorSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        level = serializers.ChoiceField(choices=PlaceLevel.choices)

    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=PlaceLevel.choices)
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    path = AncestorSerializer(
        many=True,
        help_text=_("The places above this one, outermost first, ending with this place."),
    )


class PlaceListApi(StudyScopedApi):
    required_perms = {"GET": Perm.PLACE_VIEW, "POST": Perm.PLACE_MANAGE}
    ordering = ("name", "pk")

    class FilterSerializer(serializers.Serializer):
        level = serializers.ChoiceField(
            choices=PlaceLevel.choices, required=False, allow_blank=True, default=""
        )
        search = serializers.CharField(
            required=False, allow_blank=True, default="", help_text=_("Part of the place's name.")
        )
        parent = StudyObjectField(
            queryset=Place.objects.all(),
            required=False,
            default=None,
            help_text=_("Only the places directly inside this one."),
        )

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        level = serializers.ChoiceField(choices=PlaceLevel.choices)
        parent = StudyObjectField(
            queryset=Place.objects.all(),
            required=False,
            allow_null=True,
            default=None,
            help_text=_("The place one level up; none for the top level."),
        )

    @extend_schema(
        summary="List places",
        parameters=[FilterSerializer],
        responses=PlaceOutputSerializer(many=True),
    )
    def get(self, request: Request, slug: str) -> Response:
        filters = self.validated(self.FilterSerializer, request.query_params)
        return self.paginated(place_list(study=self.study, **filters), PlaceOutputSerializer)

    @extend_schema(
        summary="Add a place", request=InputSerializer, responses={201: PlaceOutputSerializer}
    )
    def post(self, request: Request, slug: str) -> Response:
        data = self.validated(self.InputSerializer, request.data)
        place = place_create(study=self.study, by=request.user, **data)
        place = place_get(study=self.study, place_id=place.pk)
        return Response(PlaceOutputSerializer(place).data, status=status.HTTP_201_CREATED)


class PlaceDetailApi(StudyScopedApi):
    required_perms = {"GET": Perm.PLACE_VIEW}

    @extend_schema(summary="Show a place", responses=PlaceOutputSerializer)
    def get(self, request: Request, slug: str, place_id: int) -> Response:
        place = place_get(study=self.study, place_id=place_id)
        if place is None:
            raise Http404
        return Response(PlaceOutputSerializer(place).data)


# --- Actors --------------------------------------------------------------------------------------


class AliasSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    language = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Language of this name, such as “fr” or “bm”."),
    )


class ActorOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ActorKind.choices)
    parent = serializers.IntegerField(
        source="parent_id", allow_null=True, help_text=_("The faction this one is a branch of.")
    )
    description = serializers.CharField()
    aliases = AliasSerializer(many=True, source="aliases.all")
    # A queryset (never used to write) tells the schema these are integer ids.
    active_areas = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Place.objects.none(),
        help_text=_("Ids of the places where the actor is active."),
    )
    branches = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Actor.objects.none(), help_text=_("Ids of the actor's branches.")
    )


class ActorInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=ActorKind.choices)
    parent = StudyObjectField(
        queryset=Actor.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The faction this one is a branch of."),
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")
    aliases = AliasSerializer(many=True, required=False, default=list)
    active_areas = StudyObjectField(
        queryset=Place.objects.all(),
        many=True,
        required=False,
        default=list,
        help_text=_("Ids of the places where the actor is active."),
    )


def _aliases(data: dict) -> list[tuple[str, str]]:
    return [(alias["name"], alias["language"]) for alias in data["aliases"]]


class ActorListApi(StudyScopedApi):
    required_perms = {"GET": Perm.ACTOR_VIEW, "POST": Perm.ACTOR_MANAGE}
    ordering = ("name", "pk")

    class FilterSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(
            choices=ActorKind.choices, required=False, allow_blank=True, default=""
        )
        search = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            help_text=_("Part of the actor's name or of an alias."),
        )

    class InputSerializer(ActorInputSerializer):
        pass

    @extend_schema(
        summary="List actors",
        parameters=[FilterSerializer],
        responses=ActorOutputSerializer(many=True),
    )
    def get(self, request: Request, slug: str) -> Response:
        filters = self.validated(self.FilterSerializer, request.query_params)
        return self.paginated(actor_list(study=self.study, **filters), ActorOutputSerializer)

    @extend_schema(
        summary="Register an actor",
        request=InputSerializer,
        responses={201: ActorOutputSerializer},
    )
    def post(self, request: Request, slug: str) -> Response:
        data = self.validated(self.InputSerializer, request.data)
        actor = actor_create(
            study=self.study,
            by=request.user,
            name=data["name"],
            kind=data["kind"],
            parent=data["parent"],
            description=data["description"],
            aliases=_aliases(data),
            active_areas=data["active_areas"],
        )
        actor = actor_get(study=self.study, actor_id=actor.pk)
        return Response(ActorOutputSerializer(actor).data, status=status.HTTP_201_CREATED)


class ActorDetailApi(StudyScopedApi):
    required_perms = {"GET": Perm.ACTOR_VIEW, "PUT": Perm.ACTOR_MANAGE, "PATCH": Perm.ACTOR_MANAGE}

    class InputSerializer(ActorInputSerializer):
        pass

    def _actor(self, actor_id: int) -> Actor:
        actor = actor_get(study=self.study, actor_id=actor_id)
        if actor is None:
            raise Http404
        return actor

    def _update(self, request: Request, actor_id: int, *, partial: bool) -> Response:
        actor = self._actor(actor_id)
        data = self.validated(self.InputSerializer, request.data, partial=partial)
        current = {
            "name": actor.name,
            "kind": actor.kind,
            "parent": actor.parent,
            "description": actor.description,
            "aliases": [{"name": a.name, "language": a.language} for a in actor.aliases.all()],
            "active_areas": list(actor.active_areas.all()),
        }
        # A PATCH keeps what it does not mention; a PUT replaces the whole actor.
        data = {**current, **data} if partial else data
        actor_update(
            actor=actor,
            by=request.user,
            name=data["name"],
            kind=data["kind"],
            parent=data["parent"],
            description=data["description"],
            aliases=_aliases(data),
            active_areas=data["active_areas"],
        )
        return Response(ActorOutputSerializer(self._actor(actor_id)).data)

    @extend_schema(summary="Show an actor", responses=ActorOutputSerializer)
    def get(self, request: Request, slug: str, actor_id: int) -> Response:
        return Response(ActorOutputSerializer(self._actor(actor_id)).data)

    @extend_schema(
        summary="Replace an actor", request=InputSerializer, responses=ActorOutputSerializer
    )
    def put(self, request: Request, slug: str, actor_id: int) -> Response:
        return self._update(request, actor_id, partial=False)

    @extend_schema(
        summary="Change some of an actor's details",
        request=InputSerializer,
        responses=ActorOutputSerializer,
    )
    def patch(self, request: Request, slug: str, actor_id: int) -> Response:
        return self._update(request, actor_id, partial=True)
