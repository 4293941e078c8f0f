"""XLSForm in, plain data out: pyxform converts the file, this module reads what it made.

Pure: bytes and a file name in, frozen dataclasses out (`ConvertedForm`, `QuestionSpec`,
`ChoiceSpec`, `Problem`); no database. `validate_with_odk` is the one function that leaves
the process: it runs ODK Validate (JavaRosa, the engine inside ODK Collect) in Java.

pyxform's messages are English and technical ("[row : 3] Question or group with no name.").
`XLSFormError` carries them as `Problem`s with the sheet, row and column pulled out of the
text, and the messages users meet most often rewritten as sentences they can act on.
"""

import hashlib
import io
import logging
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
import warnings as py_warnings
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import PurePath
from xml.etree import ElementTree

from django.utils.translation import gettext as _
from pyxform.builder import create_survey_element_from_dict
from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
from pyxform.validators.error_cleaner import ErrorCleaner
from pyxform.validators.odk_validate import ODK_VALIDATE_PATH
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from fieldwork.instruments.specs import ChoiceSpec, Problem, QuestionSpec

logger = logging.getLogger(__name__)

#: File types pyxform reads, by extension (the extension decides how the bytes are parsed).
SUPPORTED_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".csv", ".md")

#: The values the `disclosure` column of the survey sheet may hold.
DISCLOSURE_ROLES = ("direct_identifier", "quasi_identifier", "sensitive", "none")
DISCLOSURE_COLUMN = "disclosure"

#: Nodes that hold no answer of their own: they take no disclosure role.
STRUCTURAL_TYPES = frozenset({"group", "repeat", "note", "entity"})
#: Metadata nodes the form fills itself and that say nothing about a person.
NEUTRAL_META = frozenset({"instanceID", "instanceName", "deprecatedID"})

XFORMS_NS = "http://www.w3.org/2002/xforms"
XHTML_NS = "http://www.w3.org/1999/xhtml"


