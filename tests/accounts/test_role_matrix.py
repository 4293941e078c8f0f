"""Every URL, every role: who gets in and who does not.

The table is the union of the page matrix (tests/matrix_ui.py), the API matrix
(tests/matrix_api.py) and the public entries below. A companion test walks the URL resolver
and fails for any named URL missing from the table, so a new URL needs a rule first."""

import pytest
from django.conf import settings
from django.urls import reverse

from fieldwork.accounts.models import Role
from tests.conftest import ANONYMOUS, EVERY_VISITOR, OUTSIDER, all_url_names
from tests.matrix_api import API_MATRIX
from tests.matrix_ui import UI_MATRIX

PUBLIC = frozenset(EVERY_VISITOR)
PUBLIC_MATRIX = [  # reachable without signing in: they reveal nothing about any study
    ("home", "get", PUBLIC),
    ("set_language", "post", PUBLIC),
    ("core:health", "get", PUBLIC),
    ("api-schema", "get", PUBLIC - {ANONYMOUS}),
    ("api-docs", "get", PUBLIC - {ANONYMOUS}),
]
MATRIX = PUBLIC_MATRIX + UI_MATRIX + API_MATRIX


def _denied(response, role, *, api: bool) -> bool:
    if role == ANONYMOUS and not api:
        login = reverse(settings.LOGIN_URL)
        return response.status_code == 302 and response["Location"].startswith(login)
    return response.status_code in ((401, 403, 404) if api else (403, 404))


@pytest.mark.django_db
@pytest.mark.parametrize("role", EVERY_VISITOR, ids=str)
@pytest.mark.parametrize(("name", "method", "allowed"), MATRIX, ids=lambda v: str(v)[:40])
def test_role_matrix(client, study_world, role, name, method, allowed):
    user = study_world.member(role)
    if user is not None:
        client.force_login(user)
    api = name.startswith(("api:", "api-", "openrosa:"))
    kwargs = {"content_type": "application/json", "data": "{}"} if api and method != "get" else {}
    if name.startswith("openrosa:"):
        # the device token in key URLs is the world's field researcher's (StudyWorld.device)
        kwargs["headers"] = {"X-OpenRosa-Version": "1.0"}
    response = getattr(client, method)(study_world.url(name), **kwargs)
    allowed_roles = {Role(r) if r not in (OUTSIDER, ANONYMOUS) else r for r in allowed}
    if role in allowed_roles:
        assert response.status_code not in (401, 403, 404, 405), response.status_code
        assert not _denied(response, role, api=api)
    else:
        assert _denied(response, role, api=api), (response.status_code, response.get("Location"))


def test_every_url_has_a_rule():
    covered = {(name, method) for name, method, _ in MATRIX}
    names_with_rules = {name for name, _ in covered}
    missing = sorted(set(all_url_names()) - names_with_rules)
    assert not missing, f"URLs without a rule in the role matrix: {missing}"
    stale = sorted(names_with_rules - set(all_url_names()))
    assert not stale, f"Rules for URLs that no longer exist: {stale}"
