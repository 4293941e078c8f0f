"""Reading data exports of KoboToolbox / Ona and ODK Central / Briefcase back into submissions:
for each row, the answers as nested plain data (the shape `answers.validate_answers` and
`interview_record` take), its instance ID, when it was submitted, and where each answer came
from in the file, so that an error can name its row and column.

What the exports look like (checked on the files in ../shared/data/exports/):

- KoboToolbox / Ona CSV and XLSX: headers are XML paths (`group/sub/question`), or, when the
  export was made so, bare names or labels. A select_multiple comes as one column with the
  chosen names separated by spaces and/or one column per choice (`question/choice`, or
  `question/Choice label`) holding True/False or 1/0. A geopoint may come split into
  `_name_latitude`… columns. Repeats are flattened into the row (`children[2]/name`) or, in
  XLSX, come as one sheet per repeat linked by `_index`, `_parent_table_name`,
  `_parent_index`. `meta/instanceID`, `_uuid`, `_submission_time`, `_submitted_by` and other
  `_…` columns are the server's. An empty answer is written `n/a`.
- ODK Central / Briefcase CSV: `SubmissionDate`, `meta-instanceID`, `KEY`, groups joined with
  `-`, a geopoint split into `-Latitude`, `-Longitude`, `-Altitude`, `-Accuracy`, dates as
  "Apr 26, 2018" (Briefcase), and each repeat in a file of its own whose rows point at their
  parent with `PARENT_KEY` (Central puts them all in a zip).
- KoboToolbox JSON (the API's `results`, or formpack's `{"content", "submissions"}`): one
  object per submission keyed by XML path, repeats as lists of objects.

Pure: bytes and specs in, plain data out; no database. Nothing is guessed silently: a column
that matches no question, or several, is reported on every row that has a value in it.
"""

import csv
import datetime as dt
import hashlib
import io
import json
import re
import uuid
import warnings
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.utils.translation import gettext as _

from fieldwork.instruments.specs import (
    BINARY_TYPES,
    GROUP_TYPES,
    NOT_IN_INSTANCE_TYPES,
    REPEAT_TYPE,
    SELECT_MANY_TYPES,
    ChoiceSpec,
    QuestionSpec,
)
from fieldwork.instruments.xpath import parse_datetime

__all__ = [
    "ExportError",
    "ExportReading",
    "ExportRecord",
    "Place",
    "RowProblem",
    "Table",
    "read_export",
    "read_tables",
]

#: Kobo and Ona write this for an answer left empty.
NA = "n/a"
#: A zip from ODK Central may hold media too; only its CSV files are read, up to this size.
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024

_GROUPS = GROUP_TYPES
_REPEAT = REPEAT_TYPE
_NOT_IN_INSTANCE = NOT_IN_INSTANCE_TYPES
_SELECT_MANY = SELECT_MANY_TYPES
_GEOPOINT = frozenset({"geopoint", "start-geopoint"})
_DATE_KINDS = frozenset({"date", "today"})
_DATETIME_KINDS = frozenset({"datetime", "start", "end"})
_BINARY_KINDS = BINARY_TYPES

#: Columns naming the submission, in order of preference (the first with a value wins).
INSTANCE_COLUMNS = ("meta/instanceID", "meta-instanceID", "instanceID", "_uuid", "KEY")
SUBMITTED_AT_COLUMNS = ("_submission_time", "SubmissionDate")
SUBMITTED_BY_COLUMNS = ("_submitted_by", "SubmitterName")
#: The export server's own columns: nothing a phone sent, so nothing to import.
SERVER_COLUMNS = frozenset(
    {
        "_id",
        "_index",
        "_parent_table_name",
        "_parent_index",
        "_tags",
        "_notes",
        "_version",
        "__version__",
        "_duration",
        "_submitted_by",
        "_total_media",
        "_media_count",
        "_media_all_received",
        "_xform_id",
        "_xform_id_string",
        "_status",
        "_geolocation",
        "_attachments",
        "_validation_status",
        "_bamboo_dataset_id",
        "_edited",
        "_last_edited",
        "_date_modified",
        "formhub/uuid",
        "KEY",
        "PARENT_KEY",
        "SubmitterID",
        "SubmitterName",
        "AttachmentsPresent",
        "AttachmentsExpected",
        "Status",
        "ReviewState",
        "DeviceID",
        "Edits",
        "FormVersion",
        "SubmissionDate",
        "_submission_time",
        "_uuid",
    }
)
_SET_OF = "SET-OF-"
_GEO_SUFFIXES = {
    "latitude": 0,
    "longitude": 1,
    "altitude": 2,
    "precision": 3,
    "accuracy": 3,
}
_ODK_GEO = re.compile(r"^(?P<base>.+)-(?P<part>Latitude|Longitude|Altitude|Accuracy)$")
_ONA_GEO = re.compile(
    r"^(?P<prefix>(?:.*/)?)_(?P<name>.+)_(?P<part>latitude|longitude|altitude|precision)$"
)
_INDEX = re.compile(r"\[(\d+)\]")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no", "", NA})
# Briefcase writes dates the Java way, in English whatever the machine's language.
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_JAVA_DATE = r"(?P<mon>[A-Za-z]{3}) (?P<day>\d{1,2}), (?P<year>\d{4})"
_JAVA_TIME = r"(?P<h>\d{1,2}):(?P<m>\d{2}):(?P<s>\d{2}) ?(?P<ampm>[AaPp][Mm])"
_JAVA_DATE_RE = re.compile(_JAVA_DATE)
_JAVA_TIME_RE = re.compile(_JAVA_TIME)
_JAVA_DATETIME_RE = re.compile(_JAVA_DATE + " " + _JAVA_TIME)
_LOOSE_DATETIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<h>\d{1,2}):(?P<rest>\d{2}(?::\d{2}(?:\.\d+)?)?)"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)


class ExportError(Exception):
    """The file as a whole cannot be read as an export; the message says why, for the user."""


