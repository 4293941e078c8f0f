import pytest
from django.urls import reverse

from fieldwork.accounts.models import Membership, Role
from fieldwork.audit.models import AuditEvent
from fieldwork.studies.models import Actor, Place, PlaceLevel, Study
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _url(name, study_world, *args):
    return reverse(name, args=[study_world.study.slug, *args])


# --- Studies ---------------------------------------------------------------------------------


def test_study_list_shows_each_study_with_the_users_role(client, study_world):
    client.force_login(study_world.member(Role.CODER))
    page = client.get(reverse("studies:study-list")).content.decode()
    assert "Centre du Mali" in page
    assert str(Role.CODER.label) in page
    assert "Diaspora" not in page
    assert reverse("studies:study-create") not in page


def test_site_staff_create_a_study_and_become_its_admin(client, study_world):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert (
        reverse("studies:study-create")
        in client.get(reverse("studies:study-list")).content.decode()
    )

    response = client.post(
        reverse("studies:study-create"),
        {"name": "Burkina Nord", "slug": "", "description": "", "place_scheme": "mali"},
    )
    study = Study.objects.get(name="Burkina Nord")
    assert response["Location"] == reverse("studies:study-home", args=[study.slug])
    assert Membership.objects.get(study=study, user=staff).role == Role.STUDY_ADMIN


def test_study_create_shows_a_taken_short_name_next_to_the_field(client, study_world):
    client.force_login(UserFactory(is_staff=True))
    response = client.post(
        reverse("studies:study-create"),
        {"name": "Again", "slug": "centre-mali", "place_scheme": "mali"},
    )
    assert response.status_code == 200
    assert "already uses the short name" in response.content.decode()
    assert response.context["form"].errors["slug"]


def test_members_who_are_not_site_staff_cannot_create_studies(client, study_world):
    client.force_login(study_world.member(Role.STUDY_ADMIN))
    assert client.get(reverse("studies:study-create")).status_code == 403


def test_study_home_offers_only_what_the_role_allows(client, study_world):
    client.force_login(study_world.member(Role.CODER))
    coder_page = client.get(_url("studies:study-home", study_world)).content.decode()
    client.force_login(study_world.member(Role.STUDY_ADMIN))
    admin_page = client.get(_url("studies:study-home", study_world)).content.decode()

    for link in [
        _url("sources:source-list", study_world),
        _url("audit:event-list", study_world),
        _url("studies:member-list", study_world),
    ]:
        assert f'href="{link}"' not in coder_page
        assert f'href="{link}"' in admin_page
    assert _url("sources:consent-form-list", study_world) in coder_page
    assert _url("studies:actor-list", study_world) in coder_page


def test_a_stranger_gets_404_for_a_study_and_a_member_without_the_right_403(client, study_world):
    client.force_login(study_world.outsider)
    assert client.get(_url("studies:study-home", study_world)).status_code == 404
    client.force_login(study_world.member(Role.ANALYST))
    assert client.get(_url("studies:member-list", study_world)).status_code == 403


# --- Places ----------------------------------------------------------------------------------


def test_place_tree_lists_the_hierarchy_in_order(client, study_world):
    client.force_login(study_world.member(Role.ANALYST))
    page = client.get(_url("studies:place-list", study_world)).content.decode()
    positions = [page.index(name) for name in ["Mopti", "Bandiagara", "Sangha", "Ogol"]]
    assert positions == sorted(positions)
    assert 'action="' + _url("studies:place-create", study_world) not in page  # no add form


def test_a_supervisor_adds_a_place_inside_its_parent(client, study_world):
    client.force_login(study_world.member(Role.SUPERVISOR))
    response = client.post(
        _url("studies:place-create", study_world),
        {"name": "Dourou", "level": PlaceLevel.COMMUNE, "parent": study_world.cercle.pk},
    )
    assert response.status_code == 302
    place = Place.objects.get(name="Dourou")
    assert place.parent == study_world.cercle
    page = client.get(response["Location"]).content.decode()
    assert "Dourou" in page


