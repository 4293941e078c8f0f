import pytest
from django.urls import reverse

from fieldwork.accounts.models import Membership
from fieldwork.accounts.permissions import ADMIN, ANALYST, CODER, SUP
from fieldwork.audit.models import AuditEvent
from fieldwork.studies.models import Actor, Place, PlaceLevel, Study
from tests.conftest import OUTSIDER
from tests.factories import ActorFactory, PlaceFactory, UserFactory

pytestmark = pytest.mark.django_db


def send(client, method, url, data=None):
    return getattr(client, method)(url, data or {}, content_type="application/json")


def as_role(client, study_world, role):
    client.force_login(study_world.member(role))
    return client


# --- Studies -----------------------------------------------------------------------------------


def test_study_list_shows_my_studies_with_my_role(client, study_world):
    as_role(client, study_world, CODER)

    response = client.get(reverse("api:study-list"))

    assert response.status_code == 200
    assert [(s["slug"], s["role"]) for s in response.json()["results"]] == [
        ("centre-mali", "coder")
    ]


def test_study_list_hides_studies_i_am_not_in(client, study_world):
    as_role(client, study_world, OUTSIDER)

    response = client.get(reverse("api:study-list"))

    assert [s["slug"] for s in response.json()["results"]] == ["diaspora"]


def test_only_staff_accounts_create_studies(client, study_world):
    as_role(client, study_world, ADMIN)
    payload = {"name": "Sahel 2027", "place_scheme": "mali"}

    refused = send(client, "post", reverse("api:study-list"), payload)

    assert refused.status_code == 403
    assert not Study.objects.filter(name="Sahel 2027").exists()

    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    response = send(client, "post", reverse("api:study-list"), payload)

    assert response.status_code == 201, response.json()
    assert response.json()["slug"] == "sahel-2027"
    assert response.json()["role"] == "study_admin"
    assert Membership.objects.get(user=staff, study__slug="sahel-2027").role == ADMIN


def test_study_slug_clash_is_a_field_error(client, study_world):
    client.force_login(UserFactory(is_staff=True))

    response = send(
        client,
        "post",
        reverse("api:study-list"),
        {"name": "Autre", "slug": "centre-mali", "place_scheme": "galaxy"},
    )

    assert response.status_code == 400
    assert set(response.json()) == {"place_scheme"}  # the serializer checks choices first
    response = send(
        client,
        "post",
        reverse("api:study-list"),
        {"name": "Autre", "slug": "centre-mali", "place_scheme": "mali"},
    )
    assert list(response.json()) == ["slug"]


def test_study_detail_says_what_i_may_do(client, study_world):
    as_role(client, study_world, CODER)

    body = client.get(study_world.url("api:study-detail")).json()

    assert body["role"] == "coder"
    assert body["place_levels"] == ["region", "cercle", "commune", "village"]
    assert "consent_form_view" in body["permissions"]
    assert "source_view" not in body["permissions"]


def test_study_detail_is_a_404_for_strangers(client, study_world):
    as_role(client, study_world, OUTSIDER)

    assert client.get(study_world.url("api:study-detail")).status_code == 404
    assert client.get(reverse("api:study-detail", kwargs={"slug": "nope"})).status_code == 404


def test_anonymous_visitors_are_refused(client, study_world):
    assert client.get(reverse("api:study-list")).status_code in (401, 403)
    assert client.get(study_world.url("api:place-list")).status_code in (401, 403)


def test_basic_auth_works_for_scripts(client, study_world):
    import base64

    token = base64.b64encode(b"analyst-user:correct-horse-battery-staple").decode()

    response = client.get(study_world.url("api:place-list"), HTTP_AUTHORIZATION=f"Basic {token}")

    assert response.status_code == 200


# --- Places ------------------------------------------------------------------------------------


