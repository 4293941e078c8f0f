"""Writes about imports: preview an export (read and check every row, write no interview),
then import it as interviews, every row or nothing, or the valid rows only.

Each row becomes an interview through `interview_record`, the path phones and the API take:
the same validation, consent check and idempotence on the instance ID. A row's raw payload is
the row itself as canonical JSON, so importing the same file again finds every row already
stored ("duplicate") and writes nothing; a row whose ID is stored with other content is
refused and kept as a conflict, as a phone's would be. The uploaded file is kept, sealed, with
its batch: nothing in it is lost, imported or not."""

import datetime as dt
import hashlib
import io
import json
import logging
import math
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fieldwork.audit.services import audit_record
from fieldwork.core.errors import ServiceError
from fieldwork.imports.exports import ExportError, ExportReading, ExportRecord, read_export
from fieldwork.imports.models import ImportBatch
from fieldwork.instruments.answers import answer_at, validate_answers
from fieldwork.instruments.models import InstrumentVersion
from fieldwork.instruments.selectors import (
    choices_to_specs,
    questions_to_specs,
    version_choices,
    version_questions,
    version_source_question,
)
from fieldwork.interviews.models import InterviewVersion
from fieldwork.interviews.selectors import interview_version_diff, version_content
from fieldwork.interviews.services import interview_record
from fieldwork.sources.blobs import open_blob, seal_blob
from fieldwork.sources.models import Source
from fieldwork.sources.services import consent_require_participation

logger = logging.getLogger(__name__)

#: Larger than the exports we know of (800 rows of the Ona tutorial are 300 kB); the limit
#: keeps a wrong file from filling the database.
MAX_IMPORT_BYTES = 20 * 1024 * 1024
#: Every row is checked at the preview and again at the import, in the request.
MAX_ROWS = 10_000
#: Differences listed for a row in conflict: enough to see what differs, not a second copy.
MAX_DIFFERENCES = 50
#: Unmatched columns named in the warning that the export seems to be of another form.
FOREIGN_EXAMPLES = 3

_USABLE = (InstrumentVersion.Status.PUBLISHED, InstrumentVersion.Status.RETIRED)

# Row statuses. At the preview: new, duplicate, conflict or error; after the import: created,
# duplicate, conflict or skipped (left out for its errors).
NEW, DUPLICATE, CONFLICT, ERROR = "new", "duplicate", "conflict", "error"
CREATED, SKIPPED = "created", "skipped"


@dataclass(frozen=True)
class ExportFile:
    """One uploaded file. `size` is the size the upload declares, when known: the caller may
    read no more of a file than is needed to tell it is too large."""

    name: str
    content: bytes
    size: int | None = None


