"""Check a submission's answers against the instrument version it was made with (issue 4, §2):
type, required, choices and choice filters, constraint and relevance, as ODK Collect applies
them; answers to non-relevant questions are dropped; each error names the question.

Answers come as nested plain data, as read from an OpenRosa instance: groups are dicts,
repeats lists of dicts (a lone dict is taken as one instance), values strings, a select
multiple's choices separated by spaces. Pure: no database, only gettext for the messages.
"""

import datetime as dt
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from fieldwork.core.i18n import in_each_language

from .specs import (
    GROUP_TYPES,
    NOT_IN_INSTANCE_TYPES,
    REPEAT_TYPE,
    SELECT_MANY_TYPES,
    SELECT_ONE_TYPES,
    ChoiceSpec,
    Problem,
    QuestionSpec,
)
from .xlsform import pick_text
from .xpath import (
    Environment,
    Node,
    QuestionRefs,
    XPathError,
    choice_instance,
    compile_expression,
    parse_date,
    parse_datetime,
    parse_time,
)

__all__ = ["AnswerCheck", "answer_at", "validate_answers"]

_MISSING = object()

_REPEAT = REPEAT_TYPE
_GROUPS = GROUP_TYPES
_NOT_IN_INSTANCE = NOT_IN_INSTANCE_TYPES
_SELECT_ONE = SELECT_ONE_TYPES
_SELECT_MANY = SELECT_MANY_TYPES
# Filled by the phone, not by the interviewer: never required, no constraint checked
# (ODK Collect validates only questions it shows).
_AUTOMATIC = frozenset(
    {
        "calculate",
        "hidden",
        "note",
        "start",
        "end",
        "today",
        "deviceid",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "email",
        "audit",
        "start-geopoint",
        "background-audio",
        "background-geopoint",
        "uri:deviceid",
        "uri:subscriberid",
        "uri:simserial",
        "uri:phonenumber",
        "uri:username",
        "uri:email",
    }
)
# Node kinds, so that comparisons treat numbers and dates as JavaRosa does.
_KINDS = {
    "integer": "number",
    "int": "number",
    "decimal": "number",
    "range": "number",
    "date": "date",
    "today": "date",
    "datetime": "dateTime",
    "start": "dateTime",
    "end": "dateTime",
    "time": "time",
}
_TEXT_TYPES = frozenset({"text", "string", "calculate", "hidden", "note", "barcode"})

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class AnswerCheck:
    """The outcome: `cleaned` has the shape of the answers, without answers to non-relevant
    questions (nor non-relevant groups and repeat instances) nor unknown keys, with values
    normalized (int for integers, float for decimals, ISO text for dates and times, None
    for an unanswered question); `errors` lists what is wrong, in document order."""

    cleaned: dict[str, Any]
    errors: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.errors


def answer_at(answers: Mapping[str, Any], path: str) -> Any:
    """The answer at a path outside repeats ("checkpoint/armed_group"), or None."""
    here: Any = answers
    for segment in path.split("/"):
        here = here.get(segment) if isinstance(here, Mapping) else None
    return here


def validate_answers(
    *,
    questions: list[QuestionSpec],
    choices: list[ChoiceSpec],
    answers: Mapping[str, Any],
    today: dt.date,
    now: dt.datetime | None = None,
    language: str | None = None,
) -> AnswerCheck:
    """Check `answers` against a version's questions and choices, in document order, so that
    a question's relevance sees the answers before it (inside a repeat, those of the same
    instance), and a non-relevant question's answer is blank to the expressions after it.

    `today` (and `now`, which defaults to the end of that day) is what today() and now()
    return: pass the day of the interview when it is known. Messages name a question by its
    path (with the repeat instance's number: household/members[2]/age) and its label in
    `language` when given, else its first label, else its name.

    Guarantees: never raises for bad answers or bad expressions (an expression that cannot
    be parsed or evaluated becomes a Problem naming the question and the expression); does
    not touch the database; the same input gives the same output.
    """
    return _Check(_form(questions, choices), today=today, now=now, language=language).run(answers)


