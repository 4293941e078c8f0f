"""Writes for phones: devices and their tokens, and receiving OpenRosa submissions as ODK
Central does (201 for new and re-sent bodies, merged attachments over several POSTs, 409 for
a different body under a stored instanceID, edits by deprecatedID).

A submission is recorded through `fieldwork.interviews.services`, whose unique constraint on
(study, instanceID) decides races; attachments are sealed at rest and keyed (version, name),
so a file sent twice is stored once."""

import datetime as dt
import hashlib
import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fieldwork.accounts.permissions import Perm, can_edit_interview, has_perm
from fieldwork.audit.services import audit_record
from fieldwork.core.errors import ServiceError
from fieldwork.core.i18n import in_each_language
from fieldwork.instruments.answers import answer_at
from fieldwork.instruments.models import Instrument, InstrumentVersion
from fieldwork.instruments.selectors import version_form, version_source_question
from fieldwork.instruments.specs import BINARY_TYPES
from fieldwork.interviews.attachments import (
    FileRefused,
    SubmissionFile,
    check_files,
    store_files,
)
from fieldwork.interviews.models import Interview, InterviewVersion
from fieldwork.interviews.services import (
    interview_decrypted,
    interview_edit,
    interview_record,
    submission_note,
)
from fieldwork.openrosa import odk_crypto
from fieldwork.openrosa.models import Device, ReceivedSubmission, token_digest
from fieldwork.openrosa.submission import (
    ParsedSubmission,
    SubmissionError,
    parse_submission,
    referenced_files,
)
from fieldwork.sources.blobs import open_payload
from fieldwork.sources.models import Source
from fieldwork.sources.services import consent_require_participation

logger = logging.getLogger(__name__)


def max_submission_bytes() -> int:
    """What the server advertises in X-OpenRosa-Accept-Content-Length: Collect splits a
    submission with larger attachments over several POSTs under this size."""
    return settings.FIELDWORK_OPENROSA_MAX_BYTES


# --------------------------------------------------------------------------- devices


@transaction.atomic
def device_create(*, study, by, researcher, label: str) -> tuple[Device, str]:
    """A device token for a field researcher's phone. The token is returned once, to be shown
    as a QR code; only its SHA-256 is stored."""
    label = (label or "").strip()
    if not label:
        raise ServiceError({"label": [_("Name the device, e.g. “Awa’s Tecno phone”.")]})
    if not has_perm(researcher, study, Perm.INTERVIEW_RECORD):
        raise ServiceError(
            {"researcher": [_("Only a member who records interviews can carry a device.")]}
        )
    token = secrets.token_urlsafe(32)
    device = Device.objects.create(
        study=study,
        researcher=researcher,
        label=label,
        token_sha256=token_digest(token),
        created_by=by,
    )
    audit_record(
        actor=by,
        study=study,
        action="device.created",
        target=device,
        data={"researcher": researcher.username},
    )
    return device, token


@transaction.atomic
def device_revoke(*, device: Device, by) -> Device:
    """The token stops working at once; what the phone already sent stays."""
    device = Device.objects.select_for_update().get(pk=device.pk)
    if device.revoked_at is not None:
        return device
    device.revoked_at = timezone.now()
    device.revoked_by = by
    device.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(actor=by, study=device.study, action="device.revoked", target=device)
    return device


def device_seen(*, device_id: int, last_seen_at: dt.datetime | None) -> dt.datetime | None:
    """Note that a device called now, unless its last call (as the caller knows it) was noted
    less than a minute ago: no write per request. Returns the time written, if any."""
    now = timezone.now()
    if last_seen_at is not None and now - last_seen_at <= dt.timedelta(minutes=1):
        return None
    Device.objects.filter(pk=device_id).update(last_seen_at=now)
    return now


# --------------------------------------------------------------------------- submissions


@dataclass(frozen=True)
class SubmissionOutcome:
    """What the endpoint answers: the HTTP status and the message the phone shows."""

    status: int
    message: str
    interview: Interview | None = None
    version: InterviewVersion | None = None
    attachments_added: int = 0
    ignored: list[str] = field(default_factory=list)


def _instance_uuid(text: str) -> uuid.UUID:
    """instanceIDs are "uuid:…" everywhere since 2011; any other string maps to a stable
    UUID of its own, so it is still stored, and recognised when sent again."""
    try:
        return uuid.UUID(text.removeprefix("uuid:"))
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"fieldwork:instance:{text}")


