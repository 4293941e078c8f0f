"""Plain data describing an instrument version, passed between the database and the pure
modules (`xlsform.py` makes them from an XLSForm, `answers.py` validates answers against
them). Frozen, so a pure function cannot change what it was given."""

from dataclasses import dataclass, field

# --- Question kinds, as pyxform names them (`QuestionSpec.type`) --------------------------------

REPEAT_TYPE = "repeat"
GROUP_TYPES = frozenset({"group", "loop", "entity"})
#: Declarations pyxform lists among the questions that make no node in the instance.
NOT_IN_INSTANCE_TYPES = frozenset({"xml-external", "csv-external", "survey"})
SELECT_ONE_TYPES = frozenset(
    {
        "select one",
        "select_one",
        "select one external",
        "select one from file",
        "select_one_from_file",
    }
)
SELECT_MANY_TYPES = frozenset(
    {
        "select all that apply",
        "select_multiple",
        "select all that apply from file",
        "select_multiple_from_file",
        "rank",
    }
)
#: Questions whose answer is the name of a file sent beside the submission.
BINARY_TYPES = frozenset(
    {"image", "audio", "video", "file", "binary", "background-audio", "osm", "photo", "audit"}
)


@dataclass(frozen=True)
class Problem:
    """Something wrong in an uploaded form or a submission, located as precisely as known."""

    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    # A submission's problem: the form path of the question it is about ("" for the whole
    # submission), and the message in every interface language, for readers other than
    # the sender (`fieldwork.core.i18n`).
    path: str | None = None
    texts: dict[str, str] | None = None

    def located(self) -> str:
        """The message with its place in front, as shown to users: 'survey, row 12: …'."""
        where = ", ".join(
            part
            for part in (
                self.sheet,
                f"row {self.row}" if self.row is not None else None,
                f"column {self.column}" if self.column else None,
            )
            if part
        )
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True)
class QuestionSpec:
    """One node of the form in document order: question, group, repeat, note, calculate or
    metadata. `path` excludes the root ("household/members/age"); `repeat_path` is the
    innermost enclosing repeat's path ("" outside repeats)."""

    name: str
    path: str
    type: str
    list_name: str = ""
    repeat_path: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    hints: dict[str, str] = field(default_factory=dict)
    required: bool = False  # required always, or when `required_if` holds
    required_if: str = ""  # an XLSForm expression in the `required` column; "" = always
    required_message: dict[str, str] = field(default_factory=dict)
    relevant: str = ""
    constraint: str = ""
    constraint_message: dict[str, str] = field(default_factory=dict)
    calculation: str = ""
    choice_filter: str = ""
    appearance: str = ""
    default: str = ""
    read_only: bool = False
    disclosure: str = "none"
    disclosure_suggested: bool = False

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "repeat")


@dataclass(frozen=True)
class ChoiceSpec:
    list_name: str
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
