"""Sealing and opening a source's identity with the configured keys (no database access)."""

from dataclasses import asdict, dataclass, field

from fieldwork.sources import crypto
from fieldwork.sources.keys import keyring, reset_keyring


@dataclass(frozen=True)
class Identity:
    """What identifies a person. Exists in clear only in memory, for the people allowed."""

    full_name: str
    aliases: list[str] = field(default_factory=list)
    phone: str = ""
    address: str = ""
    contact_notes: str = ""

    def to_document(self) -> dict:
        return asdict(self)

    @classmethod
    def from_document(cls, doc: dict) -> "Identity":
        return cls(
            full_name=doc.get("full_name", ""),
            aliases=list(doc.get("aliases", [])),
            phone=doc.get("phone", ""),
            address=doc.get("address", ""),
            contact_notes=doc.get("contact_notes", ""),
        )

    def __repr__(self) -> str:  # never print an identity by accident (logs, tracebacks)
        return "Identity(<sealed>)"

    __str__ = __repr__


def seal_identity(*, identity: Identity, context: bytes) -> crypto.SealedIdentity:
    ring = keyring()
    dek = crypto.generate_key()
    ciphertext = crypto.seal(dek=dek, document=identity.to_document(), context=context)
    wrapped = crypto.wrap_key(master=ring.wrapping_key, dek=dek, context=context)
    return crypto.SealedIdentity(
        ciphertext=ciphertext, wrapped_key=wrapped, key_id=ring.wrapping_key_id
    )


def open_identity(
    *, ciphertext: bytes, wrapped_key: bytes, key_id: str, context: bytes
) -> Identity:
    try:
        master = keyring().master_for(key_id)
    except crypto.WrongKeyError:
        # Another process may have rotated the master key since this one read it.
        reset_keyring()
        master = keyring().master_for(key_id)
    dek = crypto.unwrap_key(master=master, wrapped=bytes(wrapped_key), context=context)
    return Identity.from_document(
        crypto.open_sealed(dek=dek, sealed=bytes(ciphertext), context=context)
    )


def identity_indexes(*, identity: Identity, scope: str) -> tuple[str, str]:
    """(name index, phone index) for duplicate detection, scoped to a study."""
    key = keyring().blind_index
    name = crypto.blind_index(
        key=key, scope=scope, kind="name", normalized=crypto.normalize_name(identity.full_name)
    )
    phone = crypto.blind_index(
        key=key, scope=scope, kind="phone", normalized=crypto.normalize_phone(identity.phone)
    )
    return name, phone
