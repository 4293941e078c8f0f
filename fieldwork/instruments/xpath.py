"""ODK XPath: compile the expressions of an instrument version (relevant, constraint,
choice_filter) once, and evaluate them against an instance built from a submission's answers.

elementpath's XPath 1.0 parser (its grammar, tokenizer and syntax errors), extended with the
ODK/JavaRosa function names, turns an expression into a syntax tree. That tree is compiled
here into Python closures that follow JavaRosa, not the strict XPath 1.0 that elementpath's
own evaluator applies: there `'a' < 'b'` raises a type error where ODK Collect answers false,
and each evaluation rebuilds a context over the whole document (about 0.5 ms for a
250-question form), where a compiled closure takes a few microseconds.

What follows JavaRosa on purpose:

- A node's value is typed by its question (`Node.kind`): an integer or decimal node is a
  number, a date node a date. `=` compares as booleans if either side is one, as numbers if
  either side is a number or a date, as strings otherwise (so `${age} = 5` is numeric and
  `${yes_no} = '1'` is textual). `<`, `<=`, `>`, `>=` always compare numbers; dates count
  as days since 1970-01-01 and times as fractions of a day, so `. <= today()` works.
- An unanswered node is the empty string; an empty node-set compares as "".
- A node-set used as a boolean is the truth of its value (`if(${consent}, ...)` is false when
  unanswered), as in JavaRosa; as a string it is its first node's value.
- `${name}` references are resolved by question name (`Environment.resolve`): to the sibling in
  the same repeat instance when the reference is made from inside that repeat, to every
  instance otherwise (for `count()` and `sum()`).
- The first step of an absolute path matches the instance's root element whatever its name:
  a version's questions do not record the root's name (`/data/a` and `/tutorial/a` both work).
- Where JavaRosa refuses a node-set of several nodes in a comparison, XPath 1.0's "some node
  matches" applies.

Functions: see SUPPORTED_FUNCTIONS (the ODK ones forms use, XPath 1.0's, jr:choice-name,
indexed-repeat, once). `instance('name')` reaches the form's choice lists only, not CSV or XML
attachments. pulldata(), random(), randomize(), digest(), area(), distance() and a few more
(UNSUPPORTED_FUNCTIONS) parse, but compiling them raises XPathUnsupportedError with a reason
for the form's author, as does a `${last-saved#name}` reference.
"""

import datetime as dt
import functools
import math
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import elementpath
from django.utils.translation import gettext as _
from elementpath import XPath1Parser
from elementpath.tdop import Parser

__all__ = [
    "SUPPORTED_FUNCTIONS",
    "UNSUPPORTED_FUNCTIONS",
    "Environment",
    "Expression",
    "Node",
    "QuestionRefs",
    "XPathError",
    "XPathEvaluationError",
    "XPathSyntaxError",
    "XPathUnsupportedError",
    "choice_instance",
    "compile_expression",
    "instance_from_dict",
    "parse_date",
    "parse_datetime",
    "parse_time",
    "to_boolean",
    "to_number",
    "to_string",
    "translate_refs",
]

EPOCH = dt.date(1970, 1, 1)
# JavaRosa counts naive date-times in the device's zone; with no zone known, as if UTC.
_EPOCH_MOMENT = dt.datetime.combine(EPOCH, dt.time())
NAN = float("nan")


# --------------------------------------------------------------------------- errors


class XPathError(Exception):
    """An expression that cannot be compiled or evaluated. `reason` is a translated sentence
    fragment saying why; `expression` is the text as written in the form."""

    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f"{expression}: {reason}")
        self.expression = expression
        self.reason = reason


class XPathSyntaxError(XPathError):
    """The text is not an expression (unbalanced brackets, unknown function, wrong arity)."""


class XPathUnsupportedError(XPathError):
    """The expression is valid ODK XPath but uses something the server cannot evaluate."""


class XPathEvaluationError(XPathError):
    """The expression failed on these answers (unknown `${name}`, bad regex, ...)."""


class _Fail(Exception):
    """Raised inside evaluation with a reason only; `Expression.evaluate` adds the text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------- instance


class Node:
    """An element of an instance document: a question's answer (`value`), a group, or a
    repeat instance. `kind` types the value for comparisons: "" (text, selects), "number",
    "date", "dateTime" or "time". `index` is the 1-based position among same-named siblings
    (a repeat instance's number); `parts` is the path below the root element, as in
    `QuestionSpec.path`. `info` is free for the caller (answers.py keeps the spec there)."""

    __slots__ = ("name", "value", "kind", "parent", "children", "index", "parts", "info", "_named")

    def __init__(
        self,
        name: str,
        value: str = "",
        *,
        kind: str = "",
        parent: "Node | None" = None,
        info: Any = None,
    ) -> None:
        self.name = name
        self.value = value
        self.kind = kind
        self.parent = parent
        self.children: list[Node] = []
        self._named: dict[str, list[Node]] = {}
        self.index = 1
        self.info = info
        if parent is None or parent.parent is None:
            self.parts: tuple[str, ...] = ()  # the document and its root element
        else:
            self.parts = (*parent.parts, name)

    @classmethod
    def document(cls) -> "Node":
        return cls("#document")

    @property
    def is_document(self) -> bool:
        return self.parent is None

    def add(self, name: str, value: str = "", *, kind: str = "", info: Any = None) -> "Node":
        """Append a child element and return it."""
        child = Node(name, value, kind=kind, parent=self, info=info)
        siblings = self._named.setdefault(name, [])
        siblings.append(child)
        child.index = len(siblings)
        self.children.append(child)
        return child

    def named(self, name: str) -> list["Node"]:
        return self._named.get(name, [])

    def string_value(self) -> str:
        if not self.children:
            return self.value
        return "".join(child.string_value() for child in self.children)

    def root(self) -> "Node":
        """The document node above this node."""
        node = self
        while node.parent is not None:
            node = node.parent
        return node

    def descendants_or_self(self) -> Iterator["Node"]:
        yield self
        for child in self.children:
            yield from child.descendants_or_self()

    def clear(self) -> None:
        """Blank this node's value and every value below it (a non-relevant branch)."""
        self.value = ""
        for child in self.children:
            child.clear()

    def dispose(self) -> None:
        """Break the parent/child links of this tree. Without it every instance is a web of
        cycles left to Python's cyclic collector, whose full passes over a server's heap
        cost tens of milliseconds; with it the tree is freed as soon as it is dropped."""
        stack = [self]
        while stack:
            node = stack.pop()
            stack.extend(node.children)
            node.parent = None
            node.children = []
            node._named = {}
            node.info = None

    def __repr__(self) -> str:
        return f"<Node {'/'.join(self.parts) or self.name}[{self.index}]>"


def instance_from_dict(
    data: Mapping[str, Any], *, root: str = "data", kinds: Mapping[str, str] | None = None
) -> Node:
    """An instance from nested answers (dicts are groups, lists of dicts repeat instances,
    anything else a value, None as ""); returns the root element. `kinds` maps a question
    name to its `Node.kind`. For tests and ad-hoc evaluation; answers.py builds its own."""
    kinds = kinds or {}

    def fill(node: Node, values: Mapping[str, Any]) -> None:
        for key, value in values.items():
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, Mapping):
                    fill(node.add(key), item)
                else:
                    text = "" if item is None else str(item)
                    node.add(key, text, kind=kinds.get(key, ""))

    element = Node.document().add(root)
    fill(element, data)
    return element