#: Indexed forms for the tuples of frozen specs a version's cached form holds (phones and
#: imports check many submissions against one version): keyed by the tuples' ids, each
#: entry keeping the tuples themselves, so an id cannot be reused while its entry lives.
_INDEXED: "OrderedDict[tuple[int, int], tuple[tuple, tuple, _Form]]" = OrderedDict()
_INDEXED_KEPT = 32


def _form(questions: Sequence[QuestionSpec], choices: Iterable[ChoiceSpec]) -> "_Form":
    if not (isinstance(questions, tuple) and isinstance(choices, tuple)):
        return _Form(questions, choices)  # lists may change: indexed afresh each time
    key = (id(questions), id(choices))
    entry = _INDEXED.get(key)
    if entry is not None and entry[0] is questions and entry[1] is choices:
        _INDEXED.move_to_end(key)
        return entry[2]
    form = _Form(questions, choices)
    _INDEXED[key] = (questions, choices, form)
    while len(_INDEXED) > _INDEXED_KEPT:
        _INDEXED.popitem(last=False)
    return form


# --------------------------------------------------------------------------- the form


class _Form:
    """A version's questions indexed for one check: children by parent path, names, repeats
    and choice lists."""

    def __init__(self, questions: Sequence[QuestionSpec], choices: Iterable[ChoiceSpec]) -> None:
        self.children: dict[str, list[QuestionSpec]] = {}
        self.by_name: dict[str, QuestionSpec] = {}
        self.kinds: dict[str, str] = {"": "group"}  # by path, lower case
        paths = {spec.path for spec in questions}
        repeats = []
        for spec in questions:
            kind = spec.type.strip().lower()
            if kind in _NOT_IN_INSTANCE:
                continue
            self.kinds[spec.path] = kind
            parent = spec.path.rpartition("/")[0]
            self._ensure_group(parent, paths)
            self.children.setdefault(parent, []).append(spec)
            self.by_name.setdefault(spec.name, spec)
            if kind == _REPEAT:
                repeats.append(spec.path)
        self.choices: dict[str, dict[str, list[tuple[int, ChoiceSpec]]]] = {}
        self._choice_lists: dict[str, list[ChoiceSpec]] = {}
        for choice in choices:
            items = self._choice_lists.setdefault(choice.list_name, [])
            self.choices.setdefault(choice.list_name, {}).setdefault(choice.name, []).append(
                (len(items), choice)
            )
            items.append(choice)
        self.refs = QuestionRefs({name: spec.path for name, spec in self.by_name.items()}, repeats)

    def _ensure_group(self, path: str, paths: set[str]) -> None:
        # A question whose group is not listed still needs a node to hang from.
        if not path or path in paths:
            return
        paths.add(path)
        parent, _sep, name = path.rpartition("/")
        self._ensure_group(parent, paths)
        group = QuestionSpec(name=name, path=path, type="group")
        self.children.setdefault(parent, []).append(group)
        self.kinds[path] = "group"

    def choice_lists(self) -> Mapping[str, list[ChoiceSpec]]:
        return self._choice_lists


class _Instances(Mapping[str, Node]):
    """The choice lists as secondary instances, built on first use (most checks need none).
    A choice filter needs only the chosen item, so `item()` builds that one alone."""

    def __init__(self, form: _Form, language: str | None) -> None:
        self._form = form
        self._language = language
        self._built: dict[str, Node] = {}
        self._items: dict[tuple[str, int], Node] = {}

    def _fields(self, choice: ChoiceSpec) -> dict[str, str]:
        return {"name": choice.name, "label": _label(choice.labels, self._language), **choice.extra}

    def __getitem__(self, list_name: str) -> Node:
        if list_name not in self._built:
            items = self._form.choice_lists()[list_name]  # KeyError: no such list
            self._built[list_name] = choice_instance(self._fields(c) for c in items)
        return self._built[list_name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._form.choice_lists())

    def __len__(self) -> int:
        return len(self._form.choice_lists())

    def built(self) -> list[Node]:
        """The documents made so far (to dispose of them)."""
        return [*self._built.values(), *(item.root() for item in self._items.values())]

    def item(self, list_name: str, index: int) -> Node:
        key = (list_name, index)
        if key not in self._items:
            choice = self._form.choice_lists()[list_name][index]
            self._items[key] = choice_instance([self._fields(choice)]).children[0].children[0]
        return self._items[key]