def test_place_is_added_under_its_parent(client, study_world):
    as_role(client, study_world, SUP)

    response = send(
        client,
        "post",
        study_world.url("api:place-list"),
        {"name": "Dourou", "level": "village", "parent": study_world.commune.pk},
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["parent"] == study_world.commune.pk
    assert [p["name"] for p in body["path"]] == ["Mopti", "Bandiagara", "Sangha", "Dourou"]
    assert AuditEvent.objects.filter(action="place.created").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "Ogol-Leye", "level": "village"}, "parent"),  # a village needs a commune
        ({"name": "France", "level": "country"}, "level"),  # not a level of this study
        ({"name": "Mars", "level": "planet"}, "level"),  # not a level at all
        ({"name": "", "level": "region"}, "name"),
        ({"name": "Ogol", "level": "village", "parent": "commune"}, "parent"),
    ],
)
def test_place_errors_name_the_field(client, study_world, payload, field):
    as_role(client, study_world, ADMIN)
    before = Place.objects.count()

    response = send(client, "post", study_world.url("api:place-list"), payload)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Place.objects.count() == before


def test_place_parent_must_be_one_level_up(client, study_world):
    as_role(client, study_world, ADMIN)

    response = send(
        client,
        "post",
        study_world.url("api:place-list"),
        {"name": "Dourou", "level": "village", "parent": study_world.cercle.pk},
    )

    assert response.status_code == 400
    assert list(response.json()) == ["parent"]


def test_place_of_another_study_cannot_be_a_parent(client, study_world):
    foreign = PlaceFactory(study=study_world.other_study, level=PlaceLevel.COUNTRY, name="France")
    as_role(client, study_world, ADMIN)

    response = send(
        client,
        "post",
        study_world.url("api:place-list"),
        {"name": "Paris", "level": "commune", "parent": foreign.pk},
    )

    assert response.status_code == 400
    assert list(response.json()) == ["parent"]


def test_duplicate_place_name_under_one_parent_is_refused(client, study_world):
    as_role(client, study_world, ADMIN)

    response = send(
        client,
        "post",
        study_world.url("api:place-list"),
        {"name": "ogol", "level": "village", "parent": study_world.commune.pk},
    )

    assert response.status_code == 400
    assert list(response.json()) == ["name"]


def test_place_list_filters(client, study_world):
    as_role(client, study_world, ANALYST)
    url = study_world.url("api:place-list")

    def names(**params):
        response = client.get(url, params)
        assert response.status_code == 200, response.json()
        return [p["name"] for p in response.json()["results"]]

    assert names() == ["Bandiagara", "Mopti", "Ogol", "Sangha"]
    assert names(level="commune") == ["Sangha"]
    assert names(parent=study_world.cercle.pk) == ["Sangha"]
    assert names(search="ol") == ["Ogol"]
    assert client.get(url, {"level": "planet"}).status_code == 400


def test_place_detail(client, study_world):
    as_role(client, study_world, CODER)

    body = client.get(study_world.url("api:place-detail")).json()

    assert (body["name"], body["level"]) == ("Ogol", "village")
    missing = reverse("api:place-detail", kwargs={"slug": "centre-mali", "place_id": 999999})
    assert client.get(missing).status_code == 404


def test_place_of_another_study_is_a_404(client, study_world):
    foreign = PlaceFactory(study=study_world.other_study, level=PlaceLevel.COUNTRY, name="France")
    as_role(client, study_world, ADMIN)

    url = reverse("api:place-detail", kwargs={"slug": "centre-mali", "place_id": foreign.pk})

    assert client.get(url).status_code == 404


def test_cursor_pagination_walks_every_place_once(client, study_world):
    for n in range(7):
        PlaceFactory(study=study_world.study, level=PlaceLevel.REGION, name=f"Region {n}")
    as_role(client, study_world, SUP)
    url = study_world.url("api:place-list") + "?page_size=3"
    seen, pages = [], 0

    while url:
        response = client.get(url)
        assert response.status_code == 200
        body = response.json()
        assert len(body["results"]) <= 3
        seen += [p["name"] for p in body["results"]]
        url, pages = body["next"], pages + 1
        if url:
            assert "cursor=" in url

    assert pages == 4
    assert seen == sorted(
        Place.objects.filter(study=study_world.study).values_list("name", flat=True)
    )


def test_a_bad_cursor_is_not_a_server_error(client, study_world):
    as_role(client, study_world, SUP)

    response = client.get(study_world.url("api:place-list"), {"cursor": "garbage"})

    assert response.status_code == 404


# --- Actors ------------------------------------------------------------------------------------


