"""Writes about interviews: recording a submission (idempotent on its instanceID), editing it
as a new immutable version, submitting a web draft, reviewing and commenting.

Submissions are never lost: a re-send of the same body answers "duplicate" and writes
nothing; a different body under a stored instanceID is refused and kept as a
`SubmissionConflict` (the service returns outcome "conflict" rather than raising, so the
conflict row commits). The database's unique constraint on (study, instance_id) is the real
guard; the lookup before it only answers re-sends cheaply."""

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldwork.accounts.permissions import Perm, has_perm
from fieldwork.audit.services import audit_record
from fieldwork.core.errors import ServiceError
from fieldwork.core.i18n import in_each_language
from fieldwork.instruments.answers import answer_at, validate_answers
from fieldwork.instruments.models import InstrumentVersion
from fieldwork.instruments.selectors import (
    SOURCE_QUESTION,
    version_form,
    version_source_question,
)
from fieldwork.interviews.models import (
    Attachment,
    Interview,
    InterviewStatus,
    InterviewVersion,
    ReviewEvent,
    SubmissionConflict,
)
from fieldwork.interviews.selectors import conflict_payload, version_payload
from fieldwork.sources.blobs import open_blob, seal_blob
from fieldwork.sources.services import consent_require_participation

Outcome = Literal["created", "duplicate", "conflict"]

#: Review transitions: from a state, the states a reviewer may move an interview to. Draft
#: and edited are reached only by `interview_submit` and `interview_edit`.
ALLOWED: dict[str, frozenset[str]] = {
    InterviewStatus.RECEIVED: frozenset(
        {InterviewStatus.HAS_ISSUES, InterviewStatus.APPROVED, InterviewStatus.REJECTED}
    ),
    InterviewStatus.HAS_ISSUES: frozenset({InterviewStatus.APPROVED, InterviewStatus.REJECTED}),
    InterviewStatus.EDITED: frozenset(
        {InterviewStatus.HAS_ISSUES, InterviewStatus.APPROVED, InterviewStatus.REJECTED}
    ),
    InterviewStatus.APPROVED: frozenset({InterviewStatus.HAS_ISSUES}),
    InterviewStatus.REJECTED: frozenset({InterviewStatus.HAS_ISSUES}),
}

_USABLE_VERSION = (InstrumentVersion.Status.PUBLISHED, InstrumentVersion.Status.RETIRED)


@dataclass(frozen=True)
class RecordResult:
    """What became of a submission. `interview`/`version` are the stored ones (for a
    duplicate, those stored before; for a conflict, the interview the ID belongs to, if
    known); `conflict` is the kept body when refused."""

    interview: Interview | None
    version: InterviewVersion | None
    outcome: Outcome
    conflict: SubmissionConflict | None = None


#: How far ahead of the server's clock a phone's or client's clock may be.
_CLOCK_SLACK = dt.timedelta(days=1)


def conducted_in_future(conducted_at: dt.datetime | None) -> bool:
    """Whether an interview's date is later than any clock of the field could put it:
    today() in the form's rules is the interview's day, and a future one would pass them."""
    return conducted_at is not None and conducted_at > timezone.now() + _CLOCK_SLACK


# --------------------------------------------------------------------------- helpers


def _as_uuid(value, *, field: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).removeprefix("uuid:"))
    except ValueError:
        raise ServiceError(
            {field: [_("“%(value)s” is not a valid instance ID.") % {"value": value}]}
        ) from None


def _stored_version(*, study, instance_id: uuid.UUID) -> InterviewVersion | None:
    return (
        InterviewVersion.objects.select_related("interview")
        .filter(study=study, instance_id=instance_id)
        .first()
    )


def _resend(
    *,
    study,
    by,
    stored: InterviewVersion,
    raw: bytes,
    sha: str,
    payload_format: str,
    received_at: dt.datetime | None = None,
) -> RecordResult:
    """A body under an instanceID already stored: the same body is a duplicate (nothing
    written); another body is a conflict, kept."""
    if _same_body(stored, raw=raw, sha=sha, payload_format=payload_format):
        return RecordResult(interview=stored.interview, version=stored, outcome="duplicate")
    return _conflict(
        study=study,
        by=by,
        instance_id=stored.instance_id,
        interview=stored.interview,
        raw=raw,
        sha=sha,
        payload_format=payload_format,
        reason=_("A different submission is already stored under this instance ID."),
        received_at=received_at,
    )


