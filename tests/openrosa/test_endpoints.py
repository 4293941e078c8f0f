"""The OpenRosa endpoints as ODK Collect, KoboCollect and Enketo use them: form list, XForm,
manifest, submission; authentication by device token (URL or Basic) and the 401 challenge;
Central's answers for re-sends, split submissions, conflicts and edits."""

import base64
import hashlib
import re

import pytest
from django.test import Client
from lxml import etree

from fieldwork.accounts.models import Role
from fieldwork.instruments.models import FormMedia
from fieldwork.interviews.models import Attachment, Interview, InterviewVersion, SubmissionConflict
from fieldwork.interviews.selectors import conflict_payload, version_content, version_payload
from fieldwork.openrosa.services import device_revoke
from fieldwork.sources.blobs import open_blob
from tests.openrosa.conftest import OR_HEADERS, data_file, publish

XFORMS = "{http://openrosa.org/xforms/xformsList}"
MANIFEST = "{http://openrosa.org/xforms/xformsManifest}"
RESPONSE = "{http://openrosa.org/http/response}"

TUTORIAL = "onadata/tutorial.xlsx"
W_UUID = "onadata_tutorial/tutorial_2012-06-27_11-27-53_w_uuid.xml"


def submission(relative: str) -> bytes:
    return data_file("submissions", relative).read_bytes()


def message(response) -> str:
    return etree.fromstring(response.content).find(f"{RESPONSE}message").text


@pytest.fixture
def tutorial(study_world):
    return publish(study_world, TUTORIAL)


# --- Form list, download, manifest -----------------------------------------------------------


def test_form_list_gives_each_published_form_with_its_hash_and_download_url(phone, tutorial):
    response = phone.get("formList")
    assert response.status_code == 200
    assert response["X-OpenRosa-Version"] == "1.0"
    assert response["Content-Type"].startswith("text/xml")
    forms = etree.fromstring(response.content).findall(f"{XFORMS}xform")
    assert len(forms) == 1  # the world's checkpoint questionnaire is a draft: not listed
    form = forms[0]
    assert form.findtext(f"{XFORMS}formID") == "tutorial"
    assert form.findtext(f"{XFORMS}version") == tutorial.version
    assert (
        form.findtext(f"{XFORMS}hash")
        == "md5:" + hashlib.md5(tutorial.xform_xml.encode()).hexdigest()
    )
    assert form.find(f"{XFORMS}manifestUrl") is None  # no media: no manifest, as Central
    download = form.findtext(f"{XFORMS}downloadUrl")
    assert phone.token in download  # the phone keeps using its token
    xform = phone.client.get(download, headers=OR_HEADERS)
    assert xform.status_code == 200
    assert xform.content.decode() == tutorial.xform_xml


def test_a_form_with_media_lists_a_manifest_whose_files_download(phone, tutorial, study_world):
    png = b"\x89PNG\r\n\x1a\n fake but bytes"
    FormMedia.objects.create(
        version=tutorial,
        filename="logo.png",
        content_type="image/png",
        content=png,
        size=len(png),
        md5=hashlib.md5(png).hexdigest(),
        uploaded_by=study_world.member(Role.STUDY_ADMIN),
    )
    form = etree.fromstring(phone.get("formList").content).find(f"{XFORMS}xform")
    manifest = phone.client.get(form.findtext(f"{XFORMS}manifestUrl"), headers=OR_HEADERS)
    assert manifest.status_code == 200
    media = etree.fromstring(manifest.content).find(f"{MANIFEST}mediaFile")
    assert media.findtext(f"{MANIFEST}filename") == "logo.png"
    assert media.findtext(f"{MANIFEST}hash") == "md5:" + hashlib.md5(png).hexdigest()
    got = phone.client.get(media.findtext(f"{MANIFEST}downloadUrl"), headers=OR_HEADERS)
    assert got.status_code == 200 and got.content == png


def test_form_list_filters_by_form_id(phone, tutorial):
    listed = etree.fromstring(phone.get("formList?formID=other").content)
    assert listed.findall(f"{XFORMS}xform") == []


# --- Protocol and authentication ------------------------------------------------------------


def test_a_request_without_the_openrosa_header_is_refused(phone, tutorial):
    response = phone.client.get(phone.url("formList"))
    assert response.status_code == 400
    assert "X-OpenRosa-Version" in message(response)
    assert response["X-OpenRosa-Version"] == "1.0"


def test_head_on_the_submission_url_answers_204_with_the_accepted_size(phone, settings):
    response = phone.head("submission")
    assert response.status_code == 204
    assert response["X-OpenRosa-Accept-Content-Length"] == str(
        settings.FIELDWORK_OPENROSA_MAX_BYTES
    )
    assert phone.get("submission").status_code == 204