def test_actor_with_aliases_and_areas_round_trips(client, study_world):
    as_role(client, study_world, SUP)
    payload = {
        "name": "Katiba Macina",
        "kind": "jihadist",
        "description": "Active in the inner delta.",
        "aliases": [{"name": "FLM", "language": "fr"}, {"name": "Macina Liberation Front"}],
        "active_areas": [study_world.commune.pk, study_world.village.pk],
    }

    created = send(client, "post", study_world.url("api:actor-list"), payload)

    assert created.status_code == 201, created.json()
    url = reverse(
        "api:actor-detail", kwargs={"slug": "centre-mali", "actor_id": created.json()["id"]}
    )
    body = client.get(url).json()
    assert body["name"] == "Katiba Macina"
    assert body["kind"] == "jihadist"
    assert sorted(body["aliases"], key=lambda a: a["name"]) == [
        {"name": "FLM", "language": "fr"},
        {"name": "Macina Liberation Front", "language": ""},
    ]
    assert sorted(body["active_areas"]) == sorted([study_world.commune.pk, study_world.village.pk])


def test_actor_search_matches_aliases(client, study_world):
    ActorFactory(study=study_world.study, name="Forces armées maliennes", kind="state_force")
    as_role(client, study_world, ANALYST)
    url = study_world.url("api:actor-list")

    by_alias = client.get(url, {"search": "dana"}).json()["results"]
    by_kind = client.get(url, {"kind": "state_force"}).json()["results"]

    assert [a["name"] for a in by_alias] == ["Dan Na Ambassagou"]
    assert [a["name"] for a in by_kind] == ["Forces armées maliennes"]


def test_actor_patch_keeps_what_it_does_not_name(client, study_world):
    as_role(client, study_world, ADMIN)
    url = study_world.url("api:actor-detail")

    response = send(client, "patch", url, {"description": "Dozo hunters' militia."})

    assert response.status_code == 200, response.json()
    assert response.json()["description"] == "Dozo hunters' militia."
    assert response.json()["aliases"] == [{"name": "Dana", "language": "fr"}]


def test_actor_put_replaces_aliases_and_areas(client, study_world):
    as_role(client, study_world, ADMIN)
    url = study_world.url("api:actor-detail")

    response = send(
        client,
        "put",
        url,
        {
            "name": "Dan Na Ambassagou",
            "kind": "militia",
            "aliases": [{"name": "Chasseurs", "language": "fr"}],
            "active_areas": [study_world.cercle.pk],
        },
    )

    assert response.status_code == 200, response.json()
    assert response.json()["aliases"] == [{"name": "Chasseurs", "language": "fr"}]
    assert response.json()["active_areas"] == [study_world.cercle.pk]


def test_actor_cannot_be_its_own_branch(client, study_world):
    branch = ActorFactory(study=study_world.study, parent=study_world.actor, name="Branche")
    as_role(client, study_world, ADMIN)

    response = send(client, "patch", study_world.url("api:actor-detail"), {"parent": branch.pk})

    assert response.status_code == 400
    assert list(response.json()) == ["parent"]
    assert Actor.objects.get(pk=study_world.actor.pk).parent is None


def test_actor_errors_are_field_level(client, study_world):
    as_role(client, study_world, ADMIN)

    response = send(
        client,
        "post",
        study_world.url("api:actor-list"),
        {
            "name": "dan na ambassagou",
            "kind": "militia",
            "aliases": [{"language": "fr"}],
            "active_areas": [999999],
        },
    )

    assert response.status_code == 400
    assert set(response.json()) == {"aliases", "active_areas"}
    duplicate = send(
        client,
        "post",
        study_world.url("api:actor-list"),
        {"name": "Dan na Ambassagou", "kind": "militia"},
    )
    assert list(duplicate.json()) == ["name"]


def test_analysts_read_actors_but_do_not_edit_them(client, study_world):
    as_role(client, study_world, ANALYST)

    assert client.get(study_world.url("api:actor-detail")).status_code == 200
    response = send(client, "patch", study_world.url("api:actor-detail"), {"name": "X"})

    assert response.status_code == 403
    assert Actor.objects.get(pk=study_world.actor.pk).name == "Dan Na Ambassagou"