class _ChoiceLabels:
    """jr:choice-name(value, '${question}'): the label of a question's choice. Not a method
    of the check, so that the check's environment does not point back at the check."""

    def __init__(self, form: _Form, language: str | None) -> None:
        self._form = form
        self._language = language

    def __call__(self, value: str, ref: str, current: Node | None) -> str:
        ref = ref.strip()
        match = re.fullmatch(r"\$\{\s*([^{}\s]+)\s*\}", ref)
        name = match[1] if match else ref.rstrip("/").rpartition("/")[2]
        spec = self._form.by_name.get(name)
        if spec is None:
            return ""
        for _index, choice in self._form.choices.get(spec.list_name, {}).get(value, []):
            return _label(choice.labels, self._language)
        return ""


def _label(labels: Mapping[str, str], language: str | None) -> str:
    """A label or message in `language` (a form's column name, "Français (fr)", or a code),
    else in the interface's language, as the messages around it are: "“Âge” n'est pas
    accepté : Between 15 and 119." mixed two languages."""
    if not labels:
        return ""
    if language and labels.get(language):
        return labels[language]
    return pick_text(dict(labels), language=language or get_language() or "")


# --------------------------------------------------------------------------- the check


class _Info:
    """What the check keeps on each instance node."""

    __slots__ = ("spec", "where", "present", "relevant", "value", "keys", "extras")

    def __init__(self, spec: QuestionSpec, where: str, present: bool) -> None:
        self.spec = spec
        self.where = where
        self.present = present
        self.relevant = True
        self.value: Any = None
        self.keys: set[str] = set()
        self.extras: dict[str, Any] = {}


_ROOT = QuestionSpec(name="data", path="", type="group")
#: A wrong answer: no value, and what writes the message. Named once: an annotation spelled
#: out on the helper `_typed` defines for each answer would be built for each answer too.
_Wrong = tuple[None, Callable[[], str]]