#: Versions that take submissions.
USABLE_VERSIONS = (InstrumentVersion.Status.PUBLISHED, InstrumentVersion.Status.RETIRED)


def _version_for(
    *, study, parsed: ParsedSubmission, found: InstrumentVersion | None = None
) -> tuple[InstrumentVersion, list[dict]]:
    """The questionnaire version a submission was made with, and a problem to keep beside
    it when that is a guess: a body without a version (clients before 2012), or one for a
    version this study never published (phones moved from another server), is checked
    against the published version rather than refused, so that nothing is lost. `found`:
    the version the intake found for this body, read with its row just now."""
    if (
        found is not None
        and found.instrument.study_id == study.pk
        and found.instrument.form_id == parsed.form_id
        and found.version == parsed.version
        and found.status in USABLE_VERSIONS
    ):
        return found, []
    # The usual case, a phone sending the version it was given, in one query.
    exact = (
        InstrumentVersion.objects.defer("original_file", "xform_xml")
        .select_related("instrument")
        .filter(
            instrument__study=study,
            instrument__form_id=parsed.form_id,
            version=parsed.version,
            status__in=USABLE_VERSIONS,
        )
        .first()
    )
    if exact is not None:
        return exact, []
    instrument = Instrument.objects.filter(study=study, form_id=parsed.form_id).first()
    if instrument is None:
        raise _Refused(
            404,
            _("The form “%(form)s” does not exist in this study.") % {"form": parsed.form_id},
        )
    published = (
        InstrumentVersion.objects.defer("original_file", "xform_xml")
        .filter(instrument=instrument, status=InstrumentVersion.Status.PUBLISHED)
        .first()
    )
    if published is None:
        raise _Refused(
            404,
            _("The form “%(form)s” is not published in this study.") % {"form": parsed.form_id},
        )

    def note() -> str:
        if not parsed.version:
            text = _("The submission names no form version; it was checked against version %(v)s.")
        else:
            text = _(
                "The submission was made with version %(sent)s, which this study never "
                "published; it was checked against version %(v)s."
            )
        return text % {"v": published.version, "sent": parsed.version}

    published.instrument = instrument
    return published, [submission_note(note)]


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _repeat_and_binary_paths(version: InstrumentVersion) -> tuple[list[str], list[str]]:
    form = version_form(version=version)
    return form.paths(["repeat"]), form.paths(BINARY_TYPES)


def _lookup(answers: dict, path: str) -> str:
    value = answer_at(answers, path)
    return value.strip() if isinstance(value, str) else ""


def _source_for(*, study, version: InstrumentVersion, answers: dict) -> Source | None:
    """The source named by the `source_code` answer, with participation consent; None for
    a form without that question. A code that names no source, or a source without consent,
    refuses the submission: the phone keeps it and can send it again once fixed."""
    path = version_source_question(version=version)
    if path is None:
        return None
    return _named_source(study_id=study.pk, path=path, answers=answers)


def _named_source(*, study_id: int, path: str, answers: dict) -> Source:
    """The source the answer at `path` names (see `_source_for`); raises `_Refused`."""
    code = _lookup(answers, path)
    if not code:
        raise _Refused(
            400,
            _("The answer to “%(question)s” is empty: say which source the interview is with.")
            % {"question": path},
        )
    source = Source.objects.filter(study_id=study_id, code__iexact=code).first()
    if source is None:
        raise _Refused(
            400,
            _(
                "No source has the code “%(code)s” in this study. Check the code on the "
                "source's page, or record the source first."
            )
            % {"code": code},
        )
    try:
        consent_require_participation(source=source)
    except ServiceError as exc:
        raise _Refused(400, exc.as_text()) from None
    return source


def _conducted_at(*, version: InstrumentVersion, answers: dict) -> dt.datetime | None:
    """When the interview began: the form's `start` metadata, if it has one."""
    path = version_form(version=version).start_question
    return None if path is None else _started_at(path, answers)


