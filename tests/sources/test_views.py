import datetime as dt

import pytest
from django.urls import reverse

from fieldwork.accounts.models import Role
from fieldwork.audit.models import AuditEvent
from fieldwork.sources.identity import Identity
from fieldwork.sources.models import ConsentForm, ConsentRecord, ConsentScope, Source
from fieldwork.sources.services import source_identity
from tests.factories import make_source
from tests.matrix_ui import UI_MATRIX

pytestmark = pytest.mark.django_db

NAME = "Aminata Canaridiallo"
PHONE = "+223 76 55 44 33"


def _url(name, study_world, *args):
    return reverse(name, args=[study_world.study.slug, *args])


def _new_source(study_world, **overrides):
    data = {
        "full_name": NAME,
        "aliases": "Mina\nAmi",
        "phone": PHONE,
        "address": "Quartier Canarivoie, Bandiagara",
        "contact_notes": "Appeler après 18 h",
        "gender": "woman",
        "birth_year": "1991",
        "age": "",
        "place": study_world.village.pk,
        "community": "Dogon",
        "language": "Dogon, French",
        "consent_form": study_world.consent_form.pk,
        "scopes": ["participate", "share_anonymized"],
        "method": "oral_witnessed",
        "obtained_on": "2026-03-02",
    }
    data.update(overrides)
    return data


def _fresh_source(study_world, by_role=Role.FIELD_RESEARCHER, name=NAME, phone=PHONE):
    return make_source(
        study=study_world.study,
        by=study_world.member(by_role),
        form=study_world.consent_form,
        identity=Identity(full_name=name, phone=phone, aliases=["Mina"]),
        place=study_world.village,
    )


# --- Create ----------------------------------------------------------------------------------


def test_a_researcher_records_a_source_with_consent(client, study_world):
    client.force_login(study_world.member(Role.FIELD_RESEARCHER))
    form_page = client.get(_url("sources:source-create", study_world)).content.decode()
    assert "Take part in the study" in form_page and "Ogol" in form_page

    response = client.post(_url("sources:source-create", study_world), _new_source(study_world))
    source = Source.objects.exclude(pk=study_world.source.pk).get()
    assert response["Location"] == _url("sources:source-detail", study_world, source.code)
    assert source.gender == "woman" and source.birth_year == 1991
    assert source.place == study_world.village
    assert source_identity(source=source).aliases == ["Mina", "Ami"]
    record = source.consent_records.get()
    assert record.scopes == ["participate", "share_anonymized"]
    assert record.effective_on == dt.date(2026, 3, 2)

    detail = client.get(response["Location"]).content.decode()
    assert source.code in detail
    assert NAME in detail  # the recorder reads the identity she recorded
    assert "Share anonymized data" in detail and "Ogol" in detail and "Mopti" in detail


def test_missing_fields_and_a_scope_the_form_does_not_ask_are_field_errors(client, study_world):
    study_world.consent_form.scopes = ["participate"]
    study_world.consent_form.save()
    client.force_login(study_world.member(Role.FIELD_RESEARCHER))
    url = _url("sources:source-create", study_world)

    empty = client.post(url, {})
    assert empty.status_code == 200
    assert empty.context["identity_form"].errors["full_name"]
    assert empty.context["consent"].errors["scopes"]

    response = client.post(url, _new_source(study_world, scopes=["participate", "quote"]))
    assert response.status_code == 200
    assert "does not ask for: Quote verbatim" in response.context["consent"].errors["scopes"][0]
    too_old = client.post(url, _new_source(study_world, birth_year="1850"))
    assert "between 1900" in too_old.context["attributes"].errors["birth_year"][0]
    assert Source.objects.count() == 1


def test_a_duplicate_is_flagged_without_naming_the_match_and_can_be_confirmed(client, study_world):
    existing = _fresh_source(study_world)
    client.force_login(study_world.member(Role.SUPERVISOR))
    url = _url("sources:source-create", study_world)

    warned = client.post(url, _new_source(study_world, full_name="CANARIDIALLO, aminata"))
    page = warned.content.decode()
    assert warned.status_code == 200
    assert "may already have this name" in page
    assert "this is a different person" in page  # the confirmation box appears
    assert existing.code not in page
    assert Source.objects.count() == 2

    confirmed = client.post(
        url,
        _new_source(study_world, full_name="CANARIDIALLO, aminata", confirm_not_duplicate="on"),
    )
    assert confirmed.status_code == 302
    assert Source.objects.count() == 3