def _same_body(stored: InterviewVersion, *, raw: bytes, sha: str, payload_format: str) -> bool:
    """The same bytes; or, for JSON from the API, the same document written otherwise (keys
    in another order, other spacing), which a client library may do on a retry."""
    if stored.payload_sha256 == sha:
        return True
    json_format = InterviewVersion.Format.JSON
    if payload_format != json_format or stored.payload_format != json_format:
        return False
    try:
        return json.loads(raw) == json.loads(version_payload(stored))
    except ValueError:
        return False


def _conflict(
    *,
    study,
    by,
    instance_id,
    interview,
    raw: bytes,
    sha: str,
    payload_format: str,
    reason: str,
    received_at: dt.datetime | None = None,
) -> RecordResult:
    kept = SubmissionConflict.objects.filter(
        study=study, instance_id=instance_id, payload_sha256=sha
    ).first()
    if kept is not None:
        # A phone retrying the refused body: one kept copy is enough.
        return RecordResult(interview=interview, version=None, outcome="conflict", conflict=kept)
    conflict = SubmissionConflict(
        study=study,
        interview=interview,
        instance_id=instance_id,
        payload_size=len(raw),
        payload_format=payload_format,
        payload_sha256=sha,
        reason=reason,
        submitted_by=by,
        received_at=received_at or timezone.now(),
    )
    sealed = seal_blob(data=raw, context=conflict.payload_context, compress=True)
    conflict.payload_ciphertext = sealed.ciphertext
    conflict.payload_wrapped_key, conflict.payload_key_id = sealed.wrapped_key, sealed.key_id
    conflict.save(force_insert=True)
    audit_record(
        actor=by,
        study=study,
        action="interview.conflict",
        target=conflict,
        data={"instance_id": str(instance_id), "sha256": sha},
    )
    return RecordResult(interview=interview, version=None, outcome="conflict", conflict=conflict)


def _check_version(*, study, version: InstrumentVersion, instrument=None) -> None:
    if version.instrument.study_id != study.pk:
        raise ServiceError(
            {"instrument_version": [_("This questionnaire version belongs to another study.")]}
        )
    if instrument is not None and version.instrument_id != instrument.pk:
        raise ServiceError(
            {
                "instrument_version": [
                    _("An edit must use a version of the interview's own questionnaire.")
                ]
            }
        )
    if version.status not in _USABLE_VERSION:
        raise ServiceError(
            {
                "instrument_version": [
                    _(
                        "Version “%(version)s” of the questionnaire is a draft; interviews can "
                        "be recorded only with a published or retired version."
                    )
                    % {"version": version.version}
                ]
            }
        )


def _clean_answers(
    *,
    version: InstrumentVersion,
    answers: dict,
    today: dt.date,
    language: str = "",
    strict: bool = True,
) -> tuple[dict[str, Any], list[dict]]:
    """The answers as validation kept them, JSON-ready, and the problems found. Strict (web,
    API, imports): any problem refuses the answers, each message naming its question. Not
    strict (a phone's finalized form, which cannot be corrected any more): the answers are
    kept as sent, unchecked, with the problems beside them for the reviewer."""
    if not isinstance(answers, dict):
        raise ServiceError({"answers": [_("The answers must be a set of named values.")]})
    form = version_form(version=version)
    check = validate_answers(
        questions=form.questions,
        choices=form.choices,
        answers=answers,
        today=today,
        language=language or None,
    )
    if check.errors and strict:
        raise ServiceError({"answers": [p.located() for p in check.errors]})
    kept = answers if check.errors else check.cleaned
    problems = [_kept_problem(p.path or "", p.texts or {"": p.located()}) for p in check.errors]
    return json.loads(json.dumps(kept, cls=DjangoJSONEncoder)), problems


def _kept_problem(path: str, texts: dict[str, str]) -> dict:
    """A problem as an interview version keeps it: the question's path ("" for the whole
    submission) and the message in every interface language (`fieldwork.core.i18n`), read
    by `selectors.version_content_for`."""
    return {"path": path, "text": texts}


