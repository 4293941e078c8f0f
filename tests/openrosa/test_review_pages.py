"""What a supervisor sees of a phone's interview: its files (opened from their seal, each
opening audited), what the server check found, and which phone sent each version."""

from django.test import Client

from fieldwork.accounts.models import Role
from fieldwork.audit.models import AuditEvent
from fieldwork.interviews.models import Interview, InterviewVersion
from tests.openrosa.conftest import data_file, publish

JPEG = b"\xff\xd8\xff\xe0 a face " * 100


def _page(world, role, interview):
    client = Client()
    client.force_login(world.member(role))
    url = f"/studies/{world.study.slug}/interviews/{interview.client_uuid}/"
    return client, client.get(url)


def test_a_reviewer_sees_and_opens_the_files_a_phone_sent(study_world, phone):
    publish(study_world, "onadata/tutorial.xlsx")
    body = data_file(
        "submissions", "onadata_tutorial/tutorial_2012-06-27_11-27-53_w_uuid.xml"
    ).read_bytes()
    assert phone.send(body, ("1333604907194.jpg", JPEG)).status_code == 201
    interview = Interview.objects.get()
    client, page = _page(study_world, Role.SUPERVISOR, interview)
    assert page.status_code == 200
    assert b"1333604907194.jpg" in page.content
    assert "phone “Tecno Spark, Awa”".encode() in page.content
    link = (
        f"/studies/{study_world.study.slug}/interviews/{interview.client_uuid}"
        "/versions/1/files/1333604907194.jpg"
    )
    assert link.encode() in page.content
    got = client.get(link)
    assert got.status_code == 200
    assert got.content == JPEG and got["Content-Type"] == "image/jpeg"
    assert got["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="interview.attachment_opened")
    assert event.actor == study_world.member(Role.SUPERVISOR)
    assert event.data["file"] == "1333604907194.jpg"
    # an analyst never gets interview content
    analyst = Client()
    analyst.force_login(study_world.member(Role.ANALYST))
    assert analyst.get(link).status_code == 403


def test_a_missing_file_is_listed_as_not_received_yet(study_world, phone):
    publish(study_world, "onadata/tutorial.xlsx")
    body = data_file(
        "submissions", "onadata_tutorial/tutorial_2012-06-27_11-27-53_w_uuid.xml"
    ).read_bytes()
    phone.send(body)
    _client, page = _page(study_world, Role.SUPERVISOR, Interview.objects.get())
    assert b"1333604907194.jpg: not received yet" in page.content


def test_the_server_check_s_findings_are_shown_beside_kept_answers(study_world, phone):
    publish(study_world, "onadata/transportation.xlsx")
    body = data_file(
        "submissions", "onadata_transportation/transportation_empty_submission.xml"
    ).read_bytes()
    assert phone.send(body).status_code == 201
    interview = Interview.objects.get()
    assert interview.current_version.problems
    _client, page = _page(study_world, Role.SUPERVISOR, interview)
    assert b"What the server check found" in page.content
    assert b"has no question" in page.content


def test_the_api_lists_a_phone_interview_s_files_problems_and_device(study_world, phone):
    publish(study_world, "onadata/tutorial.xlsx")
    body = data_file(
        "submissions", "onadata_tutorial/tutorial_2012-06-27_11-27-53.xml"
    ).read_bytes()
    assert phone.send(body).status_code == 201
    interview = Interview.objects.get()
    client = Client()
    client.force_login(study_world.member(Role.SUPERVISOR))
    detail = client.get(
        f"/api/v1/studies/{study_world.study.slug}/interviews/{interview.client_uuid}/"
    ).json()
    version = detail["versions"][0]
    assert version["format"] == "openrosa_xml"
    assert version["device"] == "Tecno Spark, Awa"
    assert "names no form version" in version["problems"][0]
    assert version["attachments"] == []
    assert version["missing_attachments"] == ["1333604907194.jpg"]
    assert version["awaiting_decryption"] is False

    assert phone.send(body, ("1333604907194.jpg", JPEG)).status_code == 201
    version = client.get(
        f"/api/v1/studies/{study_world.study.slug}/interviews/{interview.client_uuid}/"
    ).json()["versions"][0]
    (attachment,) = version["attachments"]
    assert attachment["size"] == len(JPEG) and attachment["content_type"] == "image/jpeg"
    got = client.get(attachment["url"])
    assert got.status_code == 200 and got.content == JPEG
    assert AuditEvent.objects.filter(action="interview.attachment_opened").count() == 1


def test_a_coder_reads_no_direct_identifier_nor_the_photo_of_one(study_world, phone):
    """The checkpoint form's respondent name, phone number, position and photo are direct
    identifiers: a coder codes the interview without them, page and API; a supervisor
    reviewing it, and the field researcher who recorded it, read them."""
    version = study_world.published_version
    xml = (
        f"<data id='checkpoint' version='{version.version}'><respondent_name>Amadou Guindo"
        "</respondent_name><telephone>76000000</telephone><age>34</age><location>14.5 -3.9 0 0"
        "</location><photo>face.jpg</photo><checkpoint><armed_group>none</armed_group>"
        "<what_happened>Stopped at dawn</what_happened></checkpoint><meta><instanceID>"
        "uuid:5c1d4c1e-7d0b-4f5e-9d2a-0a4c7c1b2e3f</instanceID></meta></data>"
    ).encode()
    assert phone.send(xml, ("face.jpg", JPEG)).status_code == 201
    interview = Interview.objects.get()
    api = f"/api/v1/studies/{study_world.study.slug}/interviews/{interview.client_uuid}/"
    photo = (
        f"/studies/{study_world.study.slug}/interviews/{interview.client_uuid}"
        "/versions/1/files/face.jpg"
    )

    client, page = _page(study_world, Role.CODER, interview)
    html = page.content.decode()
    assert "Amadou Guindo" not in html and "76000000" not in html and "14.5 -3.9" not in html
    assert "hidden: direct identifier" in html and "Stopped at dawn" in html
    assert photo not in html and client.get(photo).status_code == 404
    answers = client.get(api).json()["answers"]
    assert answers["respondent_name"] == "hidden: direct identifier"
    assert answers["checkpoint"]["what_happened"] == "Stopped at dawn"
    assert client.get(api).json()["versions"][0]["attachments"] == []

    for role in (Role.SUPERVISOR, Role.FIELD_RESEARCHER):
        client, page = _page(study_world, role, interview)
        assert "Amadou Guindo" in page.content.decode()
        assert client.get(photo).content == JPEG
        assert client.get(api).json()["answers"]["respondent_name"] == "Amadou Guindo"


def test_the_queue_flags_encrypted_interviews_and_answers_to_check(study_world, phone):
    publish(study_world, "onadata/transportation.xlsx")
    publish(study_world, "onadata/tutorial_encrypted.xlsx")
    empty = data_file("submissions", "onadata_transportation/transportation_empty_submission.xml")
    assert phone.send(empty.read_bytes()).status_code == 201
    envelope = data_file("submissions", "onadata_tutorial_encrypted/submission.xml")
    assert phone.send(envelope.read_bytes()).status_code == 201
    client = Client()
    client.force_login(study_world.member(Role.SUPERVISOR))
    page = client.get(f"/studies/{study_world.study.slug}/interviews/").content.decode()
    assert page.count("encrypted, not decrypted yet") == 1
    assert page.count(">answers to check<") == 1


def _checkpoint_xml(version, *, location: str, age: str) -> bytes:
    return (
        f"<data id='checkpoint' version='{version.version}'><respondent_name>Amadou Guindo"
        f"</respondent_name><age>{age}</age><location>{location}</location><checkpoint>"
        "<armed_group>none</armed_group></checkpoint><meta><instanceID>"
        "uuid:0b7e3c52-3d0e-4a55-8f4e-6a1f3a0c9d21</instanceID></meta></data>"
    ).encode()


def test_the_check_s_findings_read_in_the_reader_s_language_not_the_phone_s(study_world, phone):
    """A French phone's finalized form breaks a constraint: the English supervisor reads
    the finding in English, with the form's English constraint message, and a French one
    in French."""
    xml = _checkpoint_xml(study_world.published_version, location="14.5 -3.9 0 0", age="130")
    assert phone.send(xml, **{"Accept-Language": "fr"}).status_code == 201
    interview = Interview.objects.get()
    client = Client()
    client.force_login(study_world.member(Role.SUPERVISOR))
    url = f"/studies/{study_world.study.slug}/interviews/{interview.client_uuid}/"
    english = client.get(url, headers={"Accept-Language": "en"}).content.decode()
    assert "“Age” is not accepted: Between 15 and 119." in english
    assert "Entre 15 et 119" not in english
    french = client.get(url, headers={"Accept-Language": "fr"}).content.decode()
    assert "“Âge” n’est pas accepté" in french and "Entre 15 et 119." in french
    api = f"/api/v1/studies/{study_world.study.slug}/interviews/{interview.client_uuid}/"
    findings = client.get(api, headers={"Accept-Language": "en"}).json()["versions"][0]["problems"]
    assert findings == [
        "telephone: “Phone number” is required but has no answer.",
        "age: “Age” is not accepted: Between 15 and 119.",
    ]


def test_a_coder_reads_no_identifier_quoted_by_the_check_s_findings(study_world, phone):
    """A position out of range is quoted by the check's finding: the supervisor reads it,
    a coder only learns that the location (a direct identifier) has a problem."""
    xml = _checkpoint_xml(study_world.published_version, location="14.5 -300.9 0 0", age="34")
    assert phone.send(xml).status_code == 201
    interview = Interview.objects.get()
    _client, page = _page(study_world, Role.SUPERVISOR, interview)
    assert "got “14.5 -300.9 0 0”" in page.content.decode()
    client, page = _page(study_world, Role.CODER, interview)
    html = page.content.decode()
    assert "-300.9" not in html
    assert "location: a problem with this answer, hidden: direct identifier." in html
    api = f"/api/v1/studies/{study_world.study.slug}/interviews/{interview.client_uuid}/"
    assert "-300.9" not in client.get(api).content.decode()


def test_a_finding_kept_as_plain_text_still_shows(study_world, phone):
    """Versions stored before findings were kept in every language hold plain strings."""
    xml = _checkpoint_xml(study_world.published_version, location="14.5 -3.9 0 0", age="34")
    assert phone.send(xml).status_code == 201
    interview = Interview.objects.get()
    InterviewVersion.objects.filter(pk=interview.current_version_id).update(
        problems=["“Âge” manque."]
    )
    _client, page = _page(study_world, Role.SUPERVISOR, interview)
    assert "“Âge” manque." in page.content.decode()
