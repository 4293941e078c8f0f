"""A study's keys for encrypted forms and the decryption of what phones encrypted: services and
the study admin's page, with the database.

Encrypted submissions are stored here as the OpenRosa endpoint stores them (envelope as the
raw payload, each `.enc` part a sealed attachment, `decrypted_at` empty); the decryption run
hands them to `apply`, which in production is the endpoint's `submission_apply_decrypted`.
The tests pass their own `apply` that records what it was given."""

import base64
import csv
import hashlib
import io
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from fieldwork.accounts.models import Role
from fieldwork.audit.models import AuditEvent
from fieldwork.audit.services import audit_record
from fieldwork.core.errors import ServiceError
from fieldwork.instruments.services import instrument_upload, instrument_version_publish
from fieldwork.interviews.models import (
    Attachment,
    Interview,
    InterviewVersion,
    attachment_context,
)
from fieldwork.interviews.selectors import version_content
from fieldwork.interviews.services import version_create
from fieldwork.openrosa import keys, odk_crypto
from fieldwork.openrosa.models import StudyFormKey
from fieldwork.sources.blobs import seal_blob
from tests.openrosa.collect_encryption import encrypt_like_collect

BRIEFCASE = (
    Path(__file__).resolve().parents[1] / "fixtures" / "submissions" / "briefcase_encrypted_form"
)
ONADATA = BRIEFCASE.parent / "onadata_tutorial_encrypted"
BRIEFCASE_PEM = (BRIEFCASE / "encrypted-form-key.pem").read_bytes()
BRIEFCASE_INSTANCE = uuid.UUID("494cd080-3bf4-47be-b40f-c706a950d58a")
PASSPHRASE = "Sévaré, la route de Douentza"
ADMIN = Role.STUDY_ADMIN


def _admin(world):
    return world.member(ADMIN)


def store_encrypted(world, *, envelope: bytes, files: dict[str, bytes], expected=None):
    """An encrypted submission as received: its envelope, its `.enc` parts sealed at rest."""
    parsed = odk_crypto.parse_envelope(envelope)
    instance = uuid.UUID(parsed.instance_id.removeprefix("uuid:"))
    researcher = world.member(Role.FIELD_RESEARCHER)
    interview = Interview.objects.create(
        study=world.study,
        client_uuid=instance,
        instrument=world.instrument_version.instrument,
        researcher=researcher,
        status=Interview.Status.RECEIVED,
    )
    version = version_create(
        interview=interview,
        number=1,
        instance_id=instance,
        deprecated_id=None,
        instrument_version=world.instrument_version,
        answers=None,  # unknown until decrypted
        problems=[],
        notes=[],
        raw=envelope,
        sha=hashlib.sha256(envelope).hexdigest(),
        payload_format=InterviewVersion.Format.OPENROSA_ENCRYPTED,
        by=researcher,
        device_id="",
        via_device=None,
        expected_attachments=list(expected if expected is not None else parsed.files),
    )
    interview.current_version = version
    interview.save(update_fields=["current_version"])
    for name, data in files.items():
        sealed = seal_blob(data=data, context=attachment_context(version_id=version.pk, name=name))
        Attachment.objects.create(
            study=world.study,
            version=version,
            name=name,
            content_type="application/octet-stream",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            ciphertext=sealed.ciphertext,
            wrapped_key=sealed.wrapped_key,
            key_id=sealed.key_id,
            received_at=timezone.now(),
        )
    return version


def store_briefcase(world, **changes):
    files = {"submission.xml.enc": (BRIEFCASE / "submission.xml.enc").read_bytes(), **changes}
    return store_encrypted(world, envelope=(BRIEFCASE / "submission.xml").read_bytes(), files=files)


