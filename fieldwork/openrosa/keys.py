"""A study's keys for ODK encrypted forms, and decrypting what phones encrypted with them.

The study admin generates a key pair here (or uploads one made elsewhere, e.g. with ODK's
instructions), puts the public key in the XLSForm's settings sheet (column `public_key`), and
Collect then encrypts each finalized interview on the phone. The server stores the private
key only sealed with a passphrase it never keeps, so neither a seized phone nor a copy of the
server reads the answers; decrypting needs the passphrase, typed by the admin for each run.

A new key retires the previous one; retired keys stay, so interviews already encrypted for
them still decrypt."""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fieldwork.audit.services import audit_record
from fieldwork.core.errors import ServiceError
from fieldwork.interviews.models import InterviewVersion
from fieldwork.interviews.selectors import version_payload
from fieldwork.openrosa import odk_crypto
from fieldwork.openrosa.models import StudyFormKey
from fieldwork.sources.blobs import open_blob

logger = logging.getLogger(__name__)

PASSPHRASE_MIN_LENGTH = 10
#: A PEM RSA key of 4096 bits is about 3.3 kB; anything far larger is not a key file.
MAX_KEY_FILE_BYTES = 64 * 1024

#: What a decryption run hands each decrypted submission to: it stores the answers and files
#: and sets `decrypted_at` (openrosa.services.submission_apply_decrypted), inside the run's
#: transaction for that submission, on the version row locked for update.
ApplyDecrypted = Callable[..., object]


# --- Selectors --------------------------------------------------------------------------------


def study_form_key_current(*, study) -> StudyFormKey | None:
    """The key phones should encrypt with now, or None before the first one."""
    return StudyFormKey.objects.filter(study=study, retired_at__isnull=True).first()


def study_form_keys(*, study) -> QuerySet[StudyFormKey]:
    """Every key of the study, the current one first, then retired ones, newest first."""
    return (
        StudyFormKey.objects.filter(study=study)
        .select_related("created_by")
        .order_by(F("retired_at").desc(nulls_first=True), "-created_at", "-id")
    )


def versions_awaiting_decryption(*, study) -> QuerySet[InterviewVersion]:
    """Encrypted submissions stored as their envelope, oldest first, with how many of their
    files have arrived (`received_files`)."""
    return (
        InterviewVersion.objects.filter(
            study=study,
            payload_format=InterviewVersion.Format.OPENROSA_ENCRYPTED,
            decrypted_at__isnull=True,
        )
        .select_related("interview", "submitted_by")
        .defer("payload_ciphertext")
        .annotate(received_files=Count("attachments"))
        .order_by("received_at", "id")
    )


# --- Keys -------------------------------------------------------------------------------------


def _check_passphrase(passphrase: str) -> None:
    if len(passphrase.strip()) < PASSPHRASE_MIN_LENGTH:
        raise ServiceError(
            {
                "passphrase": [
                    _(
                        "The passphrase must have at least %(min)s characters: it is all that "
                        "protects the private key."
                    )
                    % {"min": PASSPHRASE_MIN_LENGTH}
                ]
            }
        )


def _store(*, study, by, private_key, passphrase: str, origin: str) -> StudyFormKey:
    # The key derivation takes a noticeable moment (scrypt); it runs before any row is locked.
    wrapped = odk_crypto.wrap_private_key(private_key=private_key, passphrase=passphrase)
    public_key = odk_crypto.public_key_base64(private_key)
    fingerprint = odk_crypto.public_key_fingerprint(public_key)
    try:
        with transaction.atomic():
            previous = (
                StudyFormKey.objects.select_for_update()
                .filter(study=study, retired_at__isnull=True)
                .first()
            )
            if previous is not None:
                if previous.public_key_sha256 == fingerprint:
                    raise ServiceError(
                        {"key_file": [_("This key is already the study's current key.")]}
                    )
                previous.retired_at = timezone.now()
                previous.save(update_fields=["retired_at"])
            key = StudyFormKey.objects.create(
                study=study,
                public_key=public_key,
                public_key_sha256=fingerprint,
                wrapped_private_key=wrapped.ciphertext,
                kdf_salt=wrapped.salt,
                kdf_params=wrapped.kdf,
                origin=origin,
                created_by=by,
            )
            audit_record(
                actor=by,
                study=study,
                action="openrosa.form_key_created",
                target=key,
                data={
                    "origin": origin,
                    "replaced": previous.audit_label if previous is not None else None,
                },
            )
    except IntegrityError:
        raise ServiceError(
            {
                "key_file": [
                    _(
                        "This key was one of the study's keys before and has been replaced; "
                        "use a new key."
                    )
                ]
            }
        ) from None
    return key


