"""The instruments REST API: upload, read, publish, delete, review disclosure."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fieldwork.accounts.models import Role
from fieldwork.instruments.models import InstrumentVersion
from tests.conftest import CHECKPOINT_FORM, XLSFORMS

pytestmark = pytest.mark.django_db

ADMIN, CODER = Role.STUDY_ADMIN, Role.CODER


def as_role(client, study_world, role):
    client.force_login(study_world.member(role))
    return client


def post_json(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def test_list_shows_instruments_with_their_versions(client, study_world):
    response = as_role(client, study_world, CODER).get(study_world.url("api:instrument-list"))

    assert response.status_code == 200
    [instrument] = response.json()["results"]
    assert instrument["form_id"] == "checkpoint"
    [version] = instrument["versions"]
    assert (version["version"], version["status"]) == ("2025010101", "draft")
    assert version["languages"] == ["Français (fr)", "English (en)"]


def test_upload_answers_the_draft_with_its_questions_and_choices(client, study_world):
    text = CHECKPOINT_FORM.read_text().replace("| 2025010101 |", "| 2025020101 |")
    upload = SimpleUploadedFile("checkpoint.md", text.encode())

    response = as_role(client, study_world, ADMIN).post(
        study_world.url("api:instrument-list"), {"file": upload}
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["form_id"], body["version"], body["status"]) == (
        "checkpoint",
        "2025020101",
        "draft",
    )
    paths = [q["path"] for q in body["questions"]]
    assert paths[:3] == ["start", "end", "respondent_name"]
    name = body["questions"][2]
    assert name["labels"] == {
        "Français (fr)": "Nom du répondant",
        "English (en)": "Respondent's name",
    }
    assert (name["disclosure"], name["disclosure_suggested"]) == ("direct_identifier", True)
    ogol = next(c for c in body["choices"] if c["name"] == "ogol")
    assert ogol == {
        "list_name": "village",
        "name": "ogol",
        "labels": {"Français (fr)": "Ogol", "English (en)": "Ogol"},
        "extra": {"commune": "sangha"},
    }
    assert {"sheet": "survey", "row": 11} in [
        {"sheet": w["sheet"], "row": w["row"]} for w in body["warnings"]
    ]  # the photo question: pyxform's max-pixels advice


def test_a_refused_upload_answers_400_with_located_problems_under_file(client, study_world):
    path = XLSFORMS / "messy/pyxform/group_name_test.xls"
    before = InstrumentVersion.objects.count()

    response = as_role(client, study_world, ADMIN).post(
        study_world.url("api:instrument-list"),
        {"file": SimpleUploadedFile(path.name, path.read_bytes())},
    )

    assert response.status_code == 400
    [message] = response.json()["file"]
    assert message.startswith("Sheet “survey”, row 3, column “name”: ")
    assert InstrumentVersion.objects.count() == before


def test_an_upload_without_a_file_is_a_field_error(client, study_world):
    response = as_role(client, study_world, ADMIN).post(study_world.url("api:instrument-list"), {})

    assert response.status_code == 400
    assert "file" in response.json()


def test_detail_has_questions_choices_settings_and_warnings(client, study_world):
    response = as_role(client, study_world, CODER).get(
        study_world.url("api:instrument-version-detail")
    )

    body = response.json()
    assert len(body["questions"]) == 22
    assert len(body["choices"]) == 13
    assert body["settings"]["form_id"] == "checkpoint"
    age = next(q for q in body["questions"] if q["path"] == "age")
    assert age["constraint"] == ". >= 15 and . < 120"
    assert age["required"] is True


def test_publish_then_delete_is_refused_as_in_use(client, study_world):
    client = as_role(client, study_world, ADMIN)

    published = post_json(client, study_world.url("api:instrument-version-publish"))
    deleted = client.delete(study_world.url("api:instrument-version-detail"))

    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert deleted.status_code == 400
    assert "in use" in deleted.json()["non_field_errors"][0]


def test_delete_a_draft(client, study_world):
    response = as_role(client, study_world, ADMIN).delete(
        study_world.url("api:instrument-version-detail")
    )

    assert response.status_code == 204
    assert not InstrumentVersion.objects.exists()


def test_disclosure_roles_are_confirmed_by_path(client, study_world):
    client = as_role(client, study_world, ADMIN)
    url = study_world.url("api:instrument-version-disclosure")

    response = post_json(client, url, {"roles": {"checkpoint/amount_paid": "sensitive"}})

    assert response.status_code == 200
    amount = next(q for q in response.json()["questions"] if q["path"] == "checkpoint/amount_paid")
    assert (amount["disclosure"], amount["disclosure_suggested"]) == ("sensitive", False)


@pytest.mark.parametrize(
    "roles",
    [{"checkpoint/amount_paid": "secret"}, {"nowhere": "none"}, {}],
)
def test_disclosure_refusals_are_field_errors_on_roles(client, study_world, roles):
    response = post_json(
        as_role(client, study_world, ADMIN),
        study_world.url("api:instrument-version-disclosure"),
        {"roles": roles},
    )

    assert response.status_code == 400
    assert "roles" in response.json()


def test_a_version_of_another_study_is_not_found(client, study_world):
    other = InstrumentVersion.objects.get()
    other.instrument.study = study_world.other_study
    other.instrument.save()

    response = as_role(client, study_world, ADMIN).get(
        study_world.url("api:instrument-version-detail")
    )

    assert response.status_code == 404


def test_a_metadata_role_is_refused_naming_the_path(client, study_world):
    # the review page does not list meta/instanceID: a role set here could not be undone there
    response = post_json(
        as_role(client, study_world, ADMIN),
        study_world.url("api:instrument-version-disclosure"),
        {"roles": {"meta/instanceID": "direct_identifier"}},
    )

    assert response.status_code == 400
    [message] = response.json()["roles"]
    assert "“meta/instanceID”" in message
    instance_id = study_world.instrument_version.questions.get(path="meta/instanceID")
    assert instance_id.disclosure == "none"


def test_an_upload_over_the_limit_names_the_limit_only(client, study_world):
    big = SimpleUploadedFile("big.xlsx", b"x" * 12_000_000)

    response = as_role(client, study_world, ADMIN).post(
        study_world.url("api:instrument-list"), {"file": big}
    )

    assert response.status_code == 400
    assert response.json()["file"] == [
        "The file is larger than 10 MB, the most Fieldwork accepts for an XLSForm."
    ]


def upload_form(client, study_world, form_id: str) -> dict:
    text = CHECKPOINT_FORM.read_text().replace("| checkpoint | 2025010101 |", f"| {form_id} | 1 |")
    response = client.post(
        study_world.url("api:instrument-list"),
        {"file": SimpleUploadedFile(f"{form_id}.md", text.encode())},
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_the_list_filters_by_form_id_and_by_a_versions_status(client, study_world):
    client = as_role(client, study_world, ADMIN)
    upload_form(client, study_world, "tutorial")
    market = upload_form(client, study_world, "market")
    post_json(client, study_world.url("api:instrument-version-publish"))  # checkpoint
    study_world.extra["version_id"] = market["id"]
    post_json(client, study_world.url("api:instrument-version-publish"))
    url = study_world.url("api:instrument-list")

    def form_ids(**params) -> list[str]:
        response = client.get(url, params)
        assert response.status_code == 200, response.json()
        return [i["form_id"] for i in response.json()["results"]]

    assert form_ids() == ["checkpoint", "market", "tutorial"]
    assert form_ids(form_id="tutorial") == ["tutorial"]
    assert form_ids(status="published") == ["checkpoint", "market"]
    assert form_ids(status="draft") == ["tutorial"]
    assert form_ids(form_id="tutorial", status="published") == []
    assert form_ids(status="retired") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"form_id": "nowhere"}, "form_id"), ({"status": "live"}, "status")],
)
def test_a_bad_filter_value_answers_400_naming_it(client, study_world, params, field):
    response = as_role(client, study_world, CODER).get(
        study_world.url("api:instrument-list"), params
    )

    assert response.status_code == 400
    assert field in response.json()


def test_the_form_id_filter_does_not_see_another_studys_forms(client, study_world):
    instrument = study_world.instrument_version.instrument
    instrument.study = study_world.other_study
    instrument.save()

    response = as_role(client, study_world, CODER).get(
        study_world.url("api:instrument-list"), {"form_id": "checkpoint"}
    )

    assert response.status_code == 400


def test_the_schema_documents_filters_and_refusals(client, study_world):
    client = as_role(client, study_world, CODER)
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    instruments = schema["paths"]["/api/v1/studies/{slug}/instruments/"]["get"]
    version = "/api/v1/studies/{slug}/instruments/versions/{version_id}/"

    assert {"form_id", "status"} <= {p["name"] for p in instruments["parameters"]}
    assert "400" in instruments["responses"]
    delete = schema["paths"][version]["delete"]["responses"]["400"]
    publish = schema["paths"][version + "publish/"]["post"]["responses"]["400"]
    for refusal in (delete, publish):
        assert refusal["content"]["application/json"]["schema"]["additionalProperties"]