def _started_at(path: str, answers: dict) -> dt.datetime | None:
    """The `start` metadata's answer at `path`, as an aware datetime, if it reads as one."""
    try:
        value = parse_datetime(_lookup(answers, path))
    except ValueError:
        return None
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def submission_receive(
    *,
    study,
    by,
    xml: bytes,
    files: list[SubmissionFile],
    device: Device | None = None,
    received: "ReceivedSubmission | None" = None,
) -> SubmissionOutcome:
    """Receive one OpenRosa POST: the submission XML and some of its files. The caller has
    checked that `by` may record interviews in `study`. `received`: the stored intake row
    this body comes from, when a worker records it (`received_record_pending`)."""
    try:
        return _receive(study=study, by=by, xml=xml, files=files, device=device, received=received)
    except _Refused as refused:
        return SubmissionOutcome(status=refused.status, message=refused.message)
    except SubmissionError as exc:
        return SubmissionOutcome(status=400, message=str(exc))
    except ServiceError as exc:
        return SubmissionOutcome(status=400, message=exc.as_text())


def _receive(*, study, by, xml, files, device, received) -> SubmissionOutcome:
    # Not one transaction: the interview is stored (atomically) before its files, so a
    # failure on a file leaves a stored interview that the phone's retry completes.
    # Form and version first: they say how to read the rest.
    head = parse_submission(xml, answers=False)
    version, notes = _version_for(
        study=study, parsed=head, found=received.instrument_version if received else None
    )
    if head.encrypted:
        try:
            # As the decryption run will read it: an envelope it could never open is
            # refused now, while the phone still has the submission.
            odk_crypto.parse_envelope(xml)
        except odk_crypto.OdkCryptoError as exc:
            raise _Refused(400, str(exc)) from None
    elif (version.form_settings or {}).get("public_key"):
        raise _Refused(
            400,
            _(
                "The form “%(form)s” is encrypted, but this submission is not: send it from "
                "ODK Collect with the form as published, which encrypts it on the phone."
            )
            % {"form": head.form_id},
        )
    repeats, binaries = _repeat_and_binary_paths(version)
    parsed = head.with_answers(repeats)
    instance_id = _instance_uuid(parsed.instance_id)
    if received is None:
        # The intake may hold this instanceID (a phone re-sending, the next part of a split
        # POST) or the one it edits, not recorded yet: record them first, so that this body
        # is answered as if the worker had already been.
        deprecated = [_instance_uuid(parsed.deprecated_id)] if parsed.deprecated_id else []
        received_record_waiting(study=study, instance_ids=[instance_id, *deprecated])
    if parsed.encrypted:
        expected = list(parsed.encrypted_files)
    else:
        expected = referenced_files(parsed.answers, binaries)
    try:
        check_files(files, expected)
    except FileRefused as refused:
        raise _Refused(refused.status, refused.message) from None
    common = {
        "by": by,
        "raw_payload": xml,
        "payload_format": (
            InterviewVersion.Format.OPENROSA_ENCRYPTED
            if parsed.encrypted
            else InterviewVersion.Format.OPENROSA_XML
        ),
        "device_id": parsed.device_id[:255],
        "via_device": device,
        "expected_attachments": expected,
        "notes": notes,
    }
    received_at = received.received_at if received is not None else None

    if received is not None and not received.version_stored:
        stored = None  # the usual case, read with the row: a new instanceID
    else:
        stored = InterviewVersion.objects.filter(study=study, instance_id=instance_id).first()
    if stored is not None and stored.payload_sha256 == hashlib.sha256(xml).hexdigest():
        result = None  # a phone retrying after a lost reply, or the next part of a split POST
    elif stored is not None:
        # A different body under a stored instanceID: recorded as a conflict, kept.
        result = interview_record(
            study=study,
            client_uuid=instance_id,
            instrument_version=version,
            source=None,
            answers=parsed.answers,
            received_at=received_at,
            **common,
        )
    elif parsed.deprecated_id:
        result = _edit(
            study=study,
            by=by,
            version=version,
            parsed=parsed,
            instance_id=instance_id,
            common=common,
        )
    else:
        source = conducted_at = None
        if not parsed.encrypted:
            source = _source_for(study=study, version=version, answers=parsed.answers)
            conducted_at = _conducted_at(version=version, answers=parsed.answers)
        result = interview_record(
            study=study,
            client_uuid=instance_id,
            instrument_version=version,
            source=source,
            answers=parsed.answers,
            conducted_at=conducted_at,
            strict=False,
            encrypted=parsed.encrypted,
            resend_checked=True,
            received_at=received_at,
            **common,
        )
    if result is not None and result.outcome == "conflict":
        return SubmissionOutcome(
            status=409,
            message=_(
                "%(reason)s (instanceID %(id)s) It was refused and kept for a supervisor "
                "to look at."
            )
            % {"reason": result.conflict.reason, "id": parsed.instance_id},
            interview=result.interview,
        )
    version_row = result.version if result is not None else stored
    interview = result.interview if result is not None else stored.interview
    added, ignored, missing = store_files(version=version_row, files=files)
    if result is not None and result.outcome == "created":
        message = _("Interview received.")
    else:
        message = _("This submission was already received.")
    if missing > 0:
        message += " " + ngettext(
            "%(count)d file is still expected.", "%(count)d files are still expected.", missing
        ) % {"count": missing}
    return SubmissionOutcome(
        status=201,
        message=message,
        interview=interview,
        version=version_row,
        attachments_added=added,
        ignored=ignored,
    )