def study_form_key_generate(*, study, by, passphrase: str) -> StudyFormKey:
    """Make a new RSA-2048 key pair for the study's encrypted forms and make it current; the
    previous key, if any, is retired (kept for what was encrypted for it). The private key
    is stored only sealed with `passphrase`. Raises ServiceError for a short passphrase."""
    _check_passphrase(passphrase)
    return _store(
        study=study,
        by=by,
        private_key=odk_crypto.generate_private_key(),
        passphrase=passphrase,
        origin=StudyFormKey.Origin.GENERATED,
    )


def study_form_key_import(
    *, study, by, pem: bytes, pem_password: str | None, passphrase: str
) -> StudyFormKey:
    """Make an existing RSA private key (PEM, PKCS#1 or PKCS#8, password-protected or not)
    the study's current key, sealed with `passphrase`; `pem_password` only opens the file and
    is not kept. Raises ServiceError saying what is wrong with the file or passphrase."""
    _check_passphrase(passphrase)
    if len(pem) > MAX_KEY_FILE_BYTES:
        raise ServiceError({"key_file": [_("This file is too large to be a key file.")]})
    try:
        private_key = odk_crypto.load_private_key(pem, pem_password or None)
    except odk_crypto.KeyFileError as exc:
        field = "key_file_password" if exc.about_password else "key_file"
        raise ServiceError({field: [str(exc)]}) from None
    return _store(
        study=study,
        by=by,
        private_key=private_key,
        passphrase=passphrase,
        origin=StudyFormKey.Origin.UPLOADED,
    )


# --- Decryption -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecryptionFailure:
    version_id: int
    interview_uuid: uuid.UUID
    instance_id: uuid.UUID
    reason: str


@dataclass(frozen=True)
class DecryptionSummary:
    #: How many submissions were waiting when the run began.
    awaiting: int
    #: Instance IDs of the submissions decrypted by this run.
    decrypted: tuple[uuid.UUID, ...]
    #: Submissions left waiting, each with why.
    failures: tuple[DecryptionFailure, ...]
    #: Decrypted meanwhile by another run: nothing to do.
    skipped: int
    keys_unlocked: int
    keys_locked: int


def _unlock(*, keys: list[StudyFormKey], passphrase: str) -> list:
    unlocked = []
    for key in keys:
        try:
            private_key = odk_crypto.unwrap_private_key(
                wrapped=key.wrapped_private_key,
                salt=key.kdf_salt,
                kdf=key.kdf_params,
                passphrase=passphrase,
                public_key_b64=key.public_key,
            )
        except odk_crypto.PassphraseError:
            continue
        unlocked.append(private_key)
    return unlocked


def _received_files(version: InterviewVersion, wanted: tuple[str, ...]) -> dict[str, bytes]:
    return {
        a.name: open_blob(
            ciphertext=a.ciphertext, wrapped_key=a.wrapped_key, key_id=a.key_id, context=a.context
        )
        for a in version.attachments.filter(name__in=wanted)
    }


def _decrypt(*, version: InterviewVersion, private_keys: list, some_locked: bool):
    envelope = odk_crypto.parse_envelope(version_payload(version))
    files = _received_files(version, envelope.files)
    for private_key in private_keys:
        try:
            return odk_crypto.decrypt_submission(
                envelope=envelope, private_key=private_key, files=files
            )
        except odk_crypto.WrongKeyError:
            continue
    if some_locked:
        raise odk_crypto.WrongKeyError(
            _(
                "None of the keys this passphrase unlocked opens this submission; it may have "
                "been encrypted for an older key that has another passphrase."
            )
        )
    raise odk_crypto.WrongKeyError(
        _(
            "None of the study's keys opens this submission: the phone encrypted it for a "
            "public key this study does not have."
        )
    )