class RecordingApply:
    """Stands in for the endpoint's `submission_apply_decrypted`: remembers each call, marks
    the version decrypted, and notes which audit events existed when it was called."""

    def __init__(self, *, refuse: str = ""):
        self.calls: list[dict] = []
        self.refuse = refuse

    def __call__(self, *, version, xml, media, by):
        self.calls.append(
            {
                "version": version.pk,
                "xml": xml,
                "media": dict(media),
                "by": by,
                "unlocked_before": AuditEvent.objects.filter(
                    action="openrosa.key_unlocked"
                ).count(),
            }
        )
        InterviewVersion.objects.filter(pk=version.pk).update(decrypted_at=timezone.now())
        if self.refuse:
            audit_record(actor=by, study=version.study, action="interview.decrypted")
            raise ServiceError(self.refuse)


def _import_briefcase(world):
    return keys.study_form_key_import(
        study=world.study,
        by=_admin(world),
        pem=BRIEFCASE_PEM,
        pem_password=None,
        passphrase=PASSPHRASE,
    )


def _actions(world) -> list[str]:
    return list(
        AuditEvent.objects.filter(study=world.study, action__startswith="openrosa.")
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- Keys -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_generated_key_is_current_and_stored_only_wrapped(study_world):
    key = keys.study_form_key_generate(
        study=study_world.study, by=_admin(study_world), passphrase=PASSPHRASE
    )

    assert keys.study_form_key_current(study=study_world.study) == key
    assert key.origin == StudyFormKey.Origin.GENERATED
    assert serialization.load_der_public_key(base64.b64decode(key.public_key)).key_size == 2048
    assert PASSPHRASE.encode() not in bytes(key.wrapped_private_key)
    opened = odk_crypto.unwrap_private_key(
        wrapped=key.wrapped_private_key,
        salt=key.kdf_salt,
        kdf=key.kdf_params,
        passphrase=PASSPHRASE,
        public_key_b64=key.public_key,
    )
    assert odk_crypto.public_key_base64(opened) == key.public_key
    event = AuditEvent.objects.get(action="openrosa.form_key_created")
    assert event.actor == _admin(study_world) and event.data == {
        "origin": "generated",
        "replaced": None,
    }


@pytest.mark.django_db
def test_a_short_passphrase_is_refused_and_nothing_is_stored(study_world):
    with pytest.raises(ServiceError) as caught:
        keys.study_form_key_generate(
            study=study_world.study, by=_admin(study_world), passphrase="  short  "
        )
    assert "at least 10 characters" in caught.value.message_dict["passphrase"][0]
    assert not StudyFormKey.objects.exists()


@pytest.mark.django_db
def test_a_new_key_retires_the_old_one_which_is_kept(study_world):
    first = keys.study_form_key_generate(
        study=study_world.study, by=_admin(study_world), passphrase=PASSPHRASE
    )
    second = _import_briefcase(study_world)

    first.refresh_from_db()
    assert first.retired_at is not None
    assert keys.study_form_key_current(study=study_world.study) == second
    assert list(keys.study_form_keys(study=study_world.study)) == [second, first]
    assert AuditEvent.objects.filter(action="openrosa.form_key_created").order_by(
        "id"
    ).last().data == {
        "origin": "uploaded",
        "replaced": first.audit_label,
    }


@pytest.mark.django_db
def test_the_same_key_cannot_come_back(study_world):
    _import_briefcase(study_world)
    with pytest.raises(ServiceError, match="already the study's current key"):
        _import_briefcase(study_world)
    keys.study_form_key_generate(
        study=study_world.study, by=_admin(study_world), passphrase=PASSPHRASE
    )
    with pytest.raises(ServiceError, match="was one of the study's keys before"):
        _import_briefcase(study_world)
    assert StudyFormKey.objects.count() == 2


@pytest.mark.django_db
def test_an_uploaded_key_gives_the_public_key_of_the_form_it_encrypted(study_world):
    key = _import_briefcase(study_world)
    xform = (BRIEFCASE / "encrypted-form.xml").read_text()
    assert f'base64RsaPublicKey="{key.public_key}"' in xform
    assert key.origin == StudyFormKey.Origin.UPLOADED


@pytest.mark.django_db
def test_a_password_protected_upload_keeps_nothing_of_the_password(study_world):
    private = odk_crypto.load_private_key(BRIEFCASE_PEM)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"file password"),
    )
    with pytest.raises(ServiceError) as caught:
        keys.study_form_key_import(
            study=study_world.study,
            by=_admin(study_world),
            pem=pem,
            pem_password="nope",
            passphrase=PASSPHRASE,
        )
    assert caught.value.message_dict == {
        "key_file_password": ["The password does not open this key file."]
    }

    key = keys.study_form_key_import(
        study=study_world.study,
        by=_admin(study_world),
        pem=pem,
        pem_password="file password",
        passphrase=PASSPHRASE,
    )
    assert b"file password" not in bytes(key.wrapped_private_key)
    assert (
        odk_crypto.unwrap_private_key(
            wrapped=key.wrapped_private_key,
            salt=key.kdf_salt,
            kdf=key.kdf_params,
            passphrase=PASSPHRASE,
            public_key_b64=key.public_key,
        ).private_numbers()
        == private.private_numbers()
    )


