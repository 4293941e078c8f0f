"""ODK encrypted forms, without the database: real submissions from ODK Briefcase's and Ona's
test suites, and submissions encrypted here the way ODK Collect does."""

import base64
import csv
import io
import re
import unicodedata
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

from fieldwork.openrosa import odk_crypto
from fieldwork.openrosa.submission import parse_submission
from tests.openrosa.collect_encryption import encrypt_like_collect

SUBMISSIONS = Path(__file__).resolve().parents[1] / "fixtures" / "submissions"
BRIEFCASE = SUBMISSIONS / "briefcase_encrypted_form"
ONADATA = SUBMISSIONS / "onadata_tutorial_encrypted"


@pytest.fixture(scope="module")
def briefcase_key():
    return odk_crypto.load_private_key((BRIEFCASE / "encrypted-form-key.pem").read_bytes())


@pytest.fixture(scope="module")
def our_key():
    return odk_crypto.generate_private_key()


def briefcase_files() -> dict[str, bytes]:
    return {"submission.xml.enc": (BRIEFCASE / "submission.xml.enc").read_bytes()}


def briefcase_envelope() -> odk_crypto.Envelope:
    return odk_crypto.parse_envelope((BRIEFCASE / "submission.xml").read_bytes())


# --- Real submissions -------------------------------------------------------------------------


def test_briefcase_sample_decrypts_to_the_answers_of_its_expected_export(briefcase_key):
    expected = next(
        csv.DictReader(io.StringIO((BRIEFCASE / "encrypted-form.csv.expected").read_text()))
    )

    clear = odk_crypto.decrypt_submission(
        envelope=briefcase_envelope(), private_key=briefcase_key, files=briefcase_files()
    )

    parsed = parse_submission(clear.xml)
    assert parsed.form_id == "encrypted-form"
    assert parsed.answers["name"] == expected["name"] == "Guillermo"
    assert parsed.instance_id == expected["meta-instanceID"] == expected["KEY"]
    assert set(parsed.answers) == {"name", "meta"}  # nothing more, nothing less
    assert clear.media == {}


def test_briefcase_sample_signature_verifies_as_briefcase_validated_it(briefcase_key):
    expected = next(
        csv.DictReader(io.StringIO((BRIEFCASE / "encrypted-form.csv.expected").read_text()))
    )
    envelope = briefcase_envelope()
    clear = odk_crypto.decrypt_submission(
        envelope=envelope, private_key=briefcase_key, files=briefcase_files()
    )

    assert expected["isValidated"] == "true"
    assert odk_crypto.verify_signature(
        private_key=briefcase_key, envelope=envelope, media={}, xml=clear.xml
    )
    assert not odk_crypto.verify_signature(
        private_key=briefcase_key, envelope=envelope, media={}, xml=clear.xml + b" "
    )


def test_the_briefcase_key_is_the_one_in_its_form(briefcase_key):
    """Our public key text is what the XForm carries: what the settings sheet needs."""
    xform = etree.parse(str(BRIEFCASE / "encrypted-form.xml"))
    in_form = xform.find(".//{http://www.w3.org/2002/xforms}submission").get("base64RsaPublicKey")
    assert odk_crypto.public_key_base64(briefcase_key) == in_form


def test_a_file_altered_in_its_body_fails_the_signature(briefcase_key):
    files = briefcase_files()
    damaged = bytearray(files["submission.xml.enc"])
    damaged[40] ^= 0x01  # one bit of one answer
    files["submission.xml.enc"] = bytes(damaged)

    with pytest.raises(odk_crypto.SignatureError, match="do not match the phone's signature"):
        odk_crypto.decrypt_submission(
            envelope=briefcase_envelope(), private_key=briefcase_key, files=files
        )


def test_a_file_altered_at_its_end_does_not_decrypt_and_is_named(briefcase_key):
    files = briefcase_files()
    damaged = bytearray(files["submission.xml.enc"])
    damaged[-1] ^= 0xF0  # the padding byte becomes impossible
    files["submission.xml.enc"] = bytes(damaged)

    with pytest.raises(odk_crypto.DecryptionError, match="“submission.xml.enc” did not decrypt"):
        odk_crypto.decrypt_submission(
            envelope=briefcase_envelope(), private_key=briefcase_key, files=files
        )


