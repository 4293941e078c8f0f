import json
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from drf_spectacular.validation import validate_schema

from fieldwork.accounts.models import Role
from tests.matrix_api import API_MATRIX

pytestmark = pytest.mark.django_db

API_PATHS = {
    "/api/v1/studies/",
    "/api/v1/studies/{slug}/",
    "/api/v1/studies/{slug}/sources/",
    "/api/v1/studies/{slug}/sources/{code}/",
    "/api/v1/studies/{slug}/sources/{code}/reveal/",
    "/api/v1/studies/{slug}/sources/{code}/shred/",
    "/api/v1/studies/{slug}/sources/{code}/consent/",
    "/api/v1/studies/{slug}/sources/{code}/consent/withdraw/",
    "/api/v1/studies/{slug}/consent-forms/",
    "/api/v1/studies/{slug}/consent-forms/{form_id}/",
    "/api/v1/studies/{slug}/places/",
    "/api/v1/studies/{slug}/places/{place_id}/",
    "/api/v1/studies/{slug}/actors/",
    "/api/v1/studies/{slug}/actors/{actor_id}/",
    "/api/v1/studies/{slug}/members/",
    "/api/v1/studies/{slug}/members/{member_id}/",
    "/api/v1/studies/{slug}/audit-events/",
    "/api/v1/studies/{slug}/instruments/",
    "/api/v1/studies/{slug}/instruments/versions/{version_id}/",
    "/api/v1/studies/{slug}/instruments/versions/{version_id}/publish/",
    "/api/v1/studies/{slug}/instruments/versions/{version_id}/disclosure/",
    "/api/v1/studies/{slug}/interviews/",
    "/api/v1/studies/{slug}/interviews/{interview_id}/",
    "/api/v1/studies/{slug}/interviews/{interview_id}/review/",
    "/api/v1/studies/{slug}/interviews/{interview_id}/comments/",
    "/api/v1/studies/{slug}/interviews/{interview_id}/submit/",
    "/api/v1/studies/{slug}/interviews/{interview_id}/versions/",
    "/api/v1/studies/{slug}/interviews/{interview_id}/versions/{version_number}/files/{filename}",
    "/api/v1/studies/{slug}/interviews/{interview_id}/transcript/",
}


@pytest.fixture
def schema(client, user):
    client.force_login(user)
    response = client.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_is_valid_openapi_with_every_endpoint(schema):
    validate_schema(schema)  # raises on an invalid document

    assert set(schema["paths"]) == API_PATHS
    methods = {
        (path, method)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert len(methods) == len(API_MATRIX)


def test_schema_documents_who_may_call_each_operation(schema):
    reveal = schema["paths"]["/api/v1/studies/{slug}/sources/{code}/reveal/"]["post"]

    assert reveal["tags"] == ["sources"]
    assert str(Role.SUPERVISOR.label) in reveal["description"]
    assert str(Role.CODER.label) not in reveal["description"]
    assert {"200", "400", "403", "404"} <= set(reveal["responses"])


def test_schema_carries_no_identity_examples(schema):
    identity = schema["components"]["schemas"]["Identity"]

    assert "example" not in json.dumps(identity)
    detail = schema["components"]["schemas"]["SourceDetailOutput"]
    assert "identity" not in detail["required"]  # absent unless you may read it
    assert "identity" not in schema["components"]["schemas"]["SourceOutput"]["properties"]


def test_list_responses_are_cursor_paginated(schema):
    sources = schema["paths"]["/api/v1/studies/{slug}/sources/"]["get"]

    assert {p["name"] for p in sources["parameters"]} >= {"cursor", "search", "place", "consent"}
    assert sources["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginatedSourceOutputList"
    }


def _local_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r'url: "([^"]+)"', html)


def test_docs_page_loads_nothing_from_the_internet(client, study_world):
    client.force_login(study_world.member(Role.ANALYST))

    response = client.get(reverse("api-docs"))

    assert response.status_code == 200
    html = response.content.decode()
    urls = _local_urls(html)
    assert any(url.endswith("swagger-ui-bundle.js") for url in urls)
    for url in urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        if url.startswith("/" + settings.STATIC_URL.strip("/") + "/"):
            relative = url.split("/", 2)[2]
            assert finders.find(relative), f"{relative} is not among the static files"
        else:
            assert url == reverse("api-schema")
    assert "cdn" not in html.lower()


def test_docs_page_does_not_call_the_online_validator(client, user):
    client.force_login(user)
    html = client.get(reverse("api-docs")).content.decode()

    assert '"validatorUrl": null' in html


def test_methods_a_view_does_not_have_answer_405(client, study_world):
    client.force_login(study_world.member(Role.STUDY_ADMIN))

    assert client.delete(study_world.url("api:source-detail")).status_code == 405
    assert client.put(study_world.url("api:place-detail"), {}).status_code == 405
    assert client.delete(study_world.url("api:audit-event-list")).status_code == 405


def test_a_handler_without_a_permission_is_refused(study_world):
    """Deny by default: a method a view handles but whose permission nobody wrote down."""
    from rest_framework.test import APIRequestFactory, force_authenticate

    from fieldwork.accounts.permissions import Perm
    from fieldwork.core.api import StudyScopedApi

    class Forgotten(StudyScopedApi):
        required_perms = {"GET": Perm.STUDY_VIEW}

        def delete(self, request, slug):  # pragma: no cover - never reached
            raise AssertionError("reached")

    request = APIRequestFactory().delete("/")
    force_authenticate(request, user=study_world.member(Role.STUDY_ADMIN))
    response = Forgotten.as_view()(request, slug=study_world.study.slug)
    assert response.status_code == 403


def test_browsable_api_page_opens_for_a_read_only_role(client, study_world):
    # Rendering the page probes whether the user may PUT; an analyst may not, and must
    # still see the page rather than a 403.
    client.force_login(study_world.member(Role.ANALYST))

    response = client.get(study_world.url("api:actor-detail"), HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert b"Dan Na Ambassagou" in response.content
