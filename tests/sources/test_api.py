import datetime as dt
import logging

import pytest
from django.urls import reverse

from fieldwork.accounts.permissions import ADMIN, ANALYST, CODER, FR, SUP
from fieldwork.audit.models import AuditEvent
from fieldwork.sources.identity import Identity
from fieldwork.sources.models import ConsentRecord, ConsentScope, Source
from fieldwork.sources.services import source_identity
from tests.conftest import OUTSIDER
from tests.factories import ConsentFormFactory, MembershipFactory, make_source

pytestmark = pytest.mark.django_db

SOURCE_URLS = [
    ("api:source-list", "get"),
    ("api:source-list", "post"),
    ("api:source-detail", "get"),
    ("api:source-detail", "patch"),
    ("api:source-reveal", "post"),
    ("api:source-consent-list", "get"),
    ("api:source-consent-list", "post"),
    ("api:source-consent-withdraw", "post"),
]


def send(client, method, url, data=None):
    return getattr(client, method)(url, data or {}, content_type="application/json")


def as_role(client, study_world, role):
    client.force_login(study_world.member(role))
    return client


def new_source_payload(study_world, **overrides):
    return {
        "full_name": "Aminata Diallo",
        "aliases": ["Mina"],
        "phone": "+223 76 11 22 33",
        "gender": "woman",
        "birth_year": 1990,
        "place": study_world.village.pk,
        "community": "Peul",
        "language": "fulfulde",
        "consent_form": study_world.consent_form.pk,
        "scopes": ["participate", "share_anonymized"],
        "method": "oral_witnessed",
        "obtained_on": "2026-03-02",
        **overrides,
    }


def world_identity(study_world) -> Identity:
    return source_identity(source=Source.objects.get(pk=study_world.source.pk))


def test_researcher_records_a_source_with_consent(client, study_world):
    as_role(client, study_world, FR)

    response = send(
        client, "post", study_world.url("api:source-list"), new_source_payload(study_world)
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["code"].startswith("SRC-")
    assert body["place"] == {"id": study_world.village.pk, "name": "Ogol"}
    assert body["consent_scopes"] == ["participate", "share_anonymized"]
    assert body["recorded_by"] == "field_researcher-user"
    assert body["identity"]["full_name"] == "Aminata Diallo"  # the recorder sees it
    source = Source.objects.get(code=body["code"])
    assert b"Aminata" not in bytes(source.identity_ciphertext)
    record = source.consent_records.get()
    assert record.form == study_world.consent_form
    assert record.method == "oral_witnessed"
    assert AuditEvent.objects.filter(action="source.created", target_id=source.code).exists()


def test_duplicate_is_refused_on_the_fields_without_naming_the_other_source(client, study_world):
    existing = world_identity(study_world)
    as_role(client, study_world, SUP)
    payload = new_source_payload(study_world, full_name=existing.full_name, phone=existing.phone)
    before = Source.objects.count()

    response = send(client, "post", study_world.url("api:source-list"), payload)

    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"full_name", "phone"}
    assert all(isinstance(message, str) for messages in errors.values() for message in messages)
    assert study_world.source.code not in response.content.decode()
    assert "recorded_by" not in response.content.decode()
    assert Source.objects.count() == before


def test_confirming_a_duplicate_records_the_source(client, study_world):
    existing = world_identity(study_world)
    as_role(client, study_world, FR)
    payload = new_source_payload(
        study_world, full_name=existing.full_name, confirm_not_duplicate=True
    )

    response = send(client, "post", study_world.url("api:source-list"), payload)

    assert response.status_code == 201
    assert Source.objects.filter(study=study_world.study).count() == 2


def test_invalid_input_gets_field_errors_and_saves_nothing(client, study_world):
    as_role(client, study_world, FR)
    payload = new_source_payload(
        study_world,
        birth_year="long ago",
        gender="robot",
        place=999999,
        scopes="participate",
        obtained_on="yesterday",
        aliases="Mina",
    )

    response = send(client, "post", study_world.url("api:source-list"), payload)

    assert response.status_code == 400
    assert {"birth_year", "gender", "place", "scopes", "obtained_on", "aliases"} <= set(
        response.json()
    )
    assert Source.objects.count() == 1


def test_rules_of_the_service_come_back_as_field_errors(client, study_world):
    as_role(client, study_world, FR)
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    url = study_world.url("api:source-list")

    too_old = send(client, "post", url, new_source_payload(study_world, birth_year=1850))
    future = send(client, "post", url, new_source_payload(study_world, obtained_on=tomorrow))

    assert too_old.status_code == future.status_code == 400
    assert list(too_old.json()) == ["birth_year"]
    assert list(future.json()) == ["obtained_on"]
    assert Source.objects.count() == 1


