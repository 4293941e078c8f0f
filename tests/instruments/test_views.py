"""The instrument pages, as a study admin and a field researcher use them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from fieldwork.accounts.models import Role
from fieldwork.instruments.models import Instrument, InstrumentVersion
from tests.conftest import CHECKPOINT_FORM, XLSFORMS

pytestmark = pytest.mark.django_db

ADMIN, FR = Role.STUDY_ADMIN, Role.FIELD_RESEARCHER


def as_role(client, study_world, role):
    client.force_login(study_world.member(role))
    return client


def new_version_file(version: str, *, edit=None) -> SimpleUploadedFile:
    text = CHECKPOINT_FORM.read_text().replace("| 2025010101 |", f"| {version} |")
    if edit:
        text = edit(text)
    return SimpleUploadedFile("checkpoint.md", text.encode(), content_type="text/markdown")


def test_the_nav_and_study_home_lead_to_instruments(client, study_world):
    response = as_role(client, study_world, FR).get(study_world.url("studies:study-home"))

    assert study_world.url("instruments:instrument-list") in response.content.decode()
    analyst = as_role(client, study_world, Role.ANALYST).get(study_world.url("studies:study-home"))
    assert study_world.url("instruments:instrument-list") not in analyst.content.decode()


def test_the_list_shows_each_instrument_with_its_versions(client, study_world):
    response = as_role(client, study_world, FR).get(study_world.url("instruments:instrument-list"))

    page = response.content.decode()
    assert "Poste de contrôle" in page
    assert "2025010101" in page
    assert "Draft" in page
    assert "Upload an XLSForm" not in page  # researchers read, study admins upload


def test_a_study_admin_uploads_a_new_version_and_lands_on_it(client, study_world):
    client = as_role(client, study_world, ADMIN)

    response = client.post(
        study_world.url("instruments:instrument-upload"), {"file": new_version_file("2025020101")}
    )

    version = InstrumentVersion.objects.get(version="2025020101")
    assert response.status_code == 302
    assert response["Location"] == study_world.url("instruments:version-detail").replace(
        str(study_world.instrument_version.pk), str(version.pk)
    )
    page = client.get(response["Location"]).content.decode()
    assert "was imported as a draft" in page


def test_a_refused_upload_lists_each_problem_with_its_place(client, study_world):
    path = XLSFORMS / "messy/pyxform/calculate_without_calculation.xls"
    upload = SimpleUploadedFile(path.name, path.read_bytes())

    response = as_role(client, study_world, ADMIN).post(
        study_world.url("instruments:instrument-upload"), {"file": upload}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "The form was not imported" in page
    assert "<td>survey</td><td>34</td><td>calculation</td>" in page
    assert "calculate row needs an expression" in page
    assert Instrument.objects.count() == 1  # the world's only


def test_uploading_the_same_version_again_says_to_change_the_version(client, study_world):
    response = as_role(client, study_world, ADMIN).post(
        study_world.url("instruments:instrument-upload"), {"file": new_version_file("2025010101")}
    )

    assert "settings sheet" in response.context["form"].errors["file"][0]


def test_the_duplicate_version_message_suggests_todays_date(client, study_world):
    response = as_role(client, study_world, ADMIN).post(
        study_world.url("instruments:instrument-upload"), {"file": new_version_file("2025010101")}
    )

    [message] = response.context["form"].errors["file"]
    today = timezone.localdate().strftime("%Y%m%d")
    assert "Change “version” in the settings sheet (for example to today's date and a " in message
    assert f"like {today}01)" in message


def test_a_file_over_the_limit_is_refused_without_a_wrong_size(client, study_world):
    big = SimpleUploadedFile("big.xlsx", b"x" * 12_000_000)

    response = as_role(client, study_world, ADMIN).post(
        study_world.url("instruments:instrument-upload"), {"file": big}
    )

    assert response.context["form"].errors["file"] == [
        "The file is larger than 10 MB, the most Fieldwork accepts for an XLSForm."
    ]


def test_an_upload_without_a_file_asks_for_one(client, study_world):
    response = as_role(client, study_world, ADMIN).post(
        study_world.url("instruments:instrument-upload"), {}
    )

    assert response.context["form"].errors["file"] == ["Choose the XLSForm file to upload."]


def test_the_version_page_shows_questions_in_the_users_language(client, study_world):
    client = as_role(client, study_world, FR)
    url = study_world.url("instruments:version-detail")

    english = client.get(url).content.decode()
    with translation.override("fr"):
        client.cookies["django_language"] = "fr"
        french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "Respondent&#x27;s name" in english
    assert "checkpoint/amount_paid" in english
    assert "${armed_group} != &#x27;none&#x27;" in english  # relevant
    assert "<code>${age} &gt;= 18</code>" in english  # telephone: required for adults only
    assert "Français (fr)" in english
    assert "Nom du répondant" in french


def test_a_draft_shows_its_diff_and_the_publish_button_to_the_admin(client, study_world):
    client = as_role(client, study_world, ADMIN)
    client.post(study_world.url("instruments:version-publish"))
    client.post(
        study_world.url("instruments:instrument-upload"),
        {"file": new_version_file("2025020101", edit=lambda t: t.replace(". >= 15", ". >= 18"))},
    )
    draft = InstrumentVersion.objects.get(version="2025020101")

    study_world.extra["version_id"] = draft.pk
    page = client.get(study_world.url("instruments:version-detail")).content.decode()

    assert "Compared with version 2025010101 (Published)" in page
    assert (
        '<span class="code">constraint</span>: <del>. &gt;= 15 and . &lt; 120</del> → '
        "<ins>. &gt;= 18 and . &lt; 120</ins>"
    ) in page
    assert study_world.url("instruments:version-publish") in page


def test_a_draft_shows_choice_changes_before_phones_get_them(client, study_world):
    client = as_role(client, study_world, ADMIN)
    client.post(study_world.url("instruments:version-publish"))

    def edit(text: str) -> str:
        phone = "| | items | phone | Téléphone | Phone | |"
        text = text.replace(phone, f"{phone}\n| | items | vehicle | Véhicule | Vehicle | |")
        text = text.replace(
            "| | armed_group | none |",
            "| | armed_group | fama | FAMa | Malian army (FAMa) | |\n| | armed_group | none |",
        )
        return text.replace("| jnim | JNIM | JNIM |", "| jnim | JNIM | JNIM (GSIM) |")

    client.post(
        study_world.url("instruments:instrument-upload"),
        {"file": new_version_file("2025020101", edit=edit)},
    )
    study_world.extra["version_id"] = InstrumentVersion.objects.get(version="2025020101").pk

    page = client.get(study_world.url("instruments:version-detail")).content.decode()

    assert "No question or choice was added, removed or changed." not in page
    assert 'id="diff-questions"' not in page  # no question changed
    assert "Choice list “armed_group”" in page
    assert "Offered by the question checkpoint/armed_group." in page
    assert '<td class="code">fama</td>\n  <td>Malian army (FAMa)</td>' in page
    assert "<del>English (en): JNIM</del> → <ins>English (en): JNIM (GSIM)</ins>" in page
    assert "Choice list “items”" in page
    assert "Offered by the question checkpoint/items_taken." in page
    assert '<td class="code">vehicle</td>\n  <td>Vehicle</td>' in page


def test_a_draft_like_the_published_version_says_nothing_changed(client, study_world):
    client = as_role(client, study_world, ADMIN)
    client.post(study_world.url("instruments:version-publish"))
    client.post(
        study_world.url("instruments:instrument-upload"), {"file": new_version_file("2025020101")}
    )
    study_world.extra["version_id"] = InstrumentVersion.objects.get(version="2025020101").pk

    page = client.get(study_world.url("instruments:version-detail")).content.decode()

    assert "No question or choice was added, removed or changed." in page


def test_publishing_from_the_page_retires_nothing_the_first_time(client, study_world):
    response = as_role(client, study_world, ADMIN).post(
        study_world.url("instruments:version-publish")
    )

    study_world.instrument_version.refresh_from_db()
    assert study_world.instrument_version.status == InstrumentVersion.Status.PUBLISHED
    assert response["Location"] == study_world.url("instruments:version-detail")


def test_deleting_a_published_version_is_refused_with_a_message(client, study_world):
    client = as_role(client, study_world, ADMIN)
    client.post(study_world.url("instruments:version-publish"))

    response = client.post(study_world.url("instruments:version-delete"), follow=True)

    assert "is in use" in response.content.decode()
    assert InstrumentVersion.objects.filter(pk=study_world.instrument_version.pk).exists()


def test_deleting_a_draft_returns_to_the_list(client, study_world):
    response = as_role(client, study_world, ADMIN).post(
        study_world.url("instruments:version-delete")
    )

    assert response["Location"] == study_world.url("instruments:instrument-list")
    assert not InstrumentVersion.objects.exists()


def test_the_disclosure_page_highlights_suggestions_and_saves_roles(client, study_world):
    client = as_role(client, study_world, ADMIN)
    url = study_world.url("instruments:version-disclosure")
    page = client.get(url).content.decode()
    questions = {q.path: q for q in study_world.instrument_version.questions.all()}

    assert '<tr class="suggested">' in page
    assert "checkpoint/what_happened" in page
    assert f'name="role_{questions["checkpoint"].pk}"' not in page  # a group holds no answer

    data = {
        f"role_{q.pk}": q.disclosure
        for q in questions.values()
        if q.type not in ("group", "repeat", "note") and q.name != "instanceID"
    }
    data[f"role_{questions['checkpoint/amount_paid'].pk}"] = "sensitive"
    response = client.post(url, data)

    assert response.status_code == 302
    amount = study_world.instrument_version.questions.get(path="checkpoint/amount_paid")
    assert (amount.disclosure, amount.disclosure_suggested) == ("sensitive", False)
    assert not study_world.instrument_version.questions.filter(disclosure_suggested=True).exists()


def test_downloads_give_the_xform_and_the_original_file(client, study_world):
    client = as_role(client, study_world, FR)

    xform = client.get(study_world.url("instruments:version-xform"))
    original = client.get(study_world.url("instruments:version-xlsform"))

    assert xform["Content-Type"].startswith("application/xml")
    assert xform.content.decode() == study_world.instrument_version.xform_xml
    assert 'filename="checkpoint-2025010101.xml"' in xform["Content-Disposition"]
    assert original.content == CHECKPOINT_FORM.read_bytes()
    assert 'filename="checkpoint.md"' in original["Content-Disposition"]


def test_a_version_of_another_study_is_not_found(client, study_world):
    client = as_role(client, study_world, ADMIN)
    other = InstrumentVersion.objects.get()
    other.instrument.study = study_world.other_study
    other.instrument.save()

    assert client.get(study_world.url("instruments:version-detail")).status_code == 404