# --- Decryption run ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_run_decrypts_the_briefcase_sample_after_auditing_the_unlock(study_world):
    _import_briefcase(study_world)
    version = store_briefcase(study_world)
    apply = RecordingApply()

    summary = keys.submissions_decrypt(
        study=study_world.study, by=_admin(study_world), passphrase=PASSPHRASE, apply=apply
    )

    assert summary.awaiting == 1 and summary.decrypted == (BRIEFCASE_INSTANCE,)
    assert summary.failures == ()
    [call] = apply.calls
    assert call["version"] == version.pk and call["by"] == _admin(study_world)
    assert b"<name>Guillermo</name>" in call["xml"] and call["media"] == {}
    assert call["unlocked_before"] == 1  # the unlock was on record before any decryption
    assert _actions(study_world)[-2:] == ["openrosa.key_unlocked", "openrosa.decryption_run"]
    unlocked = AuditEvent.objects.get(action="openrosa.key_unlocked")
    assert unlocked.data == {"keys": 1, "awaiting": 1}
    run = AuditEvent.objects.get(action="openrosa.decryption_run")
    assert run.data == {
        "awaiting": 1,
        "decrypted": 1,
        "failed": 0,
        "skipped": 0,
        "failed_instances": [],
    }
    assert keys.versions_awaiting_decryption(study=study_world.study).count() == 0


@pytest.mark.django_db
def test_photos_decrypt_and_reach_apply_by_their_names(study_world):
    key = keys.study_form_key_generate(
        study=study_world.study, by=_admin(study_world), passphrase=PASSPHRASE
    )
    public = serialization.load_der_public_key(base64.b64decode(key.public_key))
    instance = f"uuid:{uuid.uuid4()}"
    photo = b"\xff\xd8\xff\xe0 a checkpoint" * 500
    sent = encrypt_like_collect(
        public_key=public,
        form_id="checkpoint",
        instance_id=instance,
        xml=(
            "<data id='checkpoint'><photo>gate.jpg</photo>"
            f"<meta><instanceID>{instance}</instanceID></meta></data>"
        ).encode(),
        media={"gate.jpg": photo},
    )
    store_encrypted(study_world, envelope=sent.envelope, files=sent.files)
    apply = RecordingApply()

    keys.submissions_decrypt(
        study=study_world.study, by=_admin(study_world), passphrase=PASSPHRASE, apply=apply
    )

    assert apply.calls[0]["media"] == {"gate.jpg": photo}