def test_without_credentials_the_answer_is_a_basic_challenge(study_world, tutorial):
    response = Client().head(f"/openrosa/{study_world.study.slug}/submission", headers=OR_HEADERS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Basic realm="Fieldwork centre-mali"')


def _basic(username: str, password: str) -> dict:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {**OR_HEADERS, "Authorization": f"Basic {token}"}


def test_basic_auth_takes_a_device_token_never_a_web_password(study_world, phone, tutorial):
    url = f"/openrosa/{study_world.study.slug}/formList"
    researcher = study_world.member(Role.FIELD_RESEARCHER)
    ok = Client().get(url, headers=_basic(researcher.username, phone.token))
    assert ok.status_code == 200
    assert b"<formID>tutorial</formID>" in ok.content
    # the download URLs given back are the Basic ones, without the token
    assert phone.token.encode() not in ok.content
    researcher.set_password("web-password-2026")
    researcher.save()
    refused = Client().get(url, headers=_basic(researcher.username, "web-password-2026"))
    assert refused.status_code == 401
    other_user = Client().get(url, headers=_basic("supervisor-user", phone.token))
    assert other_user.status_code == 401


def test_a_revoked_token_stops_working_at_once(phone, tutorial, study_world):
    assert phone.get("formList").status_code == 200
    device_revoke(device=phone.device, by=study_world.member(Role.STUDY_ADMIN))
    response = phone.get("formList")
    assert response.status_code == 403
    assert "revoked" in message(response)


def test_a_token_opens_only_its_own_study(phone, study_world):
    response = phone.client.get(
        f"/openrosa/key/{phone.token}/{study_world.other_study.slug}/formList", headers=OR_HEADERS
    )
    assert response.status_code == 404


def test_a_signed_in_browser_needs_the_csrf_token_to_post(study_world, tutorial):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(study_world.member(Role.FIELD_RESEARCHER))
    url = f"/openrosa/{study_world.study.slug}/submission"
    assert browser.head(url, headers=OR_HEADERS).status_code == 204
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = browser.post(
        url,
        {"xml_submission_file": SimpleUploadedFile("s.xml", submission(W_UUID), "text/xml")},
        headers=OR_HEADERS,
    )
    assert response.status_code == 403
    assert Interview.objects.count() == 0


def test_a_coder_cannot_send_interviews(study_world, tutorial):
    browser = Client()
    browser.force_login(study_world.member(Role.CODER))
    response = browser.get(f"/openrosa/{study_world.study.slug}/formList", headers=OR_HEADERS)
    assert response.status_code == 403


# --- Submissions ----------------------------------------------------------------------------


def test_a_submission_is_stored_byte_for_byte_and_answered_201(phone, tutorial, study_world):
    body = submission(W_UUID)
    response = phone.send(body)
    assert response.status_code == 201, message(response)
    assert response["X-OpenRosa-Version"] == "1.0"
    assert etree.fromstring(response.content).find(f"{RESPONSE}message").get("nature") == (
        "submit_success"
    )
    interview = Interview.objects.get()
    version = interview.current_version
    assert version_payload(version) == body
    assert version.payload_format == InterviewVersion.Format.OPENROSA_XML
    assert version.via_device == phone.device
    assert interview.researcher == study_world.member(Role.FIELD_RESEARCHER)
    assert interview.status == Interview.Status.RECEIVED
    assert version_content(version)[0]["name"] and version_content(version)[0]["age"]


def test_the_same_submission_sent_again_stores_nothing_new_and_answers_201(phone, tutorial):
    body = submission(W_UUID)
    assert phone.send(body).status_code == 201
    again = phone.send(body)
    assert again.status_code == 201
    assert "already received" in message(again)
    assert Interview.objects.count() == 1
    assert InterviewVersion.objects.count() == 1


def test_another_body_under_a_stored_instance_id_is_409_and_kept(phone, tutorial):
    assert phone.send(submission(W_UUID)).status_code == 201
    other = submission("onadata_tutorial/tutorial_2012-06-27_11-27-53_w_uuid_same_instanceID.xml")
    response = phone.send(other)
    assert response.status_code == 409
    assert "A different submission is already stored" in message(response)
    conflict = SubmissionConflict.objects.get()
    assert conflict_payload(conflict) == other
    assert InterviewVersion.objects.count() == 1
    # the phone retrying the refused body adds nothing: the one kept copy is enough
    assert phone.send(other).status_code == 409
    assert SubmissionConflict.objects.count() == 1


def test_edits_by_deprecated_id_become_new_versions_of_the_same_interview(phone, tutorial):
    for name in ("", "_edited", "_edited_again"):
        relative = f"onadata_tutorial/tutorial_2012-06-27_11-27-53_w_uuid{name}.xml"
        response = phone.send(submission(relative))
        assert response.status_code == 201, message(response)
    interview = Interview.objects.get()
    assert [v.number for v in interview.versions.all()] == [1, 2, 3]
    assert interview.status == Interview.Status.EDITED
    assert interview.current_version.number == 3


def test_an_edit_of_an_out_of_date_version_is_409(phone, tutorial):
    phone.send(submission(W_UUID))
    phone.send(submission("onadata_tutorial/tutorial_2012-06-27_11-27-53_w_uuid_edited.xml"))
    # a second edit of version 1 (not of the current version 2)
    stale = submission("onadata_tutorial/tutorial_2012-06-27_11-27-53_w_uuid_edited.xml").replace(
        b"<instanceID>uuid:", b"<instanceID>uuid:0"
    )
    stale = re.sub(rb"<instanceID>uuid:0[0-9a-f]", b"<instanceID>uuid:a", stale)
    response = phone.send(stale)
    assert response.status_code == 409
    assert "no longer the current one" in message(response)  # the phone is told why
    assert SubmissionConflict.objects.count() == 1


def test_an_edit_of_an_unknown_submission_is_404(phone, tutorial):
    response = phone.send(
        submission("onadata_tutorial/tutorial_2012-06-27_11-27-53_w_uuid_edited.xml")
    )
    assert response.status_code == 404
    assert Interview.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, "exactly one xml_submission_file"),
        ({"xml_submission_file": b"<data id='tutorial'><unclosed></data>"}, "not well-formed"),
        ({"xml_submission_file": b""}, "empty"),
        ({"xml_submission_file": b"<data><name>x</name></data>"}, "which form"),
    ],
)
def test_bad_bodies_get_400_with_a_message(phone, tutorial, data, expected):
    from django.core.files.uploadedfile import SimpleUploadedFile

    files = {k: SimpleUploadedFile("s.xml", v, "text/xml") for k, v in data.items()}
    response = phone.client.post(phone.url("submission"), data=files, headers=OR_HEADERS)
    assert response.status_code == 400
    assert expected in message(response)