class XLSFormError(Exception):
    """The file is not a form pyxform (or ODK Validate) accepts; nothing should be stored."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.located() for p in problems))
        self.problems = problems


class OdkValidateUnavailable(RuntimeError):
    """ODK Validate could not run (no Java): the form was not checked, so it is not safe."""


@dataclass(frozen=True)
class ConvertedForm:
    """What an XLSForm becomes: the XForm for phones and the tables the app reads."""

    form_id: str
    version: str
    title: str
    xform_xml: str
    languages: list[str]
    default_language: str
    settings: dict[str, str]
    warnings: list[Problem]
    questions: list[QuestionSpec]
    choices: list[ChoiceSpec]
    #: True when the settings sheet had no version and `version` was made from the content.
    version_generated: bool = False
    #: True when the survey sheet has a `disclosure` column.
    has_disclosure_column: bool = False
    #: The survey sheet's row of each question, group and repeat, by path (pyxform's
    #: numbering: the header is row 1), to locate what ODK Validate says about a node.
    rows: dict[str, int] = field(default_factory=dict)


# --- Conversion --------------------------------------------------------------------------------


def convert_xlsform(*, content: bytes, filename: str) -> ConvertedForm:
    """Convert an XLSForm with pyxform and extract its questions and choices.

    The extension of `filename` says how to read `content`; its stem is the form id when the
    settings sheet has no form_id (as pyxform's command line does). Raises `XLSFormError`
    with located problems when pyxform refuses the form or a `disclosure` value is unknown.
    Does not run ODK Validate (see `validate_with_odk`)."""
    path = PurePath(filename or "form")
    extension = path.suffix.lower()
    if extension not in SUPPORTED_EXTENSIONS:
        raise XLSFormError(
            [
                Problem(
                    _(
                        "Fieldwork reads XLSForms saved as %(types)s; “%(name)s” is none of "
                        "these. Save the form from your spreadsheet program in one of these "
                        "formats and upload it again."
                    )
                    % {"types": ", ".join(SUPPORTED_EXTENSIONS), "name": path.name}
                )
            ]
        )
    if not content:
        raise XLSFormError([Problem(_("The file is empty."))])
    if extension in (".xlsx", ".xlsm"):
        _refuse_zip_bomb(content)

    pyxform_warnings: list[str] = []
    workbook = None
    try:
        with py_warnings.catch_warnings():
            # openpyxl complains about styles and extensions it skips; nothing a user can fix.
            py_warnings.simplefilter("ignore")
            workbook = get_xlsform(xlsform=io.BytesIO(content), file_type=extension)
            tree = workbook_to_json(
                workbook_dict=workbook,
                fallback_form_name=path.stem,
                warnings=pyxform_warnings,
            )
            version_generated = not str(tree.get("version") or "").strip()
            if version_generated:
                tree["version"] = content_version(content)
            survey = create_survey_element_from_dict(tree)
            xform_xml = survey.to_xml(validate=False, pretty_print=False, warnings=pyxform_warnings)
    except Exception as exc:  # pyxform raises many kinds; each becomes a message to show
        problem = _problem_from_pyxform(exc, workbook)
        if problem.column and problem.row == 1 and problem.sheet is None:
            problem = replace(problem, sheet=_sheet_with_header(content, extension, problem.column))
        raise XLSFormError([problem]) from exc

    problems: list[Problem] = []
    has_disclosure_column = _read_disclosure_column(workbook, problems) is not None
    form_id = str(tree.get("id_string") or "").strip()
    version = str(tree["version"]).strip()
    title = str(tree.get("title") or form_id).strip()
    for setting, value in (("form_id", form_id), ("version", version)):
        if len(value) > 255:
            problems.append(
                Problem(
                    _("The %(setting)s is longer than 255 characters; shorten it.")
                    % {"setting": setting},
                    sheet="settings",
                    column=setting,
                )
            )
    if problems:
        raise XLSFormError(problems)

    questions = list(_walk(tree.get("children", []), prefix="", repeat_path=""))
    questions = [_with_disclosure(q) for q in questions]
    warnings = [p for w in pyxform_warnings for p in _problems_from_warning(w)]
    if version_generated:
        warnings.insert(
            0,
            Problem(
                _(
                    "The settings sheet has no version, so Fieldwork named this upload "
                    "“%(version)s” after its content. Set a version in the settings sheet to "
                    "choose your own."
                )
                % {"version": version},
                sheet="settings",
                column="version",
            ),
        )
    languages = xform_languages(xform_xml)
    default_language = str(tree.get("default_language") or "")
    if default_language not in languages:
        default_language = languages[0] if languages else ""
    return ConvertedForm(
        form_id=form_id,
        version=version,
        title=title[:255],
        xform_xml=xform_xml,
        languages=languages,
        default_language=default_language,
        settings=_settings(workbook),
        warnings=warnings,
        questions=questions,
        choices=_choices(tree.get("choices") or {}),
        version_generated=version_generated,
        has_disclosure_column=has_disclosure_column,
        rows=_survey_rows(workbook),
    )


#: What an .xlsx may unpack to. Real forms unpack to a few MB (a 400-question form with
#: media columns: under 2 MB); a crafted file could unpack to gigabytes inside openpyxl.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024


def _refuse_zip_bomb(content: bytes) -> None:

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        return  # not a zip at all: pyxform says it cannot read it
    if unpacked > MAX_UNPACKED_BYTES:
        raise XLSFormError(
            [
                Problem(
                    _(
                        "This spreadsheet unpacks to more than %(max)s MB, far more than any "
                        "questionnaire needs. Remove unused sheets and content, or save it "
                        "again from your spreadsheet program."
                    )
                    % {"max": MAX_UNPACKED_BYTES // 1024 // 1024}
                )
            ]
        )


def content_version(content: bytes) -> str:
    """The version given to a form whose settings sheet has none.

    Made from the file's bytes (the first 12 hex digits of their SHA-256), not from the clock:
    the same file always gets the same version, so uploading it twice is refused as a
    duplicate, while any change to the file gives a new version that phones and submissions
    can tell apart. It is written into the XForm, so submissions carry it back."""
    return hashlib.sha256(content).hexdigest()[:12]


def _survey_rows(workbook) -> dict[str, int]:
    """The survey sheet's row of each node, by path, following begin and end group/repeat.
    Rows inside a loop are left out: their paths hold each choice's name."""
    found: dict[str, int] = {}
    stack: list[str | None] = []  # None: a loop, or a group inside one
    for number, row in enumerate(getattr(workbook, "survey", None) or [], start=2):
        cells = {str(k).strip().lower(): str(v).strip() for k, v in row.items() if v is not None}
        kind = re.sub(r"[\s_]+", " ", cells.get("type", "").lower())
        name = cells.get("name", "")
        if kind.startswith("end "):
            if stack:
                stack.pop()
            continue
        in_loop = None in stack or kind.startswith("begin loop")
        if name and not in_loop:
            found.setdefault("/".join([*stack, name]), number)
        if kind.startswith("begin "):
            stack.append(None if in_loop else name)
    return found


def _settings(workbook) -> dict[str, str]:
    rows = getattr(workbook, "settings", None) or []
    if not rows:
        return {}
    return {str(k).strip(): str(v) for k, v in rows[0].items() if k and v not in (None, "")}


# --- Walking pyxform's JSON tree ---------------------------------------------------------------


def _walk(children: list[dict], *, prefix: str, repeat_path: str) -> Iterator[QuestionSpec]:
    """Every node in document order, with groups and repeats before what they contain."""
    for node in children:
        kind = str(node.get("type", ""))
        name = str(node.get("name", ""))
        if kind in ("xml-external", "csv-external", "attribute") or not name:
            continue  # secondary instances and XML attributes hold no answer node
        path = f"{prefix}{name}"
        if kind == "entity":
            # An ODK entity declaration (entities sheet) lives in meta/entity; its label is
            # computed from the answers like a calculate.
            yield _spec(node, name=name, path=path, kind=kind, repeat_path=repeat_path)
            for child in node.get("children", []):
                if child.get("type") == "label":
                    yield _spec(
                        child,
                        name=str(child["name"]),
                        path=f"{path}/{child['name']}",
                        kind="calculate",
                        repeat_path=repeat_path,
                    )
            continue
        if kind == "loop":
            yield _spec(node, name=name, path=path, kind="group", repeat_path=repeat_path)
            yield from _walk_loop(node, prefix=f"{path}/", repeat_path=repeat_path)
            continue
        yield _spec(node, name=name, path=path, kind=kind, repeat_path=repeat_path)
        if kind in ("group", "repeat"):
            inner_repeat = path if kind == "repeat" else repeat_path
            yield from _walk(node.get("children", []), prefix=f"{path}/", repeat_path=inner_repeat)


def _walk_loop(node: dict, *, prefix: str, repeat_path: str) -> Iterator[QuestionSpec]:
    """A `begin loop over <list>` is a group per choice, each holding a copy of the children
    with `%(name)s` and `%(label)s` filled in (as pyxform's builder does)."""
    for column in node.get("columns", []):
        if column.get("name") == "none":
            continue
        group = {"type": "group", "name": column["name"], "label": column.get("label", "")}
        path = f"{prefix}{column['name']}"
        yield _spec(group, name=column["name"], path=path, kind="group", repeat_path=repeat_path)
        filled = [_substitute(child, column) for child in node.get("children", [])]
        yield from _walk(filled, prefix=f"{path}/", repeat_path=repeat_path)


def _substitute(template: dict, column: dict) -> dict:
    def fill(value, lang=None):
        if not isinstance(value, str):
            return value
        label = column.get("label", "")
        if isinstance(label, dict):
            label = label.get(lang, next(iter(label.values()), "")) if lang else ""
        try:
            return value % {"name": column.get("name", ""), "label": label}
        except (KeyError, TypeError, ValueError):
            return value

    result = {}
    for key, value in template.items():
        if isinstance(value, dict):
            result[key] = {k: fill(v, k) for k, v in value.items()}
        else:
            result[key] = fill(value)
    return result


#: The XLSForm type names questions are stored under. pyxform accepts many aliases ("gps",
#: "q picture", "add integer prompt") and itself renames "image" to "photo"; the app and the
#: people reading its pages see one name per kind of question.
CANONICAL_TYPES = (
    "text",
    "integer",
    "decimal",
    "date",
    "time",
    "dateTime",
    "geopoint",
    "geotrace",
    "geoshape",
    "image",
    "audio",
    "video",
    "file",
    "barcode",
    "note",
    "calculate",
    "hidden",
    "acknowledge",
    "range",
    "rank",
    "trigger",
    "osm",
    "start",
    "end",
    "today",
    "deviceid",
    "phonenumber",
    "simserial",
    "subscriberid",
    "username",
    "email",
    "audit",
    "start-geopoint",
    "background-audio",
    "background-geopoint",
    "select one",
    "select all that apply",
    "select one external",
)


@lru_cache(maxsize=1)
def _type_aliases() -> dict[str, str]:

    aliases = {"phone number": "phonenumber"}
    for alias, definition in QUESTION_TYPE_DICT.items():
        if alias in CANONICAL_TYPES:
            continue
        if alias.startswith("uri:"):
            aliases[alias] = alias.removeprefix("uri:")
            continue
        for name in CANONICAL_TYPES:
            if QUESTION_TYPE_DICT.get(name) == definition:
                aliases[alias] = name
                break
    return aliases


def canonical_type(kind: str) -> str:
    """ "photo" -> "image", "gps" -> "geopoint", "int" -> "integer"; other types unchanged."""
    return _type_aliases().get(kind, kind)


def _texts(value) -> dict[str, str]:
    """A label, hint or message: pyxform gives a string, or a dict by language."""
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if v not in (None, "")}
    return {"default": str(value)}