@pytest.mark.django_db
def test_failures_are_reported_and_left_waiting_untouched(study_world):
    _import_briefcase(study_world)
    ok = store_briefcase(study_world)
    # Sent for another key (Ona's test key, which we do not have).
    ona_envelope = (ONADATA / "submission.xml").read_bytes()
    ona = store_encrypted(
        study_world,
        envelope=ona_envelope,
        files={
            n: (ONADATA / n).read_bytes() for n in odk_crypto.parse_envelope(ona_envelope).files
        },
    )
    # Its photo has not arrived yet.
    key = odk_crypto.load_private_key(BRIEFCASE_PEM)
    partial = encrypt_like_collect(
        public_key=key.public_key(),
        form_id="encrypted-form",
        instance_id=f"uuid:{uuid.uuid4()}",
        xml=b"<data id='encrypted-form'><name>Awa</name></data>",
        media={"face.jpg": b"jpeg"},
    )
    waiting_photo = store_encrypted(
        study_world,
        envelope=partial.envelope,
        files={"submission.xml.enc": partial.files["submission.xml.enc"]},
    )
    # Altered after the phone encrypted it.
    tampered_sub = encrypt_like_collect(
        public_key=key.public_key(),
        form_id="encrypted-form",
        instance_id=f"uuid:{uuid.uuid4()}",
        xml=b"<data id='encrypted-form'><name>Moussa</name></data>",
    )
    damaged = bytearray(tampered_sub.files["submission.xml.enc"])
    damaged[30] ^= 0x20
    tampered = store_encrypted(
        study_world, envelope=tampered_sub.envelope, files={"submission.xml.enc": bytes(damaged)}
    )
    apply = RecordingApply()

    summary = keys.submissions_decrypt(
        study=study_world.study, by=_admin(study_world), passphrase=PASSPHRASE, apply=apply
    )

    assert summary.awaiting == 4
    assert summary.decrypted == (BRIEFCASE_INSTANCE,)
    reasons = {f.version_id: f.reason for f in summary.failures}
    assert "public key this study does not have" in reasons[ona.pk]
    assert (
        "face.jpg.enc" in reasons[waiting_photo.pk] and "not sent yet" in reasons[waiting_photo.pk]
    )
    assert "do not match the phone's signature" in reasons[tampered.pk]
    assert [c["version"] for c in apply.calls] == [ok.pk]
    still = set(
        keys.versions_awaiting_decryption(study=study_world.study).values_list("pk", flat=True)
    )
    assert still == {ona.pk, waiting_photo.pk, tampered.pk}
    run = AuditEvent.objects.get(action="openrosa.decryption_run")
    assert run.data["failed"] == 3 and run.data["decrypted"] == 1


@pytest.mark.django_db
def test_a_refusal_by_apply_rolls_back_that_submission_only(study_world):
    _import_briefcase(study_world)
    version = store_briefcase(study_world)
    apply = RecordingApply(refuse="The questionnaire “encrypted-form” is not in this study.")

    summary = keys.submissions_decrypt(
        study=study_world.study, by=_admin(study_world), passphrase=PASSPHRASE, apply=apply
    )

    assert summary.decrypted == ()
    assert summary.failures[0].reason == "The questionnaire “encrypted-form” is not in this study."
    version.refresh_from_db()
    assert version.decrypted_at is None  # apply's write was rolled back with it
    assert not AuditEvent.objects.filter(action="interview.decrypted").exists()


