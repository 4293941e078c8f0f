"""REST framework glue shared by every app: errors as field-level JSON, pagination, schema
naming and the base classes of API views."""

import inspect

from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from fieldwork.accounts.models import Role
from fieldwork.accounts.permissions import PERM_ROLES, StudyPermission


def exception_handler(exc, context):
    """Turn a service's ValidationError into a 400 with field-level messages.

    A message that concerns no field is reported under `non_field_errors`, as DRF does for
    serializer-level errors, so clients read every error from one shape.
    """
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
            detail = {("non_field_errors" if k == "__all__" else k): v for k, v in detail.items()}
        else:
            detail = {"non_field_errors": [str(m) for m in exc.messages]}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)


# --- Building blocks for the apps' API views ---------------------------------------------------


#: Every 400: messages per field, and under `non_field_errors` those about no one field.
FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {
        "field_name": ["What is wrong with this field."],
        "non_field_errors": ["What is wrong with the request as a whole."],
    },
}
DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}


def _error_response(schema: dict, description: str) -> dict:
    return {"content": {"application/json": {"schema": schema}}, "description": description}


class ApiSchema(AutoSchema):
    """OpenAPI names that stay unique although every view nests an `InputSerializer` and an
    `OutputSerializer`: a component is named where it is declared
    (`SourceDetailApi.OutputSerializer` becomes `SourceDetailOutput`), and an operation is
    tagged with its app (`fieldwork.sources.api` becomes `sources`)."""

    def get_serializer_name(self, serializer, direction) -> str:
        parts = type(serializer).__qualname__.split(".")
        return "".join(p.removesuffix("Serializer").removesuffix("Api") for p in parts)

    def get_description(self) -> str:
        # The view's own docstring or its method's, never one inherited from a base class.
        method_doc = getattr(getattr(self.view, self.method.lower(), None), "__doc__", None)
        return inspect.cleandoc(method_doc or type(self.view).__dict__.get("__doc__") or "")

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        perm = getattr(self.view, "required_perms", {}).get(self.method)
        if perm is not None:
            allowed = PERM_ROLES.get(perm, frozenset())
            roles = ", ".join(str(role.label) for role in Role if role in allowed)
            note = gettext("Study roles allowed: %(roles)s.") % {"roles": roles}
            operation["description"] = "\n\n".join(
                part for part in (operation.get("description", ""), note) if part
            )
        responses = operation.setdefault("responses", {})
        takes_input = "requestBody" in operation or any(
            p.get("in") == "query" and p.get("name") not in ("cursor", "page_size")
            for p in operation.get("parameters", [])
        )
        if takes_input:
            responses.setdefault("400", _error_response(FIELD_ERRORS, gettext("Invalid input.")))
        responses.setdefault(
            "403",
            _error_response(DETAIL, gettext("Not signed in, or your role does not allow this.")),
        )
        if perm is not None:
            responses.setdefault(
                "404",
                _error_response(
                    DETAIL, gettext("Not found, or in a study you are not a member of.")
                ),
            )
        return operation

    def get_tags(self) -> list[str]:
        module = type(self.view).__module__.split(".")
        if module[0] == "fieldwork" and len(module) > 1:
            return [module[1]]
        return super().get_tags()


class ApiPagination(CursorPagination):
    """Cursor pagination in the order the view declares in `ordering`. Cursors stay valid
    while rows are added, and no page costs an OFFSET scan."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_ordering(self, request, queryset, view) -> tuple[str, ...]:
        ordering = getattr(view, "ordering", None)
        if not ordering:
            raise ImproperlyConfigured(f"{type(view).__name__} paginates but declares no ordering.")
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)


class BaseApi(APIView):
    """An API view: parse input, call an access helper and a service or selector, serialize."""

    schema = ApiSchema()
    pagination_class = ApiPagination
    parser_classes = [JSONParser]
    #: Order of the paginated list, for views that list (a unique or nearly unique field).
    ordering: str | tuple[str, ...] | None = None

    def serializer_context(self) -> dict:
        return {"request": self.request, "view": self, "study": getattr(self, "study", None)}

    def validated(self, serializer_class, data, **kwargs) -> dict:
        """Validate input (a body or query parameters); a 400 with field errors otherwise."""
        serializer = serializer_class(data=data, context=self.serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def paginated(self, queryset, serializer_class) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        data = serializer_class(page, many=True, context=self.serializer_context()).data
        return paginator.get_paginated_response(data)


class StudyScopedApi(BaseApi):
    """A view under /api/v1/studies/<slug>/. It names the permission each method needs in
    `required_perms`; `StudyPermission` refuses other methods and sets `self.study`."""

    permission_classes = [IsAuthenticated, StudyPermission]
    required_perms: dict = {}
    study = None


class StudyObjectField(serializers.PrimaryKeyRelatedField):
    """The id of an object (place, actor, consent form) of the view's study. An id from
    another study is answered as missing, like an id that does not exist."""

    def get_queryset(self):
        return super().get_queryset().filter(study=self.context["study"])