def _truthy(value) -> bool:
    if value is None:
        return False
    text = str(value).strip()
    return bool(text) and text.lower() not in _NEVER


_NEVER = ("no", "false", "false()", "0")
_ALWAYS = ("yes", "true", "true()", "1")


def _required_if(value) -> str:
    """The `required` column's expression when it is one ("${consent} = 'yes'"); "" when the
    column says plainly yes or no."""
    text = str(value or "").strip()
    return "" if text.lower() in _NEVER + _ALWAYS else text


def _spec(node: dict, *, name: str, path: str, kind: str, repeat_path: str) -> QuestionSpec:
    bind = node.get("bind") or {}
    control = node.get("control") or {}
    list_name = node.get("list_name") or node.get("itemset") or ""
    return QuestionSpec(
        name=name,
        path=path,
        type=canonical_type(kind),
        list_name=str(list_name),
        repeat_path=repeat_path,
        labels=_texts(node.get("label")),
        hints=_texts(node.get("hint")),
        required=_truthy(bind.get("required")),
        required_if=_required_if(bind.get("required")),
        required_message=_texts(bind.get("jr:requiredMsg")),
        relevant=str(bind.get("relevant") or ""),
        constraint=str(bind.get("constraint") or ""),
        constraint_message=_texts(bind.get("jr:constraintMsg")),
        calculation=str(bind.get("calculate") or ""),
        choice_filter=str(node.get("choice_filter") or ""),
        appearance=str(control.get("appearance") or ""),
        default=str(node.get("default") or ""),
        read_only=_truthy(bind.get("readonly")),
        disclosure=_declared_disclosure(node) or "none",
        # Marks "the author declared a role" until _with_disclosure decides.
        disclosure_suggested=_declared_disclosure(node) is None,
    )


def _choices(lists: dict) -> list[ChoiceSpec]:
    skip = {"name", "label", "media", "sms_option", "__row"}
    result = []
    for list_name, items in lists.items():
        for item in items:
            extra = {}
            for key, value in item.items():
                if key in skip or value in (None, ""):
                    continue
                if isinstance(value, dict):
                    extra.update({f"{key}::{k}": str(v) for k, v in value.items()})
                else:
                    extra[str(key)] = str(value)
            result.append(
                ChoiceSpec(
                    list_name=str(list_name),
                    name=str(item.get("name", "")),
                    labels=_texts(item.get("label")),
                    extra=extra,
                )
            )
    return result


def xform_languages(xform_xml: str) -> list[str]:
    """The languages of the XForm's translations, in their order ([] when it has none)."""
    return re.findall(r'<translation (?:[^>]*?)lang="([^"]*)"', xform_xml)


# --- Disclosure --------------------------------------------------------------------------------


def _declared_disclosure(node: dict) -> str | None:
    for key, value in node.items():
        if str(key).strip().lower() == DISCLOSURE_COLUMN and isinstance(value, str):
            role = _normalise_role(value)
            return role if role in DISCLOSURE_ROLES else None
    return None