def test_malformed_json_is_a_400(client, study_world):
    as_role(client, study_world, FR)

    response = client.post(
        study_world.url("api:source-list"), "{not json", content_type="application/json"
    )

    assert response.status_code == 400


def test_consent_form_of_another_study_is_refused(client, study_world):
    foreign_form = ConsentFormFactory(study=study_world.other_study)
    as_role(client, study_world, FR)
    payload = new_source_payload(study_world, consent_form=foreign_form.pk)

    response = send(client, "post", study_world.url("api:source-list"), payload)

    assert response.status_code == 400
    assert list(response.json()) == ["consent_form"]


def test_detail_shows_the_identity_to_the_recorder_only(client, study_world):
    name = world_identity(study_world).full_name
    url = study_world.url("api:source-detail")

    as_role(client, study_world, FR)
    mine = client.get(url).json()
    assert mine["identity"]["full_name"] == name

    for role in (SUP, ADMIN):
        as_role(client, study_world, role)
        response = client.get(url)
        assert response.status_code == 200
        assert "identity" not in response.json()
        assert name not in response.content.decode()

    colleague = MembershipFactory(study=study_world.study, role=FR).user
    client.force_login(colleague)
    response = client.get(url)
    assert response.status_code == 200
    assert "identity" not in response.json()


def test_list_is_pseudonymous_even_for_the_recorder(client, study_world):
    identity = world_identity(study_world)
    as_role(client, study_world, FR)

    response = client.get(study_world.url("api:source-list"))

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["code"] == study_world.source.code
    assert "identity" not in row
    assert identity.full_name not in response.content.decode()
    assert identity.phone not in response.content.decode()


def test_list_filters(client, study_world):
    researcher = study_world.member(FR)
    peul = make_source(
        study=study_world.study, by=researcher, place=study_world.commune, community="Peul"
    )
    withdrawn = make_source(study=study_world.study, by=researcher, community="Dogon")
    ConsentRecord.objects.create(
        source=withdrawn,
        kind=ConsentRecord.Kind.WITHDRAWAL,
        scopes=["quote"],
        effective_on=dt.date(2026, 3, 5),
        reason="Changed their mind.",
        recorded_by=researcher,
    )
    as_role(client, study_world, SUP)
    url = study_world.url("api:source-list")

    def codes(**params):
        response = client.get(url, params)
        assert response.status_code == 200, response.json()
        return {row["code"] for row in response.json()["results"]}

    assert codes(search="peu") == {peul.code}
    assert codes(search=withdrawn.code.lower()) == {withdrawn.code}
    assert codes(place=study_world.commune.pk) == {peul.code}
    assert codes(consent="withdrawn") == {withdrawn.code}
    assert codes(search="", place="") == {study_world.source.code, peul.code, withdrawn.code}
    assert client.get(url, {"place": "nowhere"}).status_code == 400
    assert list(client.get(url, {"consent": "maybe"}).json()) == ["consent"]


def test_list_costs_the_same_queries_for_many_sources(
    client, study_world, django_assert_max_num_queries
):
    for _ in range(8):
        make_source(study=study_world.study, by=study_world.member(FR), place=study_world.village)
    as_role(client, study_world, SUP)

    with django_assert_max_num_queries(10):
        response = client.get(study_world.url("api:source-list"))

    assert len(response.json()["results"]) == 9


def test_patch_changes_only_what_it_names(client, study_world):
    as_role(client, study_world, FR)
    url = study_world.url("api:source-detail")

    response = send(client, "patch", url, {"community": "Dogon", "age": 34})

    assert response.status_code == 200, response.json()
    source = Source.objects.get(pk=study_world.source.pk)
    assert (source.community, source.age, source.place) == ("Dogon", 34, study_world.village)


def test_recorder_changes_one_identity_field_and_keeps_the_others(client, study_world):
    before = world_identity(study_world)
    as_role(client, study_world, FR)

    response = send(
        client, "patch", study_world.url("api:source-detail"), {"phone": "+223 66 00 00 01"}
    )

    assert response.status_code == 200
    assert response.json()["identity"]["phone"] == "+223 66 00 00 01"
    after = world_identity(study_world)
    assert (after.full_name, after.phone) == (before.full_name, "+223 66 00 00 01")


def test_only_the_recorder_changes_an_identity(client, study_world):
    before = world_identity(study_world)
    as_role(client, study_world, SUP)

    response = send(client, "patch", study_world.url("api:source-detail"), {"phone": "+1 555"})

    assert response.status_code == 403
    assert before.full_name not in response.content.decode()
    assert world_identity(study_world).phone == before.phone