@pytest.mark.django_db
def test_a_crash_in_apply_leaves_that_submission_waiting_and_the_run_goes_on(study_world, caplog):
    key = _import_briefcase(study_world)
    public = serialization.load_der_public_key(base64.b64decode(key.public_key))
    first = store_briefcase(study_world)
    second = encrypt_like_collect(
        public_key=public,
        form_id="encrypted-form",
        instance_id=f"uuid:{uuid.uuid4()}",
        xml=b"<data id='encrypted-form'><name>Fatou</name></data>",
    )
    store_encrypted(study_world, envelope=second.envelope, files=second.files)
    recorder = RecordingApply()

    def crash_on_first(*, version, xml, media, by):
        if version.pk == first.pk:
            raise RuntimeError("a bug")
        recorder(version=version, xml=xml, media=media, by=by)

    summary = keys.submissions_decrypt(
        study=study_world.study, by=_admin(study_world), passphrase=PASSPHRASE, apply=crash_on_first
    )

    assert [f.version_id for f in summary.failures] == [first.pk]
    assert "unexpected error" in summary.failures[0].reason
    assert len(summary.decrypted) == 1 and b"Fatou" in recorder.calls[0]["xml"]
    assert f"Decrypting interview version {first.pk} failed" in caplog.text
    assert "a bug" not in summary.failures[0].reason  # no internals on the page


@pytest.mark.django_db
def test_a_wrong_passphrase_decrypts_nothing_and_is_audited(study_world):
    _import_briefcase(study_world)
    store_briefcase(study_world)
    apply = RecordingApply()

    with pytest.raises(ServiceError) as caught:
        keys.submissions_decrypt(
            study=study_world.study,
            by=_admin(study_world),
            passphrase="Sévaré, la route de Mopti",
            apply=apply,
        )

    assert caught.value.message_dict["passphrase"] == [
        "This passphrase does not open any of the study's keys."
    ]
    assert apply.calls == []
    assert _actions(study_world)[-1] == "openrosa.key_unlock_failed"
    assert not AuditEvent.objects.filter(action="openrosa.key_unlocked").exists()


@pytest.mark.django_db
def test_a_study_without_a_key_is_told_to_make_one(study_world):
    with pytest.raises(ServiceError, match="generate or upload one first"):
        keys.submissions_decrypt(
            study=study_world.study,
            by=_admin(study_world),
            passphrase=PASSPHRASE,
            apply=RecordingApply(),
        )


@pytest.mark.django_db
def test_submissions_for_a_replaced_key_still_decrypt(study_world):
    _import_briefcase(study_world)
    keys.study_form_key_generate(
        study=study_world.study, by=_admin(study_world), passphrase=PASSPHRASE
    )
    store_briefcase(study_world)
    apply = RecordingApply()

    summary = keys.submissions_decrypt(
        study=study_world.study, by=_admin(study_world), passphrase=PASSPHRASE, apply=apply
    )

    assert summary.decrypted == (BRIEFCASE_INSTANCE,) and summary.keys_unlocked == 2


@pytest.mark.django_db
def test_an_old_key_with_another_passphrase_is_named_in_the_reason(study_world):
    _import_briefcase(study_world)
    keys.study_form_key_generate(
        study=study_world.study, by=_admin(study_world), passphrase="a new passphrase"
    )
    store_briefcase(study_world)

    summary = keys.submissions_decrypt(
        study=study_world.study,
        by=_admin(study_world),
        passphrase="a new passphrase",
        apply=RecordingApply(),
    )

    assert summary.keys_locked == 1
    assert "older key that has another passphrase" in summary.failures[0].reason


@pytest.mark.django_db
def test_a_run_skips_what_another_run_decrypted_meanwhile(study_world):
    _import_briefcase(study_world)
    version = store_briefcase(study_world)

    def decrypted_elsewhere(*, version, xml, media, by):  # pragma: no cover - must not run
        raise AssertionError("applied twice")

    InterviewVersion.objects.filter(pk=version.pk).update(decrypted_at=timezone.now())
    summary = keys.submissions_decrypt(
        study=study_world.study,
        by=_admin(study_world),
        passphrase=PASSPHRASE,
        apply=decrypted_elsewhere,
    )
    assert summary.awaiting == 0 and summary.decrypted == ()


# --- Page -------------------------------------------------------------------------------------


def _url(world, name="key-list"):
    return reverse(f"formkeys:{name}", args=[world.study.slug])