def _edit(*, study, by, version, parsed, instance_id, common):
    replaced = (
        InterviewVersion.objects.select_related("interview__study")
        .filter(study=study, instance_id=_instance_uuid(parsed.deprecated_id))
        .first()
    )
    if replaced is not None and not can_edit_interview(by, replaced.interview):
        # As if unknown: a field researcher learns nothing of another's interviews.
        replaced = None
    if replaced is None:
        raise _Refused(
            404,
            _("This edit replaces the submission %(id)s, which Fieldwork does not have.")
            % {"id": parsed.deprecated_id},
        )
    interview = replaced.interview
    return interview_edit(
        interview=interview,
        instance_id=instance_id,
        deprecated_id=_instance_uuid(parsed.deprecated_id),
        answers=parsed.answers,
        instrument_version=version,
        strict=False,
        **common,
    )


# --------------------------------------------------------------------------- intake


#: Rows a worker locks and records in one transaction: one commit (and one look for the next
#: rows) for several interviews rather than one each (make bench: openrosa).
RECORD_BATCH = 10


def received_record_pending(*, pause: Callable[[], bool] | None = None) -> int:
    """Record what the phones' intake stored (`fieldwork.openrosa.intake`), oldest first,
    until none waits or `pause()` says to stop for now; returns how many rows were handled.

    Each row is recorded as the synchronous path records a POST (`submission_receive`), with
    the time it arrived: an interview, or a duplicate or conflict of one already stored (the
    row then goes, its body kept by the version or the conflict). A row it refuses stays,
    `refused`, with the reason (`_refuse`). Rows are taken `RECORD_BATCH` at a time, each
    recorded in a savepoint of their transaction, so that one row's failure is only that
    row's. Rows another worker holds are skipped, so any number of workers run this at once;
    run twice, the second finds nothing."""
    handled = 0
    while True:
        with transaction.atomic():
            rows = list(
                _pending()
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")[:RECORD_BATCH]
            )
            if not rows:
                return handled
            for row in rows:
                if pause is not None and pause():
                    return handled  # the rows not reached are let go, still waiting
                _record_one(row)
                handled += 1


def _record_one(row: ReceivedSubmission) -> None:
    try:
        with transaction.atomic():
            _record(row)
    except (OperationalError, InterfaceError):
        raise  # the database is away or busy: the task retries, the batch still waits
    except Exception:
        # A fault of ours, not of the submission: kept apart with a reason, so that the
        # queue goes on and a supervisor can record it again once it is mended.
        logger.exception("received submission %s could not be recorded", row.pk)
        _refuse(
            row,
            reason=in_each_language(
                lambda: _("The server failed while recording it; its log says why.")
            ),
        )


def received_record_waiting(*, study, instance_ids: list[uuid.UUID]) -> None:
    """Record now the rows the intake holds under these instanceIDs, waiting for a worker
    that is recording one of them (its row is then gone)."""
    with transaction.atomic():
        rows = (
            _pending()
            .select_for_update(of=("self",))
            .filter(study=study, instance_id__in=instance_ids)
            .order_by("pk")
        )
        for row in rows:
            _record(row)