def test_a_truncated_file_is_named(briefcase_key):
    files = {"submission.xml.enc": briefcase_files()["submission.xml.enc"][:-3]}
    with pytest.raises(odk_crypto.DecryptionError, match="truncated or damaged"):
        odk_crypto.decrypt_submission(
            envelope=briefcase_envelope(), private_key=briefcase_key, files=files
        )


def test_the_envelope_is_signed_too(briefcase_key):
    """Claiming another form for the same files breaks the signature."""
    body = (
        (BRIEFCASE / "submission.xml").read_bytes().replace(b'id="encrypted-form"', b'id="other"')
    )
    envelope = odk_crypto.parse_envelope(body)
    with pytest.raises(odk_crypto.SignatureError):
        odk_crypto.decrypt_submission(
            envelope=envelope, private_key=briefcase_key, files=briefcase_files()
        )


def test_another_key_is_refused_with_a_clear_error(our_key):
    with pytest.raises(odk_crypto.WrongKeyError, match="encrypted it for another public key"):
        odk_crypto.decrypt_submission(
            envelope=briefcase_envelope(), private_key=our_key, files=briefcase_files()
        )


def test_ona_envelope_lists_its_two_photos_before_the_submission():
    envelope = odk_crypto.parse_envelope((ONADATA / "submission.xml").read_bytes())

    assert envelope.form_id == "tutorial_encrypted"
    assert envelope.version == "201701031234"
    assert envelope.instance_id == "uuid:f8971231-f3b8-4b2b-8c35-d95fa207d937"
    assert envelope.media == ("1483528430996.jpg.enc", "1483528445767.jpg.enc")
    assert envelope.files == (*envelope.media, "submission.xml.enc")


def test_ona_submission_is_recognised_as_not_ours(briefcase_key, our_key):
    envelope = odk_crypto.parse_envelope((ONADATA / "submission.xml").read_bytes())
    files = {name: (ONADATA / name).read_bytes() for name in envelope.files}
    for key in (briefcase_key, our_key):
        with pytest.raises(odk_crypto.WrongKeyError):
            odk_crypto.decrypt_submission(envelope=envelope, private_key=key, files=files)


def test_files_not_received_yet_are_named_before_any_key_is_tried(our_key):
    envelope = odk_crypto.parse_envelope((ONADATA / "submission.xml").read_bytes())
    files = {"submission.xml.enc": (ONADATA / "submission.xml.enc").read_bytes()}

    with pytest.raises(odk_crypto.MissingFilesError) as caught:
        odk_crypto.decrypt_submission(envelope=envelope, private_key=our_key, files=files)

    assert caught.value.names == envelope.media
    assert "1483528430996.jpg.enc, 1483528445767.jpg.enc" in str(caught.value)


# --- Envelopes that cannot be read ------------------------------------------------------------


def _without(tag: str) -> bytes:
    root = etree.fromstring((ONADATA / "submission.xml").read_bytes())
    for element in root.iter(f"{{*}}{tag}"):
        element.getparent().remove(element)
    return etree.tostring(root)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "envelope is empty"),
        (b"<data id='x' encrypted='yes'>", "not well-formed XML (line 1"),
        (b"<data id='x'><name>plain</name></data>", "not an encrypted submission"),
        (b"<data encrypted='yes'/>", "does not say which form"),
        (_without("base64EncryptedKey"), "no <base64EncryptedKey>"),
        (_without("instanceID"), "no <meta/instanceID>"),
        (_without("encryptedXmlFile"), "no <encryptedXmlFile>"),
        (_without("base64EncryptedElementSignature"), "no <base64EncryptedElementSignature>"),
        (
            (ONADATA / "submission.xml").read_bytes().replace(b"ZJTcMOmw", b"ZJ%cMOmw"),
            "<base64EncryptedKey> is not valid base64",
        ),
        (
            (ONADATA / "submission.xml").read_bytes().replace(b"1483528430996.jpg.enc", b"a.jpg"),
            "“a.jpg” in <media/file> that does not end in .enc",
        ),
        (
            (ONADATA / "submission.xml")
            .read_bytes()
            .replace(b"1483528430996.jpg.enc", b"../../etc/x.enc"),
            "not a plain name",
        ),
        (
            (ONADATA / "submission.xml")
            .read_bytes()
            .replace(b"1483528445767.jpg.enc", b"1483528430996.jpg.enc"),
            "same file twice",
        ),
    ],
    ids=lambda v: v[:30] if isinstance(v, str) else None,
)
def test_an_unreadable_envelope_says_what_is_wrong(body, message):
    with pytest.raises(odk_crypto.EnvelopeError, match=re.escape(message)):
        odk_crypto.parse_envelope(body)