def submission_note(build: Callable[[], str]) -> dict:
    """A note kept among a version's problems, about the whole submission (which form
    version it was checked against). `build` writes it in the active language."""
    return _kept_problem("", in_each_language(build))


def _check_source(*, study, version: InstrumentVersion, source) -> None:
    """A questionnaire with a `source_code` question is about a registered source, who must
    have given participation consent; one without may be recorded without a source."""
    if source is None:
        if version_source_question(version=version) is not None:
            raise ServiceError(
                {
                    "source": [
                        _(
                            "This questionnaire is about a source (it has a “%(question)s” "
                            "question): say which source the interview is with."
                        )
                        % {"question": SOURCE_QUESTION}
                    ]
                }
            )
        return
    if source.study_id != study.pk:
        raise ServiceError({"source": [_("This source belongs to another study.")]})
    consent_require_participation(source=source)


def _check_source_answer(*, version: InstrumentVersion, source, answers) -> None:
    """The `source_code` answer, when given, names the interview's own source: otherwise
    the answers would speak of someone whose consent nobody checked."""
    path = version_source_question(version=version)
    if source is None or path is None or not isinstance(answers, dict):
        return
    named = answer_at(answers, path)
    named = named.strip() if isinstance(named, str) else named
    if named in (None, "") or str(named).casefold() == source.code.casefold():
        return
    raise ServiceError(
        {
            "answers": [
                _(
                    "%(question)s: the answer names the source “%(named)s”, but the interview "
                    "is recorded for source %(code)s. Correct one or the other."
                )
                % {"question": path, "named": named, "code": source.code}
            ]
        }
    )


def _payload(raw_payload) -> tuple[bytes, str]:
    raw = bytes(raw_payload)
    return raw, hashlib.sha256(raw).hexdigest()


def _answer_resend(
    *,
    study,
    by,
    instance_id: uuid.UUID,
    raw_payload,
    payload_format: str,
    received_at: dt.datetime | None = None,
) -> tuple[bytes, str, RecordResult | None]:
    """The body and its SHA-256, and, when the instanceID is already stored, the answer to
    the re-send (duplicate or conflict) so that no further work is done. The unique
    constraint still decides races (see the IntegrityError handling of the callers)."""
    raw, sha = _payload(raw_payload)
    _check_format(payload_format)
    stored = _stored_version(study=study, instance_id=instance_id)
    if stored is None:
        return raw, sha, None
    resent = _resend(
        study=study,
        by=by,
        stored=stored,
        raw=raw,
        sha=sha,
        payload_format=payload_format,
        received_at=received_at,
    )
    return raw, sha, resent


def _check_format(payload_format: str) -> None:
    if payload_format not in InterviewVersion.Format.values:
        raise ServiceError(
            {
                "payload_format": [
                    _("Unknown submission format: %(format)s.") % {"format": payload_format}
                ]
            }
        )


def _locked(interview: Interview) -> Interview:
    return Interview.objects.select_for_update().select_related("study").get(pk=interview.pk)


def _status_label(status: str) -> str:
    return str(InterviewStatus(status).label)


# --------------------------------------------------------------------------- record