def test_a_submission_to_an_unknown_form_is_404(phone, tutorial):
    response = phone.send(
        submission("onadata_tutorial/tutorial_2012-06-27_11-27-53_bad_id_string.xml")
    )
    assert response.status_code == 404
    assert "tutorial_bad" in message(response)


def test_an_entity_in_the_body_is_not_expanded(phone, tutorial):
    body = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<tutorial id="tutorial"><name>&x;</name><meta><instanceID>uuid:'
        b"11111111-2222-3333-4444-555555555555</instanceID></meta></tutorial>"
    )
    assert phone.send(body).status_code == 201
    assert "root:" not in str(version_content(Interview.objects.get().current_version)[0])


def test_an_old_submission_without_instance_id_gets_a_stable_one(phone, tutorial):
    body = submission("onadata_tutorial/tutorial_2012-06-27_11-27-53.xml")
    assert phone.send(body).status_code == 201
    assert phone.send(body).status_code == 201
    version = InterviewVersion.objects.get()
    assert "names no form version" in version.problems[0]["text"]["en"]


# --- Attachments ----------------------------------------------------------------------------


JPEG = b"\xff\xd8\xff\xe0" + b"photo of a checkpoint " * 500


def _with_picture(name: str) -> bytes:
    return submission(W_UUID).replace(b"1333604907194.jpg", name.encode())


def test_a_split_submission_is_merged_and_its_files_are_sealed(phone, tutorial):
    body = _with_picture("1338.jpg")
    first = phone.send(body)
    assert first.status_code == 201
    assert "1 file is still expected" in message(first)
    second = phone.send(body, ("1338.jpg", JPEG))
    assert second.status_code == 201
    assert "still expected" not in message(second)
    attachment = Attachment.objects.get()
    assert attachment.name == "1338.jpg" and attachment.size == len(JPEG)
    assert attachment.content_type == "image/jpeg"
    assert b"photo of a checkpoint" not in bytes(attachment.ciphertext)
    assert (
        open_blob(
            ciphertext=attachment.ciphertext,
            wrapped_key=attachment.wrapped_key,
            key_id=attachment.key_id,
            context=attachment.context,
        )
        == JPEG
    )
    # a third re-send with the same file stores it once
    assert phone.send(body, ("1338.jpg", JPEG)).status_code == 201
    assert Attachment.objects.count() == 1
    assert InterviewVersion.objects.count() == 1


def test_a_file_the_submission_does_not_name_is_ignored(phone, tutorial):
    response = phone.send(submission(W_UUID), ("stray.jpg", JPEG))
    assert response.status_code == 201
    assert "1 file is still expected" in message(response)  # 1333604907194.jpg
    assert Attachment.objects.count() == 0