def test_an_envelope_with_an_entity_does_not_read_files():
    body = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        b'<data id="f" encrypted="yes"><base64EncryptedKey>&x;</base64EncryptedKey></data>'
    )
    with pytest.raises(odk_crypto.EnvelopeError, match="no <base64EncryptedKey>"):
        odk_crypto.parse_envelope(body)


# --- Round trip with a phone -----------------------------------------------------------------


@pytest.mark.parametrize(
    "mgf_hash", [hashes.SHA256(), hashes.SHA1()], ids=["collect-mgf1-sha256", "web-mgf1-sha1"]
)
def test_what_a_phone_encrypts_for_our_public_key_decrypts(our_key, mgf_hash):
    public = serialization.load_der_public_key(
        base64.b64decode(odk_crypto.public_key_base64(our_key))
    )
    instance_id = f"uuid:{uuid.uuid4()}"
    xml = (
        f'<data id="checkpoint" version="3"><village>Ogol</village><photo>p.jpg</photo>'
        f"<meta><instanceID>{instance_id}</instanceID></meta></data>"
    ).encode()
    media = {"p.jpg": b"\xff\xd8\xff" + bytes(range(256)) * 40, "voice.m4a": b"\x00" * 31}
    sent = encrypt_like_collect(
        public_key=public,
        form_id="checkpoint",
        version="3",
        instance_id=instance_id,
        xml=xml,
        media=media,
        mgf_hash=mgf_hash,
    )

    envelope = odk_crypto.parse_envelope(sent.envelope)
    clear = odk_crypto.decrypt_submission(envelope=envelope, private_key=our_key, files=sent.files)

    assert clear.xml == xml
    assert clear.media == media
    assert list(clear.media) == ["p.jpg", "voice.m4a"]  # the envelope's order


def test_the_iv_counter_wraps_as_collect_does_past_sixteen_files(our_key):
    """The 17th file bumps the IV seed's first byte a second time."""
    instance_id = f"uuid:{uuid.uuid4()}"
    media = {f"photo{i:02}.jpg": f"photo {i}".encode() * (i + 1) for i in range(17)}
    sent = encrypt_like_collect(
        public_key=our_key.public_key(),
        form_id="f",
        instance_id=instance_id,
        xml=b"<data id='f'/>",
        media=media,
    )

    clear = odk_crypto.decrypt_submission(
        envelope=odk_crypto.parse_envelope(sent.envelope), private_key=our_key, files=sent.files
    )

    assert clear.media == media


def test_media_swapped_between_names_are_caught(our_key):
    instance_id = f"uuid:{uuid.uuid4()}"
    media = {"a.jpg": b"A" * 100, "b.jpg": b"B" * 100}
    sent = encrypt_like_collect(
        public_key=our_key.public_key(),
        form_id="f",
        instance_id=instance_id,
        xml=b"<data id='f'/>",
        media=media,
    )
    swapped = {
        **sent.files,
        "a.jpg.enc": sent.files["b.jpg.enc"],
        "b.jpg.enc": sent.files["a.jpg.enc"],
    }

    with pytest.raises((odk_crypto.SignatureError, odk_crypto.DecryptionError)):
        odk_crypto.decrypt_submission(
            envelope=odk_crypto.parse_envelope(sent.envelope), private_key=our_key, files=swapped
        )


# --- Keys -------------------------------------------------------------------------------------


def test_a_generated_key_is_rsa_2048_and_its_public_key_is_one_line_of_der():
    key = odk_crypto.generate_private_key()
    text = odk_crypto.public_key_base64(key)

    assert key.key_size == 2048
    assert "\n" not in text and "BEGIN" not in text
    public = serialization.load_der_public_key(base64.b64decode(text))
    assert public.public_numbers() == key.public_key().public_numbers()


def test_a_wrapped_key_opens_with_its_passphrase_only(our_key):
    public_b64 = odk_crypto.public_key_base64(our_key)
    wrapped = odk_crypto.wrap_private_key(private_key=our_key, passphrase="le fleuve Niger à Mopti")

    opened = odk_crypto.unwrap_private_key(
        wrapped=wrapped.ciphertext,
        salt=wrapped.salt,
        kdf=wrapped.kdf,
        passphrase="le fleuve Niger à Mopti",
        public_key_b64=public_b64,
    )
    assert opened.private_numbers() == our_key.private_numbers()
    assert wrapped.kdf["name"] == "scrypt" and wrapped.kdf["n"] >= 2**17
    der = our_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert der[-64:] not in wrapped.ciphertext
    with pytest.raises(odk_crypto.PassphraseError, match="passphrase does not open this key"):
        odk_crypto.unwrap_private_key(
            wrapped=wrapped.ciphertext,
            salt=wrapped.salt,
            kdf=wrapped.kdf,
            passphrase="le fleuve Niger a Mopti",
            public_key_b64=public_b64,
        )


