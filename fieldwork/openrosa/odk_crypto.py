"""ODK encrypted forms: reading a submission envelope, decrypting its files with the study's
RSA private key, checking its signature; making, wrapping and loading that private key.

Pure: bytes and keys in, bytes out; no database. The scheme is the ODK XForms encryption
specification (https://getodk.github.io/xforms-spec/encryption), as ODK Collect writes it and
ODK Briefcase and Central read it:

- the phone draws a random 256-bit AES key per submission and sends it RSA-OAEP encrypted
  (SHA-256; MGF1 with SHA-256 as Collect's Bouncy Castle does, SHA-1 as some web clients do)
  in `base64EncryptedKey`;
- each file is AES-256-CFB (128-bit feedback) with PKCS#7 padding. The IVs come from a seed,
  MD5(instanceID as UTF-8 + AES key): before each file one byte of the seed is incremented,
  byte `i % 16` for the i-th file, and the seed is that file's IV. Files are taken in the
  envelope's order: the media files, then the submission XML last;
- the signature is the MD5 of lines "form id", "version" (only when the form has one),
  "base64EncryptedKey", "instanceID", "<media name>::<md5 hex>" per media file, then
  "submission.xml::<md5 hex>", each ending with a newline, where names lose their `.enc` and
  MD5s are of the decrypted bytes; the phone RSA-OAEP encrypts that digest with the same key.

The private key is kept only wrapped: AES-256-GCM under a key derived by scrypt from a
passphrase the server never stores, bound to the public key it belongs to.
"""

import base64
import binascii
import hashlib
import hmac
import os
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.utils.translation import gettext as _
from lxml import etree

from fieldwork.core.xml import SAFE_PARSER, local_name

RSA_BITS = 2048
MIN_RSA_BITS = 2048
AES_KEY_BYTES = 32
IV_BYTES = 16
ENC_SUFFIX = ".enc"
#: OAEP as ODK Collect writes it (Bouncy Castle's OAEPWithSHA256AndMGF1Padding), then the
#: SHA-1 MGF1 variant that Java's default provider and some web clients use.
OAEP_PADDINGS = (
    padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
    padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA256(), label=None),
)
#: scrypt cost for wrapping private keys (OWASP's minimum: N=2^17, r=8, p=1; ~0.3 s and
#: 128 MiB). Stored with each wrapped key, so raising it later leaves old keys readable.
KDF_PARAMS: dict[str, Any] = {"name": "scrypt", "n": 2**17, "r": 8, "p": 1}
SALT_BYTES = 16
NONCE_BYTES = 12
_WRAP_AAD = b"fieldwork/odk-form-key/v1|"


# --- Errors -----------------------------------------------------------------------------------


class OdkCryptoError(Exception):
    """Something about an encrypted submission or a form key is wrong; the message says what,
    in words a study admin can act on."""


class EnvelopeError(OdkCryptoError):
    """The envelope (the XML part of an encrypted submission) lacks a part or is malformed."""


class MissingFilesError(OdkCryptoError):
    """Files the envelope lists were not received."""

    def __init__(self, message: str, names: tuple[str, ...]):
        super().__init__(message)
        self.names = names


class WrongKeyError(OdkCryptoError):
    """The private key does not open the submission: it was encrypted for another key."""


class DecryptionError(OdkCryptoError):
    """A file did not decrypt: truncated, damaged, or not this submission's file."""


class SignatureError(OdkCryptoError):
    """The files decrypted, but they are not the ones the phone signed."""


class PassphraseError(OdkCryptoError):
    """The passphrase does not open the wrapped private key."""


class KeyFileError(OdkCryptoError):
    """An uploaded key file is not a usable RSA private key. `about_password`: the file is
    fine but its password is missing or wrong."""

    def __init__(self, message: str, *, about_password: bool = False):
        super().__init__(message)
        self.about_password = about_password


# --- The envelope -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Envelope:
    form_id: str
    #: "" when the form has no version (the signature then has no version line).
    version: str
    #: As the phone wrote it, "uuid:" prefix included: it seeds the IVs.
    instance_id: str
    #: The base64 text exactly as sent: it is a line of the signature.
    base64_key: str
    #: Encrypted media file names (`photo.jpg.enc`), in the envelope's order.
    media: tuple[str, ...]
    #: The encrypted submission XML's file name (`submission.xml.enc`).
    xml_file: str
    signature: str

    @property
    def files(self) -> tuple[str, ...]:
        """Every file to decrypt, in decryption order: media, then the submission XML."""
        return (*self.media, self.xml_file)