def test_duplicate_check_answers_a_fragment_that_says_that_not_which(client, study_world):
    existing = _fresh_source(study_world)
    client.force_login(study_world.member(Role.FIELD_RESEARCHER))
    url = _url("sources:source-duplicate-check", study_world)

    hit = client.post(
        url, {"full_name": "", "phone": "76 55 44 33"}, headers={"HX-Request": "true"}
    )
    fragment = hit.content.decode()
    assert hit.status_code == 200
    assert "may already have this phone number" in fragment
    assert existing.code not in fragment and "<html" not in fragment
    assert hit["Cache-Control"].startswith("max-age=0")

    miss = client.post(url, {"full_name": "Personne Nouvelle", "phone": ""})
    assert miss.content.decode().strip() == ""
    assert client.get(url).status_code == 405


# --- Detail, reveal, who sees what -----------------------------------------------------------


def test_the_detail_page_shows_consent_history_and_current_scopes(client, study_world):
    source = study_world.source
    client.force_login(study_world.member(Role.SUPERVISOR))
    page = client.get(_url("sources:source-detail", study_world, source.code)).content.decode()
    assert "Consent given" in page and "Consentement éclairé v1" in page
    assert "Contact again" in page
    assert f"<title>{source.code} · Centre du Mali · Fieldwork</title>" in page


def test_a_supervisor_sees_no_identity_until_a_reasoned_reveal(client, study_world):
    source = _fresh_source(study_world)
    client.force_login(study_world.member(Role.SUPERVISOR))
    detail = client.get(_url("sources:source-detail", study_world, source.code))
    assert NAME.encode() not in detail.content and b"76 55 44 33" not in detail.content
    assert b"Reveal the identity" in detail.content

    reveal = _url("sources:source-reveal", study_world, source.code)
    too_short = client.post(reveal, {"reason": "why"}, headers={"HX-Request": "true"})
    assert too_short.status_code == 200
    assert b"at least 10 characters" in too_short.content
    assert NAME.encode() not in too_short.content
    assert not AuditEvent.objects.filter(action="source.identity_revealed").exists()

    revealed = client.post(
        reveal, {"reason": "Follow-up interview planned"}, headers={"HX-Request": "true"}
    )
    fragment = revealed.content.decode()
    assert NAME in fragment and PHONE in fragment and "Mina" in fragment
    assert "<html" not in fragment and 'id="identity"' in fragment
    assert "no-store" in revealed["Cache-Control"]
    event = AuditEvent.objects.get(action="source.identity_revealed")
    assert event.target_id == source.code
    assert event.reason == "Follow-up interview planned"
    assert event.actor == study_world.member(Role.SUPERVISOR)

    # The identity stays in that one response: the page shows it no more than before.
    again = client.get(_url("sources:source-detail", study_world, source.code))
    assert NAME.encode() not in again.content


def test_reveal_without_htmx_is_a_whole_page(client, study_world):
    source = _fresh_source(study_world)
    client.force_login(study_world.member(Role.STUDY_ADMIN))
    response = client.post(
        _url("sources:source-reveal", study_world, source.code), {"reason": "Checking a duplicate"}
    )
    page = response.content.decode()
    assert "<html" in page and NAME in page
    assert f"<title>{source.code} ·" in page and NAME not in page.split("</title>")[0]


def test_another_researcher_sees_the_source_but_not_its_identity(client, study_world):
    source = _fresh_source(study_world, by_role=Role.SUPERVISOR)
    client.force_login(study_world.member(Role.FIELD_RESEARCHER))
    detail = client.get(_url("sources:source-detail", study_world, source.code))
    assert detail.status_code == 200
    assert NAME.encode() not in detail.content
    assert b"Reveal the identity" not in detail.content
    assert client.get(_url("sources:source-edit", study_world, source.code)).status_code == 403


@pytest.mark.parametrize("role", [Role.CODER, Role.ANALYST])
def test_coders_and_analysts_never_see_an_identity_anywhere(client, study_world, role):
    source = _fresh_source(study_world)
    client.force_login(study_world.member(Role.SUPERVISOR))
    client.post(
        _url("sources:source-reveal", study_world, source.code), {"reason": "a reason here"}
    )
    study_world.extra["code"] = source.code
    client.force_login(study_world.member(role))
    for name, method, _allowed in UI_MATRIX:
        if name == "accounts:logout":
            continue
        response = getattr(client, method)(study_world.url(name), follow=True)
        for secret in (NAME, "Canaridiallo", PHONE, "76 55 44 33"):
            assert secret.encode() not in response.content, name
    assert client.get(_url("sources:source-detail", study_world, source.code)).status_code == 403


