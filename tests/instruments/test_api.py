"""The instruments REST API: upload, read, publish, delete, review disclosure."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

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