def _normalise_role(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", value.strip().lower())


def _read_disclosure_column(workbook, problems: list[Problem]) -> dict[int, str] | None:
    """The survey sheet's `disclosure` values by row, None when the column is absent. An
    unknown value is a problem at its row (pyxform's rows: the header is row 1)."""
    header = (getattr(workbook, "survey_header", None) or [{}])[0]
    column = next((h for h in header if str(h).strip().lower() == DISCLOSURE_COLUMN), None)
    if column is None:
        return None
    found = {}
    for number, row in enumerate(workbook.survey or [], start=2):
        value = row.get(column)
        if value in (None, ""):
            continue
        role = _normalise_role(str(value))
        if role not in DISCLOSURE_ROLES:
            problems.append(
                Problem(
                    _(
                        "“%(value)s” is not a disclosure role. Write one of: %(roles)s, or "
                        "leave the cell empty for Fieldwork to suggest one."
                    )
                    % {"value": value, "roles": ", ".join(DISCLOSURE_ROLES)},
                    sheet="survey",
                    row=number,
                    column=column,
                )
            )
        found[number] = role
    return found


def _tokens(name: str) -> list[str]:
    """Words of a question name: "nomChef_2" -> ["nom", "chef"]."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return [t for t in re.split(r"[^a-zA-Z\u00c0-\u024f]+", spaced.lower()) if t]


def _strip_accents(word: str) -> str:

    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


NAME_WORDS = frozenset(
    {"nom", "noms", "name", "names", "prenom", "prenoms", "surname", "firstname", "lastname"}
)
NAME_WORDS_IN = ("fullname", "surname", "firstname", "lastname", "prenom")
PHONE_WORDS = frozenset(
    {"phone", "tel", "telephone", "portable", "mobile", "cellphone", "gsm", "whatsapp"}
)
NUMBER_WORDS = frozenset({"numero", "number", "num", "contact"})
PLACE_WORDS = frozenset(
    {"village", "commune", "cercle", "region", "quartier", "localite", "lieu", "place", "camp"}
)
QUASI_WORDS = frozenset(
    {
        "age",
        "gender",
        "sex",
        "sexe",
        "genre",
        "village",
        "commune",
        "cercle",
        "ethnie",
        "ethnicity",
        "ethnic",
        "ethnique",
        "birth",
        "birthday",
        "naissance",
        "dob",
        "religion",
        "occupation",
        "profession",
        "metier",
    }
)
LOCATION_TYPES = frozenset(
    {"geopoint", "geotrace", "geoshape", "start-geopoint", "background-geopoint"}
)
MEDIA_TYPES = frozenset({"audio", "image", "video", "background-audio"})
#: Metadata that identifies the phone or the person holding it.
DEVICE_META = frozenset({"deviceid", "phonenumber", "simserial", "subscriberid", "email"})


def takes_disclosure_role(q) -> bool:
    """Whether a question (spec or row) holds an answer whose disclosure matters: not a
    group, repeat or note, nor the instance ID the phone makes up."""
    return q.type not in STRUCTURAL_TYPES and q.name not in NEUTRAL_META


def suggest_disclosure(q: QuestionSpec) -> str:
    """The role Fieldwork suggests for a question when the form declares none.

    Errs on the side of flagging: a study admin confirms or changes every suggestion before
    a release reads it. Direct identifiers are names, phone numbers, locations, voices and
    faces (geopoints, audio, photos, video) and metadata naming the phone; free text is
    sensitive (people write names into it); age, gender, village, ethnicity, birth and the
    like are quasi-identifiers; everything else is none."""
    if not takes_disclosure_role(q) or q.name.startswith("reserved_name_for_field_list_labels"):
        return "none"  # (the latter: pyxform's label row of a table-list)
    words = [_strip_accents(t) for t in _tokens(q.name)]
    word_set = set(words)
    joined = "".join(words)
    is_place = bool(word_set & PLACE_WORDS)
    is_name = bool(word_set & NAME_WORDS) or any(w in joined for w in NAME_WORDS_IN)
    is_phone = bool(word_set & PHONE_WORDS) or (
        "numbers" in q.appearance.split() and bool(word_set & NUMBER_WORDS)
    )
    if q.type in LOCATION_TYPES or q.type in MEDIA_TYPES or q.type in DEVICE_META:
        return "direct_identifier"
    if is_phone or (is_name and not is_place):
        return "direct_identifier"
    if word_set & QUASI_WORDS or is_place:
        return "quasi_identifier"
    if q.type == "text" or q.type == "file":
        return "sensitive"
    return "none"


def _with_disclosure(q: QuestionSpec) -> QuestionSpec:
    """Keep a declared role; otherwise suggest one, marked for a study admin to confirm.
    Structural nodes (groups, repeats, notes) get "none", with nothing to confirm. A blank
    cell in a present `disclosure` column counts as undeclared: a forgotten row is flagged
    rather than published as "none"."""
    if not takes_disclosure_role(q):
        return replace(q, disclosure="none", disclosure_suggested=False)
    if not q.disclosure_suggested:  # declared in the column (see _spec)
        return q
    return replace(q, disclosure=suggest_disclosure(q), disclosure_suggested=True)


# --- Problems from pyxform's messages ----------------------------------------------------------

ROW_RE = re.compile(r"\[row\s*:\s*(\d+)\]\s*")
SHEET_RE = re.compile(r"(?:On the|on the|for sheet:?) '?([A-Za-z_ ]+?)'? sheet|sheet: '([^']+)'")
COLUMN_RE = re.compile(r"the '([^']+)' (?:value|column)")
LEARN_MORE_RE = re.compile(r"\s*Learn more: \S+\)?\.?")


def parse_location(message: str) -> Problem:
    """A pyxform message as a Problem: "[row : 3] On the 'choices' sheet, the 'name' value…"
    gives sheet "choices", row 3, column "name". A row without a sheet is on the survey
    sheet (pyxform names the other sheets)."""
    text = message.strip()
    row = None
    if match := ROW_RE.search(text):
        row = int(match.group(1))
        text = (text[: match.start()] + text[match.end() :]).strip()
    sheet = None
    if match := SHEET_RE.search(text):
        sheet = (match.group(1) or match.group(2)).strip()
    elif row is not None:
        sheet = "survey"
    column = None
    if match := COLUMN_RE.search(text):
        column = match.group(1)
    return Problem(message=text, sheet=sheet, row=row, column=column)


def _problem_from_pyxform(exc: Exception, workbook) -> Problem:
    raw = str(exc).strip() or exc.__class__.__name__
    problem = parse_location(raw)
    message = problem.message
    if m := re.match(r"Duplicate column header: (.+)$", message):
        return replace(
            problem,
            message=_(
                "Two columns have the same header “%(header)s”. Rename or remove one of them."
            )
            % {"header": m.group(1)},
            row=1,
            column=m.group(1),
        )
    if m := re.match(r"Unknown question type '([^']*)'", message):
        row = _find_survey_row(workbook, "type", m.group(1))
        return replace(
            problem,
            message=_(
                "“%(type)s” is not a question type pyxform knows. Check its spelling, or "
                "replace it with a current XLSForm type (text, integer, select_one …)."
            )
            % {"type": m.group(1)},
            sheet="survey",
            row=row if row is not None else problem.row,
            column="type",
        )
    if message.startswith("There should be a choices sheet"):
        return replace(
            problem,
            message=_(
                "The form has select questions but no choices sheet. Add a sheet named "
                "“choices” with the columns list_name, name and label."
            ),
            sheet="choices",
        )
    if message.startswith("Question or group with no name"):
        return replace(
            problem,
            message=_("This row has a type but no name. Give it a name in the “name” column."),
            column="name",
        )
    if message.startswith("Missing calculation"):
        return replace(
            problem,
            message=_(
                "A calculate row needs an expression in the “calculation” column. Add one or "
                "remove the row."
            ),
            column="calculation",
        )
    if m := re.search(
        r"Headers that are different names for the same column were found: '([^']+)', "
        r"'([^']+)'",
        message,
    ):
        return replace(
            problem,
            message=_(
                "The columns “%(one)s” and “%(other)s” mean the same thing. Keep one of them."
            )
            % {"one": m.group(1), "other": m.group(2)},
            row=1,
            column=m.group(2),
        )
    if m := re.search(r"List name not in choices sheet: (.+)$", message):
        return replace(
            problem,
            message=_(
                "This question uses the choice list “%(list)s”, which the choices sheet does "
                "not have. Add the list or fix the name after the question type."
            )
            % {"list": m.group(1).strip()},
            column="type",
        )
    if m := re.search(
        r"invalid date on the (\S+) sheet, under the (.+) column on row number (\d+)", message
    ):
        # pyxform counts data rows from 0 here; the spreadsheet's row is 2 more.
        return Problem(
            message=_(
                "This cell holds a date that Excel stores ambiguously. Type the value as text "
                "(start it with an apostrophe)."
            ),
            sheet=m.group(1),
            row=int(m.group(3)) + 2,
            column=m.group(2),
        )
    if "not recognized as a supported type" in message or exc.__class__.__name__ in (
        "BadZipFile",
        "XLRDError",
        "InvalidFileException",
        "UnicodeDecodeError",
    ):
        return Problem(
            _(
                "This file could not be read as a spreadsheet. Open it in your spreadsheet "
                "program, save it again as .xlsx and upload that file."
            )
        )
    if message.startswith("You must have a sheet named 'survey'"):
        return replace(
            problem,
            message=_("The form has no “survey” sheet. Every XLSForm needs one."),
            sheet="survey",
        )
    return replace(problem, message=LEARN_MORE_RE.sub("", message).strip() or message)


def _sheet_with_header(content: bytes, extension: str, header: str) -> str | None:
    """The sheet whose header row holds `header` twice (pyxform does not say which)."""
    try:
        with py_warnings.catch_warnings():
            py_warnings.simplefilter("ignore")
            if extension in (".xlsx", ".xlsm"):
                import openpyxl

                book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
                rows = {s.title: next(s.iter_rows(max_row=1, values_only=True), ()) for s in book}
            elif extension == ".xls":
                import xlrd

                book = xlrd.open_workbook(file_contents=content)
                rows = {s.name: s.row_values(0) if s.nrows else [] for s in book.sheets()}
            else:
                return None
    except Exception:  # only a better location is lost
        return None
    for sheet, cells in rows.items():
        if [str(c).strip() for c in cells if c is not None].count(header) > 1:
            return sheet
    return None


def _find_survey_row(workbook, column: str, value: str) -> int | None:
    rows = getattr(workbook, "survey", None) or []
    for number, row in enumerate(rows, start=2):
        for key, cell in row.items():
            if str(key).strip().lower() == column and str(cell).strip() == value:
                return number
    return None


def _problems_from_warning(warning: str) -> list[Problem]:
    """A pyxform warning may hold several lines ("Language 'x' is missing…" per language)."""
    return [parse_location(line) for line in str(warning).splitlines() if line.strip()]


def problem_text(problem: Problem) -> str:
    """A problem as one translated line: "Sheet “survey”, row 3, column “name”: …"."""
    if problem.sheet and problem.row is not None and problem.column:
        where = _("Sheet “%(sheet)s”, row %(row)s, column “%(column)s”")
    elif problem.sheet and problem.row is not None:
        where = _("Sheet “%(sheet)s”, row %(row)s")
    elif problem.sheet and problem.column:
        where = _("Sheet “%(sheet)s”, column “%(column)s”")
    elif problem.sheet:
        where = _("Sheet “%(sheet)s”")
    elif problem.row is not None:
        where = _("Row %(row)s")
    elif problem.column:
        where = _("Column “%(column)s”")
    else:
        return problem.message
    place = where % {"sheet": problem.sheet, "row": problem.row, "column": problem.column}
    return _("%(place)s: %(message)s") % {"place": place, "message": problem.message}


def problem_to_dict(problem: Problem) -> dict:
    return {
        "message": problem.message,
        "sheet": problem.sheet,
        "row": problem.row,
        "column": problem.column,
    }


def problem_from_dict(data: dict) -> Problem:
    return Problem(
        message=str(data.get("message", "")),
        sheet=data.get("sheet"),
        row=data.get("row"),
        column=data.get("column"),
    )


# --- ODK Validate ------------------------------------------------------------------------------


#: ODK Validate gets this long for a batch of forms before the check counts as not done.
ODK_VALIDATE_TIMEOUT = 120


def validate_with_odk(xform_xml: str, *, rows: dict[str, int] | None = None) -> list[Problem]:
    """Run ODK Validate, bundled with pyxform (JavaRosa, the form engine inside ODK Collect),
    on an XForm. Returns JavaRosa's errors as Problems, [] when Collect would accept the form.
    A problem about one node is placed on the survey sheet, in the column its wording names
    (relevant, constraint, calculation, required…) and, given `rows` (`ConvertedForm.rows`),
    on the node's row.

    Raises `OdkValidateUnavailable` when Java is missing or the check times out: an
    unchecked form must not pass."""
    return validate_many_with_odk({"form": xform_xml}, rows={"form": rows or {}})["form"]


def validate_many_with_odk(
    xforms: dict[str, str], *, rows: dict[str, dict[str, int]] | None = None
) -> dict[str, list[Problem]]:
    """`validate_with_odk` for several XForms in one Java process (starting Java costs more
    than checking a form): {key: problems} for each key of `xforms`; `rows` gives each
    key's survey rows by path."""
    if not xforms:
        return {}
    if shutil.which("java") is None:
        raise OdkValidateUnavailable(
            _(
                "ODK Validate could not run, so the form could not be checked: Fieldwork needs "
                "Java (version 8 or newer) on the server."
            )
        )
    with tempfile.TemporaryDirectory(prefix="fieldwork-odk-") as folder:
        paths = {}
        for number, (key, xml) in enumerate(xforms.items()):
            path = os.path.join(folder, f"form{number}.xml")
            with open(path, "w", encoding="utf-8") as out:
                out.write(xml)
            paths[path] = key
        try:
            result = subprocess.run(
                ["java", "-Djava.awt.headless=true", "-jar", ODK_VALIDATE_PATH, *paths],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=ODK_VALIDATE_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise OdkValidateUnavailable(
                _("ODK Validate did not finish, so the form could not be checked (%(detail)s).")
                % {"detail": exc}
            ) from exc
    output = result.stdout.decode("utf-8", errors="replace")
    blocks = _validator_blocks(output, paths)
    failed = _failed_files(output)
    problems = {key: [] for key in xforms}
    for path, key in paths.items():
        if path in failed or (result.returncode != 0 and not failed and len(paths) == 1):
            problems[key] = _odk_problems(
                blocks.get(path, "") or output,
                folder=folder,
                xform_xml=xforms[key],
                rows=(rows or {}).get(key) or {},
            )
    if result.returncode != 0 and not any(problems.values()):
        raise OdkValidateUnavailable(
            _("ODK Validate failed without naming a form (%(detail)s).")
            % {"detail": output.strip()[-300:]}
        )
    return problems


def _validator_blocks(output: str, paths: dict[str, str]) -> dict[str, str]:
    """ODK Validate's output split per form: each starts with "Validating: <path>"."""
    blocks: dict[str, list[str]] = {}
    current = None
    for line in output.splitlines():
        if line.startswith("Validating: "):
            current = line.removeprefix("Validating: ").strip()
            blocks[current] = []
        elif line.startswith("The following files failed validation"):
            current = None
        elif current is not None:
            blocks[current].append(line)
    return {path: "\n".join(lines) for path, lines in blocks.items() if path in paths}


def _failed_files(output: str) -> set[str]:
    _head, marker, tail = output.partition("The following files failed validation:")
    if not marker:
        return set()
    return {line.strip() for line in tail.splitlines() if line.strip().endswith(".xml")}


#: Lines of ODK Validate's output that say nothing the message's prefix does not say.
ODK_NOISE_LINES = re.compile(
    r"^(?:Xform parsing completed|Result:|Validating:|XForm is invalid\.?$|Something broke the "
    r"parser\.?$|\.\.\. \d+ more$)"
)
#: A Java class or object in a message: "org.javarosa.xpath.parser.ast.ASTNodeAbstractExpr@5949".
JAVA_NAME = r"(?:org\.javarosa|org\.kxml2|java|javax)(?:\.[\w$]+)+(?:@[0-9a-fA-F]+)?"
BAD_NODE_RE = re.compile(rf"\s*([,:]?)\s*Bad node:\s*{JAVA_NAME}")
JAVA_NAME_RE = re.compile(rf"{JAVA_NAME}:?\s*")
#: Where a node is given by its place in an instance: " (/data/g[1]/q2[1])", " (${g}[1]/q2[1])".
INSTANCE_REF_RE = re.compile(r"\s*\((?:\$\{|/)[^)]*\[\d+\][^)]*\)")
#: How JavaRosa names the node a problem is about (raw output: full paths, "/data/g/q2").
ODK_NODE_RES = (
    re.compile(r"for node \[([^\]]+)\]"),
    re.compile(r"bind attached to \"([^\"]+)\""),
    re.compile(r"bind for (\S+) contains"),
    re.compile(r"expression for (\S+)"),
    re.compile(r"Error evaluating field '[^']*' \(([^)]+)\)"),
)
#: The survey column a JavaRosa message is about, by its wording (lower case), first match.
#: Whole phrases, so a node named in the expression ("${constraint_ok}") cannot match.
ODK_COLUMNS = (
    ("display condition", "relevant"),
    ("require condition", "required"),
    ("readonly condition", "read_only"),
    ("invalid constraint expression", "constraint"),
    ("constraint expression for", "constraint"),
    ("invalid calculate for", "calculation"),
    ("calculate expression for", "calculation"),
)
#: The XForm bind attribute behind each survey column a "Condition expression" may be.
CONDITION_BINDS = (("relevant", "relevant"), ("required", "required"), ("readonly", "read_only"))


def _odk_problems(
    output: str, *, folder: str, xform_xml: str = "", rows: dict[str, int] | None = None
) -> list[Problem]:
    """ODK Validate's refusal of one form as a Problem: JavaRosa's reason without Java class
    names, object addresses or stack lines, placed at the survey row and column of the node
    it names when it names one."""
    message = ErrorCleaner.odk_validate(output)
    lines: list[str] = []
    for line in message.splitlines():
        text = line.strip().removeprefix(">>").strip().lstrip(": ").strip()
        if not text or folder in text or ODK_NOISE_LINES.match(text):
            continue
        text = BAD_NODE_RE.sub(lambda m: ":" if m.group(1) == ":" else "", text)
        text = text.removeprefix("Caused by:")  # the same reason again, from Java's stack
        text = INSTANCE_REF_RE.sub("", JAVA_NAME_RE.sub("", text))
        text = " ".join(text.split()).strip(" ,")
        if text and text not in " ".join(lines):
            lines.append(text)
    # JavaRosa's lines are sentences without a full stop; joined, they need one between.
    text = " ".join(
        line if n == len(lines) - 1 or line[-1] in ".:;!?" else f"{line}."
        for n, line in enumerate(lines)
    )
    text = text or _("ODK Validate refused the form without saying why.")
    problem = Problem(_("ODK Collect would refuse this form: %(detail)s") % {"detail": text})
    if path := _odk_node_path(output, xform_xml):
        column = _odk_column(output.lower(), path=path, xform_xml=xform_xml)
    elif path := _odk_choice_filter_path(output, xform_xml):
        column = "choice_filter"
    else:
        return [problem]
    return [replace(problem, sheet="survey", row=(rows or {}).get(path), column=column)]


def _odk_node_path(output: str, xform_xml: str) -> str | None:
    """The path (without the root) of the node ODK Validate's message is about, or None.
    JavaRosa writes "/data/g/q2" or, for some messages, "${q2}" (then the XForm's binds
    tell which node has that name, if only one has)."""
    for pattern in ODK_NODE_RES:
        if match := pattern.search(output):
            node = re.sub(r"\[\d+\]", "", match.group(1).strip().strip("\"'"))
            break
    else:
        return None
    if node.startswith("/"):
        parts = [p for p in node.split("/") if p]
        return "/".join(parts[1:]) or None
    if m := re.fullmatch(r"\$\{([^}]+)\}", node):
        named = [p for p in _bind_attributes(xform_xml) if p.rsplit("/", 1)[-1] == m.group(1)]
        return named[0] if len(named) == 1 else None
    return None


def _odk_choice_filter_path(output: str, xform_xml: str) -> str | None:
    """The select whose choice list expression (its choice_filter) the message quotes."""
    try:
        root = ElementTree.fromstring(xform_xml.encode("utf-8"))
    except ElementTree.ParseError:
        return None
    quoted = {
        control.get("ref", "")
        for control in root.iter()
        for itemset in control.findall(f"{{{XFORMS_NS}}}itemset")
        if "[" in itemset.get("nodeset", "") and itemset.get("nodeset") in output
    }
    if len(quoted) != 1:
        return None
    parts = [p for p in quoted.pop().split("/") if p]
    return "/".join(parts[1:]) or None


def _odk_column(wording: str, *, path: str, xform_xml: str) -> str | None:
    for words, column in ODK_COLUMNS:
        if words in wording:
            return column
    if "condition expression" in wording:
        # JavaRosa's "Condition" is any of relevant, required and read_only: the one the
        # node's bind holds an expression for, when it holds only one.
        bind = _bind_attributes(xform_xml).get(path, {})
        held = [
            column
            for attribute, column in CONDITION_BINDS
            if bind.get(attribute, "").strip() not in ("", "true()", "false()")
        ]
        return held[0] if len(held) == 1 else None
    return None


def _bind_attributes(xform_xml: str) -> dict[str, dict[str, str]]:
    """Each bind of an XForm by node path without the root: its attributes, without their
    namespaces ({"g/q2": {"relevant": "…", "type": "string"}})."""
    try:
        root = ElementTree.fromstring(xform_xml.encode("utf-8"))
    except ElementTree.ParseError:
        return {}
    binds = {}
    for bind in root.iter(f"{{{XFORMS_NS}}}bind"):
        parts = [p for p in bind.get("nodeset", "").split("/") if p]
        if len(parts) > 1:
            binds["/".join(parts[1:])] = {_local(k): v for k, v in bind.attrib.items()}
    return binds


# --- The XForm, read back (tests and diagnostics) ----------------------------------------------


def xform_node_paths(xform_xml: str) -> set[str]:
    """Every data node the XForm declares (binds, body controls, primary instance), as a path
    without the root: what a faithful extraction must have a question for."""
    root = ElementTree.fromstring(xform_xml.encode("utf-8"))
    model = root.find(f"{{{XHTML_NS}}}head/{{{XFORMS_NS}}}model")
    instance = model.find(f"{{{XFORMS_NS}}}instance")
    data = next(iter(instance))
    top = f"/{_local(data.tag)}/"
    paths: set[str] = set()

    def visit(element, prefix: str) -> None:
        for child in element:
            path = f"{prefix}{_local(child.tag)}"
            paths.add(path)
            visit(child, f"{path}/")

    visit(data, "")
    refs = [b.get("nodeset", "") for b in model.iter(f"{{{XFORMS_NS}}}bind")]
    body = root.find(f"{{{XHTML_NS}}}body")
    if body is not None:
        for element in body.iter():
            refs.extend(element.get(a, "") for a in ("ref", "nodeset"))
    for ref in refs:
        if ref.startswith(top) and "[" not in ref and "@" not in ref:
            paths.add(ref[len(top) :])
    return paths


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# --- Diff between versions ---------------------------------------------------------------------

#: What a diff compares for a question present in both versions, with the XLSForm column each
#: field comes from (the name a form author knows; "labels" is only ours).
DIFF_FIELDS = {
    "type": "type",
    "list_name": "list_name",
    "labels": "label",
    "hints": "hint",
    "required": "required",
    "required_message": "required_message",
    "relevant": "relevant",
    "constraint": "constraint",
    "constraint_message": "constraint_message",
    "calculation": "calculation",
    "choice_filter": "choice_filter",
    "appearance": "appearance",
    "default": "default",
    "read_only": "read_only",
    "disclosure": DISCLOSURE_COLUMN,
}

#: Longest old or new value a diff shows; longer ones are cut with "…".
DIFF_VALUE_CHARS = 80


@dataclass(frozen=True)
class FieldChange:
    """One cell that differs between two versions, as short display texts ("" when empty)."""

    field: str  # the XLSForm column: "label", "constraint", "disclosure", "commune"…
    old: str
    new: str


@dataclass(frozen=True)
class QuestionChange:
    path: str
    changes: tuple[FieldChange, ...]
    old: QuestionSpec
    new: QuestionSpec

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.changes)


@dataclass(frozen=True)
class ChoiceChange:
    name: str
    changes: tuple[FieldChange, ...]
    old: ChoiceSpec
    new: ChoiceSpec

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.changes)


