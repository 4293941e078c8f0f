"""The phones' intake: ODK Collect's usual POST answered once its body is stored.

A phone that comes back into coverage sends every form it kept, and a team's phones often
do so at once. ODK Central answers a submission once it has stored it; so does this path:
the body is sealed and INSERTed into `ReceivedSubmission` by one statement that also checks
the device, its carrier's role, the form version and the instanceID, and the phone gets its
201. A worker then records it as an interview (`services.received_record_pending`: the
server's check of every answer, the interview, its version, the audit event), as the
synchronous path would have.

Only the plain case takes this path: a device token in the URL, one XML part and no file,
neither sent nor named by the answers, a new instanceID, no edit, a clear (unencrypted)
form whose version the phone names exactly, and a source (for a form about one) who
consents. Anything else, and any doubt, returns None and the full path in `services`
answers, with every message it has always given. Whatever this path accepts, that path
would have accepted too: the checks that can refuse a phone's form run here, before the 201,
so the phone keeps a form it must correct."""

import datetime as dt
import functools
import hashlib
import threading
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldwork.accounts.models import Membership, User
from fieldwork.accounts.permissions import PERM_ROLES, Perm
from fieldwork.instruments.models import InstrumentVersion
from fieldwork.instruments.selectors import VersionForm, version_form
from fieldwork.instruments.specs import BINARY_TYPES
from fieldwork.interviews.models import InterviewVersion
from fieldwork.interviews.services import conducted_in_future
from fieldwork.openrosa.models import Device, ReceivedSubmission, received_context, token_digest
from fieldwork.openrosa.services import (
    USABLE_VERSIONS,
    SubmissionOutcome,
    _instance_uuid,
    _named_source,
    _Refused,
    _started_at,
    device_seen,
)
from fieldwork.openrosa.submission import SubmissionError, parse_submission, referenced_files
from fieldwork.openrosa.tasks import record_soon
from fieldwork.sources.blobs import seal_blob

#: Entries kept in each of this process's caches below, before they are emptied.
_KEPT = 256


@dataclass(frozen=True)
class _Phone:
    """What a device token names; none of it ever changes for a device (revocation, the
    carrier's role and account are checked by the INSERT itself)."""

    device_id: int
    study_id: int
    slug: str
    researcher_id: int


@dataclass(frozen=True)
class _Form:
    """What accepting a submission reads of a usable version; fixed once it is uploaded
    (whether it is still usable is checked by the INSERT itself)."""

    version_id: int
    spec: VersionForm
    encrypted: bool
    repeats: tuple[str, ...]
    binaries: tuple[str, ...]


# Per process, without expiry: what they hold cannot go stale (see the classes above). A
# token or form not found is not kept, so a new one works at once.
_phones: dict[str, _Phone] = {}
_forms: dict[tuple[int, str, str], _Form] = {}
_seen: dict[int, dt.datetime] = {}
_lock = threading.Lock()


def _remember(store: dict, key, value):
    with _lock:
        if len(store) >= _KEPT:
            store.clear()
        store[key] = value
    return value


def _phone(digest: str) -> _Phone | None:
    phone = _phones.get(digest)
    if phone is None:
        row = (
            Device.objects.filter(token_sha256=digest)
            .values_list("pk", "study_id", "study__slug", "researcher_id")
            .first()
        )
        if row is None:
            return None
        phone = _remember(_phones, digest, _Phone(*row))
    return phone


def _form(study_id: int, form_id: str, version: str) -> _Form | None:
    key = (study_id, form_id, version)
    form = _forms.get(key)
    if form is None:
        found = (
            InstrumentVersion.objects.only("pk", "xform_md5", "form_settings")
            .filter(
                instrument__study_id=study_id,
                instrument__form_id=form_id,
                version=version,
                status__in=USABLE_VERSIONS,
            )
            .first()
        )
        if found is None:
            return None
        spec = version_form(version=found)
        form = _remember(
            _forms,
            key,
            _Form(
                version_id=found.pk,
                spec=spec,
                encrypted=bool((found.form_settings or {}).get("public_key")),
                repeats=tuple(spec.paths(["repeat"])),
                binaries=tuple(spec.paths(BINARY_TYPES)),
            ),
        )
    return form