def test_researcher_edits_only_the_sources_they_recorded(client, study_world):
    colleague = MembershipFactory(study=study_world.study, role=FR).user
    client.force_login(colleague)

    response = send(client, "patch", study_world.url("api:source-detail"), {"community": "X"})

    assert response.status_code == 403
    assert Source.objects.get(pk=study_world.source.pk).community == ""


def test_reveal_needs_a_reason(client, study_world):
    as_role(client, study_world, SUP)
    url = study_world.url("api:source-reveal")

    missing = send(client, "post", url, {})
    too_short = send(client, "post", url, {"reason": "  why  "})

    assert missing.status_code == too_short.status_code == 400
    assert list(missing.json()) == list(too_short.json()) == ["reason"]
    assert not AuditEvent.objects.filter(action="source.identity_revealed").exists()


def test_reveal_returns_the_identity_and_leaves_an_audit_event(client, study_world):
    identity = world_identity(study_world)
    as_role(client, study_world, SUP)
    reason = "Follow-up call agreed at the first interview."

    response = send(client, "post", study_world.url("api:source-reveal"), {"reason": reason})

    assert response.status_code == 200
    assert response.json() == {
        "code": study_world.source.code,
        "identity": {
            "full_name": identity.full_name,
            "aliases": identity.aliases,
            "phone": identity.phone,
            "address": "",
            "contact_notes": "",
        },
    }
    event = AuditEvent.objects.get(action="source.identity_revealed")
    assert (event.actor, event.target_id, event.reason) == (
        study_world.member(SUP),
        study_world.source.code,
        reason,
    )
    assert identity.full_name not in str(event.data)


@pytest.mark.parametrize("role", [CODER, ANALYST])
@pytest.mark.parametrize(("name", "method"), SOURCE_URLS)
def test_coders_and_analysts_are_refused_every_source_endpoint(
    client, study_world, role, name, method
):
    name_in_clear = world_identity(study_world).full_name
    as_role(client, study_world, role)

    response = send(client, method, study_world.url(name), {"reason": "I would like to know."})

    assert response.status_code == 403
    assert name_in_clear not in response.content.decode()
    assert study_world.source.code not in response.content.decode()


@pytest.mark.parametrize(("name", "method"), [*SOURCE_URLS, ("api:source-shred", "post")])
def test_members_of_another_study_are_told_nothing(client, study_world, name, method):
    as_role(client, study_world, OUTSIDER)

    response = send(client, method, study_world.url(name), {"reason": "I would like to know."})

    assert response.status_code == 404


def test_unknown_source_code_is_a_404(client, study_world):
    as_role(client, study_world, SUP)
    url = reverse("api:source-detail", kwargs={"slug": "centre-mali", "code": "SRC-NOPE"})

    assert client.get(url).status_code == 404


def test_shred_destroys_the_identity_and_keeps_the_record(client, study_world):
    as_role(client, study_world, ADMIN)
    url = study_world.url("api:source-shred")

    assert list(send(client, "post", url, {"reason": " "}).json()) == ["reason"]
    response = send(client, "post", url, {"reason": "The source asked us to forget them."})

    assert response.status_code == 200
    assert response.json()["shredded"] is True
    assert response.json()["consent_scopes"] == study_world.consent_form.scopes
    assert AuditEvent.objects.filter(action="source.shredded").count() == 1

    as_role(client, study_world, FR)
    detail = client.get(study_world.url("api:source-detail")).json()
    assert detail["shredded"] is True
    assert "identity" not in detail

    as_role(client, study_world, SUP)
    reveal = send(
        client, "post", study_world.url("api:source-reveal"), {"reason": "Checking after shred."}
    )
    assert reveal.status_code == 400
    assert list(reveal.json()) == ["non_field_errors"]


def test_supervisor_may_not_shred(client, study_world):
    as_role(client, study_world, SUP)

    response = send(
        client, "post", study_world.url("api:source-shred"), {"reason": "Trying my luck."}
    )

    assert response.status_code == 403
    assert not Source.objects.get(pk=study_world.source.pk).is_shredded


def test_consent_history_and_withdrawal(client, study_world):
    as_role(client, study_world, FR)
    withdraw_url = study_world.url("api:source-consent-withdraw")

    response = send(
        client,
        "post",
        withdraw_url,
        {"scopes": ["quote"], "reason": "Fears being recognised.", "withdrawn_on": "2026-03-10"},
    )

    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "withdrawal"
    detail = client.get(study_world.url("api:source-detail")).json()
    assert "quote" not in detail["consent_scopes"]
    assert "participate" in detail["consent_scopes"]
    history = client.get(study_world.url("api:source-consent-list")).json()["results"]
    assert [event["kind"] for event in history] == ["grant", "withdrawal"]
    assert history[0]["form"]["version"] == study_world.consent_form.version

    response = send(
        client, "post", withdraw_url, {"scopes": ["participate"], "reason": "Left the study."}
    )

    assert response.status_code == 201
    assert client.get(study_world.url("api:source-detail")).json()["consent_scopes"] == []