@dataclass(frozen=True)
class Table:
    """One CSV file or one worksheet: its headers and rows of cell values as read (text from
    CSV; text, numbers, booleans, dates from XLSX). Row i of `rows` is row i + 2 of the file,
    as a spreadsheet numbers it (the headers are row 1)."""

    name: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class RowProblem:
    """Something wrong, located: the file or sheet, the row (None for the file as a whole)
    and the column as written in the file ("" when it concerns no column)."""

    table: str
    row: int | None
    column: str
    message: str


@dataclass(frozen=True)
class Place:
    """Where an answer came from: the file or sheet, its row as a spreadsheet numbers it, and
    the column as written in the file. A repeat instance read from a row of its own (a
    repeat's sheet or file) has a place too, with no column: the whole row."""

    table: str
    row: int
    column: str = ""


#: What may follow a path inside a longer one ("age" in "age_group", "children[2]" in
#: "children[2]/age"): a message naming the path is followed by anything else.
_PATH_CHARS = frozenset("_-./[]")
#: What separates a message's leading path from the rest (": ", " : " with a no-break space
#: in French): removed when the path is shown apart, as a column.
_AFTER_PATH = re.compile(r"^[\s:]+")


def _continues_path(char: str) -> bool:
    return bool(char) and (char.isalnum() or char in _PATH_CHARS)


@dataclass(frozen=True)
class ExportRecord:
    """One submission read from the export."""

    table: str
    row: int
    #: "uuid:…" normalized; "" when the row's ID is unreadable (a problem says so).
    instance_id: str
    #: True when the export had no ID for the row and one was made from its content, so
    #: that importing the same file again still finds it.
    derived_id: bool
    submitted_at: dt.datetime | None
    submitted_by: str
    #: When the interview began, from the form's `start` question, if readable.
    started_at: dt.datetime | None
    answers: dict[str, Any]
    #: The row (and its repeat rows) as canonical JSON: what is stored as the raw payload.
    payload: bytes
    problems: tuple[RowProblem, ...] = ()
    #: (answer path as validation names it, where it came from), longest path first; the
    #: repeat instances read from rows of their own are listed too ("children[2]").
    places: tuple[tuple[str, Place], ...] = ()

    def column_of(self, where: str) -> str:
        """The file's column an answer came from (`where` as in `places`), or ""."""
        place = dict(self.places).get(where)
        return place.column if place else ""

    def locate(self, message: str) -> tuple[Place | None, str]:
        """Where in the files a validation message is about, and the message to show beside
        that place.

        Validation messages start with the answer's path ("children[2]/age: …"). Only that
        path is compared, up to the first character that cannot continue it, so neither the
        punctuation after it nor the message's language matters. When the path has a column
        of its own, the message comes back without it (the column names it); a question of a
        repeat instance read from its own row, but with no column, keeps its path and gets the
        instance's row. (None, message) when the message names no answer read from the file.
        """
        for where, place in self.places:
            if not message.startswith(where):
                continue
            after = message[len(where) : len(where) + 1]
            if after == "/" and not place.column:
                return place, message
            if _continues_path(after):
                continue
            return place, _AFTER_PATH.sub("", message[len(where) :]) or message
        return None, message


@dataclass(frozen=True)
class ExportReading:
    records: tuple[ExportRecord, ...]
    #: Problems with no row of their own (a repeat row whose parent is missing…).
    problems: tuple[RowProblem, ...] = ()
    #: Columns that were left out on purpose (the export server's own), for the preview.
    ignored_columns: tuple[str, ...] = ()
    #: Columns that match no question (or several): a value in them is an error on its row.
    unmatched_columns: tuple[str, ...] = ()
    #: Columns that hold the answers to a question (a choice's or a coordinate's included).
    matched_columns: tuple[str, ...] = ()


# --------------------------------------------------------------------------- files


def read_tables(files: Sequence[tuple[str, bytes]]) -> list[Table]:
    """The tables of the uploaded files: a CSV is one table, an XLSX one per non-empty
    sheet, a zip (ODK Central) one per CSV inside. Raises ExportError for a file that is
    none of these or cannot be read."""
    tables: list[Table] = []
    for name, content in files:
        suffix = PurePosixPath(name).suffix.lower()
        if suffix == ".csv":
            tables.append(_read_csv(name, content))
        elif suffix in (".xlsx", ".xlsm"):
            tables.extend(_read_xlsx(name, content))
        elif suffix == ".zip":
            tables.extend(_read_zip(name, content))
        else:
            raise ExportError(
                _(
                    "“%(name)s” is not an export Fieldwork reads: send a .csv, .xlsx, .zip "
                    "(ODK Central) or .json (KoboToolbox) file."
                )
                % {"name": name}
            )
    return tables


def _read_csv(name: str, content: bytes) -> Table:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExportError(
            _(
                "“%(name)s” is not UTF-8 text. Export it again as UTF-8 (in Excel: Save as, "
                "“CSV UTF-8”)."
            )
            % {"name": name}
        ) from None
    first = text.split("\n", 1)[0]
    # KoboToolbox separates with ";" by default, Ona and ODK with ",".
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ExportError(
            _("“%(name)s” is not a readable CSV file: %(error)s.") % {"name": name, "error": exc}
        ) from None
    if not rows:
        raise ExportError(_("“%(name)s” is empty.") % {"name": name})
    return _table(name, rows[0], rows[1:])


def _read_xlsx(name: str, content: bytes) -> list[Table]:
    import openpyxl  # only needed for XLSX; pyxform brings it

    try:
        with warnings.catch_warnings():
            # "Workbook contains no default style": exports are written without one.
            warnings.simplefilter("ignore", UserWarning)
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise ExportError(
            _("“%(name)s” is not a readable XLSX workbook.") % {"name": name}
        ) from None
    tables = []
    try:
        for sheet in book.worksheets:
            rows = [list(row) for row in sheet.iter_rows(values_only=True)]
            if not rows or not any(cell not in (None, "") for cell in rows[0]):
                continue
            tables.append(_table(sheet.title, rows[0], rows[1:]))
    finally:
        book.close()
    if not tables:
        raise ExportError(_("“%(name)s” has no sheet with data.") % {"name": name})
    return tables