def test_a_village_under_a_region_is_refused_next_to_the_parent_field(client, study_world):
    client.force_login(study_world.member(Role.SUPERVISOR))
    response = client.post(
        _url("studies:place-create", study_world),
        {"name": "Nowhere", "level": PlaceLevel.VILLAGE, "parent": study_world.region.pk},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "must be placed inside a Commune" in form.errors["parent"][0]
    assert "must be placed inside a Commune" in response.content.decode()
    assert not Place.objects.filter(name="Nowhere").exists()


def test_a_region_with_a_parent_and_a_repeated_name_are_field_errors(client, study_world):
    client.force_login(study_world.member(Role.STUDY_ADMIN))
    url = _url("studies:place-create", study_world)
    top = client.post(url, {"name": "Ségou", "level": "region", "parent": study_world.region.pk})
    assert "has no parent" in top.context["form"].errors["parent"][0]
    again = client.post(url, {"name": "mopti", "level": "region", "parent": ""})
    assert "already exists" in again.context["form"].errors["name"][0]
    wrong_level = client.post(url, {"name": "Paris", "level": "city", "parent": ""})
    assert wrong_level.context["form"].errors["level"]


# --- Actors ----------------------------------------------------------------------------------


def _actor_post(**overrides):
    data = {
        "name": "Katiba Macina",
        "kind": "jihadist",
        "parent": "",
        "description": "Active in the inner delta.",
        "aliases-TOTAL_FORMS": "3",
        "aliases-INITIAL_FORMS": "0",
        "aliases-MIN_NUM_FORMS": "0",
        "aliases-MAX_NUM_FORMS": "1000",
        "aliases-0-name": "Front de libération du Macina",
        "aliases-0-language": "fr",
        "aliases-1-name": "Macina Liberation Front",
        "aliases-1-language": "en",
        "aliases-2-name": "",
        "aliases-2-language": "",
    }
    data.update(overrides)
    return data


def test_an_actor_is_registered_with_several_aliases_and_areas(client, study_world):
    client.force_login(study_world.member(Role.SUPERVISOR))
    response = client.post(
        _url("studies:actor-create", study_world),
        _actor_post(active_areas=[study_world.commune.pk, study_world.village.pk]),
    )
    actor = Actor.objects.get(name="Katiba Macina")
    assert response["Location"] == _url("studies:actor-detail", study_world, actor.pk)
    assert sorted(actor.aliases.values_list("name", "language")) == [
        ("Front de libération du Macina", "fr"),
        ("Macina Liberation Front", "en"),
    ]
    assert set(actor.active_areas.all()) == {study_world.commune, study_world.village}

    page = client.get(response["Location"]).content.decode()
    assert "Macina Liberation Front" in page and "Sangha" in page and "Jihadist group" in page


def test_editing_an_actor_sets_its_parent_and_replaces_its_aliases(client, study_world):
    client.force_login(study_world.member(Role.STUDY_ADMIN))
    branch = Actor.objects.create(study=study_world.study, name="Branche Sud", kind="militia")
    url = _url("studies:actor-edit", study_world, branch.pk)
    form_page = client.get(url).content.decode()
    assert "Dan Na Ambassagou" in form_page  # offered as parent
    response = client.post(
        url,
        _actor_post(
            name="Branche Sud",
            kind="militia",
            parent=study_world.actor.pk,
            **{"aliases-0-name": "Sud", "aliases-1-name": ""},
        ),
    )
    assert response.status_code == 302
    branch.refresh_from_db()
    assert branch.parent == study_world.actor
    assert list(branch.aliases.values_list("name", flat=True)) == ["Sud"]
    parent_page = client.get(_url("studies:actor-detail", study_world, study_world.actor.pk))
    assert "Branche Sud" in parent_page.content.decode()


def test_a_duplicate_actor_name_is_a_field_error(client, study_world):
    client.force_login(study_world.member(Role.SUPERVISOR))
    response = client.post(
        _url("studies:actor-create", study_world), _actor_post(name="dan na ambassagou")
    )
    assert response.status_code == 200
    assert "already has an actor named" in response.context["form"].errors["name"][0]


def test_actor_list_filters_by_alias_and_kind_and_serves_rows_to_htmx(client, study_world):
    Actor.objects.create(study=study_world.study, name="FAMa", kind="state_force")
    client.force_login(study_world.member(Role.CODER))
    url = _url("studies:actor-list", study_world)

    by_alias = client.get(url, {"q": "dana"}).content.decode()
    assert "Dan Na Ambassagou" in by_alias and "FAMa" not in by_alias

    by_kind = client.get(url, {"kind": "state_force"}, headers={"HX-Request": "true"})
    rows = by_kind.content.decode()
    assert "FAMa" in rows and "Dan Na Ambassagou" not in rows
    assert "<html" not in rows and rows.strip().startswith('<div id="rows">')


# --- Members ---------------------------------------------------------------------------------


def test_admin_adds_an_existing_user_and_creates_a_new_account(client, study_world):
    admin = study_world.member(Role.STUDY_ADMIN)
    client.force_login(admin)
    url = _url("studies:member-add", study_world)
    response = client.post(url, {"username": "outsider", "role": Role.ANALYST, "password": ""})
    assert response.status_code == 302
    assert (
        Membership.objects.get(study=study_world.study, user=study_world.outsider).role == "analyst"
    )

    missing = client.post(url, {"username": "newcomer", "role": Role.CODER, "password": ""})
    assert "Give a password to create it" in missing.context["form"].errors["username"][0]

    created = client.post(
        url, {"username": "newcomer", "role": Role.CODER, "password": "a-long-enough-passphrase"}
    )
    assert created.status_code == 302
    assert (
        Membership.objects.get(study=study_world.study, user__username="newcomer").role == "coder"
    )
    listing = client.get(_url("studies:member-list", study_world)).content.decode()
    assert "newcomer" in listing and "outsider" in listing


def test_admin_changes_a_role_and_it_is_audited(client, study_world):
    client.force_login(study_world.member(Role.STUDY_ADMIN))
    coder = study_world.membership(Role.CODER)
    response = client.post(
        _url("studies:member-role", study_world, coder.pk), {f"m{coder.pk}-role": "supervisor"}
    )
    assert response.status_code == 302
    coder.refresh_from_db()
    assert coder.role == Role.SUPERVISOR
    assert AuditEvent.objects.filter(action="membership.role_changed").exists()


def test_the_last_admin_cannot_be_demoted_and_the_page_says_why(client, study_world):
    admin_membership = study_world.membership(Role.STUDY_ADMIN)
    client.force_login(study_world.member(Role.STUDY_ADMIN))
    response = client.post(
        _url("studies:member-role", study_world, admin_membership.pk),
        {f"m{admin_membership.pk}-role": "coder"},
    )
    assert response.status_code == 200
    assert "A study needs at least one study admin" in response.content.decode()
    admin_membership.refresh_from_db()
    assert admin_membership.role == Role.STUDY_ADMIN


def test_admin_removes_a_member(client, study_world):
    client.force_login(study_world.member(Role.STUDY_ADMIN))
    coder = study_world.membership(Role.CODER)
    response = client.post(_url("studies:member-remove", study_world, coder.pk), follow=True)
    assert not Membership.objects.filter(pk=coder.pk).exists()
    assert "no longer has access" in response.content.decode()

    last_admin = study_world.membership(Role.STUDY_ADMIN)
    refused = client.post(_url("studies:member-remove", study_world, last_admin.pk), follow=True)
    assert "A study needs at least one study admin" in refused.content.decode()
    assert Membership.objects.filter(pk=last_admin.pk).exists()


def test_supervisors_see_members_but_cannot_change_them(client, study_world):
    client.force_login(study_world.member(Role.SUPERVISOR))
    page = client.get(_url("studies:member-list", study_world)).content.decode()
    assert "coder-user" in page
    assert "/role/" not in page and "/remove/" not in page
    coder = study_world.membership(Role.CODER)
    assert (
        client.post(
            _url("studies:member-role", study_world, coder.pk), {f"m{coder.pk}-role": "analyst"}
        ).status_code
        == 403
    )


def test_the_actor_list_costs_the_same_few_queries_for_many_actors(
    client, study_world, django_assert_max_num_queries
):
    for n in range(20):
        actor = Actor.objects.create(study=study_world.study, name=f"Groupe {n}", kind="militia")
        actor.active_areas.add(study_world.village)
        actor.aliases.create(name=f"G{n}", language="fr")
    client.force_login(study_world.member(Role.CODER))
    with django_assert_max_num_queries(12):
        response = client.get(_url("studies:actor-list", study_world))
    assert response.content.decode().count("Ogol") == 20


def test_a_study_cannot_take_a_short_name_used_by_a_page(client, study_world):
    client.force_login(UserFactory(is_staff=True))
    response = client.post(reverse("studies:study-create"), {"name": "New", "place_scheme": "mali"})
    assert response.status_code == 200
    assert "reserved" in response.context["form"].errors["slug"][0]
    assert not Study.objects.filter(slug="new").exists()


@pytest.mark.parametrize("name", ["studies:member-role", "studies:member-remove"])
def test_member_changes_only_answer_post(client, study_world, name):
    client.force_login(study_world.member(Role.STUDY_ADMIN))
    assert client.get(study_world.url(name)).status_code == 405
