"""Envelope encryption of source identities and keyed blind indexes. Pure: bytes in, bytes out.

- Each source has its own 256-bit data key (DEK). Its identity (a small JSON document) is
  sealed with AES-256-GCM under that key, with the source's UUID as associated data, so a
  ciphertext copied onto another row does not open.
- The DEK is stored only wrapped (AES-256-GCM) by a master key that lives outside the
  database. A master key is known by its id, an HMAC of a fixed label, so rows say which key
  wrapped them without revealing anything about it.
- Duplicate detection compares HMACs of normalized names and phones under a separate key,
  scoped per study, so equal names in two studies do not link.
"""

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import threading
import unicodedata
from dataclasses import dataclass

import zstandard
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
_WRAP_AAD = b"fieldwork/dek/v1|"
_IDENTITY_AAD = b"fieldwork/identity/v1|"
_BYTES_AAD = b"fieldwork/bytes/v1|"
_ZSTD_BYTES_AAD = b"fieldwork/bytes+zstd/v1|"


class CryptoKeyError(Exception):
    """A key is missing, malformed, or not the one the data was sealed with."""


class KeyFormatError(CryptoKeyError):
    pass


class WrongKeyError(CryptoKeyError):
    pass


def generate_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def encode_key(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def decode_key(text: str, *, where: str) -> bytes:
    """Parse a base64 key of 32 bytes; `where` names its origin for the error message."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyFormatError(f"{where} is not valid base64.") from exc
    if len(key) != KEY_BYTES:
        raise KeyFormatError(f"{where} must decode to {KEY_BYTES} bytes, not {len(key)}.")
    return key


def key_id(key: bytes) -> str:
    """A stable, non-secret name for a key (16 hex characters)."""
    return hmac.new(key, b"fieldwork/key-id/v1", hashlib.sha256).hexdigest()[:16]


def wrap_key(*, master: bytes, dek: bytes, context: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(master).encrypt(nonce, dek, _WRAP_AAD + context)


def unwrap_key(*, master: bytes, wrapped: bytes, context: bytes) -> bytes:
    try:
        return AESGCM(master).decrypt(
            wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _WRAP_AAD + context
        )
    except InvalidTag as exc:
        raise WrongKeyError("The master key does not open this data key.") from exc


def seal(*, dek: bytes, document: dict, context: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    plaintext = json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return nonce + AESGCM(dek).encrypt(nonce, plaintext, _IDENTITY_AAD + context)


def open_sealed(*, dek: bytes, sealed: bytes, context: bytes) -> dict:
    try:
        plaintext = AESGCM(dek).decrypt(
            sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _IDENTITY_AAD + context
        )
    except InvalidTag as exc:
        raise WrongKeyError("This identity does not open with its data key.") from exc
    return json.loads(plaintext)


def seal_bytes(*, dek: bytes, data: bytes, context: bytes, compress: bool = False) -> bytes:
    """Seal a file's bytes (an attachment, a transcript) under its own data key; `context`
    binds it to its row so a ciphertext copied elsewhere does not open.

    `compress`: for text (a submission's XML, its answers), which the database can no longer
    compress once it is sealed: zstd first, then sealed under its own associated-data label,
    behind a mark byte (`_ZSTD_MARK`). The label is authenticated, so a sealed file is never
    read in the other format; the ciphertext's length then says how compressible the text
    was, where a plain one says its length (which rows keep in clear anyway)."""
    nonce = os.urandom(NONCE_BYTES)
    if compress:
        packed = _zstd_compressor().compress(bytes(data))
        return _ZSTD_MARK + nonce + AESGCM(dek).encrypt(nonce, packed, _ZSTD_BYTES_AAD + context)
    return nonce + AESGCM(dek).encrypt(nonce, bytes(data), _BYTES_AAD + context)


def open_sealed_bytes(*, dek: bytes, sealed: bytes, context: bytes) -> bytes:
    """The bytes `seal_bytes` sealed, compressed or not."""
    sealed = bytes(sealed)
    aead = AESGCM(dek)
    if sealed[:1] == _ZSTD_MARK:
        body = sealed[1:]
        try:
            packed = aead.decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], _ZSTD_BYTES_AAD + context)
        except InvalidTag:
            pass  # not compressed: a plain one whose random nonce begins with the mark
        else:
            return zstandard.ZstdDecompressor().decompress(packed)
    try:
        return aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _BYTES_AAD + context)
    except InvalidTag as exc:
        raise WrongKeyError("These bytes do not open with their data key.") from exc


#: What begins a compressed sealed file; a plain one begins with its random nonce.
_ZSTD_MARK = b"Z"
#: zstd's fastest level: a 10 kB submission in about 50 µs, to a fifth of its size.
_ZSTD_LEVEL = 1
_zstd = threading.local()


def _zstd_compressor() -> zstandard.ZstdCompressor:
    """One compressor per thread (they are not thread-safe), writing the content size in
    each frame, which `ZstdDecompressor.decompress` needs."""
    compressor = getattr(_zstd, "compressor", None)
    if compressor is None:
        compressor = _zstd.compressor = zstandard.ZstdCompressor(
            level=_ZSTD_LEVEL, write_content_size=True
        )
    return compressor


# --- Blind indexes ----------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^\w\s]")


def normalize_name(name: str) -> str:
    """Case, accents, punctuation and word order do not matter: "Traoré, Amadou" equals
    "amadou traore". Transliteration variants (Touré/Toure) meet; spelling variants do not."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = _SPACES.split(_NOT_WORD.sub(" ", bare).strip())
    return " ".join(sorted(w for w in words if w))


#: National numbers in Mali have 8 digits; comparing the last 8 digits makes "+223 76 12 34 56",
#: "0022376123456" and "76 12 34 56" the same phone.
PHONE_DIGITS = 8


def normalize_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return digits[-PHONE_DIGITS:] if len(digits) >= 6 else ""


def blind_index(*, key: bytes, scope: str, kind: str, normalized: str) -> str:
    """HMAC-SHA256 of a normalized value, scoped (per study) and typed ("name", "phone").

    Empty values get no index: two sources without a phone are not duplicates."""
    if not normalized:
        return ""
    message = f"{scope}|{kind}|{normalized}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SealedIdentity:
    ciphertext: bytes
    wrapped_key: bytes
    key_id: str