@pytest.mark.django_db
def test_the_page_shows_the_public_key_to_copy_and_what_waits(client, study_world):
    key = _import_briefcase(study_world)
    store_briefcase(study_world)
    client.force_login(_admin(study_world))

    response = client.get(_url(study_world))

    assert response.status_code == 200
    page = response.content.decode()
    assert key.public_key in page
    assert "public_key" in page and "settings" in page
    assert "1 encrypted submission is waiting." in page
    assert str(BRIEFCASE_INSTANCE) in page
    assert "Decrypt waiting interviews" in page


@pytest.mark.django_db
def test_the_page_without_a_key_offers_to_make_one(client, study_world):
    client.force_login(_admin(study_world))
    page = client.get(_url(study_world)).content.decode()
    assert "The study has no key yet" in page
    assert "Decrypt waiting interviews" not in page


@pytest.mark.django_db
def test_generating_from_the_page(client, study_world):
    client.force_login(_admin(study_world))

    response = client.post(
        _url(study_world, "key-generate"),
        {"generate-passphrase": PASSPHRASE, "generate-passphrase_again": PASSPHRASE},
    )

    assert response.status_code == 302
    key = keys.study_form_key_current(study=study_world.study)
    page = client.get(response["Location"]).content.decode()
    assert key.public_key in page
    assert "A new key was made." in page
    assert PASSPHRASE not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"generate-passphrase": PASSPHRASE, "generate-passphrase_again": PASSPHRASE + "!"},
            "passphrase_again",
            "The two passphrases differ.",
        ),
        (
            {"generate-passphrase": "tooshort", "generate-passphrase_again": "tooshort"},
            "passphrase",
            "at least 10 characters",
        ),
    ],
    ids=["mismatch", "short"],
)
def test_generating_with_a_bad_passphrase_says_why(client, study_world, data, field, message):
    client.force_login(_admin(study_world))

    response = client.post(_url(study_world, "key-generate"), data)

    assert response.status_code == 200
    assert message in " ".join(response.context["generate_form"].errors[field])
    assert not StudyFormKey.objects.exists()
    assert PASSPHRASE not in response.content.decode()  # never sent back


@pytest.mark.django_db
def test_uploading_a_pem_from_the_page(client, study_world):
    client.force_login(_admin(study_world))

    response = client.post(
        _url(study_world, "key-upload"),
        {
            "upload-key_file": SimpleUploadedFile("key.pem", BRIEFCASE_PEM),
            "upload-passphrase": PASSPHRASE,
            "upload-passphrase_again": PASSPHRASE,
        },
    )

    assert response.status_code == 302
    key = keys.study_form_key_current(study=study_world.study)
    assert (
        f'base64RsaPublicKey="{key.public_key}"' in (BRIEFCASE / "encrypted-form.xml").read_text()
    )


@pytest.mark.django_db
def test_uploading_a_public_key_instead_says_so(client, study_world):
    client.force_login(_admin(study_world))
    public_pem = (
        odk_crypto.load_private_key(BRIEFCASE_PEM)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )

    response = client.post(
        _url(study_world, "key-upload"),
        {
            "upload-key_file": SimpleUploadedFile("public.pem", public_pem),
            "upload-passphrase": PASSPHRASE,
            "upload-passphrase_again": PASSPHRASE,
        },
    )

    assert response.status_code == 200
    assert (
        "holds a public key, not the private key"
        in response.context["upload_form"].errors["key_file"][0]
    )
    assert not StudyFormKey.objects.exists()


@pytest.mark.django_db
def test_decrypting_from_the_page_with_a_wrong_passphrase_says_so(client, study_world):
    _import_briefcase(study_world)
    store_briefcase(study_world)
    client.force_login(_admin(study_world))

    response = client.post(
        _url(study_world, "submissions-decrypt"), {"decrypt-passphrase": "not the passphrase"}
    )

    assert response.status_code == 200
    assert response.context["decrypt_form"].errors["passphrase"] == [
        "This passphrase does not open any of the study's keys."
    ]
    assert "does not open any of the study&#x27;s keys" in response.content.decode()
    assert keys.versions_awaiting_decryption(study=study_world.study).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.FIELD_RESEARCHER, Role.CODER, Role.ANALYST])