@dataclass(frozen=True)
class RowResult:
    table: str
    row: int
    instance_id: str
    derived_id: bool
    status: str
    submitted_at: str  # ISO 8601, "" when the export has none
    submitted_by: str  # as the export names them: not a Fieldwork user
    errors: tuple[tuple[str, str], ...] = ()  # (column, message)
    interview: str = ""  # the interview's UUID once imported (or the one already stored)
    #: For a row in conflict: (answer path, value stored, value in the file), as text ("" for
    #: no answer), at most MAX_DIFFERENCES of them.
    differences: tuple[tuple[str, str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "row": self.row,
            "instance_id": self.instance_id,
            "derived_id": self.derived_id,
            "status": self.status,
            "submitted_at": self.submitted_at,
            "submitted_by": self.submitted_by,
            "errors": [list(e) for e in self.errors],
            "interview": self.interview,
            "differences": [list(d) for d in self.differences],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "RowResult":
        return cls(
            table=data["table"],
            row=data["row"],
            instance_id=data["instance_id"],
            derived_id=data["derived_id"],
            status=data["status"],
            submitted_at=data["submitted_at"],
            submitted_by=data["submitted_by"],
            errors=tuple((c, m) for c, m in data["errors"]),
            interview=data.get("interview", ""),
            differences=tuple((p, s, f) for p, s, f in data.get("differences", [])),
        )


@dataclass(frozen=True)
class FileProblem:
    table: str
    row: int | None
    column: str
    message: str


@dataclass(frozen=True)
class ImportResults:
    """What the preview (or the import) found, row by row, and about the file."""

    rows: tuple[RowResult, ...]
    problems: tuple[FileProblem, ...] = ()
    ignored_columns: tuple[str, ...] = ()
    unmatched_columns: tuple[str, ...] = ()
    matched_columns: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": [r.to_json() for r in self.rows],
            "problems": [[p.table, p.row, p.column, p.message] for p in self.problems],
            "ignored_columns": list(self.ignored_columns),
            "unmatched_columns": list(self.unmatched_columns),
            "matched_columns": list(self.matched_columns),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ImportResults":
        return cls(
            rows=tuple(RowResult.from_json(r) for r in data["rows"]),
            problems=tuple(FileProblem(*p) for p in data["problems"]),
            ignored_columns=tuple(data["ignored_columns"]),
            unmatched_columns=tuple(data["unmatched_columns"]),
            matched_columns=tuple(data.get("matched_columns", [])),
        )

    def count(self, *statuses: str) -> int:
        return sum(1 for r in self.rows if r.status in statuses)


# --------------------------------------------------------------------------- files


def _bundle(files: Sequence[ExportFile]) -> tuple[bytes, str, str]:
    """(bytes to keep, format, name) of the upload. Several files are an ODK export's main
    CSV and its repeats' CSVs: they are kept together in a zip, as ODK Central sends them,
    so that the import reads exactly what the preview read."""
    if not files:
        raise ServiceError({"files": [_("Choose the export file to import.")]})
    if len(files) == 1:
        suffix = PurePosixPath(files[0].name).suffix.lower().lstrip(".")
        kind = {"xlsm": "xlsx"}.get(suffix, suffix)
        if kind not in ImportBatch.Format.values:
            raise ServiceError(
                {
                    "files": [
                        _(
                            "“%(name)s” is not an export Fieldwork reads: send a .csv, .xlsx, "
                            ".zip (ODK Central) or .json (KoboToolbox) file."
                        )
                        % {"name": files[0].name}
                    ]
                }
            )
        return files[0].content, kind, files[0].name
    names = [f.name for f in files]
    if any(PurePosixPath(n).suffix.lower() != ".csv" for n in names):
        raise ServiceError(
            {
                "files": [
                    _(
                        "Several files can only be the CSV files of one ODK export (the main "
                        "file and those of its repeats). Send an XLSX, a zip or a JSON file "
                        "on its own."
                    )
                ]
            }
        )
    if len(set(names)) != len(names):
        raise ServiceError({"files": [_("Two of the files have the same name.")]})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for f in sorted(files, key=lambda f: f.name):
            info = zipfile.ZipInfo(PurePosixPath(f.name).name, date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, f.content)
    return out.getvalue(), ImportBatch.Format.ZIP, ", ".join(names)


def _megabytes(size: int) -> str:
    """A size in MB for a message, rounded up: a file over the limit never reads as the
    limit itself."""
    tenths = math.ceil(size * 10 / 1024 / 1024)
    return number_format(tenths / 10, decimal_pos=0 if tenths % 10 == 0 else 1)


def _check_size(export_file: ExportFile) -> None:
    """Refuse a file over MAX_IMPORT_BYTES, with its real size when the upload declares it
    (its `content` may stop just past the limit)."""
    declared = export_file.size
    if len(export_file.content) <= MAX_IMPORT_BYTES and (
        declared is None or declared <= MAX_IMPORT_BYTES
    ):
        return
    if declared is not None and declared > MAX_IMPORT_BYTES:
        message = _("“%(name)s” is %(size)s MB; Fieldwork imports files of at most %(max)s MB.") % {
            "name": export_file.name,
            "size": _megabytes(declared),
            "max": _megabytes(MAX_IMPORT_BYTES),
        }
    else:
        message = _(
            "“%(name)s” is larger than %(max)s MB, the most Fieldwork imports at a time."
        ) % {"name": export_file.name, "max": _megabytes(MAX_IMPORT_BYTES)}
    raise ServiceError({"files": [message]}, code="too_large")


def _stored_name(batch: ImportBatch) -> str:
    """The name to read the kept bytes under: the uploaded file's (rows name their file), or
    for several CSV files kept as one zip, any name ending in .zip (its members keep theirs)."""
    name = batch.original_filename
    if PurePosixPath(name).suffix.lower().lstrip(".") in (batch.file_format, "xlsm"):
        return name
    return f"export.{batch.file_format}"


def _read(*, version: InstrumentVersion, name: str, content: bytes) -> ExportReading:
    try:
        reading = read_export(
            files=[(name, content)],
            questions=questions_to_specs(version_questions(version=version)),
            choices=choices_to_specs(version_choices(version=version)),
        )
    except ExportError as exc:
        raise ServiceError({"files": [str(exc)]}, code="unreadable") from None
    if not reading.records:
        raise ServiceError(
            {"files": [_("The export holds no submission: there is nothing to import.")]},
            code="empty",
        )
    if len(reading.records) > MAX_ROWS:
        raise ServiceError(
            {
                "files": [
                    _(
                        "The export holds %(count)s submissions; Fieldwork imports up to "
                        "%(max)s at a time. Split it and import each part."
                    )
                    % {"count": len(reading.records), "max": MAX_ROWS}
                ]
            },
            code="too_many_rows",
        )
    return reading


# --------------------------------------------------------------------------- checks


def _check_version(*, study, version: InstrumentVersion) -> None:
    if version.instrument.study_id != study.pk:
        raise ServiceError(
            {"instrument_version": [_("This questionnaire version belongs to another study.")]}
        )
    if version.status not in _USABLE:
        raise ServiceError(
            {
                "instrument_version": [
                    _(
                        "Version “%(version)s” of the questionnaire is a draft: publish it "
                        "before importing interviews made with it."
                    )
                    % {"version": version.version}
                ]
            }
        )


def _moment(record: ExportRecord) -> dt.datetime | None:
    """When the interview took place, as well as the export says: the form's `start`, else
    when it was submitted."""
    return record.started_at or record.submitted_at


def _sources(*, study, version, records: Sequence[ExportRecord]) -> tuple[str, dict]:
    """The path of the version's source question ("" when it has none) and the study's
    sources the export names, by code."""
    path = version_source_question(version=version) or ""
    if not path:
        return "", {}
    codes = {str(answer_at(r.answers, path) or "").strip().upper() for r in records} - {""}
    found = Source.objects.filter(study=study, code__in=codes)
    # Codes are upper case; a code typed in lower case names the same source, as on phones.
    return path, {s.code.upper(): s for s in found}


def _service_messages(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def _row_error(record: ExportRecord, place, message: str) -> tuple[str, str]:
    """(column, message) of an error listed under the record's row. One found in a repeat's
    file or sheet names that file or sheet and its row, since the row it is listed under is
    the main table's. `place` has the table, row and column (a RowProblem or a Place), or is
    None when the file has no place for the error."""
    if place is None:
        return "", message
    if place.table == record.table and place.row == record.row:
        return place.column, message
    return place.column, _("%(table)s, row %(row)s: %(message)s") % {
        "table": place.table,
        "row": place.row,
        "message": message,
    }


def _differences(stored: dict, in_file: dict) -> tuple[tuple[str, str, str], ...]:
    """What a row in conflict answers otherwise than the stored interview, both as stored
    (JSON): (path, stored value, value in the file)."""
    return tuple(
        (path, _as_text(before), _as_text(after))
        for path, before, after in interview_version_diff(stored, in_file)[:MAX_DIFFERENCES]
    )


def _as_text(value: Any) -> str:
    return "" if value is None else str(value)


def _evaluate(*, study, version: InstrumentVersion, reading: ExportReading) -> ImportResults:
    """Check every row as `interview_record` will, without writing: the answers against the
    version, the source and its consent, and whether its instance ID is stored already."""
    questions = questions_to_specs(version_questions(version=version))
    choices = choices_to_specs(version_choices(version=version))
    records = reading.records
    source_path, sources = _sources(study=study, version=version, records=records)
    ids = {uuid.UUID(r.instance_id[5:]) for r in records if r.instance_id}
    stored, interviews, stored_versions = {}, {}, {}
    for stored_version in (
        InterviewVersion.objects.filter(study=study, instance_id__in=ids)
        .select_related("interview")
        .defer("payload_ciphertext")
    ):
        instance_id = stored_version.instance_id
        stored[instance_id] = stored_version.payload_sha256
        interviews[instance_id] = stored_version.interview.client_uuid
        stored_versions[instance_id] = stored_version
    seen: dict[str, tuple[int, str]] = {}
    rows = []
    for record in records:
        errors = [_row_error(record, p, p.message) for p in record.problems]
        moment = _moment(record)
        check = validate_answers(
            questions=questions,
            choices=choices,
            answers=record.answers,
            today=timezone.localdate(moment) if moment else timezone.localdate(),
        )
        errors += [_row_error(record, *record.locate(p.message)) for p in check.errors]
        if source_path:
            code = str(answer_at(record.answers, source_path) or "").strip()
            column = record.column_of(source_path)
            if not code:
                errors.append(
                    (
                        column,
                        _("This questionnaire is about a source: the row names none."),
                    )
                )
            elif code.upper() not in sources:
                errors.append(
                    (
                        column,
                        _("No source of this study has the code “%(code)s”.") % {"code": code},
                    )
                )
            else:
                try:
                    consent_require_participation(source=sources[code.upper()])
                except ValidationError as exc:
                    errors += [(column, m) for m in _service_messages(exc)]
        sha = hashlib.sha256(record.payload).hexdigest()
        status, interview, differences = NEW, "", ()
        key = record.instance_id
        if key and key in seen:
            first_row, first_sha = seen[key]
            if first_sha != sha:
                errors.append(
                    (
                        "",
                        _(
                            "Row %(row)s of this export has the same instance ID with other "
                            "answers; only one of them can be imported."
                        )
                        % {"row": first_row},
                    )
                )
            else:
                status = DUPLICATE
        elif key:
            seen[key] = (record.row, sha)
            stored_sha = stored.get(uuid.UUID(key[5:]))
            if stored_sha is not None:
                # Idempotent by instance ID: the same row, or the same answers in another
                # export's layout (another export, or an interview a phone already sent),
                # is already there; only other answers are a conflict.
                status = DUPLICATE
                if stored_sha != sha:
                    as_stored = json.loads(json.dumps(check.cleaned, cls=DjangoJSONEncoder))
                    stored_answers = version_content(stored_versions[uuid.UUID(key[5:])])[0]
                    if as_stored != stored_answers:
                        status = CONFLICT
                        differences = _differences(stored_answers, as_stored)
                interview = str(interviews.get(uuid.UUID(key[5:]), ""))
        if errors:
            status = ERROR
        rows.append(
            RowResult(
                table=record.table,
                row=record.row,
                instance_id=record.instance_id,
                derived_id=record.derived_id,
                status=status,
                submitted_at=record.submitted_at.isoformat() if record.submitted_at else "",
                submitted_by=record.submitted_by[:150],
                errors=tuple(errors),
                interview=interview,
                differences=differences if status == CONFLICT else (),
            )
        )
    return ImportResults(
        rows=tuple(rows),
        problems=tuple(FileProblem(p.table, p.row, p.column, p.message) for p in reading.problems),
        ignored_columns=reading.ignored_columns,
        unmatched_columns=reading.unmatched_columns,
        matched_columns=reading.matched_columns,
    )


def other_form_warning(*, results: ImportResults, version: InstrumentVersion) -> str:
    """A warning for the top of the preview when most of the export's columns match no
    question of `version` (an export of another form, or the wrong questionnaire chosen),
    naming a few of them; "" otherwise. Each such column is also an error on every row with
    a value in it, but hundreds of those do not say what went wrong."""
    unmatched = results.unmatched_columns
    total = len({*results.matched_columns, *unmatched})
    if not unmatched or len(unmatched) * 2 <= total:
        return ""
    instrument = version.instrument
    return ngettext(
        "This export seems to come from another form: %(unmatched)s of its %(total)s column "
        "matches no question of “%(form)s”, version %(version)s (%(examples)s). Check that "
        "you chose the questionnaire the export was made with.",
        "This export seems to come from another form: %(unmatched)s of its %(total)s columns "
        "match no question of “%(form)s”, version %(version)s (%(examples)s). Check that "
        "you chose the questionnaire the export was made with.",
        total,
    ) % {
        "unmatched": number_format(len(unmatched)),
        "total": number_format(total),
        "form": instrument.title or instrument.form_id,
        "version": version.version,
        "examples": ", ".join(
            [*unmatched[:FOREIGN_EXAMPLES], *(["…"] if len(unmatched) > FOREIGN_EXAMPLES else [])]
        ),
    }


def _seal_results(batch: ImportBatch, results: ImportResults) -> None:
    sealed = seal_blob(
        data=json.dumps(results.to_json(), ensure_ascii=False).encode("utf-8"),
        context=batch.results_context,
    )
    batch.results_ciphertext = sealed.ciphertext
    batch.results_wrapped_key = sealed.wrapped_key
    batch.results_key_id = sealed.key_id


def _count(batch: ImportBatch, results: ImportResults) -> None:
    batch.row_count = len(results.rows)
    batch.error_count = results.count(ERROR, SKIPPED)
    batch.new_count = results.count(NEW)
    batch.duplicate_count = results.count(DUPLICATE)
    batch.conflict_count = results.count(CONFLICT)
    batch.file_problem_count = len(results.problems)
    batch.created_count = results.count(CREATED)
    batch.skipped_count = results.count(SKIPPED)


def batch_results(*, batch: ImportBatch) -> ImportResults:
    """The batch's per-row results, unsealed."""
    data = open_blob(
        ciphertext=batch.results_ciphertext,
        wrapped_key=batch.results_wrapped_key,
        key_id=batch.results_key_id,
        context=batch.results_context,
    )
    return ImportResults.from_json(json.loads(data))


def batch_file(*, batch: ImportBatch) -> bytes:
    """The uploaded export, unsealed (several CSV files come back as one zip)."""
    return open_blob(
        ciphertext=batch.file_ciphertext,
        wrapped_key=batch.file_wrapped_key,
        key_id=batch.file_key_id,
        context=batch.file_context,
    )


# --------------------------------------------------------------------------- preview


def import_preview(
    *, study, by, instrument_version: InstrumentVersion, files: Sequence[ExportFile]
) -> ImportBatch:
    """Read an export made with `instrument_version` and check every row, writing no
    interview: the batch keeps the file (sealed) and, per row, its errors (with the file's
    row and column), or whether it is new, already imported, or in conflict with what is.

    Raises ServiceError when the file cannot be read as an export of this version at all,
    is too large, or holds no submission; nothing is stored then."""
    _check_version(study=study, version=instrument_version)
    for export_file in files:
        _check_size(export_file)
    content, kind, name = _bundle(files)
    if len(content) > MAX_IMPORT_BYTES:
        # Each file is under the limit, but not the files together (kept as one zip).
        raise ServiceError(
            {
                "files": [
                    _(
                        "Together, the files make %(size)s MB; Fieldwork imports at most "
                        "%(max)s MB at a time."
                    )
                    % {"size": _megabytes(len(content)), "max": _megabytes(MAX_IMPORT_BYTES)}
                ]
            },
            code="too_large",
        )
    reading = _read(
        version=instrument_version,
        name=name if len(files) == 1 else f"export.{kind}",
        content=content,
    )
    results = _evaluate(study=study, version=instrument_version, reading=reading)
    batch = ImportBatch(
        study=study,
        instrument_version=instrument_version,
        uploaded_by=by,
        original_filename=name[:255],
        file_format=kind,
        file_size=len(content),
        file_sha256=hashlib.sha256(content).hexdigest(),
    )
    sealed = seal_blob(data=content, context=batch.file_context)
    batch.file_ciphertext = sealed.ciphertext
    batch.file_wrapped_key = sealed.wrapped_key
    batch.file_key_id = sealed.key_id
    _seal_results(batch, results)
    _count(batch, results)
    with transaction.atomic():
        batch.save()
        audit_record(
            actor=by,
            study=study,
            action="import.previewed",
            target=batch,
            data={
                "version": instrument_version.pk,
                "format": kind,
                "sha256": batch.file_sha256,
                "rows": batch.row_count,
                "errors": batch.error_count,
                "new": batch.new_count,
                "duplicates": batch.duplicate_count,
                "conflicts": batch.conflict_count,
            },
        )
    logger.info("import batch %s previewed in study %s", batch.pk, study.pk)
    return batch


# --------------------------------------------------------------------------- import


class _AllOrNothingRefused(Exception):
    def __init__(self, row: RowResult, messages: list[str]):
        super().__init__(row.row)
        self.row = row
        self.messages = messages


def import_confirm(*, batch: ImportBatch, by, mode: str) -> ImportBatch:
    """Import a previewed batch as interviews recorded by `by` (who uploaded it).

    Every row is checked again (consent may have been withdrawn, another import may have
    stored the same interviews since the preview). `all_or_nothing`: if any row has an error,
    or the file has a problem of its own, nothing is imported (ServiceError, the batch keeps
    the new findings). `valid_rows`: the rows without errors are imported, the others are
    listed as skipped. Rows already stored are duplicates and change nothing; rows whose ID
    is stored with other content are kept as conflicts. All of it in one transaction.
    Confirming an imported batch again changes nothing."""
    if mode not in ImportBatch.Mode.values:
        raise ServiceError({"mode": [_("Choose what to import.")]})
    if batch.uploaded_by_id != by.pk:
        raise ServiceError(
            _("Only the person who uploaded this export can import it: the interviews are theirs.")
        )
    if batch.state == ImportBatch.State.IMPORTED:
        return batch
    version = InstrumentVersion.objects.select_related("instrument").get(
        pk=batch.instrument_version_id
    )
    _check_version(study=batch.study, version=version)
    reading = _read(version=version, name=_stored_name(batch), content=batch_file(batch=batch))
    results = _evaluate(study=batch.study, version=version, reading=reading)
    blocked = results.count(ERROR)
    if mode == ImportBatch.Mode.ALL_OR_NOTHING and (blocked or results.problems):
        _refresh(batch, results)
        raise ServiceError(_nothing_imported(blocked, len(results.problems)), code="has_errors")
    try:
        return _import(
            batch=batch, by=by, mode=mode, version=version, reading=reading, results=results
        )
    except _AllOrNothingRefused as refused:
        added = tuple(("", m) for m in refused.messages)
        rows = tuple(
            replace(r, status=ERROR, errors=r.errors + added) if r == refused.row else r
            for r in results.rows
        )
        _refresh(batch, replace(results, rows=rows))
        raise ServiceError(
            _("Nothing was imported: row %(row)s was refused (%(reason)s).")
            % {"row": refused.row.row, "reason": " ".join(refused.messages)},
            code="has_errors",
        ) from None


def _nothing_imported(rows: int, problems: int) -> str:
    if rows:
        return ngettext(
            "Nothing was imported: %(count)s row has an error. Correct the file and upload it "
            "again, or import the valid rows only.",
            "Nothing was imported: %(count)s rows have errors. Correct the file and upload it "
            "again, or import the valid rows only.",
            rows,
        ) % {"count": rows}
    return ngettext(
        "Nothing was imported: the file has a problem (listed above).",
        "Nothing was imported: the file has %(count)s problems (listed above).",
        problems,
    ) % {"count": problems}


def _refresh(batch: ImportBatch, results: ImportResults) -> None:
    """Keep what the latest check found, for the page to show."""
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.state == ImportBatch.State.IMPORTED:
            return
        _seal_results(locked, results)
        _count(locked, results)
        locked.save()


@transaction.atomic
def _import(
    *,
    batch: ImportBatch,
    by,
    mode: str,
    version: InstrumentVersion,
    reading: ExportReading,
    results: ImportResults,
) -> ImportBatch:
    batch = ImportBatch.objects.select_for_update().select_related("study").get(pk=batch.pk)
    if batch.state == ImportBatch.State.IMPORTED:
        return batch  # confirmed twice at once: the first one imported it
    study = batch.study
    source_path, sources = _sources(study=study, version=version, records=reading.records)
    done = []
    for record, row in zip(reading.records, results.rows, strict=True):
        if row.status == ERROR:
            done.append(replace(row, status=SKIPPED))
            continue
        if row.status == DUPLICATE:
            done.append(row)  # stored already when this confirmation checked the rows
            continue
        source = None
        if source_path:
            source = sources.get(str(answer_at(record.answers, source_path) or "").strip().upper())
        try:
            outcome = interview_record(
                study=study,
                by=by,
                client_uuid=record.instance_id,
                instrument_version=version,
                source=source,
                answers=record.answers,
                raw_payload=record.payload,
                payload_format=InterviewVersion.Format.EXPORT_ROW,
                conducted_at=_moment(record),
                strict=True,
            )
        except ValidationError as exc:
            # The preview found the row valid; something changed since (consent withdrawn).
            messages = _service_messages(exc)
            if mode == ImportBatch.Mode.ALL_OR_NOTHING:
                raise _AllOrNothingRefused(row, messages) from None
            errors = row.errors + tuple(("", m) for m in messages)
            done.append(replace(row, status=SKIPPED, errors=errors))
            continue
        status = {"created": CREATED, "duplicate": DUPLICATE, "conflict": CONFLICT}[outcome.outcome]
        interview = outcome.interview.client_uuid if outcome.interview else ""
        done.append(replace(row, status=status, interview=str(interview)))
    final = replace(results, rows=tuple(done))
    batch.mode = mode
    batch.state = ImportBatch.State.IMPORTED
    batch.imported_at = timezone.now()
    _seal_results(batch, final)
    _count(batch, final)
    batch.save()
    audit_record(
        actor=by,
        study=study,
        action="import.confirmed",
        target=batch,
        data={
            "mode": mode,
            "rows": batch.row_count,
            "created": batch.created_count,
            "duplicates": batch.duplicate_count,
            "conflicts": batch.conflict_count,
            "skipped": batch.skipped_count,
        },
    )
    logger.info(
        "import batch %s imported in study %s: %s created", batch.pk, study.pk, batch.created_count
    )
    return batch