def test_sources_cannot_be_searched_by_name(client, study_world):
    _fresh_source(study_world)
    client.force_login(study_world.member(Role.FIELD_RESEARCHER))
    response = client.get(_url("sources:source-list", study_world), {"q": "Canaridiallo"})
    assert b"No source matches." in response.content


# --- List ------------------------------------------------------------------------------------


def test_source_list_filters_by_place_inside_and_serves_rows_to_htmx(client, study_world):
    elsewhere = make_source(
        study=study_world.study,
        by=study_world.member(Role.FIELD_RESEARCHER),
        form=study_world.consent_form,
        community="Peul",
    )
    client.force_login(study_world.member(Role.FIELD_RESEARCHER))
    url = _url("sources:source-list", study_world)

    full = client.get(url).content.decode()
    assert study_world.source.code in full and elsewhere.code in full

    in_region = client.get(url, {"place": study_world.region.pk}, headers={"HX-Request": "true"})
    rows = in_region.content.decode()
    assert study_world.source.code in rows and elsewhere.code not in rows
    assert "<html" not in rows
    assert "HX-Request" in in_region["Vary"]

    by_community = client.get(url, {"q": "peul"}).content.decode()
    assert elsewhere.code in by_community and study_world.source.code not in by_community


# --- Edit ------------------------------------------------------------------------------------


def test_the_recorder_edits_attributes_and_identity(client, study_world):
    source = _fresh_source(study_world)
    client.force_login(study_world.member(Role.FIELD_RESEARCHER))
    url = _url("sources:source-edit", study_world, source.code)
    page = client.get(url).content.decode()
    assert NAME in page  # prefilled for the one who may read it

    data = _new_source(study_world, phone="+223 66 00 11 22", community="Bozo")
    response = client.post(url, data)
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.community == "Bozo"
    assert source_identity(source=source).phone == "+223 66 00 11 22"


def test_a_supervisor_edits_attributes_only(client, study_world):
    source = _fresh_source(study_world)
    client.force_login(study_world.member(Role.SUPERVISOR))
    url = _url("sources:source-edit", study_world, source.code)
    page = client.get(url).content.decode()
    assert NAME not in page and 'name="full_name"' not in page

    response = client.post(url, {"gender": "woman", "age": "40", "community": "Dogon"})
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.age == 40
    assert source_identity(source=source).full_name == NAME


# --- Shred -----------------------------------------------------------------------------------


def test_shredding_asks_for_confirmation_then_destroys_the_identity(client, study_world):
    source = _fresh_source(study_world)
    client.force_login(study_world.member(Role.STUDY_ADMIN))
    url = _url("sources:source-shred", study_world, source.code)
    assert b"There is no undo" in client.get(url).content

    unconfirmed = client.post(url, {"reason": "Asked to be forgotten"})
    assert unconfirmed.status_code == 200
    assert "Tick the box" in unconfirmed.content.decode()
    source.refresh_from_db()
    assert not source.is_shredded

    done = client.post(url, {"reason": "Asked to be forgotten", "confirm": "on"}, follow=True)
    assert b"identity destroyed" in done.content
    source.refresh_from_db()
    assert source.is_shredded
    assert AuditEvent.objects.filter(action="source.shredded", target_id=source.code).exists()

    client.force_login(study_world.member(Role.FIELD_RESEARCHER))
    detail = client.get(_url("sources:source-detail", study_world, source.code))
    assert NAME.encode() not in detail.content
    assert b"This identity was destroyed" in detail.content


# --- Consent ---------------------------------------------------------------------------------