def test_a_program_is_refused_and_nothing_is_stored(phone, tutorial):
    response = phone.send(_with_picture("run.exe"), ("run.exe", b"MZ"))
    assert response.status_code == 400
    assert "run.exe" in message(response) and "program" in message(response)
    assert Interview.objects.count() == 0


def test_a_file_of_a_type_fieldwork_does_not_know_is_kept_for_download(phone, tutorial):
    """ODK Collect writes some recordings as .bin (ruodk_I8n_no_lang_choicefilter): the
    phone can no longer change its finalized form, so the file is kept, sealed, and served
    only as a download."""
    response = phone.send(_with_picture("1701678899551.bin"), ("1701678899551.bin", b"\x00voice"))
    assert response.status_code == 201, message(response)
    attachment = Attachment.objects.get()
    assert attachment.name == "1701678899551.bin"
    assert attachment.content_type == "application/octet-stream"


def test_a_file_over_the_limit_is_refused_with_the_limit(phone, tutorial, settings):
    settings.FIELDWORK_ATTACHMENT_MAX_BYTES = 1024 * 1024
    response = phone.send(_with_picture("big.jpg"), ("big.jpg", b"\xff" * (1024 * 1024 + 1)))
    assert response.status_code == 413
    assert "big.jpg" in message(response) and "1 MB" in message(response)
    assert Interview.objects.count() == 0


def test_a_large_file_never_touches_the_disk_in_clear(phone, tutorial):
    from unittest import mock

    recording = b"\xff\xd8" + b"a voice, a face " * 250_000  # 4 MB, over Django's 2.5 MB
    with mock.patch(
        "django.core.files.uploadedfile.tempfile.NamedTemporaryFile",
        side_effect=AssertionError("an upload was spooled to a temporary file"),
    ):
        response = phone.send(_with_picture("big.jpg"), ("big.jpg", recording))
    assert response.status_code == 201, message(response)
    assert Attachment.objects.get().size == len(recording)


# --- Encrypted forms ------------------------------------------------------------------------


def test_a_clear_submission_to_an_encrypted_form_is_refused(phone, study_world):
    publish(study_world, "onadata/tutorial_encrypted.xlsx")
    body = b"""<tutorial_encrypted id="tutorial_encrypted"><name>Awa</name>
    <meta><instanceID>uuid:3d3e5b52-4c1f-4f43-9d2f-1a2b3c4d5e6f</instanceID></meta>
    </tutorial_encrypted>"""
    response = phone.send(body)
    assert response.status_code == 400
    assert "encrypted" in message(response)
    assert Interview.objects.count() == 0


def test_an_envelope_that_could_never_be_decrypted_is_refused(phone, study_world):
    publish(study_world, "onadata/tutorial_encrypted.xlsx")
    envelope = submission("onadata_tutorial_encrypted/submission.xml")
    broken = re.sub(
        rb"<base64EncryptedElementSignature>[^<]*</base64EncryptedElementSignature>", b"", envelope
    )
    assert broken != envelope
    response = phone.send(broken)
    assert response.status_code == 400
    assert Interview.objects.count() == 0


def test_an_encrypted_interview_cannot_be_approved_before_it_is_decrypted(phone, study_world):
    from fieldwork.core.errors import ServiceError
    from fieldwork.interviews.services import interview_review

    publish(study_world, "onadata/tutorial_encrypted.xlsx")
    assert phone.send(submission("onadata_tutorial_encrypted/submission.xml")).status_code == 201
    interview = Interview.objects.get()
    with pytest.raises(ServiceError, match="still encrypted"):
        interview_review(interview=interview, by=study_world.member(Role.SUPERVISOR), to="approved")


def test_a_researcher_cannot_edit_another_s_interview_nor_learn_it_exists(
    phone, tutorial, study_world
):
    from fieldwork.openrosa.services import device_create

    assert phone.send(submission(W_UUID)).status_code == 201
    other = study_world.member(Role.SUPERVISOR)
    # a second field researcher's phone
    from tests.factories import MembershipFactory

    colleague = MembershipFactory(
        study=study_world.study, role=Role.FIELD_RESEARCHER, user__username="moussa"
    ).user
    _device, token = device_create(
        study=study_world.study, by=other, researcher=colleague, label="Moussa's phone"
    )
    edit = submission("onadata_tutorial/tutorial_2012-06-27_11-27-53_w_uuid_edited.xml")
    response = phone.send(edit, url=f"/openrosa/key/{token}/{study_world.study.slug}/submission")
    assert response.status_code == 404
    assert InterviewVersion.objects.count() == 1


def test_even_a_refused_method_says_x_openrosa_version(phone, tutorial):
    response = phone.client.delete(phone.url("submission"), headers=OR_HEADERS)
    assert response.status_code == 405
    assert response["X-OpenRosa-Version"] == "1.0"