@transaction.atomic
def interview_record(
    *,
    study,
    by,
    client_uuid,
    instrument_version: InstrumentVersion,
    source,
    answers: dict,
    raw_payload: bytes,
    payload_format: str,
    place=None,
    conducted_at: dt.datetime | None = None,
    language: str = "",
    mode: str = Interview.Mode.FACE_TO_FACE,
    device_id: str = "",
    via_device=None,
    draft: bool = False,
    strict: bool = True,
    expected_attachments: list[str] | None = None,
    encrypted: bool = False,
    notes: list[dict] | None = None,
    resend_checked: bool = False,
    received_at: dt.datetime | None = None,
) -> RecordResult:
    """Record the first submission of an interview, or answer a re-send of one.

    `source` may be None only for a questionnaire without a `source_code` question, or for
    an encrypted submission (`encrypted`: the answers are unknown until a study admin
    decrypts it, and consent is checked then). See `_clean_answers` for `strict`; `notes`
    are kept among the version's problems (e.g. which form version it was checked against).
    `resend_checked`: the caller has just looked the instanceID up and found nothing, so the
    lookup is not repeated (the unique constraint still decides a race). `received_at`:
    when the body arrived, if it was stored before being recorded (phones' intake)."""
    instance_id = _as_uuid(client_uuid, field="client_uuid")
    if resend_checked:
        _check_format(payload_format)
        raw, sha = _payload(raw_payload)
    else:
        raw, sha, resent = _answer_resend(
            study=study,
            by=by,
            instance_id=instance_id,
            raw_payload=raw_payload,
            payload_format=payload_format,
            received_at=received_at,
        )
        if resent is not None:
            return resent

    if place is not None and place.study_id != study.pk:
        raise ServiceError({"place": [_("This place belongs to another study.")]})
    if conducted_in_future(conducted_at):
        raise ServiceError(
            {"conducted_at": [_("An interview cannot have been conducted in the future.")]}
        )
    if mode not in Interview.Mode.values:
        raise ServiceError({"mode": [_("Unknown interview mode: %(mode)s.") % {"mode": mode}]})
    _check_version(study=study, version=instrument_version)
    if encrypted:
        cleaned, problems = None, []  # unknown until a study admin decrypts it
    else:
        _check_source(study=study, version=instrument_version, source=source)
        _check_source_answer(version=instrument_version, source=source, answers=answers)
        today = timezone.localdate(conducted_at) if conducted_at else timezone.localdate()
        cleaned, problems = _clean_answers(
            version=instrument_version,
            answers=answers,
            today=today,
            language=language,
            strict=strict,
        )

    try:
        with transaction.atomic():
            interview = Interview.objects.create(
                study=study,
                client_uuid=instance_id,
                instrument=instrument_version.instrument,
                source=source,
                researcher=by,
                place=place,
                conducted_at=conducted_at,
                language=language,
                mode=mode,
                status=InterviewStatus.DRAFT if draft else InterviewStatus.RECEIVED,
            )
            version = version_create(
                interview=interview,
                number=1,
                instance_id=instance_id,
                deprecated_id=None,
                instrument_version=instrument_version,
                answers=cleaned,
                problems=problems,
                notes=notes,
                raw=raw,
                sha=sha,
                payload_format=payload_format,
                by=by,
                device_id=device_id,
                via_device=via_device,
                expected_attachments=expected_attachments,
                received_at=received_at,
            )
            interview.current_version = version
            interview.save(update_fields=["current_version"])
            # In the same transaction as the interview it records.
            audit_record(
                actor=by,
                study=study,
                action="interview.received",
                target=interview,
                data={
                    "version": 1,
                    "status": interview.status,
                    "sha256": sha,
                    "problems": version.problem_count,
                    "encrypted": encrypted,
                },
            )
    except IntegrityError as error:
        return _resend_after_race(
            error,
            study=study,
            by=by,
            instance_id=instance_id,
            raw=raw,
            sha=sha,
            payload_format=payload_format,
            received_at=received_at,
        )
    return RecordResult(interview=interview, version=version, outcome="created")


def version_create(**fields) -> InterviewVersion:
    """Insert an interview's version (see `version_build` for the fields). The caller is in
    a transaction and handles the IntegrityError of a raced instanceID."""
    version = version_build(**fields)
    version.save(force_insert=True)
    return version


def version_build(
    *,
    interview: Interview,
    number: int,
    instance_id: uuid.UUID,
    deprecated_id: uuid.UUID | None,
    instrument_version: InstrumentVersion,
    answers: dict | None,
    problems: list[dict],
    notes: list[dict] | None,
    raw: bytes,
    sha: str,
    payload_format: str,
    by,
    device_id: str,
    via_device,
    expected_attachments: list[str] | None,
    received_at: dt.datetime | None = None,
) -> InterviewVersion:
    """An interview's version `number`, not saved yet: the body as received (at
    `received_at`, default now) and the answers as checked (None for an encrypted
    submission), with the check's `problems`, all sealed (see `InterviewVersion`); `notes`
    about the submission stay readable."""
    version = InterviewVersion(
        study_id=interview.study_id,
        interview=interview,
        number=number,
        instance_id=instance_id,
        deprecated_id=deprecated_id,
        instrument_version=instrument_version,
        payload_size=len(raw),
        payload_format=payload_format,
        payload_sha256=sha,
        submitted_by=by,
        device_id=device_id,
        via_device=via_device,
        received_at=received_at or timezone.now(),
        problems=list(notes or []),
        problem_count=len(notes or []) + len(problems),
        expected_attachments=list(expected_attachments or []),
    )
    payload = seal_blob(data=raw, context=version.payload_context, compress=True)
    version.payload_ciphertext = payload.ciphertext
    version.payload_wrapped_key, version.payload_key_id = payload.wrapped_key, payload.key_id
    if answers is not None:
        _seal_answers(version, answers=answers, problems=problems)
    return version


