"""Sealing files at rest with the configured master key: attachments (voices and faces),
transcripts. Each file gets its own data key, wrapped like a source's; no database access."""

from dataclasses import dataclass

from fieldwork.sources import crypto
from fieldwork.sources.keys import keyring, reset_keyring


@dataclass(frozen=True)
class SealedBlob:
    ciphertext: bytes
    wrapped_key: bytes
    key_id: str


def seal_blob(*, data: bytes, context: bytes, compress: bool = False) -> SealedBlob:
    """`compress` text (see `crypto.seal_bytes`); `open_blob` reads either."""
    ring = keyring()
    dek = crypto.generate_key()
    return SealedBlob(
        ciphertext=crypto.seal_bytes(dek=dek, data=data, context=context, compress=compress),
        wrapped_key=crypto.wrap_key(master=ring.wrapping_key, dek=dek, context=context),
        key_id=ring.wrapping_key_id,
    )


def open_payload(row) -> bytes:
    """The body sealed in a row's `payload_*` columns and bound to its `payload_context`: an
    interview version, a kept conflict, a submission waiting to be recorded."""
    return open_blob(
        ciphertext=row.payload_ciphertext,
        wrapped_key=row.payload_wrapped_key,
        key_id=row.payload_key_id,
        context=row.payload_context,
    )


def open_blob(*, ciphertext: bytes, wrapped_key: bytes, key_id: str, context: bytes) -> bytes:
    try:
        master = keyring().master_for(key_id)
    except crypto.WrongKeyError:
        # Another process may have rotated the master key since this one read it.
        reset_keyring()
        master = keyring().master_for(key_id)
    dek = crypto.unwrap_key(master=master, wrapped=bytes(wrapped_key), context=context)
    return crypto.open_sealed_bytes(dek=dek, sealed=bytes(ciphertext), context=context)
