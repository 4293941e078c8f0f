"""REST API for study membership: who works on a study, in which role."""

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from fieldwork.accounts.models import Membership, Role
from fieldwork.accounts.permissions import Perm
from fieldwork.accounts.selectors import member_get, member_list
from fieldwork.accounts.services import member_add, member_change_role, member_remove
from fieldwork.core.api import StudyScopedApi


class MemberOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The membership's id (not the user's)."))
    username = serializers.CharField(source="user.username")
    role = serializers.ChoiceField(choices=Role.choices)
    created_at = serializers.DateTimeField()


class MemberListApi(StudyScopedApi):
    required_perms = {"GET": Perm.MEMBER_VIEW, "POST": Perm.MEMBER_MANAGE}
    ordering = "pk"

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
        role = serializers.ChoiceField(choices=Role.choices)
        password = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            write_only=True,
            style={"input_type": "password"},
            help_text=_("Give one to create the account when nobody has this username yet."),
        )

    @extend_schema(summary="List members", responses=MemberOutputSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        return self.paginated(member_list(study=self.study), MemberOutputSerializer)

    @extend_schema(
        summary="Add a member, creating the account if needed",
        request=InputSerializer,
        responses={201: MemberOutputSerializer},
    )
    def post(self, request: Request, slug: str) -> Response:
        data = self.validated(self.InputSerializer, request.data)
        membership = member_add(study=self.study, by=request.user, **data)
        return Response(MemberOutputSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberDetailApi(StudyScopedApi):
    required_perms = {
        "GET": Perm.MEMBER_VIEW,
        "PATCH": Perm.MEMBER_MANAGE,
        "DELETE": Perm.MEMBER_MANAGE,
    }

    class InputSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=Role.choices)

    def _membership(self, member_id: int) -> Membership:
        membership = member_get(study=self.study, member_id=member_id)
        if membership is None:
            raise Http404
        return membership

    @extend_schema(summary="Show a member", responses=MemberOutputSerializer)
    def get(self, request: Request, slug: str, member_id: int) -> Response:
        return Response(MemberOutputSerializer(self._membership(member_id)).data)

    @extend_schema(
        summary="Change a member's role",
        description="A study keeps at least one study admin.",
        request=InputSerializer,
        responses=MemberOutputSerializer,
    )
    def patch(self, request: Request, slug: str, member_id: int) -> Response:
        membership = self._membership(member_id)
        # The role is the one thing to change, so even a PATCH must name it.
        data = self.validated(self.InputSerializer, request.data)
        membership = member_change_role(membership=membership, by=request.user, role=data["role"])
        return Response(MemberOutputSerializer(membership).data)

    @extend_schema(
        summary="Remove a member from the study",
        description="A study keeps at least one study admin.",
        responses={204: None},
    )
    def delete(self, request: Request, slug: str, member_id: int) -> Response:
        member_remove(membership=self._membership(member_id), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