@dataclass(frozen=True)
class ChoiceListDiff:
    """The choices added, removed and changed in one list, with the paths of the questions
    that offer the list (in the new version, or the old one for a list that went away)."""

    list_name: str
    questions: tuple[str, ...]
    added: tuple[ChoiceSpec, ...] = ()
    removed: tuple[ChoiceSpec, ...] = ()
    changed: tuple[ChoiceChange, ...] = ()


@dataclass(frozen=True)
class VersionDiff:
    added: list[QuestionSpec] = field(default_factory=list)
    removed: list[QuestionSpec] = field(default_factory=list)
    changed: list[QuestionChange] = field(default_factory=list)
    choice_lists: list[ChoiceListDiff] = field(default_factory=list)

    @property
    def questions_changed(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    @property
    def is_empty(self) -> bool:
        return not (self.questions_changed or self.choice_lists)


def diff_versions(
    old: list[QuestionSpec],
    new: list[QuestionSpec],
    *,
    old_choices: Sequence[ChoiceSpec] = (),
    new_choices: Sequence[ChoiceSpec] = (),
) -> VersionDiff:
    """What changed from `old` to `new`: questions added, removed and changed (matched by
    path, each change with its old and new value), and per choice list the choices added,
    removed and changed (matched by list and name). In the document order of the version
    each belongs to.

    A disclosure role is compared only where a role applies (`takes_disclosure_role`):
    metadata such as meta/instanceID has none, whatever an older version stored."""
    old_by_path = {q.path: q for q in old}
    new_by_path = {q.path: q for q in new}
    changed = []
    for q in new:
        before = old_by_path.get(q.path)
        if before is None:
            continue
        changes = _question_changes(before, q)
        if changes:
            changed.append(QuestionChange(path=q.path, changes=changes, old=before, new=q))
    return VersionDiff(
        added=[q for q in new if q.path not in old_by_path],
        removed=[q for q in old if q.path not in new_by_path],
        changed=changed,
        choice_lists=_choice_list_diffs(old, new, list(old_choices), list(new_choices)),
    )


def _question_changes(old: QuestionSpec, new: QuestionSpec) -> tuple[FieldChange, ...]:
    changes: list[FieldChange] = []
    for name, column in DIFF_FIELDS.items():
        if name == "disclosure" and not (takes_disclosure_role(old) and takes_disclosure_role(new)):
            continue
        before, after = _diff_value(old, name), _diff_value(new, name)
        if before == after:
            continue
        if isinstance(before, dict):
            changes.append(FieldChange(column, *_texts_change(before, after)))
        else:
            changes.append(FieldChange(column, _short(before), _short(after)))
    return tuple(changes)


def _diff_value(q: QuestionSpec, name: str):
    value = getattr(q, name)
    if name == "required":
        # "yes", "no", or the condition of a question required only sometimes
        return q.required_if or (_("yes") if q.required else _("no"))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value


def _texts_change(old: dict[str, str], new: dict[str, str]) -> tuple[str, str]:
    """Labels, hints or messages by language: only the languages whose text changed."""
    languages = [k for k in {**old, **new} if old.get(k) != new.get(k)]

    def show(texts: dict[str, str]) -> str:
        if list(texts) == ["default"] or languages == ["default"]:
            return _short(texts.get("default", ""))
        return "; ".join(
            f"{language}: {_short(texts[language])}"
            for language in languages
            if texts.get(language)
        )

    return show(old), show(new)


def _short(value) -> str:
    text = " ".join(str(value or "").split())
    if len(text) <= DIFF_VALUE_CHARS:
        return text
    return text[: DIFF_VALUE_CHARS - 1].rstrip() + "…"


def _choice_key_order(choices: list[ChoiceSpec]) -> dict[tuple[str, str, int], ChoiceSpec]:
    """Choices by (list, name, occurrence): a form may repeat a name in a list
    (allow_choice_duplicates), and each copy is then matched with the same copy."""
    seen: dict[tuple[str, str], int] = {}
    keyed = {}
    for choice in choices:
        count = seen.get((choice.list_name, choice.name), 0)
        seen[(choice.list_name, choice.name)] = count + 1
        keyed[(choice.list_name, choice.name, count)] = choice
    return keyed


def _choice_changes(old: ChoiceSpec, new: ChoiceSpec) -> tuple[FieldChange, ...]:
    changes = []
    if old.labels != new.labels:
        changes.append(FieldChange("label", *_texts_change(old.labels, new.labels)))
    for column in {**old.extra, **new.extra}:
        before, after = old.extra.get(column, ""), new.extra.get(column, "")
        if before != after:
            changes.append(FieldChange(column, _short(before), _short(after)))
    return tuple(changes)


def _choice_list_diffs(
    old_questions: list[QuestionSpec],
    new_questions: list[QuestionSpec],
    old_choices: list[ChoiceSpec],
    new_choices: list[ChoiceSpec],
) -> list[ChoiceListDiff]:
    old_keyed = _choice_key_order(old_choices)
    new_keyed = _choice_key_order(new_choices)
    lists = list(dict.fromkeys([c.list_name for c in new_choices + old_choices]))
    result = []
    for list_name in lists:
        added = tuple(
            c for key, c in new_keyed.items() if key[0] == list_name and key not in old_keyed
        )
        removed = tuple(
            c for key, c in old_keyed.items() if key[0] == list_name and key not in new_keyed
        )
        changed = []
        for key, choice in new_keyed.items():
            before = old_keyed.get(key)
            if key[0] != list_name or before is None:
                continue
            changes = _choice_changes(before, choice)
            if changes:
                changed.append(
                    ChoiceChange(name=choice.name, changes=changes, old=before, new=choice)
                )
        if not (added or removed or changed):
            continue
        users = [q.path for q in new_questions if q.list_name == list_name] or [
            q.path for q in old_questions if q.list_name == list_name
        ]
        result.append(
            ChoiceListDiff(
                list_name=list_name,
                questions=tuple(users),
                added=added,
                removed=removed,
                changed=tuple(changed),
            )
        )
    return result


# --- Labels for display ------------------------------------------------------------------------


def pick_text(texts: dict[str, str], *, language: str, default_language: str = "") -> str:
    """The text in the user's interface language when the form has it ("fr" matches
    "French (fr)", "Français" and "fr"), else in the form's default language, else any."""
    if not texts:
        return ""
    code = language.split("-")[0].lower()
    names = {"fr": ("french", "francais", "français"), "en": ("english", "anglais")}
    for key, value in texts.items():
        lowered = key.lower()
        if (
            lowered == code
            or f"({code})" in lowered
            or any(lowered.startswith(n) for n in names.get(code, ()))
        ):
            return value
    if default_language in texts:
        return texts[default_language]
    if "default" in texts:
        return texts["default"]
    return next(iter(texts.values()))


_MEDIA_REFERENCE = re.compile(r"jr://(?:images|audio|video|file|file-csv)/([^\s\"'<>]+)")


def xform_media_references(xform_xml: str) -> list[str]:
    """The file names an XForm needs beside it (question and choice media, CSV and XML files
    for choices from a file), in first-use order, without repeats."""
    seen: dict[str, None] = {}
    for match in _MEDIA_REFERENCE.finditer(xform_xml):
        seen.setdefault(match.group(1), None)
    return list(seen)