@functools.cache
def _accept_statement() -> str:
    """INSERT the received body if, at this instant, the device is not revoked, its carrier
    is an active member whose role records interviews (`Perm.INTERVIEW_RECORD`, as
    `has_perm` reads it), the version is still usable, and the study has no version under
    this instanceID; the unique (study, instanceID) of the table refuses a second row.
    Named parameters: each value is sent once however often the statement uses it."""
    q = connection.ops.quote_name
    roles = _literals(sorted(PERM_ROLES[Perm.INTERVIEW_RECORD]))
    usable = _literals(USABLE_VERSIONS)
    values = {
        "study_id": "%(study)s",
        "instance_id": "%(instance)s",
        "instrument_version_id": "%(version)s",
        "device_id": "%(device)s",
        "submitted_by_id": "%(researcher)s",
        "state": _literals([ReceivedSubmission.State.PENDING]),
        "payload_ciphertext": "%(ciphertext)s",
        "payload_wrapped_key": "%(wrapped_key)s",
        "payload_key_id": "%(key_id)s",
        "payload_size": "%(size)s",
        "payload_sha256": "%(sha256)s",
        "received_at": "%(received_at)s",
        "reason": "'{}'",  # no reason: JSON's empty object
    }
    # Single-table conditions rather than a join: less for PostgreSQL to plan on every POST
    # (make bench: openrosa).
    return (
        f"INSERT INTO {q(ReceivedSubmission._meta.db_table)} ({', '.join(values)}) "
        f"SELECT {', '.join(values.values())} "
        f"WHERE EXISTS (SELECT 1 FROM {q(Device._meta.db_table)} "
        "WHERE id = %(device)s AND revoked_at IS NULL) "
        f"AND EXISTS (SELECT 1 FROM {q(User._meta.db_table)} "
        "WHERE id = %(researcher)s AND is_active) "
        f"AND EXISTS (SELECT 1 FROM {q(Membership._meta.db_table)} "
        f"WHERE user_id = %(researcher)s AND study_id = %(study)s AND role IN ({roles})) "
        f"AND EXISTS (SELECT 1 FROM {q(InstrumentVersion._meta.db_table)} "
        f"WHERE id = %(version)s AND status IN ({usable})) "
        f"AND NOT EXISTS (SELECT 1 FROM {q(InterviewVersion._meta.db_table)} "
        "WHERE study_id = %(study)s AND instance_id = %(instance)s) "
        "ON CONFLICT DO NOTHING RETURNING id"
    )


def _literals(choices) -> str:
    """Choice values (plain identifiers) as an SQL list of string literals."""
    values = [str(choice) for choice in choices]
    assert all(value.isidentifier() for value in values), values
    return ", ".join(f"'{value}'" for value in values)


def submission_accept(*, token: str, slug: str, xml: bytes) -> SubmissionOutcome | None:
    """Store the plain phone submission `xml` for recording and answer it, or None when the
    full path must answer (see the module's docstring). The caller checked the request's
    headers and size, and that `xml` is its only part."""
    phone = _phone(token_digest(token))
    if phone is None or phone.slug != slug:
        return None
    try:
        head = parse_submission(xml, answers=False)
    except SubmissionError:
        return None
    if head.encrypted or head.deprecated_id:
        return None
    form = _form(phone.study_id, head.form_id, head.version)
    if form is None or form.encrypted:
        return None
    spec = form.spec
    if form.binaries or spec.source_question or spec.start_question:
        answers = head.with_answers(form.repeats).answers
        if referenced_files(answers, form.binaries):
            return None  # its files come with it, by the full path
        if spec.start_question and conducted_in_future(_started_at(spec.start_question, answers)):
            return None
        if spec.source_question:
            try:
                _named_source(study_id=phone.study_id, path=spec.source_question, answers=answers)
            except _Refused:
                return None
    instance_id = _instance_uuid(head.instance_id)
    sealed = seal_blob(
        data=xml,
        context=received_context(study_id=phone.study_id, instance_id=instance_id),
        compress=True,
    )
    stored = _insert(
        _accept_statement(),
        {
            "study": phone.study_id,
            "instance": instance_id,
            "version": form.version_id,
            "device": phone.device_id,
            "researcher": phone.researcher_id,
            "ciphertext": sealed.ciphertext,
            "wrapped_key": sealed.wrapped_key,
            "key_id": sealed.key_id,
            "size": len(xml),
            "sha256": hashlib.sha256(xml).hexdigest(),
            "received_at": timezone.now(),
        },
    )
    if stored is None:
        return None  # revoked, no longer a recorder, retired form, or a known instanceID
    seen = device_seen(device_id=phone.device_id, last_seen_at=_seen.get(phone.device_id))
    if seen is not None:  # this process writes it once a minute at most
        _remember(_seen, phone.device_id, seen)
    transaction.on_commit(record_soon, robust=True)
    return SubmissionOutcome(status=201, message=_("Interview received."))


def _insert(statement: str, values: dict):
    """Run the accepting statement. On PostgreSQL its values are bound on the server (the
    body sent as binary), which Django's client-side binding does not do, and it is a
    prepared statement, planned once per connection, unless the settings turn prepared
    statements off (`DATABASE_PREPARED_STATEMENTS`). Elsewhere the values go through the
    model's fields, as Django would save them."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(statement, _db_values(values))
            return cursor.fetchone()
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(statement, values, prepare=True)
        return cursor.fetchone()


def _db_values(values: dict) -> dict:
    """The values as this database stores them (SQLite: a UUID as hex, an aware time as
    text), through the fields they are saved into."""
    fields = {
        "instance": "instance_id",
        "ciphertext": "payload_ciphertext",
        "wrapped_key": "payload_wrapped_key",
        "received_at": "received_at",
    }
    get = ReceivedSubmission._meta.get_field
    return {
        name: get(fields[name]).get_db_prep_save(value, connection) if name in fields else value
        for name, value in values.items()
    }


def forget_cached() -> None:
    """Empty this process's caches (tests that reuse primary keys across databases)."""
    with _lock:
        _phones.clear()
        _forms.clear()
        _seen.clear()