def choice_instance(items: Iterable[Mapping[str, str]]) -> Node:
    """A secondary instance for `instance('list')/root/item`: one item per choice, each with
    a child per key (name, label, and the choice sheet's extra columns). Returns the document."""
    document = Node.document()
    root = document.add("root")
    for item in items:
        element = root.add("item")
        for key, value in item.items():
            element.add(key, value)
    return document


Resolver = Callable[[str, "Node | None"], list[Node]]


class QuestionRefs:
    """Resolves `${name}` to nodes the way XLSForm means it: names are unique, and from inside
    a repeat a name of the same repeat means the sibling in the same instance. Built from the
    questions' paths ("household/members/age") and the paths of the repeats."""

    def __init__(self, paths: Mapping[str, str], repeats: Iterable[str]) -> None:
        self._targets = {name: tuple(path.split("/")) for name, path in paths.items()}
        self._repeats = {tuple(path.split("/")) for path in repeats}
        self._anchor_depth: dict[tuple[str, tuple[str, ...]], int] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._targets

    def __call__(self, name: str, current: Node | None) -> list[Node]:
        target = self._targets.get(name)
        if target is None:
            raise _Fail(_("the form has no question named “%(name)s”") % {"name": name})
        document = current.root() if current is not None else None
        if document is None or not document.children:
            return []
        here = current.parts if current is not None else ()
        key = (name, here)
        depth = self._anchor_depth.get(key)
        if depth is None:
            depth = 0
            for k in range(min(len(here), len(target)), 0, -1):
                if here[:k] == target[:k] and target[:k] in self._repeats:
                    depth = k
                    break
            self._anchor_depth[key] = depth
        if depth:
            anchor = current
            for _step in range(len(here) - depth):
                anchor = anchor.parent
            nodes = [anchor]
        else:
            nodes = [document.children[0]]
        for step in target[depth:]:
            nodes = [child for node in nodes for child in node.named(step)]
        return nodes


@dataclass(frozen=True)
class Environment:
    """What an evaluation may consult besides the instance: the day (and time) of the
    interview, how to resolve `${name}`, the choice lists as secondary instances (by list
    name), and how to name a choice for `jr:choice-name(value, '${question}')`."""

    today: dt.date
    now: dt.datetime | None = None
    resolve: Resolver | None = None
    instances: Mapping[str, Node] = field(default_factory=dict)
    choice_label: Callable[[str, str, "Node | None"], str] | None = None

    def current_time(self) -> dt.datetime:
        # Without a clock, now() is the end of `today`: `. <= now()` accepts the whole day.
        return self.now or dt.datetime.combine(self.today, dt.time(23, 59, 59, 999000))


# --------------------------------------------------------------------------- values

Value = list[Node] | str | float | bool | dt.date | dt.datetime
Scalar = str | float | bool | dt.date | dt.datetime

_NUMBER = re.compile(r"\s*-?(?:\d+(?:\.\d*)?|\.\d+)\s*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TZ = r"(?:Z|[+-]\d{2}(?::?\d{2})?)?"
_TIME = re.compile(r"(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(" + _TZ + ")")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?" + _TZ)


def parse_date(text: str) -> dt.date | None:
    """An ISO date (YYYY-MM-DD), or None."""
    text = text.strip()
    if not _DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def parse_datetime(text: str) -> dt.datetime | None:
    """An ISO date-time as ODK writes it (2023-12-05T16:33:00.000+08:00), or None."""
    text = text.strip()
    if not _DATETIME.fullmatch(text):
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def parse_time(text: str) -> float | None:
    """An ODK time (16:33:00.000+08:00) as a fraction of a day, in UTC when it has an
    offset (as JavaRosa's decimal-time()), or None."""
    match = _TIME.fullmatch(text.strip())
    if not match:
        return None
    hours, minutes = int(match[1]), int(match[2])
    seconds = int(match[3] or 0) + float(match[4] or 0)
    if hours > 23 or minutes > 59 or seconds >= 60:
        return None
    total = hours * 3600 + minutes * 60 + seconds
    offset = match[5]
    if offset and offset != "Z":
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        total -= sign * (int(digits[:2]) * 3600 + int(digits[2:4] or 0) * 60)
    return (total % 86400) / 86400


def _days(value: dt.date | dt.datetime) -> float:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        delta = value - _EPOCH_MOMENT
        return delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000
    return float((value - EPOCH).days)


def _string_to_number(text: str) -> float:
    if _NUMBER.fullmatch(text):
        return float(text)
    if (day := parse_date(text)) is not None:
        return _days(day)
    if (moment := parse_datetime(text)) is not None:
        return _days(moment)
    if (fraction := parse_time(text)) is not None:
        return fraction
    return NAN


def _typed(node: Node) -> Scalar:
    """A node's value as JavaRosa unpacks it: "" when empty, else typed by `kind`."""
    text = node.value if not node.children else node.string_value()
    if text == "" or not node.kind:
        return text
    if node.kind == "number":
        return float(text) if _NUMBER.fullmatch(text) else NAN
    if node.kind == "date":
        return parse_date(text) or text
    if node.kind == "dateTime":
        return parse_datetime(text) or text
    return text


def _scalars(value: Value) -> list[Scalar]:
    if isinstance(value, list):
        return [_typed(node) for node in value] or [""]
    return [value]


def _scalar(value: Value) -> Scalar:
    if isinstance(value, list):
        return _typed(value[0]) if value else ""
    return value


def to_number(value: Value) -> float:
    """XPath number(): a node-set by its first node; dates as days since 1970-01-01."""
    if isinstance(value, list):
        value = _scalar(value)
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dt.date):
        return _days(value)
    return _string_to_number(value)