class _Check:
    def __init__(
        self, form: _Form, *, today: dt.date, now: dt.datetime | None, language: str | None
    ) -> None:
        self.form = form
        self.language = language
        self.errors: list[Problem] = []
        self.instances = _Instances(form, language)
        self.env = Environment(
            today=today,
            now=now,
            resolve=form.refs,
            instances=self.instances,
            choice_label=_ChoiceLabels(form, language),
        )

    def run(self, answers: Mapping[str, Any]) -> AnswerCheck:
        root = Node.document().add("data", info=_Info(_ROOT, "", present=True))
        if isinstance(answers, Mapping):
            self._build(root, "", answers)
        else:
            self._error("", None, lambda: _("The answers must be a set of named answers."))
        try:
            self._visit(root)
            cleaned = self._cleaned(root)
        finally:
            root.root().dispose()
            for document in self.instances.built():
                document.dispose()
        return AnswerCheck(cleaned=cleaned, errors=self.errors)

    # -- messages

    def _error(self, where: str, spec: QuestionSpec | None, build: Callable[[], str]) -> None:
        """Keep a problem at `where` (a place in the answers: "household/members[2]/age"),
        about `spec`'s question if known. `build` writes the message; it is called once in
        each interface language, so that every reader gets it in theirs."""

        def located() -> str:
            problem = build()
            if not where:
                return problem
            return _("%(where)s: %(problem)s") % {"where": where, "problem": problem}

        texts = in_each_language(located)
        message = texts.get(get_language() or "") or located()
        self.errors.append(Problem(message=message, path=spec.path if spec else "", texts=texts))

    def _question(self, spec: QuestionSpec) -> str:
        text = " ".join(_label(spec.labels, self.language).split()) or spec.name
        return text if len(text) <= 60 else text[:59] + "…"

    @staticmethod
    def _shown(value: Any) -> str:
        text = str(value)
        return text if len(text) <= 40 else text[:39] + "…"

    def _expression_error(self, info: _Info, column: str, err: XPathError) -> None:
        self._error(
            info.where,
            info.spec,
            lambda: (
                _(
                    "The %(column)s expression of “%(question)s” cannot be evaluated "
                    "(%(expression)s): %(reason)s."
                )
                % {
                    "column": column,
                    "question": self._question(info.spec),
                    "expression": err.expression,
                    "reason": err.reason,
                }
            ),
        )

    # -- walk 1: the instance, from the answers and the form

    def _build(self, node: Node, parent_path: str, data: Mapping[str, Any]) -> None:
        info: _Info = node.info
        known = set()
        for spec in self.form.children.get(parent_path, []):
            known.add(spec.name)
            raw = data.get(spec.name, _MISSING)
            if raw is not _MISSING:
                info.keys.add(spec.name)
            where = f"{info.where}/{spec.name}" if info.where else spec.name
            kind = self.form.kinds[spec.path]
            if kind == _REPEAT:
                self._build_repeat(node, spec, raw, where)
            elif kind in _GROUPS:
                child = node.add(spec.name, info=_Info(spec, where, raw is not _MISSING))
                if raw is _MISSING or raw is None or raw == "":
                    raw = {}
                elif not isinstance(raw, Mapping):
                    self._error(
                        where,
                        spec,
                        lambda spec=spec, raw=raw: (
                            _(
                                "“%(question)s” is a group: its answer must hold the answers to "
                                "its questions, not “%(value)s”."
                            )
                            % {"question": self._question(spec), "value": self._shown(raw)}
                        ),
                    )
                    raw = {}
                self._build(child, spec.path, raw)
            else:
                self._build_leaf(node, spec, kind, raw, where)
        for key, value in data.items():
            if key in known:
                continue
            if parent_path == "meta":
                # OpenRosa metadata the form does not declare (deprecatedID, instanceName…)
                info.extras[key] = value
                continue
            where = f"{info.where}/{key}" if info.where else str(key)
            self._error(
                where,
                None,
                lambda key=key: (
                    _(
                        "This version of the form has no question “%(name)s”; the answer cannot "
                        "be kept."
                    )
                    % {"name": key}
                ),
            )

    def _build_repeat(self, node: Node, spec: QuestionSpec, raw: Any, where: str) -> None:
        if raw is _MISSING or raw is None or raw == "":
            instances: list[Any] = []
        elif isinstance(raw, Mapping):
            instances = [raw]
        elif isinstance(raw, list):
            instances = raw
        else:
            self._error(
                where,
                spec,
                lambda: (
                    _(
                        "“%(question)s” is a repeat: its answer must be a list of instances, "
                        "not “%(value)s”."
                    )
                    % {"question": self._question(spec), "value": self._shown(raw)}
                ),
            )
            instances = []
        for number, item in enumerate(instances, 1):
            here = f"{where}[{number}]"
            child = node.add(spec.name, info=_Info(spec, here, True))
            if not isinstance(item, Mapping):
                self._error(
                    here,
                    spec,
                    lambda item=item: (
                        _(
                            "“%(question)s” is a repeat: its answer must be a list of instances, "
                            "not “%(value)s”."
                        )
                        % {"question": self._question(spec), "value": self._shown(item)}
                    ),
                )
                item = {}
            self._build(child, spec.path, item)

    def _build_leaf(self, node: Node, spec: QuestionSpec, kind: str, raw: Any, where: str) -> None:
        if raw is _MISSING or raw is None:
            text = ""
        elif isinstance(raw, str):
            text = raw
        elif isinstance(raw, bool):
            text = "true" if raw else "false"
        elif isinstance(raw, int | float):
            text = str(raw)
        else:
            self._error(
                where,
                spec,
                lambda: (
                    _("“%(question)s” takes a single answer, not a group of answers.")
                    % {"question": self._question(spec)}
                ),
            )
            text = ""
        if kind not in _TEXT_TYPES:
            text = text.strip()
        node.add(
            spec.name, text, kind=_KINDS.get(kind, ""), info=_Info(spec, where, raw is not _MISSING)
        )

    # -- walk 2: relevance and checks, in document order

    def _visit(self, node: Node) -> None:
        for child in node.children:
            info: _Info = child.info
            spec = info.spec
            if spec.relevant and not self._test(info, "relevant", spec.relevant, child):
                info.relevant = False
                child.clear()  # what follows sees the answer as blank, as it is dropped
                continue
            kind = self.form.kinds[spec.path]
            if kind == _REPEAT or kind in _GROUPS:
                self._visit(child)
            else:
                self._check(child, info, kind)

    def _test(self, info: _Info, column: str, source: str, node: Node, **kwargs: Any) -> bool:
        try:
            return compile_expression(source).test(node, self.env, **kwargs)
        except XPathError as err:
            # Keep the answer and report the form's fault; a broken rule must not lose data.
            self._expression_error(info, column, err)
            return True

    def _required_now(self, info: _Info, node: Node) -> bool:
        """Always, or when the `required` column's expression holds for this answer."""
        spec = info.spec
        return not spec.required_if or self._test(info, "required", spec.required_if, node)

    def _check(self, node: Node, info: _Info, kind: str) -> None:
        spec = info.spec
        # Filled by the phone (metadata, calculate, a calculated read-only question): ODK
        # Collect neither requires nor constrains it, and stores what the calculation gives.
        computed = kind in _AUTOMATIC or bool(spec.calculation)
        text = node.value
        if text.strip() == "":
            info.value = None
            if spec.required and not computed and self._required_now(info, node):
                self._error(
                    info.where,
                    spec,
                    lambda: (
                        _label(spec.required_message, self.language)
                        or _("“%(question)s” is required but has no answer.")
                        % {"question": self._question(spec)}
                    ),
                )
            return
        value, problem = self._typed(spec, kind, text, computed=computed)
        if problem is not None:
            info.value = text
            self._error(info.where, spec, problem)
            return
        info.value = value
        if computed:
            return
        if spec.choice_filter and (kind in _SELECT_ONE or kind in _SELECT_MANY):
            self._check_filter(node, info, text.split())
        if spec.constraint and not self._test(info, "constraint", spec.constraint, node):

            def problem() -> str:
                message = _label(spec.constraint_message, self.language)
                if message:
                    return _("“%(question)s” is not accepted: %(message)s") % {
                        "question": self._question(spec),
                        "message": message,
                    }
                return _(
                    "“%(question)s” does not meet its constraint %(constraint)s; got “%(value)s”."
                ) % {
                    "question": self._question(spec),
                    "constraint": spec.constraint,
                    "value": self._shown(text),
                }

            self._error(info.where, spec, problem)

    def _check_filter(self, node: Node, info: _Info, names: list[str]) -> None:
        spec = info.spec
        listed = self.form.choices.get(spec.list_name)
        if not listed:
            return
        size = len(self.form.choice_lists()[spec.list_name])
        for name in names:
            offered = False
            for index, _choice in listed.get(name, []):
                item = self.instances.item(spec.list_name, index)
                ok = self._test(
                    info,
                    "choice_filter",
                    spec.choice_filter,
                    item,
                    current=node,
                    position=index + 1,
                    size=size,
                )
                if ok:
                    offered = True
                    break
            if not offered and name in listed:
                self._error(
                    info.where,
                    spec,
                    lambda name=name: (
                        _(
                            "“%(question)s” has “%(value)s”, which the form does not offer here "
                            "(choice filter %(filter)s)."
                        )
                        % {
                            "question": self._question(spec),
                            "value": self._shown(name),
                            "filter": spec.choice_filter,
                        }
                    ),
                )

    # -- types

    def _typed(
        self, spec: QuestionSpec, kind: str, text: str, *, computed: bool = False
    ) -> tuple[Any, Callable[[], str] | None]:
        """(normalized value, None) or (None, what writes what is wrong)."""

        def wrong(template: Any, **more: Any) -> _Wrong:
            # `template` is lazy: the message is written in each language when kept.
            def problem() -> str:
                names = {"question": self._question(spec), "value": self._shown(text)}
                return str(template) % {**names, **more}

            return None, problem

        if kind in ("integer", "int"):
            if _INTEGER.fullmatch(text):
                return int(text), None
            return wrong(gettext_lazy("“%(question)s” must be a whole number; got “%(value)s”."))
        if kind in ("decimal", "range"):
            if not _DECIMAL.fullmatch(text):
                return wrong(gettext_lazy("“%(question)s” must be a number; got “%(value)s”."))
            if kind == "range" and _INTEGER.fullmatch(text):
                return int(text), None
            return float(text), None
        if kind in ("date", "today"):
            day = parse_date(text)
            if day is not None:
                return day.isoformat(), None
            return wrong(
                gettext_lazy("“%(question)s” must be a date written YYYY-MM-DD; got “%(value)s”.")
            )
        if kind == "time":
            if parse_time(text) is not None:
                return text, None
            return wrong(
                gettext_lazy("“%(question)s” must be a time written HH:MM:SS; got “%(value)s”.")
            )
        if kind in ("datetime", "start", "end"):
            if parse_datetime(text) is not None:
                return text, None
            return wrong(
                gettext_lazy(
                    "“%(question)s” must be a date and time written YYYY-MM-DDTHH:MM:SS; "
                    "got “%(value)s”."
                )
            )
        if kind in ("geopoint", "start-geopoint", "background-geopoint"):
            point = _geopoint(text)
            if point is not None:
                return point, None
            return wrong(
                gettext_lazy(
                    "“%(question)s” must be a location written “latitude longitude altitude "
                    "accuracy”, with a latitude from -90 to 90 and a longitude from -180 to "
                    "180; got “%(value)s”."
                )
            )
        if kind in ("geotrace", "geoshape"):
            least = 2 if kind == "geotrace" else 3
            points = [_geopoint(part) for part in text.split(";") if part.strip()]
            if len(points) >= least and all(point is not None for point in points):
                return ";".join(points), None  # type: ignore[arg-type]
            return wrong(
                gettext_lazy(
                    "“%(question)s” must be at least %(count)s locations separated by “;”; "
                    "got “%(value)s”."
                ),
                count=least,
            )
        if kind in ("acknowledge", "trigger"):
            if text == "OK":
                return text, None
            return wrong(gettext_lazy("“%(question)s” can only be “OK”; got “%(value)s”."))
        if kind in _SELECT_ONE or kind in _SELECT_MANY:
            names = text.split()
            if kind in _SELECT_ONE and len(names) != 1:
                return wrong(gettext_lazy("“%(question)s” takes one choice; got “%(value)s”."))
            listed = self.form.choices.get(spec.list_name)
            if not listed or computed:
                # A list from a file (or none): nothing to check against. A calculated select
                # is filled by the phone, which stores whatever the calculation gives.
                return " ".join(names), None
            unknown = [name for name in names if name not in listed]
            if not unknown:
                return " ".join(names), None
            return (
                None,
                lambda: (
                    ngettext(
                        "“%(question)s” has “%(values)s”, which is not a choice of the list "
                        "“%(list)s”.",
                        "“%(question)s” has “%(values)s”, which are not choices of the list "
                        "“%(list)s”.",
                        len(unknown),
                    )
                    % {
                        "question": self._question(spec),
                        "values": self._shown(" ".join(unknown)),
                        "list": spec.list_name,
                    }
                ),
            )
        return text, None  # text, barcode, media file names, metadata, calculate, note

    # -- walk 3: what is kept

    def _cleaned(self, node: Node) -> dict[str, Any]:
        info: _Info = node.info
        out: dict[str, Any] = {}
        for child in node.children:
            child_info: _Info = child.info
            spec = child_info.spec
            kind = self.form.kinds[spec.path]
            if kind == _REPEAT:
                # The key takes its place at the first instance; it goes if none is relevant.
                instances = out.setdefault(spec.name, [])
                if child_info.relevant:
                    instances.append(self._cleaned(child))
            elif not child_info.relevant or not child_info.present:
                continue
            elif kind in _GROUPS:
                out[spec.name] = self._cleaned(child)
            else:
                out[spec.name] = child_info.value
        for spec in self.form.children.get(info.spec.path, []):
            if self.form.kinds[spec.path] == _REPEAT and spec.name in out and not out[spec.name]:
                del out[spec.name]  # every instance was non-relevant
            elif (
                self.form.kinds[spec.path] == _REPEAT
                and spec.name in info.keys
                and spec.name not in out
            ):
                out[spec.name] = []  # answered with no instance at all: stays so
        out.update(info.extras)
        return out


def _geopoint(text: str) -> str | None:
    parts = text.split()
    if not 2 <= len(parts) <= 4 or not all(_DECIMAL.fullmatch(part) for part in parts):
        return None
    numbers = [float(part) for part in parts]
    if not -90 <= numbers[0] <= 90 or not -180 <= numbers[1] <= 180:
        return None
    if len(numbers) == 4 and numbers[3] < 0:
        return None
    return " ".join(parts)