def test_a_withdrawal_is_recorded_and_shown(client, study_world):
    source = study_world.source
    client.force_login(study_world.member(Role.FIELD_RESEARCHER))
    url = _url("sources:consent-withdraw", study_world, source.code)
    assert b"Take part in the study" in client.get(url).content

    missing = client.post(url, {"scopes": [], "reason": "", "withdrawn_on": "2026-04-01"})
    assert missing.status_code == 200
    assert missing.context["form"].errors.keys() >= {"scopes", "reason"}

    response = client.post(
        url,
        {"scopes": ["participate"], "reason": "Fears reprisals", "withdrawn_on": "2026-04-01"},
        follow=True,
    )
    page = response.content.decode()
    assert "Consent withdrawn" in page and "Fears reprisals" in page
    assert "No consent to take part is in force" in page
    record = ConsentRecord.objects.filter(source=source).last()
    assert record.kind == ConsentRecord.Kind.WITHDRAWAL
    listing = client.get(_url("sources:source-list", study_world)).content.decode()
    assert "not taking part" in listing


def test_consent_is_granted_again_under_a_form(client, study_world):
    source = study_world.source
    client.force_login(study_world.member(Role.SUPERVISOR))
    response = client.post(
        _url("sources:consent-grant", study_world, source.code),
        {
            "consent_form": study_world.consent_form.pk,
            "scopes": ["participate"],
            "method": "written",
            "obtained_on": "2026-05-01",
        },
    )
    assert response.status_code == 302
    assert ConsentRecord.objects.filter(source=source).count() == 2

    future = client.post(
        _url("sources:consent-grant", study_world, source.code),
        {
            "consent_form": study_world.consent_form.pk,
            "scopes": ["participate"],
            "method": "written",
            "obtained_on": "2999-01-01",
        },
    )
    assert "cannot be in the future" in future.context["form"].errors["obtained_on"][0]


# --- Consent forms ---------------------------------------------------------------------------


def test_an_admin_publishes_a_new_version_of_a_consent_form(client, study_world):
    old = study_world.consent_form
    client.force_login(study_world.member(Role.STUDY_ADMIN))
    url = _url("sources:consent-form-create", study_world)
    prefilled = client.get(url, {"from": old.pk}).content.decode()
    assert "New version of “Consentement éclairé”" in prefilled
    assert "Vous pouvez arrêter à tout moment." in prefilled

    response = client.post(
        url,
        {
            "title": old.title,
            "text_fr": "Vous pouvez arrêter quand vous voulez.",
            "text_en": "You may stop whenever you want.",
            "scopes": ["participate", "quote"],
        },
    )
    new = ConsentForm.objects.get(title=old.title, version=2)
    assert response["Location"] == _url("sources:consent-form-detail", study_world, new.pk)
    page = client.get(response["Location"]).content.decode()
    assert "Vous pouvez arrêter quand vous voulez." in page
    assert "You may stop whenever you want." in page
    assert "Quote verbatim" in page and "version 2" in page

    creating = client.get(_url("sources:source-create", study_world)).content.decode()
    assert "Consentement éclairé v2" in creating and "Consentement éclairé v1" not in creating


def test_a_consent_form_must_ask_for_participation(client, study_world):
    client.force_login(study_world.member(Role.STUDY_ADMIN))
    response = client.post(
        _url("sources:consent-form-create", study_world),
        {"title": "Audio", "text_fr": "Texte", "text_en": "Text", "scopes": ["record_audio"]},
    )
    assert response.status_code == 200
    assert "must at least ask to take part" in response.context["form"].errors["scopes"][0]


def test_coders_read_consent_forms(client, study_world):
    client.force_login(study_world.member(Role.CODER))
    page = client.get(_url("sources:consent-form-list", study_world)).content.decode()
    assert "Consentement éclairé" in page
    assert _url("sources:consent-form-create", study_world) not in page
    assert str(ConsentScope.PARTICIPATE.label) in page


def test_the_source_list_costs_the_same_few_queries_for_many_sources(
    client, study_world, django_assert_max_num_queries
):
    for _ in range(30):
        make_source(
            study=study_world.study,
            by=study_world.member(Role.FIELD_RESEARCHER),
            form=study_world.consent_form,
            place=study_world.village,
        )
    client.force_login(study_world.member(Role.SUPERVISOR))
    with django_assert_max_num_queries(12):
        response = client.get(_url("sources:source-list", study_world))
    assert response.content.decode().count("taking part") == 31


def test_reveal_only_answers_post(client, study_world):
    client.force_login(study_world.member(Role.SUPERVISOR))
    response = client.get(_url("sources:source-reveal", study_world, study_world.source.code))
    assert response.status_code == 405
    assert not AuditEvent.objects.filter(action="source.identity_revealed").exists()