@transaction.atomic
def _decrypt_one(*, pk: int, private_keys: list, some_locked: bool, apply, by) -> bool:
    """Decrypt and apply one submission under a lock on its version row. False when another
    run decrypted it meanwhile. Raises (and so rolls back) on any failure."""
    locked = (
        InterviewVersion.objects.select_for_update(of=("self",))
        .select_related("interview")
        .filter(pk=pk, decrypted_at__isnull=True)
        .first()
    )
    if locked is None:
        return False
    clear = _decrypt(version=locked, private_keys=private_keys, some_locked=some_locked)
    apply(version=locked, xml=clear.xml, media=clear.media, by=by)
    return True


def submissions_decrypt(*, study, by, passphrase: str, apply: ApplyDecrypted) -> DecryptionSummary:
    """Decrypt every encrypted submission of the study still waiting, and hand each one's
    clear XML and media (by name without `.enc`) to `apply(version=, xml=, media=, by=)`.

    Audits "openrosa.key_unlocked" (with how many submissions wait) before decrypting
    anything, then "openrosa.decryption_run" with the counts. Each submission is decrypted
    and applied in its own transaction, on its version row locked for update: one that fails
    (a file not received yet, a wrong key, a bad signature, a refusal by `apply`) is left
    waiting, untouched, with its reason in the summary; the others go on. Raises
    ServiceError when the study has no key or the passphrase opens none (audited too)."""
    keys = list(study_form_keys(study=study))
    if not keys:
        raise ServiceError(
            _("The study has no key for encrypted forms yet: generate or upload one first.")
        )
    private_keys = _unlock(keys=keys, passphrase=passphrase)
    if not private_keys:
        audit_record(
            actor=by, study=study, action="openrosa.key_unlock_failed", data={"keys": len(keys)}
        )
        raise ServiceError(
            {"passphrase": [_("This passphrase does not open any of the study's keys.")]}
        )
    waiting = list(versions_awaiting_decryption(study=study).values_list("pk", flat=True))
    audit_record(
        actor=by,
        study=study,
        action="openrosa.key_unlocked",
        data={"keys": len(private_keys), "awaiting": len(waiting)},
    )
    decrypted: list[uuid.UUID] = []
    failures: list[DecryptionFailure] = []
    skipped = 0
    some_locked = len(private_keys) < len(keys)
    for pk in waiting:
        version = (
            InterviewVersion.objects.select_related("interview")
            .only("pk", "instance_id", "interview__client_uuid")
            .get(pk=pk)
        )
        try:
            done = _decrypt_one(
                pk=pk, private_keys=private_keys, some_locked=some_locked, apply=apply, by=by
            )
        except odk_crypto.OdkCryptoError as exc:
            reason = str(exc)
        except ValidationError as exc:
            reason = " ".join(str(m) for m in exc.messages)
        except Exception:
            # A bug must not stop the run or hide the others' results; the submission stays
            # waiting (its transaction rolled back) and the log has the traceback.
            logger.exception("Decrypting interview version %s failed", pk)
            reason = _("An unexpected error stopped this submission; it is still waiting.")
        else:
            if done:
                decrypted.append(version.instance_id)
            else:
                skipped += 1
            continue
        failures.append(
            DecryptionFailure(
                version_id=pk,
                interview_uuid=version.interview.client_uuid,
                instance_id=version.instance_id,
                reason=reason,
            )
        )
    audit_record(
        actor=by,
        study=study,
        action="openrosa.decryption_run",
        data={
            "awaiting": len(waiting),
            "decrypted": len(decrypted),
            "failed": len(failures),
            "skipped": skipped,
            "failed_instances": [str(f.instance_id) for f in failures[:100]],
        },
    )
    return DecryptionSummary(
        awaiting=len(waiting),
        decrypted=tuple(decrypted),
        failures=tuple(failures),
        skipped=skipped,
        keys_unlocked=len(private_keys),
        keys_locked=len(keys) - len(private_keys),
    )


def summary_text(summary: DecryptionSummary) -> str:
    """One sentence for the page's message."""
    return ngettext(
        "%(done)s of %(count)s waiting submission was decrypted.",
        "%(done)s of %(count)s waiting submissions were decrypted.",
        summary.awaiting,
    ) % {"done": len(summary.decrypted), "count": summary.awaiting}
