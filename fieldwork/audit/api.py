"""REST API for a study's audit trail (read only: events are append-only)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from fieldwork.accounts.permissions import Perm
from fieldwork.audit.selectors import audit_event_list
from fieldwork.core.api import StudyScopedApi


class AuditEventListApi(StudyScopedApi):
    required_perms = {"GET": Perm.AUDIT_VIEW}
    ordering = ("-created_at", "-pk")

    class FilterSerializer(serializers.Serializer):
        action = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            help_text=gettext_lazy("Start of the action name, such as “source.” or “consent.”."),
        )
        actor = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            help_text=gettext_lazy("Username of who acted."),
        )
        target = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            help_text=gettext_lazy("What was acted on, such as a source code."),
        )
        since = serializers.DateField(required=False, default=None)
        until = serializers.DateField(required=False, default=None)

        def validate(self, data):
            if data["since"] and data["until"] and data["since"] > data["until"]:
                raise serializers.ValidationError(
                    {"until": [_("The end date must not be before the start date.")]}
                )
            return data

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        created_at = serializers.DateTimeField()
        actor = serializers.CharField(source="actor_username")
        action = serializers.CharField()
        target_type = serializers.CharField()
        target_id = serializers.CharField()
        reason = serializers.CharField()
        ip_address = serializers.IPAddressField(allow_null=True)
        data = serializers.DictField()

    @extend_schema(
        summary="List audit events, newest first",
        parameters=[FilterSerializer],
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request, slug: str) -> Response:
        filters = self.validated(self.FilterSerializer, request.query_params)
        return self.paginated(audit_event_list(study=self.study, **filters), self.OutputSerializer)