def _seal_answers(version: InterviewVersion, *, answers: dict, problems: list[dict]) -> None:
    """Set the version's sealed answers document (not saved here)."""
    sealed = seal_blob(
        data=json.dumps({"answers": answers, "problems": problems}, ensure_ascii=False).encode(),
        context=version.answers_context,
        compress=True,
    )
    version.answers_ciphertext = sealed.ciphertext
    version.answers_wrapped_key, version.answers_key_id = sealed.wrapped_key, sealed.key_id


def _resend_after_race(
    error: IntegrityError,
    *,
    study,
    by,
    instance_id: uuid.UUID,
    raw: bytes,
    sha: str,
    payload_format: str,
    received_at: dt.datetime | None = None,
) -> RecordResult:
    """Another request stored this instanceID between our lookup and our insert: answer as
    for a re-send of what it stored. Any other violation (`error`) is raised again."""
    stored = _stored_version(study=study, instance_id=instance_id)
    if stored is None:
        raise error
    return _resend(
        study=study,
        by=by,
        stored=stored,
        raw=raw,
        sha=sha,
        payload_format=payload_format,
        received_at=received_at,
    )


# --------------------------------------------------------------------------- attachments


def attachment_open(*, attachment: Attachment, by) -> bytes:
    """A sealed file's bytes, for someone who may see the interview. Audited: a voice or a
    face leaves the server."""
    content = open_blob(
        ciphertext=attachment.ciphertext,
        wrapped_key=attachment.wrapped_key,
        key_id=attachment.key_id,
        context=attachment.context,
    )
    audit_record(
        actor=by,
        study=attachment.version.study,
        action="interview.attachment_opened",
        target=attachment.version.interview,
        data={"version": attachment.version.number, "file": attachment.name},
    )
    return content


def conflict_open(*, conflict: SubmissionConflict, by) -> bytes:
    """A refused submission's body exactly as it arrived, for a reviewer. Audited before it
    leaves: it holds the answers, identifiers included."""
    audit_record(
        actor=by,
        study=conflict.study,
        action="interview.conflict_opened",
        target=conflict.interview,
        data={"conflict": conflict.pk, "instance_id": str(conflict.instance_id)},
    )
    return conflict_payload(conflict)


# --------------------------------------------------------------------------- decrypted


def interview_decrypted(
    *,
    version: InterviewVersion,
    answers: dict,
    source,
    conducted_at: dt.datetime | None,
    files: list[str],
    by,
) -> InterviewVersion:
    """Fill in an encrypted submission's answers once a study admin's decryption run opened
    it. The caller holds the version row locked (select_for_update) in its transaction. The
    answers are kept as the phone sent them, with what the check found (as for any phone
    submission); `files` are the clear files now expected beside the encrypted ones."""
    if version.decrypted_at is not None:
        return version
    if source is not None:
        _check_source(
            study=version.interview.study, version=version.instrument_version, source=source
        )
    today = timezone.localdate(conducted_at) if conducted_at else timezone.localdate()
    cleaned, problems = _clean_answers(
        version=version.instrument_version, answers=answers, today=today, strict=False
    )
    expected = [
        *version.expected_attachments,
        *[f for f in files if f not in version.expected_attachments],
    ]
    now = timezone.now()
    # The version stays immutable for everything a phone sent; this fills in, once.
    _seal_answers(version, answers=cleaned, problems=problems)
    count = len(version.problems) + len(problems)
    InterviewVersion.objects.filter(pk=version.pk, decrypted_at__isnull=True).update(
        answers_ciphertext=version.answers_ciphertext,
        answers_wrapped_key=version.answers_wrapped_key,
        answers_key_id=version.answers_key_id,
        problem_count=count,
        expected_attachments=expected,
        decrypted_at=now,
    )
    version.problem_count = count
    version.expected_attachments, version.decrypted_at = expected, now
    interview = version.interview
    changed = []
    if interview.current_version_id == version.pk:
        if source is not None and interview.source_id is None:
            interview.source = source
            changed.append("source")
        if conducted_at is not None and interview.conducted_at is None:
            interview.conducted_at = conducted_at
            changed.append("conducted_at")
    if changed:
        interview.save(update_fields=[*changed, "updated_at"])
    audit_record(
        actor=by,
        study=interview.study,
        action="interview.decrypted",
        target=interview,
        data={"version": version.number, "problems": len(problems)},
    )
    return version