def test_withdrawal_needs_scopes_and_a_reason(client, study_world):
    as_role(client, study_world, FR)

    response = send(
        client,
        "post",
        study_world.url("api:source-consent-withdraw"),
        {"scopes": [], "reason": ""},
    )

    assert response.status_code == 400
    assert set(response.json()) == {"scopes", "reason"}
    assert ConsentRecord.objects.filter(kind="withdrawal").count() == 0


def test_consent_given_again_under_a_new_form_version(client, study_world):
    form_v2 = ConsentFormFactory(
        study=study_world.study,
        title=study_world.consent_form.title,
        version=2,
        scopes=["participate", "record_audio"],
    )
    as_role(client, study_world, FR)
    url = study_world.url("api:source-consent-list")

    refused = send(
        client,
        "post",
        url,
        {
            "consent_form": form_v2.pk,
            "scopes": ["participate", "quote"],
            "method": "written",
            "obtained_on": "2026-04-01",
        },
    )
    response = send(
        client,
        "post",
        url,
        {
            "consent_form": form_v2.pk,
            "scopes": ["participate", "record_audio"],
            "method": "written",
            "obtained_on": "2026-04-01",
        },
    )

    assert refused.status_code == 400
    assert list(refused.json()) == ["scopes"]
    assert response.status_code == 201
    detail = client.get(study_world.url("api:source-detail")).json()
    assert detail["consent_scopes"] == ["participate", "record_audio"]


def test_consent_form_versions(client, study_world):
    as_role(client, study_world, ADMIN)
    url = study_world.url("api:consent-form-list")
    payload = {
        "title": study_world.consent_form.title,
        "text_fr": "Nouvelle version du texte.",
        "text_en": "New wording.",
        "scopes": ["quote", "participate"],
    }

    response = send(client, "post", url, payload)

    assert response.status_code == 201, response.json()
    assert response.json()["version"] == study_world.consent_form.version + 1
    assert response.json()["scopes"] == ["participate", "quote"]
    everything = client.get(url).json()["results"]
    current = client.get(url, {"current": "true"}).json()["results"]
    assert [f["version"] for f in everything] == [2, 1]
    assert [f["version"] for f in current] == [2]
    old = client.get(study_world.url("api:consent-form-detail")).json()
    assert old["version"] == 1
    assert old["text_en"] == study_world.consent_form.text_en


def test_consent_form_must_ask_for_participation(client, study_world):
    as_role(client, study_world, ADMIN)

    response = send(
        client,
        "post",
        study_world.url("api:consent-form-list"),
        {"title": "Audio", "text_fr": "Texte.", "text_en": "Text.", "scopes": ["record_audio"]},
    )

    assert response.status_code == 400
    assert list(response.json()) == ["scopes"]


def test_coders_read_consent_forms_but_only_admins_publish(client, study_world):
    as_role(client, study_world, CODER)
    assert client.get(study_world.url("api:consent-form-list")).status_code == 200
    as_role(client, study_world, SUP)
    payload = {"title": "T", "text_fr": "F.", "text_en": "E.", "scopes": ["participate"]}
    assert (
        send(client, "post", study_world.url("api:consent-form-list"), payload).status_code == 403
    )


def test_identities_stay_out_of_the_logs(client, study_world, caplog):
    existing = world_identity(study_world)
    as_role(client, study_world, FR)
    url = study_world.url("api:source-list")

    with caplog.at_level(logging.DEBUG):
        send(client, "post", url, new_source_payload(study_world))
        send(client, "post", url, new_source_payload(study_world, full_name=existing.full_name))
        send(client, "patch", study_world.url("api:source-detail"), {"address": "Rue 12, Sévaré"})

    assert "Aminata" not in caplog.text
    assert existing.full_name not in caplog.text
    assert "Sévaré" not in caplog.text


def test_consent_scopes_listed_in_form_order(client, study_world):
    as_role(client, study_world, FR)
    scopes = ["recontact", "participate", "archive"]

    response = send(
        client,
        "post",
        study_world.url("api:source-list"),
        new_source_payload(study_world, scopes=scopes),
    )

    assert response.json()["consent_scopes"] == [s for s in ConsentScope.values if s in set(scopes)]
