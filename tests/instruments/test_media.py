"""Form media: the files a questionnaire refers to (images, CSV files for choices), added
by a study admin on the version's page and served to phones through the form's manifest."""

import hashlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from lxml import etree

from fieldwork.accounts.models import Role
from fieldwork.instruments.models import FormMedia
from tests.openrosa import conftest as openrosa
from tests.openrosa.conftest import publish

phone = openrosa.phone  # the fixture: a phone with a device token

CSV = b"name,label\nogol,Ogol\nbanani,Banani\n"


def test_a_study_admin_adds_the_files_a_form_names_and_phones_get_them(study_world, phone):
    version = publish(study_world, "fieldwork/with_media.md")
    admin = Client()
    admin.force_login(study_world.member(Role.STUDY_ADMIN))
    page_url = f"/studies/{study_world.study.slug}/instruments/versions/{version.pk}/"
    page = admin.get(page_url)
    assert b"logo.png" in page.content and b"villages.csv" in page.content
    assert page.content.count(b">missing<") == 2
    # as ODK Central: the form declares media, so phones get a manifest, empty for now
    listed = etree.fromstring(phone.get("formList").content)
    ns = "{http://openrosa.org/xforms/xformsList}"
    empty = phone.client.get(
        listed.find(f"{ns}xform").findtext(f"{ns}manifestUrl"),
        headers={"X-OpenRosa-Version": "1.0"},
    )
    assert len(etree.fromstring(empty.content)) == 0

    response = admin.post(
        page_url + "media/", {"file": SimpleUploadedFile("villages.csv", CSV, "text/csv")}
    )
    assert response.status_code == 302
    media = FormMedia.objects.get()
    assert media.md5 == hashlib.md5(CSV).hexdigest() and media.content_type == "text/csv"

    listed = etree.fromstring(phone.get("formList").content)
    ns = "{http://openrosa.org/xforms/xformsList}"
    manifest_url = listed.find(f"{ns}xform").findtext(f"{ns}manifestUrl")
    manifest = etree.fromstring(
        phone.client.get(manifest_url, headers={"X-OpenRosa-Version": "1.0"}).content
    )
    ns = "{http://openrosa.org/xforms/xformsManifest}"
    assert [f.findtext(f"{ns}filename") for f in manifest] == ["villages.csv"]
    got = phone.client.get(
        manifest[0].findtext(f"{ns}downloadUrl"), headers={"X-OpenRosa-Version": "1.0"}
    )
    assert got.content == CSV


def test_a_file_the_form_does_not_name_is_refused_with_the_names_it_uses(study_world):
    version = publish(study_world, "fieldwork/with_media.md")
    admin = Client()
    admin.force_login(study_world.member(Role.STUDY_ADMIN))
    response = admin.post(
        f"/studies/{study_world.study.slug}/instruments/versions/{version.pk}/media/",
        {"file": SimpleUploadedFile("photo.png", b"png", "image/png")},
    )
    assert response.status_code == 400
    assert "does not use a file named “photo.png”".encode() in response.content
    assert b"logo.png, villages.csv" in response.content
    assert FormMedia.objects.count() == 0


def test_a_new_copy_of_a_file_replaces_the_old_one(study_world):
    from fieldwork.instruments.services import version_media_add

    version = publish(study_world, "fieldwork/with_media.md")
    admin = study_world.member(Role.STUDY_ADMIN)
    version_media_add(version=version, by=admin, filename="villages.csv", content=CSV)
    version_media_add(version=version, by=admin, filename="villages.csv", content=CSV + b"x,X\n")
    assert bytes(FormMedia.objects.get().content) == CSV + b"x,X\n"


def test_a_new_version_keeps_the_files_it_still_names_and_warns_of_the_others(study_world):
    """As ODK Central carries attachments to a form's next version: phones must not lose
    the village list because the form was corrected."""
    from fieldwork.instruments.services import instrument_upload, version_media_add

    first = publish(study_world, "fieldwork/with_media.md")
    admin = study_world.member(Role.STUDY_ADMIN)
    version_media_add(version=first, by=admin, filename="villages.csv", content=CSV)
    version_media_add(version=first, by=admin, filename="logo.png", content=b"\x89PNG logo")
    text = openrosa.data_file("xlsforms", "fieldwork/with_media.md").read_text()
    text = text.replace("| with_media | 1 |", "| with_media | 2 |").replace(
        "| | note | welcome |",
        "| | note | carte | Voici la carte. | carte.png |\n| | note | welcome |",
    )
    second = instrument_upload(
        study=study_world.study,
        by=admin,
        content=text.encode(),
        filename="with_media.md",
        validate=False,
    )
    carried = {m.filename: bytes(m.content) for m in FormMedia.objects.filter(version=second)}
    assert carried == {"villages.csv": CSV, "logo.png": b"\x89PNG logo"}

    client = Client()
    client.force_login(admin)
    page = client.get(f"/studies/{study_world.study.slug}/instruments/versions/{second.pk}/")
    warning = page.content.decode().split('id="missing-media">')[1].split("</p>")[0]
    assert "carte.png" in warning and "villages.csv" not in warning