# --------------------------------------------------------------------------- edit


@transaction.atomic
def interview_edit(
    *,
    interview: Interview,
    by,
    instance_id,
    deprecated_id,
    answers: dict,
    raw_payload: bytes,
    payload_format: str,
    instrument_version: InstrumentVersion | None = None,
    device_id: str = "",
    via_device=None,
    strict: bool = True,
    expected_attachments: list[str] | None = None,
    notes: list[dict] | None = None,
) -> RecordResult:
    """Store an edit as the interview's next immutable version. `deprecated_id` must name
    the current version: an edit of an out-of-date version is a conflict, kept."""
    study = interview.study
    instance_id = _as_uuid(instance_id, field="instance_id")
    deprecated_id = _as_uuid(deprecated_id, field="deprecated_id")
    raw, sha, resent = _answer_resend(
        study=study,
        by=by,
        instance_id=instance_id,
        raw_payload=raw_payload,
        payload_format=payload_format,
    )
    if resent is not None:
        return resent

    interview = _locked(interview)
    current = InterviewVersion.objects.select_related("instrument_version").get(
        pk=interview.current_version_id
    )
    if deprecated_id != current.instance_id:
        return _conflict(
            study=study,
            by=by,
            instance_id=instance_id,
            interview=interview,
            raw=raw,
            sha=sha,
            payload_format=payload_format,
            reason=_(
                "This edit replaces a version that is no longer the current one; it was made "
                "from an out-of-date copy of the interview."
            ),
        )
    version_used = instrument_version or current.instrument_version
    _check_version(study=study, version=version_used, instrument=interview.instrument)
    _check_source_answer(version=version_used, source=interview.source, answers=answers)
    today = (
        timezone.localdate(interview.conducted_at)
        if interview.conducted_at
        else timezone.localdate()
    )
    cleaned, problems = _clean_answers(
        version=version_used,
        answers=answers,
        today=today,
        language=interview.language,
        strict=strict,
    )

    try:
        with transaction.atomic():
            version = version_create(
                interview=interview,
                number=current.number + 1,
                instance_id=instance_id,
                deprecated_id=deprecated_id,
                instrument_version=version_used,
                answers=cleaned,
                problems=problems,
                notes=notes,
                raw=raw,
                sha=sha,
                payload_format=payload_format,
                by=by,
                device_id=device_id,
                via_device=via_device,
                expected_attachments=expected_attachments,
            )
    except IntegrityError as error:
        return _resend_after_race(
            error,
            study=study,
            by=by,
            instance_id=instance_id,
            raw=raw,
            sha=sha,
            payload_format=payload_format,
        )
    before = interview.status
    after = InterviewStatus.DRAFT if before == InterviewStatus.DRAFT else InterviewStatus.EDITED
    interview.current_version = version
    interview.status = after
    interview.answered = False  # "edited" waits for a reviewer by its state
    interview.save(update_fields=["current_version", "status", "answered", "updated_at"])
    if before != after:
        ReviewEvent.objects.create(interview=interview, from_status=before, to_status=after, by=by)
    audit_record(
        actor=by,
        study=study,
        action="interview.edited",
        target=interview,
        data={"version": version.number, "from": before, "to": after, "sha256": sha},
    )
    return RecordResult(interview=interview, version=version, outcome="created")