def _format_number(number: float) -> str:
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == int(number) and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def to_string(value: Value) -> str:
    """XPath string(): a node-set by its first node's value; numbers without a needless
    ".0"; dates and date-times in ISO form."""
    if isinstance(value, list):
        return value[0].string_value() if value else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _format_number(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def to_boolean(value: Value) -> bool:
    """JavaRosa's boolean: a node-set is true when a node's typed value is (an empty answer is
    false); a number when neither 0 nor NaN; a string when not empty."""
    if isinstance(value, list):
        return any(to_boolean(_typed(node)) for node in value)
    if isinstance(value, bool):
        return value
    if isinstance(value, float | int):
        return not (value == 0 or math.isnan(value))
    if isinstance(value, dt.date):
        return True
    return value != ""


def _nodeset(value: Value) -> list[Node]:
    if not isinstance(value, list):
        raise _Fail(_("a path was expected where “%(value)s” was given") % {"value": value})
    return value


# --------------------------------------------------------------------------- parser


class _OdkParser(XPath1Parser):
    """XPath 1.0 plus ODK's function names. A function call may start a path, as XPath 1.0
    allows (`instance('x')/root/item`, `current()/../q`)."""

    PATH_STEP_LABELS = ("axis", "function", "kind test")
    DEFAULT_NAMESPACES = {
        **XPath1Parser.DEFAULT_NAMESPACES,
        "jr": "http://openrosa.org/javarosa",
        "odk": "http://www.opendatakit.org/xforms",
        "orx": "http://openrosa.org/xforms",
    }

    def parse_tree(self, source: str) -> Any:
        # elementpath's parse() also evaluates the tree statically, with its own semantics
        # and its own function bodies; only the syntax tree is wanted here.
        if self.tokenizer is None:
            self.tokenizer = self.create_tokenizer(self.symbol_table)
        return Parser.parse(self, source)


# name -> (minimum, maximum) arguments (None: any number). Registered on the parser so that
# arity is checked while parsing; the bodies are in _FUNCTIONS below.
_ARITIES: dict[str, tuple[int, int | None]] = {
    # ODK / JavaRosa
    "selected": (2, 2),
    "count-selected": (1, 1),
    "selected-at": (2, 2),
    "regex": (2, 2),
    "coalesce": (2, 2),
    "if": (3, 3),
    "today": (0, 0),
    "now": (0, 0),
    "once": (1, 1),
    "int": (1, 1),
    "boolean-from-string": (1, 1),
    "date": (1, 1),
    "date-time": (1, 1),
    "decimal-date-time": (1, 1),
    "decimal-time": (1, 1),
    "format-date": (2, 2),
    "format-date-time": (2, 2),
    "substr": (2, 3),
    "ends-with": (2, 2),
    "join": (2, None),
    "count-non-empty": (1, 1),
    "max": (1, None),
    "min": (1, None),
    "pow": (2, 2),
    "abs": (1, 1),
    "sqrt": (1, 1),
    "exp": (1, 1),
    "exp10": (1, 1),
    "log": (1, 1),
    "log10": (1, 1),
    "sin": (1, 1),
    "cos": (1, 1),
    "tan": (1, 1),
    "asin": (1, 1),
    "acos": (1, 1),
    "atan": (1, 1),
    "atan2": (2, 2),
    "pi": (0, 0),
    "checklist": (2, None),
    "weighted-checklist": (2, None),
    "uuid": (0, 1),
    "current": (0, 0),
    "instance": (1, 1),
    "indexed-repeat": (3, 7),
    # XPath 1.0, some with ODK's extra arguments
    "position": (0, 1),
    "last": (0, 0),
    "count": (1, 1),
    "sum": (1, 1),
    "concat": (0, None),
    "contains": (2, 2),
    "starts-with": (2, 2),
    "substring": (2, 3),
    "substring-before": (2, 2),
    "substring-after": (2, 2),
    "string": (0, 1),
    "string-length": (0, 1),
    "normalize-space": (0, 1),
    "translate": (3, 3),
    "number": (0, 1),
    "round": (1, 2),
    "floor": (1, 1),
    "ceiling": (1, 1),
    "boolean": (1, 1),
    "not": (1, 1),
    "true": (0, 0),
    "false": (0, 0),
}
_PREFIXED_ARITIES = {("jr", "choice-name"): (2, 2), ("jr", "itext"): (1, 1)}

# ODK functions the server does not evaluate. Those with a reason of their own say why.
_UNSUPPORTED_REASONS: dict[str, Callable[[], str]] = {
    "pulldata": lambda: _(
        "pulldata() reads a CSV file attached to the form on the phone; the server cannot "
        "evaluate it"
    ),
    "random": lambda: _("random() gives another value each time; the server cannot check it"),
    "randomize": lambda: _("randomize() gives another order each time; the server cannot check it"),
}
_UNSUPPORTED = frozenset(
    {
        *_UNSUPPORTED_REASONS,
        "digest",
        "base64-decode",
        "extract-signed",
        "area",
        "distance",
        "geofence",
        "version",
        "property",
        "jr:itext",
        "id",
        "lang",
        "name",
        "local-name",
        "namespace-uri",
    }
)
_UNSUPPORTED_ARITIES = {
    "pulldata": (2, None),
    "random": (0, 0),
    "randomize": (1, 2),
    "digest": (2, 3),
    "base64-decode": (1, 1),
    "extract-signed": (2, 2),
    "area": (1, 1),
    "distance": (1, None),
    "geofence": (2, 2),
    "version": (0, 0),
    "property": (1, 1),
}


def _register_functions() -> None:
    for name, arity in {**_ARITIES, **_UNSUPPORTED_ARITIES}.items():
        if name in _OdkParser.symbol_table:
            _OdkParser.unregister(name)
        _OdkParser.function(name, nargs=arity)
    for (prefix, name), arity in _PREFIXED_ARITIES.items():
        _OdkParser.function(name, prefix=prefix, nargs=arity)


_register_functions()
_PARSER = _OdkParser()
_PARSER_LOCK = threading.Lock()  # an elementpath parser keeps its state while parsing

# `${name}`: the name is an XML name as XLSForm allows it (letters, digits, _ . -).
_REF = re.compile(r"\$\{\s*([^{}\s]*)\s*\}")
_XML_NAME = re.compile(r"[^\W\d][\w.\-]*")
_ELEMENTPATH_MESSAGE = re.compile(r"^(.*?) at line \d+, column \d+: (?:\[err:\w+\] )?(.*)$", re.S)


def translate_refs(source: str) -> tuple[str, frozenset[str]]:
    """Replace each `${name}` outside string literals by the variable ` $name ` (spaces keep
    `${a}-1` from reading as the name `a-1`). Returns the text and the names referred to.
    Raises XPathSyntaxError for an unclosed `${` or a name XML does not allow."""
    out: list[str] = []
    names: set[str] = set()
    quote = ""
    i = 0
    while i < len(source):
        char = source[i]
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif source.startswith("${", i):
            match = _REF.match(source, i)
            if match is None:
                raise XPathSyntaxError(source, _("a “${” is not closed by “}”"))
            name = match[1]
            if "#" in name:
                raise XPathUnsupportedError(
                    source,
                    _("references to the last saved record (%(ref)s) cannot be checked")
                    % {"ref": match[0]},
                )
            if not _XML_NAME.fullmatch(name):
                raise XPathSyntaxError(
                    source, _("“%(ref)s” does not name a question") % {"ref": match[0]}
                )
            names.add(name)
            out.append(f" ${name} ")
            i = match.end()
            continue
        out.append(char)
        i += 1
    return "".join(out), frozenset(names)


# --------------------------------------------------------------------------- evaluation


class _Ctx:
    __slots__ = ("node", "position", "size", "env", "current", "absolute")

    def __init__(
        self,
        node: Node,
        position: int | None,
        size: int | None,
        env: Environment,
        current: Node | None,
        absolute: bool = False,
    ) -> None:
        self.node = node
        self.position = position
        self.size = size
        self.env = env
        self.current = current
        self.absolute = absolute

    def at(self, node: Node, position: int | None = None, size: int | None = None) -> "_Ctx":
        return _Ctx(node, position, size, self.env, self.current, self.absolute)


Fn = Callable[[_Ctx], Value]


@dataclass(frozen=True)
class Expression:
    """A compiled expression. `source` is the text as written in the form, `xpath` the text
    parsed (with `${name}` turned into `$name`), `references` the names it refers to."""

    source: str
    xpath: str
    references: frozenset[str]
    _run: Fn = field(repr=False, compare=False)

    def evaluate(
        self,
        node: Node,
        env: Environment,
        *,
        current: Node | None = None,
        position: int | None = None,
        size: int | None = None,
    ) -> Value:
        """The expression's value with `node` as the context (`.`). `current` is what
        current() and `${name}` start from (the question being checked; defaults to `node`);
        position/size are the context position for `position()` and `last()` (choice
        filters). Raises XPathEvaluationError; never anything else."""
        ctx = _Ctx(node, position, size, env, current if current is not None else node)
        try:
            return self._run(ctx)
        except _Fail as fail:
            raise XPathEvaluationError(self.source, fail.reason) from None
        except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as err:
            raise XPathEvaluationError(
                self.source, _("the expression failed (%(error)s)") % {"error": err}
            ) from None

    def test(self, node: Node, env: Environment, **kwargs: Any) -> bool:
        """The expression's value as a boolean (relevant, constraint, choice filter)."""
        return to_boolean(self.evaluate(node, env, **kwargs))

    def text(self, node: Node, env: Environment, **kwargs: Any) -> str:
        return to_string(self.evaluate(node, env, **kwargs))


def compile_expression(source: str) -> Expression:
    """Compile an ODK expression, as written in an XLSForm (`${name}` references) or in an
    XForm (absolute /data/... or relative ../x paths). Cached by text: compiling a version's
    expressions again costs a dictionary look-up. Raises XPathSyntaxError or
    XPathUnsupportedError, whose `reason` says what is wrong; never anything else."""
    result = _compile_cached(source)
    if isinstance(result, XPathError):
        raise result
    return result


@functools.lru_cache(maxsize=8192)
def _compile_cached(source: str) -> Expression | XPathError:
    try:
        xpath, references = translate_refs(source)
        if not xpath.strip():
            raise XPathSyntaxError(source, _("the expression is empty"))
        try:
            with _PARSER_LOCK:
                tree = _PARSER.parse_tree(xpath)
        except (elementpath.ElementPathError, SyntaxError, TypeError, ValueError) as err:
            match = _ELEMENTPATH_MESSAGE.match(str(err))
            detail = f"{match[1]}: {match[2]}" if match else str(err)
            raise XPathSyntaxError(
                source, _("this is not a valid expression (%(detail)s)") % {"detail": detail}
            ) from None
        try:
            run = _compile(tree)
        except _Fail as fail:
            raise XPathSyntaxError(source, fail.reason) from None
        except _Unsupported as unsupported:
            raise XPathUnsupportedError(source, unsupported.reason) from None
        return Expression(source=source, xpath=xpath, references=references, _run=run)
    except XPathError as err:
        return err


class _Unsupported(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------- compiler

_COMPARISONS = {"=", "!=", "<", "<=", ">", ">="}
_AXES = {
    "child",
    "self",
    "parent",
    "ancestor",
    "ancestor-or-self",
    "descendant",
    "descendant-or-self",
    "following-sibling",
    "preceding-sibling",
}


def _compile(tok: Any) -> Fn:
    symbol = tok.symbol
    if symbol == "(string)":
        text = tok.value
        return lambda ctx: text
    if symbol in ("(integer)", "(decimal)", "(float)"):
        number = float(tok.value)
        return lambda ctx: number
    if symbol == "(name)":
        return _child_step(tok.value)
    if symbol == "$":
        return _variable(tok[0].value)
    if symbol == ".":
        return lambda ctx: [ctx.node]
    if symbol == "..":
        return lambda ctx: [ctx.node.parent] if ctx.node.parent is not None else []
    if symbol == "(":
        return _compile(tok[0])
    if symbol == "*":
        if len(tok) == 0:
            return lambda ctx: list(ctx.node.children)
        return _arithmetic(tok, lambda a, b: a * b)
    if symbol == "@":
        return lambda ctx: []  # instance nodes carry no attributes the forms could test
    if symbol in ("/", "//"):
        return _path(tok)
    if symbol == "[":
        return _predicate(tok)
    if symbol == "|":
        return _union(_compile(tok[0]), _compile(tok[1]))
    if symbol == "or":
        left, right = _compile(tok[0]), _compile(tok[1])
        return lambda ctx: to_boolean(left(ctx)) or to_boolean(right(ctx))
    if symbol == "and":
        left, right = _compile(tok[0]), _compile(tok[1])
        return lambda ctx: to_boolean(left(ctx)) and to_boolean(right(ctx))
    if symbol in _COMPARISONS:
        return _comparison(symbol, _compile(tok[0]), _compile(tok[1]))
    if symbol in ("+", "-") and len(tok) == 1:
        operand = _compile(tok[0])
        if symbol == "-":
            return lambda ctx: -to_number(operand(ctx))
        return lambda ctx: to_number(operand(ctx))
    if symbol == "+":
        return _arithmetic(tok, lambda a, b: a + b)
    if symbol == "-":
        return _arithmetic(tok, lambda a, b: a - b)
    if symbol == "div":
        return _arithmetic(tok, _divide)
    if symbol == "mod":
        return _arithmetic(tok, _modulo)
    if tok.label == "axis" and symbol in _AXES:
        return _axis(symbol, _node_test(tok[0]))
    if tok.label == "kind test" and symbol == "node":
        return lambda ctx: [ctx.node]
    if symbol == ":" and len(tok) == 2 and tok[1].label == "function":
        return _function(f"{tok[0].value}:{tok[1].symbol}", tok[1])
    if tok.label == "function":
        return _function(symbol, tok)
    raise _Unsupported(
        _("“%(construct)s” is not supported in form expressions") % {"construct": symbol}
    )


def _child_step(name: str) -> Fn:
    def step(ctx: _Ctx) -> list[Node]:
        node = ctx.node
        if node.parent is None:  # the document: its root element, whatever it is called
            return list(node.children)
        return node.named(name)

    return step


def _variable(name: str) -> Fn:
    def variable(ctx: _Ctx) -> list[Node]:
        resolve = ctx.env.resolve
        if resolve is None:
            raise _Fail(_("“${%(name)s}” cannot be resolved here") % {"name": name})
        if ctx.absolute:  # from the root element: every instance of a repeat
            document = ctx.node.root()
            return resolve(name, document.children[0]) if document.children else []
        return resolve(name, ctx.current)

    return variable


def _node_test(tok: Any) -> Callable[[Node], bool]:
    if tok.symbol == "(name)":
        name = tok.value
        return lambda node: node.name == name or node.parent is not None and node.parent.is_document
    if tok.symbol == "*" or (tok.label == "kind test" and tok.symbol == "node"):
        return lambda node: True
    raise _Unsupported(
        _("“%(construct)s” is not supported in form expressions") % {"construct": tok.symbol}
    )


def _axis_nodes(axis: str, node: Node) -> list[Node]:
    if axis == "child":
        return list(node.children)
    if axis == "self":
        return [node]
    if axis == "parent":
        return [node.parent] if node.parent is not None else []
    if axis in ("ancestor", "ancestor-or-self"):
        out = [node] if axis == "ancestor-or-self" else []
        parent = node.parent
        while parent is not None:
            out.append(parent)
            parent = parent.parent
        return out
    if axis == "descendant":
        return list(node.descendants_or_self())[1:]
    if axis == "descendant-or-self":
        return list(node.descendants_or_self())
    if node.parent is None:
        return []
    siblings = node.parent.children
    where = next(i for i, sibling in enumerate(siblings) if sibling is node)
    if axis == "following-sibling":
        return siblings[where + 1 :]
    return list(reversed(siblings[:where]))  # preceding-sibling, nearest first


def _axis(axis: str, test: Callable[[Node], bool]) -> Fn:
    return lambda ctx: [node for node in _axis_nodes(axis, ctx.node) if test(node)]


def _unique(nodes: Iterable[Node]) -> list[Node]:
    seen: set[int] = set()
    out = []
    for node in nodes:
        if id(node) not in seen:
            seen.add(id(node))
            out.append(node)
    return out


def _path(tok: Any) -> Fn:
    descendant = tok.symbol == "//"
    if len(tok) == 0:
        return lambda ctx: [ctx.node.root()]
    if len(tok) == 1:
        start: Fn = lambda ctx: [ctx.node.root()]  # noqa: E731
        step = _compile(tok[0])
    else:
        start = _compile(tok[0])
        step = _compile(tok[1])

    def path(ctx: _Ctx) -> list[Node]:
        nodes = _nodeset(start(ctx))
        if descendant:
            nodes = _unique(d for node in nodes for d in node.descendants_or_self())
        out: list[Node] = []
        for node in nodes:
            out.extend(_nodeset(step(ctx.at(node))))
        return _unique(out) if len(nodes) > 1 else out

    return path


def _predicate(tok: Any) -> Fn:
    base = _compile(tok[0])
    if tok[1].symbol == "(integer)":
        index = int(tok[1].value)

        def nth(ctx: _Ctx) -> list[Node]:
            nodes = _nodeset(base(ctx))
            return [nodes[index - 1]] if 0 < index <= len(nodes) else []

        return nth
    condition = _compile(tok[1])

    def predicate(ctx: _Ctx) -> list[Node]:
        nodes = _nodeset(base(ctx))
        size = len(nodes)
        out = []
        for position, node in enumerate(nodes, 1):
            result = condition(ctx.at(node, position, size))
            if isinstance(result, float):
                if result == position:
                    out.append(node)
            elif to_boolean(result):
                out.append(node)
        return out

    return predicate


def _union(left: Fn, right: Fn) -> Fn:
    return lambda ctx: _unique([*_nodeset(left(ctx)), *_nodeset(right(ctx))])


def _equal(a: Scalar, b: Scalar) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return to_boolean(a) == to_boolean(b)
    if isinstance(a, float | dt.date) or isinstance(b, float | dt.date):
        return to_number(a) == to_number(b)
    return a == b


_RELATIONS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _comparison(symbol: str, left: Fn, right: Fn) -> Fn:
    if symbol in ("=", "!="):
        negate = symbol == "!="

        def equality(ctx: _Ctx) -> bool:
            lefts, rights = _scalars(left(ctx)), _scalars(right(ctx))
            return any(_equal(a, b) != negate for a in lefts for b in rights)

        return equality
    relation = _RELATIONS[symbol]

    def compare(ctx: _Ctx) -> bool:
        lefts = [to_number(a) for a in _scalars(left(ctx))]
        rights = [to_number(b) for b in _scalars(right(ctx))]
        return any(relation(a, b) for a in lefts for b in rights)

    return compare


def _divide(a: float, b: float) -> float:
    if b == 0:
        if a == 0 or math.isnan(a):
            return NAN
        return math.copysign(math.inf, a) * math.copysign(1, b)
    return a / b


def _modulo(a: float, b: float) -> float:
    if b == 0 or math.isinf(a) or math.isnan(a) or math.isnan(b):
        return NAN
    return math.fmod(a, b)


def _arithmetic(tok: Any, operation: Callable[[float, float], float]) -> Fn:
    left, right = _compile(tok[0]), _compile(tok[1])
    return lambda ctx: operation(to_number(left(ctx)), to_number(right(ctx)))


def _function(name: str, tok: Any) -> Fn:
    if name in _LAZY:
        return _LAZY[name]([_compile(arg) for arg in tok])
    body = _FUNCTIONS.get(name)
    if body is None:
        reason = _UNSUPPORTED_REASONS.get(name)
        raise _Unsupported(
            reason()
            if reason
            else _("%(function)s() is not supported by the server's checker") % {"function": name}
        )
    args = [_compile(arg) for arg in tok]
    if not args:
        return lambda ctx: body(ctx)
    if len(args) == 1:
        (only,) = args
        return lambda ctx: body(ctx, only(ctx))
    return lambda ctx: body(ctx, *(arg(ctx) for arg in args))


# --------------------------------------------------------------------------- functions


def _tokens(value: Value) -> list[str]:
    return to_string(value).split()


def _f_selected(ctx: _Ctx, answer: Value, choice: Value) -> bool:
    return to_string(choice).strip() in _tokens(answer)


def _f_count_selected(ctx: _Ctx, answer: Value) -> float:
    return float(len(_tokens(answer)))


def _f_selected_at(ctx: _Ctx, answer: Value, index: Value) -> str:
    tokens, position = _tokens(answer), to_number(index)
    if math.isnan(position) or not 0 <= int(position) < len(tokens):
        return ""
    return tokens[int(position)]


def _f_choice_name(ctx: _Ctx, value: Value, ref: Value) -> str:
    label = ctx.env.choice_label
    if label is None:
        raise _Fail(_("jr:choice-name() needs the form's choice lists"))
    return label(to_string(value), to_string(ref), ctx.current)


@functools.lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as err:
        raise _Fail(
            _("“%(pattern)s” is not a valid regular expression (%(error)s)")
            % {"pattern": pattern, "error": err}
        ) from None


def _f_regex(ctx: _Ctx, value: Value, pattern: Value) -> bool:
    # JavaRosa uses Matcher.find(): the pattern may match anywhere unless anchored.
    return _regex(to_string(pattern)).search(to_string(value)) is not None


def _f_coalesce(args: list[Fn]) -> Fn:
    first, second = args

    def coalesce(ctx: _Ctx) -> Value:
        value = _scalar(first(ctx))
        return value if to_string(value) != "" else _scalar(second(ctx))

    return coalesce


def _f_if(args: list[Fn]) -> Fn:
    condition, then, otherwise = args
    return lambda ctx: then(ctx) if to_boolean(condition(ctx)) else otherwise(ctx)


def _f_position(ctx: _Ctx, nodes: Value | None = None) -> float:
    if nodes is not None:
        found = _nodeset(nodes)
        return float(found[0].index) if found else NAN
    if ctx.position is not None:
        return float(ctx.position)
    return float(ctx.node.index)  # outside a predicate: which repeat instance this is


def _f_last(ctx: _Ctx) -> float:
    if ctx.size is not None:
        return float(ctx.size)
    parent = ctx.node.parent
    return float(len(parent.named(ctx.node.name))) if parent is not None else 1.0


def _f_current(ctx: _Ctx) -> list[Node]:
    return [ctx.current if ctx.current is not None else ctx.node]


def _f_instance(ctx: _Ctx, name: Value) -> list[Node]:
    key = to_string(name)
    try:
        document = ctx.env.instances[key]
    except KeyError:
        raise _Fail(
            _("the form has no choice list named “%(name)s” for instance()") % {"name": key}
        ) from None
    return [document]


def _f_indexed_repeat(args: list[Fn]) -> Fn:
    if len(args) % 2 == 0:
        raise _Fail(_("indexed-repeat() takes a value, then pairs of a repeat and a number"))
    target, pairs = args[0], [(args[i], args[i + 1]) for i in range(1, len(args), 2)]

    def indexed_repeat(ctx: _Ctx) -> list[Node]:
        # Its paths name every instance of the repeats: resolve them from the root, not from
        # the repeat instance the question sits in.
        absolute = _Ctx(ctx.node, ctx.position, ctx.size, ctx.env, ctx.current, True)
        anchor: Node | None = None
        for repeat, index in pairs:
            instances = _nodeset(repeat(absolute))
            if anchor is not None:
                instances = [node for node in instances if _inside(node, anchor)]
            number = to_number(index(ctx))
            if math.isnan(number) or not 1 <= int(number) <= len(instances):
                return []
            anchor = instances[int(number) - 1]
        return [node for node in _nodeset(target(absolute)) if _inside(node, anchor)]

    return indexed_repeat


def _inside(node: Node, ancestor: Node | None) -> bool:
    while node is not None:
        if node is ancestor:
            return True
        node = node.parent
    return False


def _f_count(ctx: _Ctx, nodes: Value) -> float:
    return float(len(_nodeset(nodes)))


def _f_sum(ctx: _Ctx, nodes: Value) -> float:
    return float(sum(to_number(_typed(node)) for node in _nodeset(nodes)))


def _numbers(values: tuple[Value, ...]) -> list[float]:
    out: list[float] = []
    for value in values:
        if isinstance(value, list):
            out.extend(to_number(_typed(node)) for node in value)
        else:
            out.append(to_number(value))
    return out


def _f_max(ctx: _Ctx, *values: Value) -> float:
    numbers = _numbers(values)
    return NAN if not numbers or any(map(math.isnan, numbers)) else max(numbers)


def _f_min(ctx: _Ctx, *values: Value) -> float:
    numbers = _numbers(values)
    return NAN if not numbers or any(map(math.isnan, numbers)) else min(numbers)


def _f_count_non_empty(ctx: _Ctx, nodes: Value) -> float:
    return float(sum(1 for node in _nodeset(nodes) if node.string_value() != ""))


def _strings(values: tuple[Value, ...]) -> list[str]:
    out: list[str] = []
    for value in values:
        if isinstance(value, list):
            out.extend(node.string_value() for node in value)  # JavaRosa flattens node-sets
        else:
            out.append(to_string(value))
    return out


def _f_concat(ctx: _Ctx, *values: Value) -> str:
    return "".join(_strings(values))


def _f_join(ctx: _Ctx, separator: Value, *values: Value) -> str:
    return to_string(separator).join(_strings(values))


def _f_string(ctx: _Ctx, value: Value | None = None) -> str:
    return to_string([ctx.node] if value is None else value)


def _f_string_length(ctx: _Ctx, value: Value | None = None) -> float:
    return float(len(_f_string(ctx, value)))


def _f_normalize_space(ctx: _Ctx, value: Value | None = None) -> str:
    return " ".join(_f_string(ctx, value).split())


def _f_contains(ctx: _Ctx, text: Value, part: Value) -> bool:
    return to_string(part) in to_string(text)


def _f_starts_with(ctx: _Ctx, text: Value, part: Value) -> bool:
    return to_string(text).startswith(to_string(part))


def _f_ends_with(ctx: _Ctx, text: Value, part: Value) -> bool:
    return to_string(text).endswith(to_string(part))


def _f_substring_before(ctx: _Ctx, text: Value, part: Value) -> str:
    whole, separator = to_string(text), to_string(part)
    return whole.split(separator, 1)[0] if separator in whole else ""


def _f_substring_after(ctx: _Ctx, text: Value, part: Value) -> str:
    whole, separator = to_string(text), to_string(part)
    return whole.split(separator, 1)[1] if separator in whole else ""


def _f_substr(ctx: _Ctx, text: Value, start: Value, end: Value | None = None) -> str:
    """JavaRosa's substr(): 0-based start, exclusive end."""
    whole = to_string(text)
    begin = to_number(start)
    stop = len(whole) if end is None else to_number(end)
    if math.isnan(begin) or math.isnan(stop):
        return ""
    begin_i, stop_i = max(0, int(begin)), min(len(whole), int(stop))
    return whole[begin_i:stop_i] if begin_i < stop_i else ""


def _xpath_round(number: float) -> float:
    return number if math.isnan(number) or math.isinf(number) else float(math.floor(number + 0.5))


def _f_substring(ctx: _Ctx, text: Value, start: Value, length: Value | None = None) -> str:
    """XPath 1.0 substring(): 1-based, positions rounded."""
    whole = to_string(text)
    first = _xpath_round(to_number(start))
    last = math.inf if length is None else first + _xpath_round(to_number(length))
    if math.isnan(first) or math.isnan(last):
        return ""
    return "".join(char for i, char in enumerate(whole, 1) if first <= i < last)


def _f_translate(ctx: _Ctx, text: Value, source: Value, target: Value) -> str:
    whole, old, new = to_string(text), to_string(source), to_string(target)
    table: dict[int, int | None] = {}
    for i, char in enumerate(old):
        if ord(char) not in table:
            table[ord(char)] = ord(new[i]) if i < len(new) else None
    return whole.translate(table)


def _f_number(ctx: _Ctx, value: Value | None = None) -> float:
    return to_number([ctx.node] if value is None else value)


def _f_int(ctx: _Ctx, value: Value) -> float:
    number = to_number(value)
    return number if math.isnan(number) or math.isinf(number) else float(math.trunc(number))


def _f_round(ctx: _Ctx, value: Value, places: Value | None = None) -> float:
    number = to_number(value)
    if places is None:
        return _xpath_round(number)
    digits = to_number(places)
    if math.isnan(number) or math.isinf(number) or math.isnan(digits):
        return number if not math.isnan(digits) else NAN
    try:
        exponent = Decimal(1).scaleb(-int(digits))
        return float(Decimal(repr(number)).quantize(exponent, rounding=ROUND_HALF_UP))
    except InvalidOperation:
        return NAN


def _math(function: Callable[..., float]) -> Callable[..., float]:
    def body(ctx: _Ctx, *values: Value) -> float:
        try:
            return float(function(*(to_number(value) for value in values)))
        except (ValueError, OverflowError):
            return NAN

    return body


def _f_boolean_from_string(ctx: _Ctx, value: Value) -> bool:
    return to_string(value).strip() in ("true", "1")


def _f_checklist(ctx: _Ctx, low: Value, high: Value, *values: Value) -> bool:
    count = sum(1 for value in values for scalar in _scalars(value) if to_boolean(scalar))
    least, most = to_number(low), to_number(high)
    return (least < 0 or count >= least) and (most < 0 or count <= most)


def _f_weighted_checklist(ctx: _Ctx, low: Value, high: Value, *values: Value) -> bool:
    if len(values) % 2:
        raise _Fail(_("weighted-checklist() takes pairs of a value and a weight"))
    total = sum(to_number(values[i + 1]) for i in range(0, len(values), 2) if to_boolean(values[i]))
    least, most = to_number(low), to_number(high)
    return (least < 0 or total >= least) and (most < 0 or total <= most)


def _f_uuid(ctx: _Ctx, length: Value | None = None) -> str:
    text = uuid.uuid4().hex if length is not None else str(uuid.uuid4())
    return text[: int(to_number(length))] if length is not None else text


def _to_date(value: Value) -> dt.date | dt.datetime | str:
    scalar = _scalar(value)
    if isinstance(scalar, dt.date):
        return scalar
    if isinstance(scalar, bool):
        raise _Fail(_("date() cannot make a date of a true/false value"))
    if isinstance(scalar, float):
        if math.isnan(scalar) or math.isinf(scalar):
            raise _Fail(_("date() cannot make a date of “%(value)s”") % {"value": scalar})
        return _EPOCH_MOMENT + dt.timedelta(days=scalar)
    text = scalar.strip()
    if text == "":
        return ""
    parsed = parse_date(text) or parse_datetime(text)
    if parsed is None:
        if _NUMBER.fullmatch(text):
            return _to_date(float(text))
        raise _Fail(_("date() cannot make a date of “%(value)s”") % {"value": text})
    return parsed


def _f_date(ctx: _Ctx, value: Value) -> dt.date | str:
    result = _to_date(value)
    return result.date() if isinstance(result, dt.datetime) else result


def _f_date_time(ctx: _Ctx, value: Value) -> dt.datetime | str:
    result = _to_date(value)
    if isinstance(result, dt.date) and not isinstance(result, dt.datetime):
        return dt.datetime.combine(result, dt.time())
    return result


def _f_decimal_date_time(ctx: _Ctx, value: Value) -> float:
    result = _to_date(value)
    return NAN if isinstance(result, str) else _days(result)


def _f_decimal_time(ctx: _Ctx, value: Value) -> float:
    fraction = parse_time(to_string(value))
    return NAN if fraction is None else fraction


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _format(value: Value, pattern: Value, *, with_time: bool) -> str:
    moment = _to_date(value)
    if isinstance(moment, str):
        return ""
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time())
    codes = {
        "Y": f"{moment.year:04d}",
        "y": f"{moment.year % 100:02d}",
        "m": f"{moment.month:02d}",
        "n": str(moment.month),
        "b": _MONTHS[moment.month - 1],
        "d": f"{moment.day:02d}",
        "e": str(moment.day),
        "a": _WEEKDAYS[moment.weekday()],
    }
    if with_time:
        codes |= {
            "H": f"{moment.hour:02d}",
            "h": str(moment.hour),
            "M": f"{moment.minute:02d}",
            "S": f"{moment.second:02d}",
            "3": f"{moment.microsecond // 1000:03d}",
        }
    text, out, i = to_string(pattern), [], 0
    while i < len(text):
        if text[i] == "%" and i + 1 < len(text):
            out.append(codes.get(text[i + 1], text[i : i + 2]))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _f_format_date(ctx: _Ctx, value: Value, pattern: Value) -> str:
    return _format(value, pattern, with_time=False)


def _f_format_date_time(ctx: _Ctx, value: Value, pattern: Value) -> str:
    return _format(value, pattern, with_time=True)


_FUNCTIONS: dict[str, Callable[..., Value]] = {
    "selected": _f_selected,
    "count-selected": _f_count_selected,
    "selected-at": _f_selected_at,
    "jr:choice-name": _f_choice_name,
    "regex": _f_regex,
    "today": lambda ctx: ctx.env.today,
    "now": lambda ctx: ctx.env.current_time(),
    "once": lambda ctx, value: value,
    "position": _f_position,
    "last": _f_last,
    "current": _f_current,
    "instance": _f_instance,
    "count": _f_count,
    "sum": _f_sum,
    "max": _f_max,
    "min": _f_min,
    "count-non-empty": _f_count_non_empty,
    "concat": _f_concat,
    "join": _f_join,
    "string": _f_string,
    "string-length": _f_string_length,
    "normalize-space": _f_normalize_space,
    "contains": _f_contains,
    "starts-with": _f_starts_with,
    "ends-with": _f_ends_with,
    "substring-before": _f_substring_before,
    "substring-after": _f_substring_after,
    "substr": _f_substr,
    "substring": _f_substring,
    "translate": _f_translate,
    "number": _f_number,
    "int": _f_int,
    "round": _f_round,
    "floor": _math(math.floor),
    "ceiling": _math(math.ceil),
    "abs": _math(abs),
    "pow": _math(math.pow),
    "sqrt": _math(math.sqrt),
    "exp": _math(math.exp),
    "exp10": _math(lambda x: 10**x),
    "log": _math(math.log),
    "log10": _math(math.log10),
    "sin": _math(math.sin),
    "cos": _math(math.cos),
    "tan": _math(math.tan),
    "asin": _math(math.asin),
    "acos": _math(math.acos),
    "atan": _math(math.atan),
    "atan2": _math(math.atan2),
    "pi": lambda ctx: math.pi,
    "boolean": lambda ctx, value: to_boolean(value),
    "boolean-from-string": _f_boolean_from_string,
    "not": lambda ctx, value: not to_boolean(value),
    "true": lambda ctx: True,
    "false": lambda ctx: False,
    "checklist": _f_checklist,
    "weighted-checklist": _f_weighted_checklist,
    "uuid": _f_uuid,
    "date": _f_date,
    "date-time": _f_date_time,
    "decimal-date-time": _f_decimal_date_time,
    "decimal-time": _f_decimal_time,
    "format-date": _f_format_date,
    "format-date-time": _f_format_date_time,
}

# Functions that decide which arguments to evaluate, or evaluate them differently.
_LAZY: dict[str, Callable[[list[Fn]], Fn]] = {
    "if": _f_if,
    "coalesce": _f_coalesce,
    "indexed-repeat": _f_indexed_repeat,
}

SUPPORTED_FUNCTIONS: frozenset[str] = frozenset(_FUNCTIONS) | frozenset(_LAZY)
"""Functions an expression may use."""
UNSUPPORTED_FUNCTIONS: frozenset[str] = _UNSUPPORTED
"""ODK functions that parse but make compile_expression raise XPathUnsupportedError."""