def _pending():
    # With the version the intake found, and whether a version holds the instanceID already
    # (the synchronous path stored a re-send while the row waited): recording reads both
    # with the row rather than asking for each.
    stored = InterviewVersion.objects.filter(
        study=OuterRef("study"), instance_id=OuterRef("instance_id")
    )
    return (
        ReceivedSubmission.objects.select_related(
            "study", "submitted_by", "device", "instrument_version__instrument"
        )
        .defer("instrument_version__original_file", "instrument_version__xform_xml")
        .annotate(version_stored=Exists(stored))
        .filter(state=ReceivedSubmission.State.PENDING)
    )


def _record(row: ReceivedSubmission) -> None:
    xml = open_payload(row)
    language = row.submitted_by.language
    # Any message is written as the phone would have read it: in its carrier's language.
    with translation.override(language):
        outcome = submission_receive(
            study=row.study,
            by=row.submitted_by,
            xml=xml,
            files=[],
            device=row.device,
            received=row,
        )
    if outcome.status in (201, 409):
        row.delete()  # in the transaction that stored its version, or its conflict
    else:
        _refuse(row, reason={language: outcome.message})


def _refuse(row: ReceivedSubmission, *, reason: dict[str, str]) -> None:
    """Keep a received submission that could not be recorded, with why (the phone was told
    it was received, and no longer has it): supervisors see it and can record it again."""
    with transaction.atomic():
        row.state = ReceivedSubmission.State.REFUSED
        row.reason = reason
        row.refused_at = timezone.now()
        row.save(update_fields=["state", "reason", "refused_at"])
        audit_record(
            actor=None,
            study=row.study,
            action="submission.not_recorded",
            target=row,
            data={"reason": reason},
        )


@transaction.atomic
def received_retry(*, received: ReceivedSubmission, by) -> ReceivedSubmission:
    """Record a refused submission again (its source consents now, say): it waits among
    the others and a worker is asked to come. Idempotent for a row already waiting."""
    from fieldwork.openrosa.tasks import record_soon

    row = ReceivedSubmission.objects.select_for_update().get(pk=received.pk)
    if row.state == ReceivedSubmission.State.PENDING:
        return row
    row.state = ReceivedSubmission.State.PENDING
    row.reason = {}
    row.refused_at = None
    row.save(update_fields=["state", "reason", "refused_at"])
    audit_record(actor=by, study=row.study, action="submission.retried", target=row)
    transaction.on_commit(record_soon, robust=True)
    return row


def received_open(*, received: ReceivedSubmission, by) -> bytes:
    """A received body's bytes, for a supervisor. Audited: answers leave the server."""
    content = open_payload(received)
    audit_record(
        actor=by,
        study=received.study,
        action="submission.opened",
        target=received,
        data={"sha256": received.payload_sha256},
    )
    return content


#: The name under which a decrypted submission's clear XML is kept (sealed) beside its
#: envelope.
DECRYPTED_XML = "submission.xml"


def submission_apply_decrypted(*, version: InterviewVersion, xml: bytes, media: dict, by):
    """Store what a decryption run opened (the clear XML and media, by name without
    `.enc`): the answers and source, and the clear files, sealed like any attachment. Called
    by `fieldwork.openrosa.keys.submissions_decrypt` on the version row it locked. A source
    without participation consent refuses it (the submission stays encrypted, waiting)."""
    form = version.instrument_version
    repeats, binaries = _repeat_and_binary_paths(form)
    try:
        parsed = parse_submission(xml, repeats=repeats)
        if _instance_uuid(parsed.instance_id) != version.instance_id:
            raise SubmissionError(
                _("The decrypted submission has another instanceID (%(id)s) than its envelope.")
                % {"id": parsed.instance_id}
            )
        source = _source_for(study=version.interview.study, version=form, answers=parsed.answers)
    except _Refused as refused:
        raise ServiceError(refused.message) from None
    except SubmissionError as exc:
        raise ServiceError(str(exc)) from None
    files = [SubmissionFile(name=name, content=content) for name, content in media.items()] + [
        SubmissionFile(name=DECRYPTED_XML, content=xml)
    ]
    interview_decrypted(
        version=version,
        answers=parsed.answers,
        source=source,
        conducted_at=_conducted_at(version=form, answers=parsed.answers),
        files=[*referenced_files(parsed.answers, binaries), DECRYPTED_XML],
        by=by,
    )
    store_files(version=version, files=files)
    return version