def _child_text(root: etree._Element, name: str) -> str:
    for child in root:
        if local_name(child.tag) == name:
            return (child.text or "").strip()
    return ""


def _instance_id(root: etree._Element) -> str:
    for child in root:
        if local_name(child.tag) == "meta":
            value = _child_text(child, "instanceID")
            if value:
                return value
    # ODK Briefcase and Aggregate store the envelope with the instanceID as an attribute.
    return (root.get("instanceID") or "").strip()


def _clear_name(name: str) -> str:
    return name[: -len(ENC_SUFFIX)]


def _check_file_name(name: str, *, element: str) -> None:
    if not name.endswith(ENC_SUFFIX) or len(name) == len(ENC_SUFFIX):
        raise EnvelopeError(
            _("The envelope names a file “%(name)s” in <%(element)s> that does not end in .enc.")
            % {"name": name, "element": element}
        )
    if "/" in name or "\\" in name or name.startswith("."):
        raise EnvelopeError(
            _("The envelope names a file “%(name)s” in <%(element)s> that is not a plain name.")
            % {"name": name, "element": element}
        )


def _b64(text: str, *, element: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise EnvelopeError(
            _("The envelope's <%(element)s> is not valid base64.") % {"element": element}
        ) from None


def parse_envelope(body: bytes) -> Envelope:
    """Read the XML part of an encrypted submission. Raises EnvelopeError naming the first
    missing or malformed part. Resolves no entities and fetches nothing (XXE-safe)."""
    if not body or not body.strip():
        raise EnvelopeError(_("The encrypted submission's envelope is empty."))
    try:
        root = etree.fromstring(body, parser=SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise EnvelopeError(
            _("The envelope is not well-formed XML (line %(line)s: %(error)s).")
            % {"line": exc.lineno or "?", "error": exc.msg}
        ) from None
    if root is None:
        raise EnvelopeError(_("The encrypted submission's envelope is empty."))
    if (root.get("encrypted") or "").strip().lower() != "yes":
        raise EnvelopeError(
            _("This is not an encrypted submission: its root element has no encrypted=“yes”.")
        )
    form_id = (root.get("id") or "").strip()
    if not form_id:
        raise EnvelopeError(
            _("The envelope does not say which form it belongs to (no “id” on <%(root)s>).")
            % {"root": local_name(root.tag)}
        )
    required = {
        "base64EncryptedKey": _child_text(root, "base64EncryptedKey"),
        "meta/instanceID": _instance_id(root),
        "encryptedXmlFile": _child_text(root, "encryptedXmlFile"),
        "base64EncryptedElementSignature": _child_text(root, "base64EncryptedElementSignature"),
    }
    for element, value in required.items():
        if not value:
            raise EnvelopeError(
                _("The envelope has no <%(element)s>; the submission cannot be decrypted.")
                % {"element": element}
            )
    _b64(required["base64EncryptedKey"], element="base64EncryptedKey")
    _b64(required["base64EncryptedElementSignature"], element="base64EncryptedElementSignature")
    _check_file_name(required["encryptedXmlFile"], element="encryptedXmlFile")
    media: list[str] = []
    for child in root:
        if local_name(child.tag) != "media":
            continue
        for item in child:
            if local_name(item.tag) == "file" and (item.text or "").strip():
                name = (item.text or "").strip()
                _check_file_name(name, element="media/file")
                media.append(name)
    if len(set(media)) != len(media) or required["encryptedXmlFile"] in media:
        raise EnvelopeError(_("The envelope lists the same file twice."))
    return Envelope(
        form_id=form_id,
        version=(root.get("version") or "").strip(),
        instance_id=required["meta/instanceID"],
        base64_key=required["base64EncryptedKey"],
        media=tuple(media),
        xml_file=required["encryptedXmlFile"],
        signature=required["base64EncryptedElementSignature"],
    )


# --- Decryption -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecryptedSubmission:
    xml: bytes
    #: Clear media by their names without `.enc`, in the envelope's order.
    media: dict[str, bytes] = field(default_factory=dict)


def _rsa_decrypt(private_key: rsa.RSAPrivateKey, data: bytes) -> bytes | None:
    for scheme in OAEP_PADDINGS:
        try:
            return private_key.decrypt(data, scheme)
        except ValueError:
            continue
    return None


def decrypt_symmetric_key(*, private_key: rsa.RSAPrivateKey, envelope: Envelope) -> bytes:
    """The submission's AES key. Raises WrongKeyError when this private key does not open
    it (the submission was encrypted for another public key)."""
    encrypted = _b64(envelope.base64_key, element="base64EncryptedKey")
    key = None
    if len(encrypted) == private_key.key_size // 8:
        key = _rsa_decrypt(private_key, encrypted)
    if key is None or len(key) != AES_KEY_BYTES:
        raise WrongKeyError(
            _(
                "The study's key does not open this submission: the phone encrypted it for "
                "another public key."
            )
        )
    return key


def file_ivs(*, instance_id: str, key: bytes, count: int) -> list[bytes]:
    """The IV of each file, in decryption order (ODK's incremented MD5 seed)."""
    seed = bytearray(hashlib.md5(instance_id.encode("utf-8") + key).digest())
    ivs = []
    for i in range(count):
        seed[i % IV_BYTES] = (seed[i % IV_BYTES] + 1) % 256
        ivs.append(bytes(seed))
    return ivs


def decrypt_file(*, key: bytes, iv: bytes, data: bytes, name: str) -> bytes:
    """One file, AES-CFB then PKCS#7 unpadding. Raises DecryptionError naming the file."""
    if not data or len(data) % IV_BYTES:
        raise DecryptionError(
            _("The file “%(name)s” is truncated or damaged (%(size)s bytes).")
            % {"name": name, "size": len(data)}
        )
    decryptor = Cipher(algorithms.AES(key), CFB(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    pad = padded[-1]
    if not 1 <= pad <= IV_BYTES or padded[-pad:] != bytes([pad]) * pad:
        raise DecryptionError(
            _(
                "The file “%(name)s” did not decrypt: it is damaged, or it is not the file this "
                "submission encrypted."
            )
            % {"name": name}
        )
    return padded[:-pad]


def signature_source(*, envelope: Envelope, media: Mapping[str, bytes], xml: bytes) -> bytes:
    """The text the phone signs (see the module docstring), from the decrypted files."""
    lines = [envelope.form_id]
    if envelope.version:
        lines.append(envelope.version)
    lines += [envelope.base64_key, envelope.instance_id]
    lines += [f"{name}::{hashlib.md5(data).hexdigest()}" for name, data in media.items()]
    lines.append(f"{_clear_name(envelope.xml_file)}::{hashlib.md5(xml).hexdigest()}")
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


def verify_signature(
    *,
    private_key: rsa.RSAPrivateKey,
    envelope: Envelope,
    media: Mapping[str, bytes],
    xml: bytes,
) -> bool:
    """True when the decrypted files are exactly those the phone signed."""
    signed = _rsa_decrypt(
        private_key, _b64(envelope.signature, element="base64EncryptedElementSignature")
    )
    if signed is None:
        return False
    expected = hashlib.md5(signature_source(envelope=envelope, media=media, xml=xml)).digest()
    return hmac.compare_digest(signed, expected)


def missing_files(*, envelope: Envelope, files: Mapping[str, bytes]) -> tuple[str, ...]:
    return tuple(name for name in envelope.files if name not in files)


def decrypt_submission(
    *, envelope: Envelope, private_key: rsa.RSAPrivateKey, files: Mapping[str, bytes]
) -> DecryptedSubmission:
    """Decrypt every file the envelope lists (`files`: received bytes by `.enc` name) and
    check the signature. Raises MissingFilesError, WrongKeyError, DecryptionError or
    SignatureError; returns nothing partial."""
    missing = missing_files(envelope=envelope, files=files)
    if missing:
        raise MissingFilesError(
            _("Files the phone has not sent yet: %(names)s.") % {"names": ", ".join(missing)},
            missing,
        )
    key = decrypt_symmetric_key(private_key=private_key, envelope=envelope)
    ivs = file_ivs(instance_id=envelope.instance_id, key=key, count=len(envelope.files))
    media = {
        _clear_name(name): decrypt_file(key=key, iv=iv, data=bytes(files[name]), name=name)
        for name, iv in zip(envelope.media, ivs, strict=False)
    }
    xml = decrypt_file(
        key=key, iv=ivs[-1], data=bytes(files[envelope.xml_file]), name=envelope.xml_file
    )
    if not verify_signature(private_key=private_key, envelope=envelope, media=media, xml=xml):
        raise SignatureError(
            _(
                "The decrypted files do not match the phone's signature: a file was altered or "
                "replaced after the phone encrypted it."
            )
        )
    return DecryptedSubmission(xml=xml, media=media)


# --- Keys -------------------------------------------------------------------------------------


def generate_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)


def public_key_base64(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> str:
    """The public key as the XLSForm `public_key` setting takes it: base64 of the DER
    SubjectPublicKeyInfo, on one line, without PEM armour."""
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def public_key_fingerprint(public_key_b64: str) -> str:
    """SHA-256 of the public key's DER, in hex: names a key without revealing anything."""
    return hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()


def load_private_key(pem: bytes, password: str | None = None) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM (PKCS#1 "RSA PRIVATE KEY" or PKCS#8 "PRIVATE KEY" /
    "ENCRYPTED PRIVATE KEY", or a PKCS#1 key with a DEK-Info header). Raises KeyFileError
    saying what is wrong with the file."""
    if not pem or not pem.strip():
        raise KeyFileError(_("The key file is empty."))
    if b"PRIVATE KEY-----" not in pem:
        if b"PUBLIC KEY-----" in pem or b"CERTIFICATE-----" in pem:
            raise KeyFileError(
                _(
                    "This file holds a public key, not the private key. Upload the private "
                    "key (a .pem file that begins with “-----BEGIN RSA PRIVATE KEY-----” or "
                    "“-----BEGIN PRIVATE KEY-----”)."
                )
            )
        raise KeyFileError(
            _(
                "This file is not a PEM private key: it should begin with “-----BEGIN RSA "
                "PRIVATE KEY-----” or “-----BEGIN PRIVATE KEY-----”."
            )
        )
    encrypted = b"ENCRYPTED" in pem
    secret = password.encode("utf-8") if password and encrypted else None
    if encrypted and secret is None:
        raise KeyFileError(
            _("This key file is protected by a password: type it in “Key file password”."),
            about_password=True,
        )
    try:
        key = serialization.load_pem_private_key(pem, password=secret)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        if encrypted:
            raise KeyFileError(
                _("The password does not open this key file."), about_password=True
            ) from None
        raise KeyFileError(
            _("This file looks like a PEM private key but could not be read: it is damaged.")
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyFileError(
            _("ODK encrypted forms need an RSA key; this file holds another kind of key.")
        )
    if key.key_size < MIN_RSA_BITS:
        raise KeyFileError(
            _("This RSA key has %(bits)s bits; use a key of at least %(min)s bits.")
            % {"bits": key.key_size, "min": MIN_RSA_BITS}
        )
    return key


@dataclass(frozen=True)
class WrappedKey:
    #: Nonce followed by the AES-GCM ciphertext of the PKCS#8 DER private key.
    ciphertext: bytes
    salt: bytes
    kdf: dict[str, Any]


def _derive(passphrase: str, salt: bytes, kdf: Mapping[str, Any]) -> bytes:
    # NFC: the same passphrase typed on another keyboard may arrive decomposed ("é" as e+◌́).
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    if kdf.get("name") != "scrypt":
        raise PassphraseError(
            _("This key was wrapped with an unknown method (%(name)s).") % {"name": kdf.get("name")}
        )
    return Scrypt(
        salt=salt, length=AES_KEY_BYTES, n=int(kdf["n"]), r=int(kdf["r"]), p=int(kdf["p"])
    ).derive(secret)


def _wrap_aad(public_key_b64: str) -> bytes:
    return _WRAP_AAD + public_key_b64.encode("ascii")


def wrap_private_key(*, private_key: rsa.RSAPrivateKey, passphrase: str) -> WrappedKey:
    """Seal the private key under a key derived from the passphrase (scrypt, random salt,
    AES-256-GCM). The result opens only with that passphrase, and only as the key of its own
    public key (the public key is associated data)."""
    salt = os.urandom(SALT_BYTES)
    kdf = dict(KDF_PARAMS)
    der = private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_derive(passphrase, salt, kdf)).encrypt(
        nonce, der, _wrap_aad(public_key_base64(private_key))
    )
    return WrappedKey(ciphertext=nonce + sealed, salt=salt, kdf=kdf)


def unwrap_private_key(
    *, wrapped: bytes, salt: bytes, kdf: Mapping[str, Any], passphrase: str, public_key_b64: str
) -> rsa.RSAPrivateKey:
    """The private key back. Raises PassphraseError for a wrong passphrase (or a wrapped key
    that belongs to another public key)."""
    wrapped, salt = bytes(wrapped), bytes(salt)
    try:
        der = AESGCM(_derive(passphrase, salt, kdf)).decrypt(
            wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_aad(public_key_b64)
        )
    except InvalidTag:
        raise PassphraseError(_("The passphrase does not open this key.")) from None
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):  # only ever wrapped here, from an RSA key
        raise PassphraseError(_("The wrapped key is not an RSA key."))
    return key