def test_only_study_admins_reach_the_keys(client, study_world, role):
    _import_briefcase(study_world)
    client.force_login(study_world.member(role))
    assert client.get(_url(study_world)).status_code == 403
    response = client.post(
        _url(study_world, "submissions-decrypt"), {"decrypt-passphrase": PASSPHRASE}
    )
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="openrosa.key_unlock").exists()


# --- End to end: a phone sends, the study admin decrypts ------------------------------------


@pytest.fixture
def encrypted_form(study_world):
    """Briefcase's encrypted form as an XLSForm, with its public key in the settings sheet."""
    public_key = odk_crypto.public_key_base64(odk_crypto.load_private_key(BRIEFCASE_PEM))
    xlsform = (
        "| survey |\n"
        "| | type | name | label |\n"
        "| | text | name | Your name |\n"
        "| settings |\n"
        "| | form_title | form_id | version | public_key |\n"
        f"| | Encrypted Form | encrypted-form | 2018041801 | {public_key} |\n"
    ).encode()
    version = instrument_upload(
        study=study_world.study,
        by=_admin(study_world),
        content=xlsform,
        filename="encrypted-form.md",
        validate=False,
    )
    assert f'base64RsaPublicKey="{public_key}"' in version.xform_xml
    return instrument_version_publish(version=version, by=_admin(study_world))


@pytest.mark.django_db
def test_a_phone_sends_encrypted_and_the_admin_decrypts_it_from_the_page(
    client, phone, study_world, encrypted_form
):
    expected = next(
        csv.DictReader(io.StringIO((BRIEFCASE / "encrypted-form.csv.expected").read_text()))
    )
    sent = phone.send(
        (BRIEFCASE / "submission.xml").read_bytes(),
        ("submission.xml.enc", (BRIEFCASE / "submission.xml.enc").read_bytes()),
    )
    assert sent.status_code == 201, sent.content
    version = InterviewVersion.objects.get(study=study_world.study, instance_id=BRIEFCASE_INSTANCE)
    assert version.payload_format == InterviewVersion.Format.OPENROSA_ENCRYPTED
    assert version_content(version)[0] == {} and version.decrypted_at is None

    client.force_login(_admin(study_world))
    uploaded = client.post(
        _url(study_world, "key-upload"),
        {
            "upload-key_file": SimpleUploadedFile("encrypted-form-key.pem", BRIEFCASE_PEM),
            "upload-passphrase": PASSPHRASE,
            "upload-passphrase_again": PASSPHRASE,
        },
    )
    assert uploaded.status_code == 302
    assert "1 encrypted submission is waiting." in client.get(_url(study_world)).content.decode()

    response = client.post(
        _url(study_world, "submissions-decrypt"), {"decrypt-passphrase": PASSPHRASE}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "1 of 1 waiting submission was decrypted." in page
    assert "No encrypted interview is waiting." in page
    assert PASSPHRASE not in page
    version.refresh_from_db()
    assert version.decrypted_at is not None
    answers, _problems = version_content(version)
    assert answers["name"] == expected["name"]
    assert answers["meta"]["instanceID"] == expected["meta-instanceID"]
    # opened only from their seal: the database row holds no answer in clear
    assert expected["name"].encode() not in bytes(version.answers_ciphertext)
    assert _actions(study_world)[-2:] == ["openrosa.key_unlocked", "openrosa.decryption_run"]
    unlocked = AuditEvent.objects.get(action="openrosa.key_unlocked")
    decrypted = AuditEvent.objects.get(action="interview.decrypted")
    assert unlocked.pk < decrypted.pk
