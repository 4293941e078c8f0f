import pytest
from django.urls import reverse

from fieldwork.accounts.models import Role
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_sign_in(client, study_world):
    response = client.get(reverse("studies:study-home", args=[study_world.study.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_signing_in_leads_to_the_users_studies(client, study_world):
    coder = study_world.member(Role.CODER)
    page = client.get(reverse("accounts:login"))
    assert page.status_code == 200
    assert b'name="password"' in page.content

    response = client.post(
        reverse("accounts:login"), {"username": coder.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("studies:study-list")
    assert study_world.study.name in response.content.decode()


def test_a_wrong_password_is_refused_with_a_message(client, study_world):
    coder = study_world.member(Role.CODER)
    response = client.post(
        reverse("accounts:login"), {"username": coder.username, "password": "not it"}
    )
    assert response.status_code == 200
    assert b'class="alert alert-error"' in response.content
    assert "_auth_user_id" not in client.session


def test_signing_out_takes_a_post(client, study_world):
    client.force_login(study_world.member(Role.CODER))
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_language_switch_renders_english_then_french(client, study_world, settings):
    settings.LANGUAGE_CODE = "fr"  # the product's default, which tests otherwise set to English
    client.force_login(study_world.member(Role.STUDY_ADMIN))
    home = reverse("studies:study-home", args=[study_world.study.slug])

    default = client.get(home)
    assert b'<html lang="fr">' in default.content

    switched = client.post(reverse("set_language"), {"language": "en", "next": home}, follow=True)
    page = switched.content.decode()
    assert switched.redirect_chain[-1][0] == home
    assert '<html lang="en">' in page
    assert "Sign out" in page and "Audit log" in page and "Record a new source" in page

    back = client.post(reverse("set_language"), {"language": "fr", "next": home}, follow=True)
    assert b'<html lang="fr">' in back.content


def test_the_language_switch_is_on_every_page_and_returns_to_it(client, study_world):
    client.force_login(study_world.member(Role.FIELD_RESEARCHER))
    url = reverse("sources:source-list", args=[study_world.study.slug]) + "?q=SRC"
    page = client.get(url).content.decode()
    assert f'action="{reverse("set_language")}"' in page
    assert 'name="next" value="/studies/centre-mali/sources/?q=SRC"' in page
    assert 'value="en"' in page and 'value="fr"' in page


def test_the_chosen_language_is_kept_for_the_next_sign_in(client, study_world):
    from django.test import Client

    from tests.factories import PASSWORD

    user = study_world.member(Role.SUPERVISOR)
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"

    fresh = Client()  # another browser: no language cookie yet
    fresh.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    page = fresh.get(reverse("studies:study-list"))
    assert b'<html lang="en">' in page.content