# --------------------------------------------------------------------------- review


@transaction.atomic
def interview_submit(*, interview: Interview, by) -> Interview:
    """Send a web draft for review. Re-submitting a received interview changes nothing."""
    interview = _locked(interview)
    if interview.status == InterviewStatus.RECEIVED:
        return interview
    if interview.status != InterviewStatus.DRAFT:
        raise ServiceError(
            _("Only a draft can be submitted; this interview is “%(status)s”.")
            % {"status": _status_label(interview.status)}
        )
    if interview.source is not None:
        consent_require_participation(source=interview.source)
    interview.status = InterviewStatus.RECEIVED
    interview.save(update_fields=["status", "updated_at"])
    ReviewEvent.objects.create(
        interview=interview,
        from_status=InterviewStatus.DRAFT,
        to_status=InterviewStatus.RECEIVED,
        by=by,
    )
    audit_record(actor=by, study=interview.study, action="interview.submitted", target=interview)
    return interview


def _check_approvable(interview: Interview) -> None:
    """Approval needs the answers and, for a questionnaire about a source, the source (with
    consent checked): an encrypted submission waits for its decryption first."""
    current = InterviewVersion.objects.only(
        "payload_format", "decrypted_at", "instrument_version_id"
    ).get(pk=interview.current_version_id)
    if (
        current.payload_format == InterviewVersion.Format.OPENROSA_ENCRYPTED
        and current.decrypted_at is None
    ):
        raise ServiceError(
            {
                "to": [
                    _(
                        "This interview is still encrypted: a study admin must decrypt it "
                        "before it can be approved."
                    )
                ]
            }
        )
    if interview.source_id is None and version_source_question(version=current.instrument_version):
        raise ServiceError(
            {"to": [_("This interview names no source yet, so it cannot be approved.")]}
        )


@transaction.atomic
def interview_review(*, interview: Interview, by, to: str, comment: str = "") -> Interview:
    """Move an interview along the review states (see `ALLOWED`), with a comment."""
    interview = _locked(interview)
    comment = (comment or "").strip()
    if to not in InterviewStatus.values:
        raise ServiceError({"to": [_("Unknown review state: %(state)s.") % {"state": to}]})
    before = interview.status
    if to not in ALLOWED.get(before, frozenset()):
        raise ServiceError(
            {
                "to": [
                    _("An interview that is “%(from)s” cannot be marked “%(to)s”.")
                    % {"from": _status_label(before), "to": _status_label(to)}
                ]
            }
        )
    if to == InterviewStatus.APPROVED:
        _check_approvable(interview)
    if to == InterviewStatus.HAS_ISSUES and not comment:
        raise ServiceError(
            {"comment": [_("Say what the issues are, so that the field researcher can fix them.")]}
        )
    interview.status = to
    interview.answered = False  # a reviewer has moved it: nothing waits for an answer now
    interview.save(update_fields=["status", "answered", "updated_at"])
    ReviewEvent.objects.create(
        interview=interview, from_status=before, to_status=to, comment=comment, by=by
    )
    audit_record(
        actor=by,
        study=interview.study,
        action="interview.reviewed",
        target=interview,
        data={"from": before, "to": to},
    )
    return interview


@transaction.atomic
def interview_comment(*, interview: Interview, by, text: str) -> ReviewEvent:
    """A comment on an interview without a change of state."""
    text = (text or "").strip()
    if not text:
        raise ServiceError({"text": [_("Write a comment before sending it.")]})
    interview = _locked(interview)
    event = ReviewEvent.objects.create(
        interview=interview,
        from_status=interview.status,
        to_status=interview.status,
        comment=text,
        by=by,
    )
    # The field researcher's answer to "has issues" waits for a reviewer; a reviewer's own
    # comment does not.
    answered = interview.status == InterviewStatus.HAS_ISSUES and not has_perm(
        by, interview.study, Perm.INTERVIEW_REVIEW
    )
    if answered != interview.answered:
        interview.answered = answered
        interview.save(update_fields=["answered", "updated_at"])
    audit_record(actor=by, study=interview.study, action="interview.commented", target=interview)
    return event
