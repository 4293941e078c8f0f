import pytest
from django.urls import reverse

from fieldwork.accounts.models import Membership, Role, User
from fieldwork.accounts.permissions import ADMIN, CODER, SUP
from fieldwork.audit.models import AuditEvent
from tests.conftest import OUTSIDER
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def send(client, method, url, data=None):
    return getattr(client, method)(url, data or {}, content_type="application/json")


def as_role(client, study_world, role):
    client.force_login(study_world.member(role))
    return client


def member_url(membership):
    return reverse(
        "api:member-detail", kwargs={"slug": membership.study.slug, "member_id": membership.pk}
    )


def test_supervisors_see_the_members(client, study_world):
    as_role(client, study_world, SUP)

    response = client.get(study_world.url("api:member-list"))

    assert response.status_code == 200
    rows = {row["username"]: row["role"] for row in response.json()["results"]}
    assert rows == {f"{role.value}-user": role.value for role in Role}


def test_coders_do_not_see_the_members(client, study_world):
    as_role(client, study_world, CODER)

    assert client.get(study_world.url("api:member-list")).status_code == 403


def test_admin_adds_an_existing_account(client, study_world):
    UserFactory(username="moussa")
    as_role(client, study_world, ADMIN)

    response = send(
        client, "post", study_world.url("api:member-list"), {"username": "moussa", "role": "coder"}
    )

    assert response.status_code == 201, response.json()
    assert response.json()["role"] == "coder"
    assert Membership.objects.get(user__username="moussa", study=study_world.study).role == CODER
    assert AuditEvent.objects.filter(action="membership.added", target_id="moussa").exists()


def test_admin_creates_the_account_with_a_password(client, study_world):
    as_role(client, study_world, ADMIN)
    url = study_world.url("api:member-list")

    unknown = send(client, "post", url, {"username": "fatou", "role": "field_researcher"})
    weak = send(
        client, "post", url, {"username": "fatou", "role": "field_researcher", "password": "123"}
    )
    response = send(
        client,
        "post",
        url,
        {"username": "fatou", "role": "field_researcher", "password": "Sévaré-2026-terrain"},
    )

    assert list(unknown.json()) == ["username"]
    assert list(weak.json()) == ["password"]
    assert response.status_code == 201, response.json()
    assert "password" not in response.json()
    assert User.objects.get(username="fatou").check_password("Sévaré-2026-terrain")


def test_member_input_errors_are_field_level(client, study_world):
    as_role(client, study_world, ADMIN)
    url = study_world.url("api:member-list")

    bad_role = send(client, "post", url, {"username": "coder-user", "role": "king"})
    bad_name = send(client, "post", url, {"username": "a b/c", "role": "coder", "password": "x"})
    again = send(client, "post", url, {"username": "coder-user", "role": "coder"})

    assert list(bad_role.json()) == ["role"]
    assert list(bad_name.json()) == ["username"]
    assert list(again.json()) == ["username"]


def test_admin_changes_a_role_and_it_is_audited(client, study_world):
    as_role(client, study_world, ADMIN)
    coder = study_world.membership(CODER)

    response = send(client, "patch", member_url(coder), {"role": "supervisor"})

    assert response.status_code == 200, response.json()
    assert response.json()["role"] == "supervisor"
    event = AuditEvent.objects.get(action="membership.role_changed")
    assert event.data == {"from": "coder", "to": "supervisor"}
    assert event.target_id == "coder-user"


def test_the_last_study_admin_stays(client, study_world):
    as_role(client, study_world, ADMIN)
    admin = study_world.membership(ADMIN)

    demoted = send(client, "patch", member_url(admin), {"role": "coder"})
    removed = send(client, "delete", member_url(admin))

    assert demoted.status_code == removed.status_code == 400
    assert list(demoted.json()) == list(removed.json()) == ["non_field_errors"]
    assert Membership.objects.get(pk=admin.pk).role == ADMIN


def test_with_a_second_admin_the_first_may_step_down(client, study_world):
    as_role(client, study_world, ADMIN)
    send(client, "patch", member_url(study_world.membership(SUP)), {"role": "study_admin"})

    response = send(client, "patch", member_url(study_world.membership(ADMIN)), {"role": "analyst"})

    assert response.status_code == 200


def test_removed_member_loses_access(client, study_world):
    as_role(client, study_world, ADMIN)

    response = send(client, "delete", member_url(study_world.membership(CODER)))

    assert response.status_code == 204
    assert AuditEvent.objects.filter(action="membership.removed", target_id="coder-user").exists()
    as_role(client, study_world, CODER)
    study_url = reverse("api:study-detail", kwargs={"slug": "centre-mali"})
    assert client.get(study_url).status_code == 404


def test_supervisors_may_not_change_roles(client, study_world):
    as_role(client, study_world, SUP)

    response = send(
        client, "patch", member_url(study_world.membership(SUP)), {"role": "study_admin"}
    )

    assert response.status_code == 403
    assert study_world.membership(SUP).role == SUP


def test_a_membership_of_another_study_is_not_found_here(client, study_world):
    foreign = Membership.objects.get(user=study_world.member(OUTSIDER))
    as_role(client, study_world, ADMIN)
    url = reverse("api:member-detail", kwargs={"slug": "centre-mali", "member_id": foreign.pk})

    assert client.get(url).status_code == 404
    assert send(client, "delete", url).status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()