def test_a_passphrase_typed_decomposed_still_opens(our_key):
    composed = "clé de l'étude 2024"
    wrapped = odk_crypto.wrap_private_key(private_key=our_key, passphrase=composed)
    opened = odk_crypto.unwrap_private_key(
        wrapped=wrapped.ciphertext,
        salt=wrapped.salt,
        kdf=wrapped.kdf,
        passphrase=unicodedata.normalize("NFD", composed),
        public_key_b64=odk_crypto.public_key_base64(our_key),
    )
    assert opened.private_numbers() == our_key.private_numbers()


def test_a_wrapped_key_is_bound_to_its_public_key(our_key):
    """A wrapped key copied onto another key's row does not open as that key."""
    wrapped = odk_crypto.wrap_private_key(private_key=our_key, passphrase="passphrase-0001")
    other = odk_crypto.public_key_base64(odk_crypto.generate_private_key())
    with pytest.raises(odk_crypto.PassphraseError):
        odk_crypto.unwrap_private_key(
            wrapped=wrapped.ciphertext,
            salt=wrapped.salt,
            kdf=wrapped.kdf,
            passphrase="passphrase-0001",
            public_key_b64=other,
        )


def _pem(key, fmt, password: bytes | None = None) -> bytes:
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption)


@pytest.mark.parametrize(
    ("fmt", "password"),
    [
        (serialization.PrivateFormat.TraditionalOpenSSL, None),
        (serialization.PrivateFormat.PKCS8, None),
        (serialization.PrivateFormat.TraditionalOpenSSL, b"mot de passe"),
        (serialization.PrivateFormat.PKCS8, b"mot de passe"),
    ],
    ids=["pkcs1", "pkcs8", "pkcs1-encrypted", "pkcs8-encrypted"],
)
def test_pem_private_keys_load_in_every_common_form(our_key, fmt, password):
    pem = _pem(our_key, fmt, password)
    loaded = odk_crypto.load_private_key(pem, password.decode() if password else None)
    assert loaded.private_numbers() == our_key.private_numbers()


def test_a_password_given_for_a_plain_key_file_is_ignored(our_key):
    pem = _pem(our_key, serialization.PrivateFormat.PKCS8)
    assert odk_crypto.load_private_key(pem, "unneeded").key_size == 2048


@pytest.mark.parametrize(
    ("make", "password", "message", "about_password"),
    [
        (lambda k: b"", None, "key file is empty", False),
        (lambda k: b"hello, not a key", None, "not a PEM private key", False),
        (
            lambda k: k.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
            None,
            "holds a public key, not the private key",
            False,
        ),
        (
            lambda k: b"-----BEGIN PRIVATE KEY-----\nAAAA!!!!\n-----END PRIVATE KEY-----\n",
            None,
            "could not be read: it is damaged",
            False,
        ),
        (
            lambda k: _pem(k, serialization.PrivateFormat.PKCS8, b"right"),
            None,
            "protected by a password",
            True,
        ),
        (
            lambda k: _pem(k, serialization.PrivateFormat.PKCS8, b"right"),
            "wrong",
            "password does not open this key file",
            True,
        ),
        (
            lambda k: _pem(
                ec.generate_private_key(ec.SECP256R1()), serialization.PrivateFormat.PKCS8
            ),
            None,
            "need an RSA key",
            False,
        ),
        (
            lambda k: _pem(
                rsa.generate_private_key(public_exponent=65537, key_size=1024),
                serialization.PrivateFormat.PKCS8,
            ),
            None,
            "has 1024 bits; use a key of at least 2048 bits",
            False,
        ),
    ],
    ids=["empty", "garbage", "public", "damaged", "no-password", "wrong-password", "ec", "small"],
)
def test_unusable_key_files_say_why(our_key, make, password, message, about_password):
    with pytest.raises(odk_crypto.KeyFileError, match=message) as caught:
        odk_crypto.load_private_key(make(our_key), password)
    assert caught.value.about_password is about_password