def _read_zip(name: str, content: bytes) -> list[Table]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise ExportError(_("“%(name)s” is not a readable zip file.") % {"name": name}) from None
    tables, left = [], MAX_UNZIPPED_BYTES
    too_big = ExportError(
        _("“%(name)s” unpacks to more than %(size)s MB; import fewer submissions at a time.")
        % {"name": name, "size": MAX_UNZIPPED_BYTES // 1024 // 1024}
    )
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            member = PurePosixPath(info.filename)
            if info.is_dir() or member.suffix.lower() != ".csv" or "media" in member.parts:
                continue
            try:
                # Read at most what is left of the budget: a zip's declared sizes can lie.
                with archive.open(info) as stream:
                    data = stream.read(left + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError):
                raise ExportError(
                    _("“%(name)s” is not a readable zip file.") % {"name": name}
                ) from None
            left -= len(data)
            if left < 0:
                raise too_big
            tables.append(_read_csv(member.name, data))
    if not tables:
        raise ExportError(_("“%(name)s” holds no CSV file.") % {"name": name})
    return tables


def _table(name: str, headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Table:
    heads = [_header(h) for h in headers]
    kept = []
    for row in rows:
        cells = list(row)
        if not any(_raw_text(c).strip() for c in cells):
            continue  # blank lines, and the empty rows a worksheet's used range may hold
        cells = (cells + [None] * len(heads))[: max(len(heads), len(cells))]
        kept.append((len(kept), cells))
    width = len(heads)
    for _index, cells in kept:
        if len(cells) > width and any(_raw_text(c).strip() for c in cells[width:]):
            width = len(cells)
    heads += [""] * (width - len(heads))
    # Trailing columns without a header or a value (a worksheet's formatting) are dropped.
    while heads and not heads[-1] and not any(_raw_text(c[1][len(heads) - 1]) for c in kept):
        heads.pop()
    width = len(heads)
    return Table(
        name=name,
        headers=tuple(heads),
        rows=tuple(tuple((cells + [None] * width)[:width]) for _index, cells in kept),
    )


def _header(value: Any) -> str:
    # Real exports carry stray newlines and spaces around headers ("meta/instanceID\r\n").
    return " ".join(_raw_text(value).split())


def _raw_text(value: Any) -> str:
    """A cell as text, the same way every time (it goes into the stored payload)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------- the form


@dataclass(frozen=True)
class _Target:
    spec: QuestionSpec
    #: Instance numbers (1-based) of the repeats between the table's context and the question.
    indices: tuple[int, ...]
    role: str = "value"  # "value", "option" (one choice's column), "geo" (one coordinate)
    option: str = ""
    part: int = 0


class _Form:
    def __init__(self, questions: Sequence[QuestionSpec], choices: Sequence[ChoiceSpec]) -> None:
        self.specs = [q for q in questions if q.type.strip().lower() not in _NOT_IN_INSTANCE]
        self.by_path = {q.path: q for q in self.specs}
        self.repeats = [q.path for q in self.specs if _kind(q) == _REPEAT]
        self.choices: dict[str, list[ChoiceSpec]] = defaultdict(list)
        for choice in choices:
            self.choices[choice.list_name].append(choice)
        self.leaves = [q for q in self.specs if _kind(q) not in _GROUPS and _kind(q) != _REPEAT]
        self.position = {q.path: i for i, q in enumerate(self.specs)}

    def repeats_between(self, context: str, path: str) -> list[str]:
        """The repeats that contain `path` below `context`, outermost first."""
        prefix = f"{context}/" if context else ""
        return [r for r in self.repeats if r.startswith(prefix) and path.startswith(f"{r}/") and r]

    def leaves_in(self, context: str) -> list[QuestionSpec]:
        prefix = f"{context}/" if context else ""
        return [q for q in self.leaves if q.path.startswith(prefix)]

    def start_path(self) -> str:
        return next((q.path for q in self.leaves if _kind(q) == "start" and not q.repeat_path), "")

    def find_repeat(self, name: str) -> str | None:
        """The repeat a table is named after: its path (with `-` or `/`) or its name, also
        when a worksheet's 31-character limit cut it short."""
        name = name.strip()
        for candidate in (name, name.replace("-", "/")):
            if candidate in self.repeats:
                return candidate
        by_name = [r for r in self.repeats if r.rpartition("/")[2] == name]
        if len(by_name) == 1:
            return by_name[0]
        if len(name) >= 31:
            cut = [r for r in self.repeats if r.rpartition("/")[2].startswith(name)]
            if len(cut) == 1:
                return cut[0]
        return None


def _kind(spec: QuestionSpec) -> str:
    return spec.type.strip().lower()


def _labels(spec_or_choice) -> set[str]:
    return {" ".join(text.split()) for text in spec_or_choice.labels.values() if text.strip()}


class _Columns:
    """Which question (and which repeat instance, choice or coordinate) each column of one
    table holds, for a table whose rows are instances of `context` ("" for the main table)."""

    def __init__(self, form: _Form, table: Table, context: str) -> None:
        self.form = form
        self.context = context
        self.targets: dict[int, _Target] = {}
        self.meta: dict[int, str] = {}  # column → "meta/<name>" not declared by the form
        self.ignored: list[str] = []
        self.unmatched: dict[int, str] = {}  # column → why
        leaves = form.leaves_in(context)
        self._spellings = self._spell(leaves)
        counts = Counter(table.headers)
        seen: Counter = Counter()
        for column, header in enumerate(table.headers):
            seen[header] += 1
            self._place(column, header, seen[header], counts[header])

    def rel(self, path: str) -> str:
        """`path` relative to the table's context."""
        return path[len(self.context) + 1 :] if self.context else path

    def _spell(self, leaves: list[QuestionSpec]) -> dict[str, dict[str, list[QuestionSpec]]]:
        """Ways a column can name a question, strongest first: its path, its path with `-`
        (ODK), its name alone, its label."""
        ways: dict[str, dict[str, list[QuestionSpec]]] = {
            "path": defaultdict(list),
            "dashed": defaultdict(list),
            "name": defaultdict(list),
            "label": defaultdict(list),
        }
        for spec in leaves:
            rel = self.rel(spec.path)
            ways["path"][rel].append(spec)
            if self.context:
                ways["path"][spec.path].append(spec)
            ways["dashed"][rel.replace("/", "-")].append(spec)
            if self.context:
                ways["dashed"][spec.path.replace("/", "-")].append(spec)
            ways["name"][spec.name].append(spec)
            for label in _labels(spec):
                ways["label"][label].append(spec)
        return ways

    def _lookup(self, text: str) -> list[QuestionSpec]:
        for way in ("path", "dashed", "name", "label"):
            found = self._spellings[way].get(text)
            if found:
                return _unique(found)
        return []

    def _place(self, column: int, header: str, occurrence: int, count: int) -> None:
        if not header:
            self.unmatched[column] = _("This column has no header.")
            return
        plain = _INDEX.sub("", header)
        indices = tuple(int(n) for n in _INDEX.findall(header))
        found = self._lookup(plain)
        if found:
            self._assign(column, header, found, indices, occurrence, count)
            return
        if self._place_meta(column, header):
            return
        for target in (self._option(plain, indices), self._geo(plain, indices)):
            if target is not None:
                self.targets[column] = target
                return
        if header in SERVER_COLUMNS or header.startswith(_SET_OF) or header.startswith("_"):
            self.ignored.append(header)
            return
        self.unmatched[column] = _("No question of this version of the form matches this column.")

    def _place_meta(self, column: int, header: str) -> bool:
        if header in (*INSTANCE_COLUMNS, *SUBMITTED_AT_COLUMNS, *SUBMITTED_BY_COLUMNS):
            return True  # read by the caller
        for prefix in ("meta/", "meta-"):
            if header.startswith(prefix) and "/" not in header[len(prefix) :]:
                self.meta[column] = header[len(prefix) :]  # instanceName, deprecatedID…
                return True
        return False

    def _assign(
        self,
        column: int,
        header: str,
        found: list[QuestionSpec],
        indices: tuple[int, ...],
        occurrence: int,
        count: int,
    ) -> None:
        if len(found) > 1:
            if count == len(found):
                # The same header once per question, as an export without group names
                # writes a loop's questions: they come in the form's order.
                found = [sorted(found, key=lambda q: self.form.position[q.path])[occurrence - 1]]
            else:
                paths = ", ".join(q.path for q in found[:5])
                self.unmatched[column] = _(
                    "This column could be any of these questions: %(paths)s. Name it by the "
                    "question's full path (group/question)."
                ) % {"paths": paths}
                return
        spec = found[0]
        repeats = self.form.repeats_between(self.context, spec.path)
        if len(indices) == len(repeats):
            pass
        elif not indices and len(repeats) == 1:
            # "childs_name" written once per instance, without the instance number.
            indices = (occurrence,)
        elif not indices and not repeats and count > 1 and occurrence > 1:
            self.unmatched[column] = _("This column appears more than once.")
            return
        else:
            self.unmatched[column] = _(
                "This column is inside %(count)s repeats: it needs an instance number for each, "
                "as in %(example)s."
            ) % {
                "count": len(repeats),
                "example": "/".join(f"{self.rel(r).rpartition('/')[2]}[1]" for r in repeats)
                + f"/{spec.name}",
            }
            return
        self.targets[column] = _Target(spec=spec, indices=indices)

    def _option(self, plain: str, indices: tuple[int, ...]) -> _Target | None:
        """`question/choice`: one column per choice of a select_multiple."""
        for way in ("path", "dashed", "name", "label"):
            for spelling, specs in self._spellings[way].items():
                if not plain.startswith(spelling + "/"):
                    continue
                many = [s for s in _unique(specs) if _kind(s) in _SELECT_MANY]
                if len(many) != 1:
                    continue
                spec = many[0]
                option = self._choice_name(spec, plain[len(spelling) + 1 :])
                repeats = self.form.repeats_between(self.context, spec.path)
                if option is not None and len(indices) == len(repeats):
                    return _Target(spec=spec, indices=indices, role="option", option=option)
        return None

    def _choice_name(self, spec: QuestionSpec, text: str) -> str | None:
        choices = self.form.choices.get(spec.list_name, [])
        if any(c.name == text for c in choices) or text == "other":
            return text
        by_label = [c.name for c in choices if text in _labels(c)]
        return by_label[0] if len(set(by_label)) == 1 else None

    def _geo(self, plain: str, indices: tuple[int, ...]) -> _Target | None:
        """A coordinate of a geopoint: `point-Latitude` (ODK), `_point_latitude` (Ona)."""
        odk = _ODK_GEO.match(plain)
        if odk:
            found = self._lookup(odk["base"])
            part = _GEO_SUFFIXES[odk["part"].lower()]
        else:
            ona = _ONA_GEO.match(plain)
            if not ona:
                return None
            found = self._lookup(ona["prefix"] + ona["name"]) or self._lookup(ona["name"])
            part = _GEO_SUFFIXES[ona["part"]]
        points = [s for s in found if _kind(s) in _GEOPOINT]
        if len(points) != 1:
            return None
        repeats = self.form.repeats_between(self.context, points[0].path)
        if len(indices) != len(repeats):
            return None
        return _Target(spec=points[0], indices=indices, role="geo", part=part)


def _unique(specs: list[QuestionSpec]) -> list[QuestionSpec]:
    seen, out = set(), []
    for spec in specs:
        if spec.path not in seen:
            seen.add(spec.path)
            out.append(spec)
    return out


# --------------------------------------------------------------------------- values


def _cell_text(value: Any, kind: str) -> str:
    """A cell as the answer text an OpenRosa instance would hold for a question of `kind`."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if kind in _DATE_KINDS:
            return value.date().isoformat()
        if kind == "time":
            return value.time().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    text = _raw_text(value)
    if text.strip() == NA:
        return ""
    stripped = text.strip()
    if kind in _BINARY_KINDS and stripped.startswith(("http://", "https://")):
        return _media_name(stripped)
    if kind in _DATE_KINDS:
        return _java_date(stripped) or text
    if kind in _DATETIME_KINDS:
        return _java_datetime(stripped) or text
    if kind == "time":
        return _java_time(stripped) or text
    return text


def _media_name(url: str) -> str:
    """The file name in a media URL of an export (Ona and Kobo link to their copy of the
    file, naming it in a `filename` parameter): the answer the phone sent. The file itself
    is not in the export and is not imported."""
    parts = urlsplit(url)
    named = parse_qs(parts.query).get("filename") or parse_qs(parts.query).get("media_file")
    path = named[0] if named else unquote(parts.path)
    return PurePosixPath(path).name or url


def _java_date(text: str) -> str:
    match = _JAVA_DATE_RE.fullmatch(text)
    if not match or match["mon"].lower() not in _MONTHS:
        return ""
    try:
        return dt.date(
            int(match["year"]), _MONTHS[match["mon"].lower()], int(match["day"])
        ).isoformat()
    except ValueError:
        return ""


def _hours(match: re.Match) -> int:
    hours = int(match["h"]) % 12
    return hours + 12 if match["ampm"].lower() == "pm" else hours


def _java_time(text: str) -> str:
    match = _JAVA_TIME_RE.fullmatch(text)
    if not match:
        return ""
    return f"{_hours(match):02d}:{match['m']}:{match['s']}"


def _java_datetime(text: str) -> str:
    match = _JAVA_DATETIME_RE.fullmatch(text)
    if not match:
        return ""
    day = _java_date(f"{match['mon']} {match['day']}, {match['year']}")
    return f"{day}T{_hours(match):02d}:{match['m']}:{match['s']}" if day else ""


def parse_moment(value: Any) -> dt.datetime | None:
    """A submission time as exports write it: ISO 8601 (with a space or a one-digit hour, as
    spreadsheets leave it), Briefcase's "Apr 26, 2018 8:58:20 AM", or a worksheet's date.
    Without a time zone it is UTC, as KoboToolbox and Ona store it. None if unreadable."""
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = _raw_text(value).strip()
        if not text:
            return None
        text = _java_datetime(text) or text
        match = _LOOSE_DATETIME.fullmatch(text)
        if not match:
            return None
        tz = match["tz"] or ""
        if tz and tz != "Z" and ":" not in tz:
            tz = f"{tz[:3]}:{tz[3:]}"
        moment = parse_datetime(f"{match['date']}T{int(match['h']):02d}:{match['rest']}{tz}")
        if moment is None:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def _instance_id(text: str) -> str | None:
    """ "uuid:<uuid>" from an export's ID cell ("uuid:…", a bare UUID, Ona's doubled
    "uuid:uuid:…"), or None when it is no UUID."""
    text = text.strip()
    while text.lower().startswith("uuid:"):
        text = text[5:]
    try:
        return f"uuid:{uuid.UUID(text)}"
    except ValueError:
        return None


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )


def derived_instance_id(payload: bytes) -> str:
    """The instance ID of a row the export gave none: the same row gets the same one."""
    digest = hashlib.sha256(payload).hexdigest()
    return f"uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'fieldwork:import:sha256:' + digest)}"


# --------------------------------------------------------------------------- answers


def _put(answers: dict, segments: Sequence[str], repeat_at: dict[int, int], value: Any) -> None:
    """Set answers[a][b]…[z] = value; a segment listed in `repeat_at` is a repeat whose
    instance (1-based) is given."""
    here = answers
    for depth, segment in enumerate(segments[:-1]):
        if depth in repeat_at:
            instances = here.setdefault(segment, [])
            if not isinstance(instances, list):
                return
            while len(instances) < repeat_at[depth]:
                instances.append({})
            here = instances[repeat_at[depth] - 1]
        else:
            nxt = here.setdefault(segment, {})
            if not isinstance(nxt, dict):
                return
            here = nxt
    here[segments[-1]] = value


class _RowReader:
    """Reads the rows of one table (the main one or a repeat's) into answers."""

    def __init__(self, form: _Form, table: Table, context: str) -> None:
        self.form = form
        self.table = table
        self.context = context
        self.columns = _Columns(form, table, context)

    def where(self, target: _Target) -> str:
        """The answer's path as validation names it (repeat instances numbered)."""
        rel = self.columns.rel(target.spec.path)
        segments = rel.split("/")
        out, numbered = [], 0
        prefix = self.context
        for segment in segments:
            prefix = f"{prefix}/{segment}" if prefix else segment
            if prefix in self.form.repeats and numbered < len(target.indices):
                out.append(f"{segment}[{target.indices[numbered]}]")
                numbered += 1
            else:
                out.append(segment)
        return "/".join(out)

    def read(
        self, row: Sequence[Any], number: int, base: str = ""
    ) -> tuple[dict, list[RowProblem], dict[str, Place]]:
        """(answers, problems, {answer path: where it came from}) for one row; `base` is the path,
        instances numbered, of the repeat instance the row is (for messages)."""
        answers: dict[str, Any] = {}
        problems: list[RowProblem] = []
        located: dict[str, Place] = {}
        headers = self.table.headers
        options: dict[tuple[str, tuple[int, ...]], list[str]] = defaultdict(list)
        option_columns: dict[tuple[str, tuple[int, ...]], str] = {}
        geo: dict[tuple[str, tuple[int, ...]], dict[int, str]] = defaultdict(dict)
        joined: set[tuple[str, tuple[int, ...]]] = set()

        def prefixed(where: str) -> str:
            return f"{base}/{where}" if base else where

        def place(column: str) -> Place:
            return Place(self.table.name, number, column)

        for column, value in enumerate(row):
            header = headers[column]
            text = _raw_text(value).strip()
            if column in self.columns.unmatched:
                if text and text != NA:
                    problems.append(
                        RowProblem(
                            self.table.name,
                            number,
                            header,
                            _("%(why)s Its value “%(value)s” cannot be kept.")
                            % {"why": self.columns.unmatched[column], "value": _short(text)},
                        )
                    )
                continue
            if column in self.columns.meta:
                if text and text != NA:
                    answers.setdefault("meta", {})[self.columns.meta[column]] = text
                continue
            target = self.columns.targets.get(column)
            if target is None:
                continue
            key = (target.spec.path, target.indices)
            where = prefixed(self.where(target))
            if target.role == "option":
                option_columns.setdefault(key, header)
                located.setdefault(where, place(option_columns[key]))
                lowered = text.lower()
                if lowered in _TRUE:
                    options[key].append(target.option)
                elif lowered not in _FALSE:
                    problems.append(
                        RowProblem(
                            self.table.name,
                            number,
                            header,
                            _("A choice's column holds True or False (1 or 0), not “%(value)s”.")
                            % {"value": _short(text)},
                        )
                    )
                continue
            if target.role == "geo":
                if text and text != NA:
                    geo[key][target.part] = text
                located.setdefault(where, place(header))
                continue
            # Located even when empty: "required but has no answer" names this column.
            located.setdefault(where, place(header))
            answer = _cell_text(value, _kind(target.spec))
            if not answer.strip():
                continue
            located[where] = place(header)
            joined.add(key)
            _put(answers, self._segments(target), self._repeat_at(target), answer)
        for key, chosen in options.items():
            if key in joined:
                continue  # the joined column is what the phone sent; split ones are derived
            target = _Target(spec=self.form.by_path[key[0]], indices=key[1])
            if chosen:
                _put(answers, self._segments(target), self._repeat_at(target), " ".join(chosen))
        for key, parts in geo.items():
            if key in joined or 0 not in parts or 1 not in parts:
                continue
            target = _Target(spec=self.form.by_path[key[0]], indices=key[1])
            point = " ".join(parts[i] for i in range(4) if i in parts)
            _put(answers, self._segments(target), self._repeat_at(target), point)
        return answers, problems, located

    def _segments(self, target: _Target) -> list[str]:
        return self.columns.rel(target.spec.path).split("/")

    def _repeat_at(self, target: _Target) -> dict[int, int]:
        out, numbered, prefix = {}, 0, self.context
        for depth, segment in enumerate(self._segments(target)):
            prefix = f"{prefix}/{segment}" if prefix else segment
            if prefix in self.form.repeats and numbered < len(target.indices):
                out[depth] = target.indices[numbered]
                numbered += 1
        return out


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"


def _cell(table: Table, row: Sequence[Any], names: Sequence[str]) -> tuple[str, Any]:
    """(column, value) of the first of `names` the table has with a value in this row."""
    for name in names:
        if name in table.headers:
            value = row[table.headers.index(name)]
            if _raw_text(value).strip() not in ("", NA):
                return name, value
    return "", None


# --------------------------------------------------------------------------- tables


@dataclass
class _Child:
    """A repeat table: its rows are instances of `repeat`, grouped by parent."""

    table: Table
    repeat: str
    reader: _RowReader
    by_parent: dict[Any, list[tuple[int, Sequence[Any]]]] = field(default_factory=dict)
    key_column: str = ""


def _is_child(table: Table) -> bool:
    if "PARENT_KEY" in table.headers:
        return True
    if "_parent_table_name" in table.headers:
        column = table.headers.index("_parent_table_name")
        return any(_raw_text(row[column]).strip() for row in table.rows)
    return False


def _own_set(table: Table, column: int) -> bool:
    """Whether a SET-OF-… column of a repeat's file names the set the rows belong to (its
    values start with the parent's KEY) rather than the set of their own children (their
    values start with the row's own KEY)."""
    if "KEY" not in table.headers:
        return True
    key = table.headers.index("KEY")
    for row in table.rows:
        value, own = _raw_text(row[column]).strip(), _raw_text(row[key]).strip()
        if value and own:
            return not value.startswith(own + "/")
    return True


def _child_repeat(form: _Form, table: Table) -> str | None:
    for column, header in enumerate(table.headers):
        if header.startswith(_SET_OF) and _own_set(table, column):
            found = form.find_repeat(header[len(_SET_OF) :])
            if found:
                return found
    found = form.find_repeat(table.name)
    if found:
        return found
    stem = PurePosixPath(table.name).stem
    for cut in range(len(stem)):
        if stem[cut] == "-":
            found = form.find_repeat(stem[cut + 1 :])
            if found:
                return found
    # Kobo's repeat sheets name their columns by full path: the deepest repeat they share.
    paths = [h for h in table.headers if h in form.by_path]
    for repeat in sorted(form.repeats, key=len, reverse=True):
        if paths and all(p.startswith(repeat + "/") for p in paths):
            return repeat
    return None


def read_export(
    *,
    files: Sequence[tuple[str, bytes]],
    questions: Sequence[QuestionSpec],
    choices: Sequence[ChoiceSpec],
) -> ExportReading:
    """Read an export made with (a version of) the form the specs describe.

    `files` are the uploaded files: one CSV or XLSX, a zip from ODK Central, a main CSV with
    the CSVs of its repeats, or a KoboToolbox JSON file. Raises ExportError when the files
    cannot be read as an export at all; anything wrong with a row is a problem of that row.
    """
    form = _Form(questions, choices)
    if len(files) == 1 and PurePosixPath(files[0][0]).suffix.lower() == ".json":
        return _read_kobo_json(form, files[0][0], files[0][1])
    tables = read_tables(files)
    mains = [t for t in tables if not _is_child(t)]
    if not mains:
        raise ExportError(
            _("None of the files is the main table of an export: every one points to a parent.")
        )
    if len(mains) > 1:
        raise ExportError(
            _(
                "These files or sheets all look like the main table of an export: %(names)s. "
                "Import one export at a time."
            )
            % {"names": ", ".join(f"“{t.name}”" for t in mains)}
        )
    main = mains[0]
    problems: list[RowProblem] = []
    children: list[_Child] = []
    for table in tables:
        if table is main:
            continue
        repeat = _child_repeat(form, table)
        if repeat is None:
            raise ExportError(
                _(
                    "“%(name)s” looks like the table of a repeat, but no repeat of this version "
                    "of the form matches it."
                )
                % {"name": table.name}
            )
        children.append(_Child(table=table, repeat=repeat, reader=_RowReader(form, table, repeat)))
    main_reader = _RowReader(form, main, "")
    _group_children(children)
    used: set[tuple[str, int]] = set()
    records = [
        _main_record(form, main, main_reader, children, index, row, used)
        for index, row in enumerate(main.rows)
    ]
    _check_orphans(children, used, problems)
    ignored, unmatched, matched = [], [], []
    for reader in [main_reader, *(c.reader for c in children)]:
        headers = reader.table.headers
        ignored += [h for h in reader.columns.ignored if h not in ignored]
        unmatched += [headers[c] for c in reader.columns.unmatched if headers[c]]
        # The form's own metadata (meta/instanceID) is in every export: it says nothing
        # about which form the export is of.
        matched += [
            headers[c]
            for c, target in reader.columns.targets.items()
            if not target.spec.path.startswith("meta/")
        ]
    return ExportReading(
        records=tuple(records),
        problems=tuple(problems),
        ignored_columns=tuple(ignored),
        unmatched_columns=tuple(dict.fromkeys(unmatched)),
        matched_columns=tuple(dict.fromkeys(matched)),
    )


def _parent_key(table: Table, row: Sequence[Any]) -> Any:
    if "PARENT_KEY" in table.headers:
        return _raw_text(row[table.headers.index("PARENT_KEY")]).strip()
    name = _raw_text(row[table.headers.index("_parent_table_name")]).strip()
    index = _raw_text(row[table.headers.index("_parent_index")]).strip()
    return (name, index)


def _own_key(table: Table, row: Sequence[Any]) -> Any:
    if "KEY" in table.headers:
        return _raw_text(row[table.headers.index("KEY")]).strip()
    if "_index" in table.headers:
        return (table.name, _raw_text(row[table.headers.index("_index")]).strip())
    return None


def _group_children(children: list[_Child]) -> None:
    for child in children:
        for index, row in enumerate(child.table.rows):
            child.by_parent.setdefault(_parent_key(child.table, row), []).append((index + 2, row))


def _attach(
    form: _Form,
    parent_context: str,
    parent_key: Any,
    answers: dict,
    located: dict[str, Place],
    problems: list[RowProblem],
    payload: dict,
    children: list[_Child],
    base: str,
    used: set,
) -> None:
    """Put the repeat rows that belong to one row (main or repeat) into its answers."""
    if parent_key is None:
        return
    for child in children:
        rows = child.by_parent.get(parent_key)
        if not rows:
            continue
        ancestors = form.repeats_between("", child.repeat)
        expected_parent = ancestors[-1] if ancestors else ""
        if expected_parent != parent_context:
            continue
        rel = child.repeat[len(parent_context) + 1 :] if parent_context else child.repeat
        segments = rel.split("/")
        here = answers
        for segment in segments[:-1]:
            here = here.setdefault(segment, {})
        instances = here.setdefault(segments[-1], [])
        for number, row in rows:
            used.add((child.table.name, number))
            where = f"{base}/{rel}" if base else rel
            where = f"{where}[{len(instances) + 1}]"
            # The instance is this row: a message about it, or about one of its questions
            # that has no column, names the repeat's sheet or file and this row.
            located[where] = Place(child.table.name, number)
            child_answers, child_problems, child_located = child.reader.read(row, number, where)
            problems.extend(child_problems)
            located.update(child_located)
            child_payload = {"columns": _pairs(child.table, row)}
            _attach(
                form,
                child.repeat,
                _own_key(child.table, row),
                child_answers,
                located,
                problems,
                child_payload,
                children,
                where,
                used,
            )
            instances.append(child_answers)
            # Keyed by the repeat, not by the file's name: the same rows are the same
            # payload whether they came as separate files or in ODK Central's zip.
            payload.setdefault("repeats", {}).setdefault(child.repeat, []).append(child_payload)


def _pairs(table: Table, row: Sequence[Any]) -> list[list[str]]:
    return [[h, _raw_text(v)] for h, v in zip(table.headers, row, strict=True)]


def _main_record(
    form: _Form,
    main: Table,
    reader: _RowReader,
    children: list[_Child],
    index: int,
    row: Sequence[Any],
    used: set[tuple[str, int]],
) -> ExportRecord:
    number = index + 2
    answers, problems, located = reader.read(row, number)
    payload: dict[str, Any] = {"columns": _pairs(main, row)}
    _attach(form, "", _own_key(main, row), answers, located, problems, payload, children, "", used)
    raw = canonical_json(payload)

    id_column, id_value = _cell(main, row, INSTANCE_COLUMNS)
    instance_id, derived = "", False
    if id_column:
        instance_id = _instance_id(_raw_text(id_value)) or ""
        if not instance_id:
            problems.insert(
                0,
                RowProblem(
                    main.name,
                    number,
                    id_column,
                    _("“%(value)s” is not a valid instance ID (a UUID).")
                    % {"value": _short(_raw_text(id_value).strip())},
                ),
            )
    else:
        instance_id, derived = derived_instance_id(raw), True
    if instance_id and "meta/instanceID" in form.by_path:
        answers.setdefault("meta", {})["instanceID"] = instance_id

    at_column, at_value = _cell(main, row, SUBMITTED_AT_COLUMNS)
    submitted_at = parse_moment(at_value) if at_column else None
    if at_column and submitted_at is None:
        problems.append(
            RowProblem(
                main.name,
                number,
                at_column,
                _("“%(value)s” is not a date and time Fieldwork can read.")
                % {"value": _short(_raw_text(at_value).strip())},
            )
        )
    _by_column, by_value = _cell(main, row, SUBMITTED_BY_COLUMNS)
    start = form.start_path()
    started_at = None
    if start:
        here: Any = answers
        for segment in start.split("/"):
            here = here.get(segment) if isinstance(here, dict) else None
        started_at = parse_moment(here) if isinstance(here, str) else None
    return ExportRecord(
        table=main.name,
        row=number,
        instance_id=instance_id,
        derived_id=derived,
        submitted_at=submitted_at,
        submitted_by=_raw_text(by_value).strip(),
        started_at=started_at,
        answers=answers,
        payload=raw,
        problems=tuple(problems),
        places=tuple(sorted(located.items(), key=lambda item: -len(item[0]))),
    )


def _check_orphans(children: list[_Child], used: set, problems: list[RowProblem]) -> None:
    """A repeat row whose parent row is not in the files would be lost: say so."""
    for child in children:
        for parent, rows in child.by_parent.items():
            for number, _row in rows:
                if (child.table.name, number) in used:
                    continue
                problems.append(
                    RowProblem(
                        child.table.name,
                        number,
                        "PARENT_KEY" if "PARENT_KEY" in child.table.headers else "_parent_index",
                        _(
                            "This repeat row belongs to “%(parent)s”, which is not a row of "
                            "the export: it cannot be imported."
                        )
                        % {"parent": parent if isinstance(parent, str) else "/".join(parent)},
                    )
                )


# --------------------------------------------------------------------------- Kobo JSON


def _read_kobo_json(form: _Form, name: str, content: bytes) -> ExportReading:
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(
            _("“%(name)s” is not readable JSON: %(error)s.") % {"name": name, "error": exc}
        ) from None
    if isinstance(data, Mapping):
        submissions = data.get("results", data.get("submissions"))
    else:
        submissions = data
    if not isinstance(submissions, list) or not all(isinstance(s, Mapping) for s in submissions):
        raise ExportError(
            _(
                "“%(name)s” is not a KoboToolbox JSON export: it should hold a list of "
                "submissions (“results” or “submissions”)."
            )
            % {"name": name}
        )
    records = []
    for number, submission in enumerate(submissions, 1):
        records.append(_kobo_record(form, name, number, submission))
    return ExportReading(records=tuple(records))


def _kobo_record(form: _Form, name: str, number: int, submission: Mapping) -> ExportRecord:
    problems: list[RowProblem] = []
    located: dict[str, Place] = {}
    answers = _kobo_answers(form, name, number, submission, "", "", problems, located)
    raw = canonical_json(submission)
    id_key = next(
        (k for k in ("meta/instanceID", "_uuid") if str(submission.get(k) or "").strip()), ""
    )
    id_text = str(submission[id_key]).strip() if id_key else ""
    instance_id, derived = "", False
    if id_text:
        instance_id = _instance_id(id_text) or ""
        if not instance_id:
            problems.insert(
                0,
                RowProblem(
                    name,
                    number,
                    id_key,
                    _("“%(value)s” is not a valid instance ID (a UUID).")
                    % {"value": _short(id_text)},
                ),
            )
    else:
        instance_id, derived = derived_instance_id(raw), True
    if instance_id and "meta/instanceID" in form.by_path:
        answers.setdefault("meta", {})["instanceID"] = instance_id
    submitted_at = parse_moment(submission.get("_submission_time"))
    if submission.get("_submission_time") and submitted_at is None:
        problems.append(
            RowProblem(
                name,
                number,
                "_submission_time",
                _("“%(value)s” is not a date and time Fieldwork can read.")
                % {"value": _short(str(submission["_submission_time"]))},
            )
        )
    start = form.start_path()
    started_at = parse_moment(submission.get(start)) if start else None
    return ExportRecord(
        table=name,
        row=number,
        instance_id=instance_id,
        derived_id=derived,
        submitted_at=submitted_at,
        submitted_by=str(submission.get("_submitted_by") or ""),
        started_at=started_at,
        answers=answers,
        payload=raw,
        problems=tuple(problems),
        places=tuple(sorted(located.items(), key=lambda item: -len(item[0]))),
    )


def _kobo_answers(
    form: _Form,
    name: str,
    number: int,
    data: Mapping,
    context: str,
    base: str,
    problems: list[RowProblem],
    located: dict[str, Place],
) -> dict[str, Any]:
    """Kobo keys every answer by its full path, inside repeats too."""
    answers: dict[str, Any] = {}
    for key, value in data.items():
        path = str(key)
        rel = path[len(context) + 1 :] if context and path.startswith(context + "/") else path
        full = f"{context}/{rel}" if context else rel
        where = f"{base}/{rel}" if base else rel
        spec = form.by_path.get(full)
        if spec is not None and _kind(spec) == _REPEAT and isinstance(value, list):
            instances = []
            for index, item in enumerate(value, 1):
                if isinstance(item, Mapping):
                    instances.append(
                        _kobo_answers(
                            form, name, number, item, full, f"{where}[{index}]", problems, located
                        )
                    )
            _put(answers, rel.split("/"), {}, instances)
            continue
        if spec is not None and _kind(spec) not in _GROUPS and _kind(spec) != _REPEAT:
            text = _cell_text(value, _kind(spec))
            if text.strip():
                _put(answers, rel.split("/"), {}, text)
                located[where] = Place(name, number, path)
            continue
        if not context and (path in SERVER_COLUMNS or path.startswith("_")):
            continue
        if rel.startswith("meta/") and "/" not in rel[5:]:
            if str(value).strip():
                answers.setdefault("meta", {})[rel[5:]] = str(value)
            continue
        if rel.endswith("_count") and f"{full[:-6]}" in form.repeats:
            continue  # KoboToolbox's own count of a repeat with a repeat_count
        problems.append(
            RowProblem(
                name,
                number,
                path,
                _(
                    "No question of this version of the form matches this field. Its value "
                    "“%(value)s” cannot be kept."
                )
                % {"value": _short(json.dumps(value, ensure_ascii=False))},
            )
        )
    return answers
