"""Master key rotation: re-wrap each source's data key under a new master key.

Identities are not re-encrypted (their data keys do not change), so a rotation touches one
small column per row. It runs in batches, one transaction each; every row is at all times
wrapped by either the old or the new key, and both are configured until the end, so the app
keeps working and an interrupted run simply continues when started again.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from fieldwork.audit.services import audit_record
from fieldwork.sources import crypto
from fieldwork.sources.keys import keyring, next_key_path, reset_keyring, write_key_file
from fieldwork.sources.models import Source


@dataclass(frozen=True)
class SealedColumns:
    """One wrapped data key of a table: its columns and what it is bound to. `skip` are the
    (large) sealed columns a rotation never needs to read."""

    model: type
    wrapped: str
    key_id: str
    context: Callable
    skip: tuple[str, ...] = ()


def sealed_models() -> list[SealedColumns]:
    """Every wrapped data key in the database. A new sealed table must be added here, or a
    rotation would leave its rows unreadable once the old key is destroyed
    (tests/sources/test_keys.py checks that every column ending in `wrapped_key` is
    listed)."""
    from fieldwork.imports.models import ImportBatch
    from fieldwork.interviews.models import Attachment, InterviewVersion, SubmissionConflict
    from fieldwork.openrosa.models import ReceivedSubmission
    from fieldwork.transcripts.models import Transcript, TranscriptRevision

    return [
        SealedColumns(Source, "wrapped_key", "key_id", lambda s: str(s.uuid).encode()),
        SealedColumns(Attachment, "wrapped_key", "key_id", lambda a: a.context, ("ciphertext",)),
        SealedColumns(Transcript, "wrapped_key", "key_id", lambda t: t.context, ("ciphertext",)),
        SealedColumns(
            TranscriptRevision, "wrapped_key", "key_id", lambda r: r.context, ("ciphertext",)
        ),
        SealedColumns(
            InterviewVersion,
            "answers_wrapped_key",
            "answers_key_id",
            lambda v: v.answers_context,
            ("answers_ciphertext", "payload_ciphertext"),
        ),
        SealedColumns(
            InterviewVersion,
            "payload_wrapped_key",
            "payload_key_id",
            lambda v: v.payload_context,
            ("answers_ciphertext", "payload_ciphertext"),
        ),
        SealedColumns(
            SubmissionConflict,
            "payload_wrapped_key",
            "payload_key_id",
            lambda c: c.payload_context,
            ("payload_ciphertext",),
        ),
        SealedColumns(
            ReceivedSubmission,
            "payload_wrapped_key",
            "payload_key_id",
            lambda r: r.payload_context,
            ("payload_ciphertext",),
        ),
        SealedColumns(
            ImportBatch,
            "file_wrapped_key",
            "file_key_id",
            lambda b: b.file_context,
            ("file_ciphertext", "results_ciphertext"),
        ),
        SealedColumns(
            ImportBatch,
            "results_wrapped_key",
            "results_key_id",
            lambda b: b.results_context,
            ("file_ciphertext", "results_ciphertext"),
        ),
    ]


class RotationError(Exception):
    pass


@dataclass(frozen=True)
class RotationResult:
    rewrapped: int
    remaining: int
    finished: bool
    message: str


def _prepare_next_key(progress: Callable[[str], None]) -> None:
    if settings.FIELDWORK_MASTER_KEY:
        if not settings.FIELDWORK_NEXT_MASTER_KEY:
            raise RotationError(
                "The master key comes from FIELDWORK_MASTER_KEY; set FIELDWORK_NEXT_MASTER_KEY "
                "to the new key (base64 of 32 random bytes) for this and every running process, "
                "then run the rotation again."
            )
        return
    path = next_key_path(settings.FIELDWORK_MASTER_KEY_FILE)
    if not path.exists():
        write_key_file(path, crypto.generate_key())
        progress(f"New master key written to {path}.")
    reset_keyring()


def rotate_master_key(
    *,
    batch_size: int = 500,
    max_batches: int | None = None,
    progress: Callable[[str], None] = print,
) -> RotationResult:
    """Re-wrap data keys batch by batch until none is wrapped by an old key, then promote the
    new key (key-file mode) or say how to (environment mode). Idempotent and restartable."""
    if batch_size < 1:
        raise RotationError("The batch size must be at least 1.")
    _prepare_next_key(progress)
    ring = keyring()
    if ring.next is None:
        raise RotationError("The next master key could not be read.")
    new_id = crypto.key_id(ring.next)
    done = batches = 0
    remaining = 0
    for sealed in sealed_models():
        model = sealed.model
        pending = model.objects.filter(**{f"{sealed.wrapped}__isnull": False}).exclude(
            **{sealed.key_id: new_id}
        )
        while max_batches is None or batches < max_batches:
            with transaction.atomic():
                rows = list(
                    pending.select_for_update().order_by("pk").defer(*sealed.skip)[:batch_size]
                )
                if not rows:
                    break
                for row in rows:
                    context = sealed.context(row)
                    dek = crypto.unwrap_key(
                        master=ring.master_for(getattr(row, sealed.key_id)),
                        wrapped=bytes(getattr(row, sealed.wrapped)),
                        context=context,
                    )
                    setattr(
                        row,
                        sealed.wrapped,
                        crypto.wrap_key(master=ring.next, dek=dek, context=context),
                    )
                    setattr(row, sealed.key_id, new_id)
                model.objects.bulk_update(rows, [sealed.wrapped, sealed.key_id])
            done += len(rows)
            batches += 1
            progress(f"Re-wrapped {done} data keys.")
        remaining += pending.count()

    if remaining:
        return RotationResult(
            done,
            remaining,
            False,
            f"Stopped with {remaining} data keys still under the old key; run again to continue.",
        )

    with transaction.atomic():
        audit_record(
            actor=None,
            action="keys.master_rotated",
            target_type="master_key",
            target_id=new_id,
            data={"rewrapped": done},
        )
    if settings.FIELDWORK_MASTER_KEY:
        message = (
            f"Rotation finished ({done} re-wrapped). Set FIELDWORK_MASTER_KEY to the new key "
            f"(id {new_id}), remove FIELDWORK_NEXT_MASTER_KEY, restart, and destroy the old key."
        )
    else:
        path = settings.FIELDWORK_MASTER_KEY_FILE
        os.replace(next_key_path(path), path)  # atomic: the old key file is gone
        reset_keyring()
        message = (
            f"Rotation finished ({done} re-wrapped). {path} now holds the new key (id {new_id}); "
            "destroy any backup of the old key and restart running processes."
        )
    return RotationResult(done, 0, True, message)
