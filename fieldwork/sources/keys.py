"""The keys that protect identities, read from the environment or key files, never the database.

`keyring()` is what services use. It holds:
- the *current* master key, which wraps new data keys;
- during a rotation, the *next* master key (env `FIELDWORK_NEXT_MASTER_KEY` or the file
  `<master key file>.next`), which then wraps new data keys and opens re-wrapped ones;
- the blind-index key.
"""

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from fieldwork.sources import crypto


@dataclass(frozen=True)
class Keyring:
    current: bytes
    next: bytes | None
    blind_index: bytes

    @property
    def wrapping_key(self) -> bytes:
        """Wrap with the next key while a rotation runs, so it never has to come back."""
        return self.next or self.current

    @property
    def wrapping_key_id(self) -> str:
        return crypto.key_id(self.wrapping_key)

    def master_for(self, kid: str) -> bytes:
        for key in (self.current, self.next):
            if key is not None and crypto.key_id(key) == kid:
                return key
        raise crypto.WrongKeyError(
            f"This data key was wrapped by master key {kid}, which is not configured "
            f"(configured: {', '.join(self.key_ids())})."
        )

    def key_ids(self) -> list[str]:
        return [crypto.key_id(k) for k in (self.current, self.next) if k is not None]


def next_key_path(path: Path) -> Path:
    return path.with_name(path.name + ".next")


def write_key_file(path: Path, key: bytes) -> None:
    """Create a key file readable by its owner only; never overwrite an existing one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(crypto.encode_key(key) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _read_key(*, env_value: str, env_name: str, path: Path | None, required: bool) -> bytes | None:
    if env_value:
        try:
            return crypto.decode_key(env_value, where=env_name)
        except crypto.KeyFormatError as exc:
            raise ImproperlyConfigured(str(exc)) from exc
    if path is not None and path.exists():
        try:
            return crypto.decode_key(path.read_text(), where=f"The key file {path}")
        except crypto.KeyFormatError as exc:
            raise ImproperlyConfigured(str(exc)) from exc
    if required:
        where = f"the key file {path}" if path else "the environment"
        raise ImproperlyConfigured(
            f"{env_name} is not set and {where} does not exist. Fieldwork will not start "
            "without the key that protects source identities; restore it from your backup."
        )
    return None


def ensure_embedded_keys() -> None:
    """On a laptop's first run (embedded database not created yet), create the key files.

    Never creates a key over existing data: if the database file exists, a missing key is an
    error that the start-up check reports (see `checks.py`)."""
    database = Path(settings.EMBEDDED_DB_PATH)
    # SQLite creates an empty file on first connection; an empty file holds no identities.
    if not settings.USING_EMBEDDED_DB or (database.exists() and database.stat().st_size > 0):
        return
    if not settings.FIELDWORK_MASTER_KEY and not settings.FIELDWORK_MASTER_KEY_FILE.exists():
        write_key_file(settings.FIELDWORK_MASTER_KEY_FILE, crypto.generate_key())
    if (
        not settings.FIELDWORK_BLIND_INDEX_KEY
        and not settings.FIELDWORK_BLIND_INDEX_KEY_FILE.exists()
    ):
        write_key_file(settings.FIELDWORK_BLIND_INDEX_KEY_FILE, crypto.generate_key())


@functools.cache
def keyring() -> Keyring:
    master_file = settings.FIELDWORK_MASTER_KEY_FILE
    current = _read_key(
        env_value=settings.FIELDWORK_MASTER_KEY,
        env_name="FIELDWORK_MASTER_KEY",
        path=master_file,
        required=True,
    )
    nxt = _read_key(
        env_value=settings.FIELDWORK_NEXT_MASTER_KEY,
        env_name="FIELDWORK_NEXT_MASTER_KEY",
        path=None if settings.FIELDWORK_MASTER_KEY else next_key_path(master_file),
        required=False,
    )
    blind = _read_key(
        env_value=settings.FIELDWORK_BLIND_INDEX_KEY,
        env_name="FIELDWORK_BLIND_INDEX_KEY",
        path=settings.FIELDWORK_BLIND_INDEX_KEY_FILE,
        required=True,
    )
    if nxt == current:
        nxt = None
    return Keyring(current=current, next=nxt, blind_index=blind)


def reset_keyring() -> None:
    """Forget cached keys (after a rotation, or when tests change settings)."""
    keyring.cache_clear()
