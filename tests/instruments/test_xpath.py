"""The ODK XPath evaluator, function by function, on a small instance: a respondent, a
household whose members repeat, and a choice list as a secondary instance. No database."""

import datetime as dt
import math
import os
from pathlib import Path

import pytest

from fieldwork.instruments.xlsform import convert_xlsform
from fieldwork.instruments.xpath import (
    SUPPORTED_FUNCTIONS,
    Environment,
    Node,
    QuestionRefs,
    XPathEvaluationError,
    XPathSyntaxError,
    XPathUnsupportedError,
    choice_instance,
    compile_expression,
    instance_from_dict,
    to_boolean,
    to_number,
    to_string,
    translate_refs,
)
from tests.instruments.test_xlsform import EXPECTED, Imports

TODAY = dt.date(2024, 3, 15)

ANSWERS = {
    "name": "Awa",
    "age": "34",
    "weight": "61.5",
    "colors": "red blue",
    "dob": "1990-05-01",
    "visited": "2024-03-14T10:30:00.000+00:00",
    "phone": "76543210",
    "empty": "",
    "yes_no": "1",
    "household": {
        "members": [
            {"m_name": "Hama", "m_age": "40", "m_role": "head"},
            {"m_name": "Fanta", "m_age": "12", "m_role": "child"},
            {"m_name": "Kadia", "m_age": "", "m_role": "child"},
        ]
    },
}
KINDS = {
    "age": "number",
    "weight": "number",
    "m_age": "number",
    "dob": "date",
    "visited": "dateTime",
}
PATHS = {
    "name": "name",
    "age": "age",
    "weight": "weight",
    "colors": "colors",
    "dob": "dob",
    "visited": "visited",
    "phone": "phone",
    "empty": "empty",
    "yes_no": "yes_no",
    "household": "household",
    "members": "household/members",
    "m_name": "household/members/m_name",
    "m_age": "household/members/m_age",
    "m_role": "household/members/m_role",
}
CITIES = [
    {"name": "bamako", "label": "Bamako", "region": "bamako"},
    {"name": "mopti", "label": "Mopti", "region": "mopti"},
    {"name": "bandiagara", "label": "Bandiagara", "region": "mopti"},
]


@pytest.fixture
def root() -> Node:
    return instance_from_dict(ANSWERS, kinds=KINDS)


@pytest.fixture
def env() -> Environment:
    return Environment(
        today=TODAY,
        resolve=QuestionRefs(PATHS, repeats=["household/members"]),
        instances={"cities": choice_instance(CITIES)},
        choice_label=lambda value, ref, current: {"red": "Rouge"}.get(value, ""),
    )


def member(root: Node, number: int, question: str) -> Node:
    return root.named("household")[0].named("members")[number - 1].named(question)[0]


def plain(value):
    """Node-sets as their values, to compare with plain data."""
    if isinstance(value, list):
        return [node.string_value() for node in value]
    return value


# (expression, expected value), evaluated with the root element as the context.
FUNCTIONS = [
    # selects
    ("selected(${colors}, 'red')", True),
    ("selected(${colors}, 'green')", False),
    ("selected(${colors}, ' blue ')", True),
    ("selected(${empty}, 'red')", False),
    ("count-selected(${colors})", 2.0),
    ("count-selected(${empty})", 0.0),
    ("selected-at(${colors}, 0)", "red"),
    ("selected-at(${colors}, 1)", "blue"),
    ("selected-at(${colors}, 5)", ""),
    ("jr:choice-name('red', '${colors}')", "Rouge"),
    # strings
    ("string-length(${name})", 3.0),
    ("string-length(${empty})", 0.0),
    ("regex(${phone}, '^[0-9]{8}$')", True),
    ("regex('7654321', '^[0-9]{8}$')", False),
    ("regex(${name}, 'w')", True),  # JavaRosa's find(): anywhere unless anchored
    ("concat(${name}, ' (', ${age}, ')')", "Awa (34)"),
    ("concat(${m_name})", "HamaFantaKadia"),  # a node-set gives all its values
    ("join(', ', ${m_name})", "Hama, Fanta, Kadia"),
    ("contains(${name}, 'wa')", True),
    ("starts-with(${phone}, '76')", True),
    ("ends-with(${phone}, '10')", True),
    ("ends-with(${phone}, '76')", False),
    ("substr('abcdef', 1, 3)", "bc"),
    ("substr('abcdef', 2)", "cdef"),
    ("substring('abcdef', 2, 3)", "bcd"),
    ("substring-before('2024-03-15', '-')", "2024"),
    ("substring-after('2024-03-15', '-')", "03-15"),
    ("normalize-space('  Awa   Traoré ')", "Awa Traoré"),
    ("translate('bamako', 'abk', 'ABK')", "BAmAKo"),
    ("string(${age})", "34"),
    ("string(1 + 1)", "2"),
    ("string(0.5)", "0.5"),
    # choices between values
    ("coalesce(${empty}, 'none')", "none"),
    ("coalesce(${name}, 'none')", "Awa"),
    ("if(${age} >= 18, 'adult', 'minor')", "adult"),
    ("if(${empty} = '', 'blank', 'answered')", "blank"),
    ("once(${name})", ["Awa"]),
    # numbers
    ("int(7.9)", 7.0),
    ("int(-7.9)", -7.0),
    ("int('12')", 12.0),
    ("number('12.5')", 12.5),
    ("number('douze')", math.nan),
    ("number(${empty})", math.nan),
    ("round(2.5)", 3.0),
    ("round(-2.5)", -2.0),
    ("round(2.345, 2)", 2.35),
    ("round(1234.5, -2)", 1200.0),
    ("floor(2.7)", 2.0),
    ("ceiling(2.1)", 3.0),
    ("abs(-3)", 3.0),
    ("pow(2, 10)", 1024.0),
    ("sqrt(16)", 4.0),
    ("exp(0) + exp10(2) + log(1) + log10(1000)", 104.0),
    ("round(sin(0) + cos(0) + tan(0) + asin(0) + acos(1) + atan(0) + atan2(0, 1), 6)", 1.0),
    ("round(pi(), 4)", 3.1416),
    ("sqrt(-1)", math.nan),
    ("max(${m_age})", math.nan),  # Kadia's age is blank
    ("max(3, 7, 5)", 7.0),
    ("min(${age}, ${weight})", 34.0),
    ("count(${members})", 3.0),
    ("count(${m_name})", 3.0),
    ("count-non-empty(${m_age})", 2.0),
    ("sum(${m_age})", math.nan),
    ("sum(/data/household/members[m_age != '']/m_age)", 52.0),
    # booleans
    ("boolean-from-string('true')", True),
    ("boolean-from-string('1')", True),
    ("boolean-from-string('yes')", False),
    ("not(${empty})", True),
    ("not(${name})", False),
    ("true() and not(false())", True),
    ("boolean(${age})", True),
    ("checklist(1, 2, ${name}, ${empty}, ${phone})", True),
    ("checklist(3, -1, ${name}, ${empty}, ${phone})", False),
    ("weighted-checklist(5, -1, ${name}, 3, ${phone}, 2)", True),
    # dates
    ("today()", TODAY),
    ("format-date(today(), '%Y-%m-%d')", "2024-03-15"),
    ("format-date(${dob}, '%e %b %Y, %a')", "1 May 1990, Tue"),
    ("format-date-time(${visited}, '%H:%M')", "10:30"),
    ("date('2020-01-31')", dt.date(2020, 1, 31)),
    ("date(date('2020-01-31') + 1)", dt.date(2020, 2, 1)),
    ("date(0)", dt.date(1970, 1, 1)),
    ("date(${empty})", ""),
    ("date-time('2020-01-31')", dt.datetime(2020, 1, 31)),
    ("date-time(0.5)", dt.datetime(1970, 1, 1, 12)),
    ("today() - date('2024-03-01')", 14.0),
    ("int((today() - ${dob}) div 365.25)", 33.0),
    ("decimal-date-time('1970-01-02')", 1.0),
    ("decimal-time('12:00:00.000Z')", 0.5),
    ("decimal-time('06:00:00.000-07:00')", 13 / 24),
    ("now()", dt.datetime(2024, 3, 15, 23, 59, 59, 999000)),
    # choice lists as secondary instances
    ("instance('cities')/root/item[region = 'mopti']/name", ["mopti", "bandiagara"]),
    ("count(instance('cities')/root/item)", 3.0),
    ("instance('cities')/root/item[2]/label", ["Mopti"]),
    ("instance('cities')/root/item[position() = last()]/name", ["bandiagara"]),
]


@pytest.mark.parametrize(("expression", "expected"), FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_function(root, env, expression, expected):
    got = plain(compile_expression(expression).evaluate(root, env))
    if isinstance(expected, float) and math.isnan(expected):
        assert isinstance(got, float)
        assert math.isnan(got)
    elif isinstance(expected, float):
        assert got == pytest.approx(expected)
    else:
        assert got == expected


def test_every_supported_function_has_a_case():
    used = " ".join(case[0] for case in FUNCTIONS + COMPARISONS + PATHS_CASES)
    untested = {name for name in SUPPORTED_FUNCTIONS if f"{name.split(':')[-1]}(" not in used}
    assert untested == {"uuid"}  # random: tested on its own


def test_uuid(root, env):
    first = compile_expression("uuid()").text(root, env)
    assert len(first) == 36
    assert first != compile_expression("uuid()").text(root, env)
    assert len(compile_expression("uuid(8)").text(root, env)) == 8


# JavaRosa's comparisons: typed nodes, numbers when a side is a number, dates as days.
COMPARISONS = [
    ("${age} = 34", True),
    ("${age} = '34'", True),  # an integer question compares as a number
    ("${age} = '34.0'", True),
    ("${yes_no} = '1'", True),  # a select compares as text
    ("${yes_no} = 1", True),
    ("${name} = 'Awa'", True),
    ("${name} != 'Awa'", False),
    ("${name} = 'awa'", False),
    ("${empty} = ''", True),
    ("${empty} != ''", False),
    ("${age} > 18", True),
    ("${age} > '18'", True),
    ("${weight} < 61.6", True),
    ("${empty} > 0", False),  # blank is NaN, false both ways
    ("${empty} <= 0", False),
    ("'b' < 'a'", False),  # strings are numbers for <, NaN here: no type error
    ("${dob} < today()", True),
    ("${dob} = '1990-05-01'", True),
    ("${dob} < '1990-05-02'", True),
    ("${visited} < now()", True),
    ("${visited} < today()", True),
    ("${visited} > date('2024-03-14')", True),
    ("'10:30' < '11:00'", True),
    ("true() = 'false'", True),  # a boolean side: both are booleans; 'false' is non-empty
    ("${m_age} = 12", True),  # a node-set: some node matches
    ("${m_age} > 50", False),
    ("2 + 3 * 4", 14.0),
    ("(2 + 3) * 4", 20.0),
    ("7 div 2", 3.5),
    ("7 mod 3", 1.0),
    ("-7 mod 3", -1.0),
    ("1 div 0", math.inf),
    ("-1 div 0", -math.inf),
    ("0 div 0", math.nan),
    ("5 mod 0", math.nan),
    ("-${age}", -34.0),
    ("${age} - 4", 30.0),
    ("${age}-4", 30.0),  # `${age}-4` is not the name "age-4"
    ("${age} + ${empty}", math.nan),
    ("1 = 1 and 2 = 2 or 1 = 2", True),
]


@pytest.mark.parametrize(("expression", "expected"), COMPARISONS, ids=[c[0] for c in COMPARISONS])
def test_comparison_and_arithmetic(root, env, expression, expected):
    got = compile_expression(expression).evaluate(root, env)
    if isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == expected


# (expression, which member's question is the context, expected)
PATHS_CASES = [
    ("${m_name}", 2, ["Fanta"]),  # inside the repeat: the same instance's sibling
    ("${name}", 2, ["Awa"]),  # outside it: the one node
    ("count(${m_name})", 2, 1.0),  # from inside the repeat: the sibling alone, as pyxform
    ("count(/data/household/members)", 2, 3.0),
    ("/data/household/members/m_name", 2, ["Hama", "Fanta", "Kadia"]),
    ("/anything/name", 2, ["Awa"]),  # the root's name is not checked
    ("../m_name", 2, ["Fanta"]),
    ("../../members[1]/m_name", 2, ["Hama"]),
    ("..", 2, ["Fanta12child"]),
    (".", 2, ["12"]),
    (". < 18", 2, True),
    ("position(..)", 2, 2.0),
    ("position(..) = 1", 1, True),
    ("position(..) = last()", 3, False),
    ("current()/../m_role", 3, ["child"]),
    ("indexed-repeat(${m_name}, ${members}, 1)", 3, ["Hama"]),
    ("indexed-repeat(${m_name}, ${members}, 9)", 3, []),
    ("${m_role} = 'head'", 1, True),
    ("${m_role} = 'head'", 2, False),
    ("/data/household/members[m_role = 'child'][2]/m_name", 1, ["Kadia"]),
    ("count(/data/household/members[m_role = 'child'])", 1, 2.0),
    ("/data/household/members[m_age > 18]/m_name | /data/name", 1, ["Hama", "Awa"]),
    ("//m_name[. = 'Fanta']", 1, ["Fanta"]),
    ("child::m_role", 1, []),  # the context is m_age, which has no children
    ("parent::members/m_role", 1, ["head"]),
]


@pytest.mark.parametrize(
    ("expression", "number", "expected"), PATHS_CASES, ids=[f"{c[0]} @{c[1]}" for c in PATHS_CASES]
)
def test_paths_and_references_in_repeats(root, env, expression, number, expected):
    context = member(root, number, "m_age")
    assert plain(compile_expression(expression).evaluate(context, env)) == expected


def test_references_from_the_root_reach_every_repeat_instance(root, env):
    nodes = compile_expression("${m_name}").evaluate(root, env)
    assert plain(nodes) == ["Hama", "Fanta", "Kadia"]


def test_choice_filter_context_and_current(root, env):
    """A choice filter runs with the choice as `.` and the question as current()."""
    question = root.named("name")[0]
    items = env.instances["cities"].children[0].children
    expression = compile_expression("region = 'mopti' and name != current()")
    assert [
        expression.test(item, env, current=question, position=i, size=len(items))
        for i, item in enumerate(items, 1)
    ] == [False, True, True]
    by_position = compile_expression("position() = 2")
    assert by_position.test(items[1], env, position=2, size=3)


# The text as written in the XLSForm, and what is parsed.
TRANSLATIONS = [
    ("${a}", " $a ", {"a"}),
    ("${a}-1", " $a -1", {"a"}),
    (
        "selected(${q1}, 'yes') and ${q2} != ''",
        "selected( $q1 , 'yes') and  $q2  != ''",
        {"q1", "q2"},
    ),
    ("'${a}' = \"${b}\"", "'${a}' = \"${b}\"", set()),  # inside literals: left alone
    ("${Section_1.1} + ${d4-2}", " $Section_1.1  +  $d4-2 ", {"Section_1.1", "d4-2"}),
    ("/data/a = ../b", "/data/a = ../b", set()),
]


@pytest.mark.parametrize(("source", "xpath", "names"), TRANSLATIONS)
def test_references_are_translated_outside_literals(source, xpath, names):
    assert translate_refs(source) == (xpath, frozenset(names))


def test_dotted_and_hyphenated_names_resolve():
    root = instance_from_dict({"Section_1.1": "2", "d4-2": "3"})
    env = Environment(
        today=TODAY, resolve=QuestionRefs({"Section_1.1": "Section_1.1", "d4-2": "d4-2"}, [])
    )
    assert compile_expression("${Section_1.1} + ${d4-2}").evaluate(root, env) == 5.0


def test_questions_named_like_functions_are_paths(env):
    root = instance_from_dict({"date": "2024-01-01", "count": "3", "if": "x"})
    expression = compile_expression("/data/date = '2024-01-01' and /data/count = 3 and ../if")
    assert expression.test(root.named("count")[0], env)


# (expression, error class, a fragment of the reason)
BROKEN = [
    ("selected(${q}", XPathSyntaxError, "not a valid expression"),
    ("selected(${q})", XPathSyntaxError, "argument"),
    ("foo(1)", XPathSyntaxError, "unknown function 'foo'"),
    ("${q} = 'yes", XPathSyntaxError, "not a valid expression"),
    ("${q", XPathSyntaxError, "not closed"),
    ("${2q} = 1", XPathSyntaxError, "does not name a question"),
    ("1 +", XPathSyntaxError, "end of source"),
    ("", XPathSyntaxError, "empty"),
    ("pulldata('fruits', 'name', 'key', ${q})", XPathUnsupportedError, "pulldata()"),
    ("random() < 0.5", XPathUnsupportedError, "random()"),
    ("jr:itext('x')", XPathUnsupportedError, "jr:itext()"),
    ("randomize(instance('cities')/root/item)", XPathUnsupportedError, "randomize()"),
    ("digest(${q}, 'SHA-256')", XPathUnsupportedError, "digest() is not supported"),
    ("area(${shape}) > 100", XPathUnsupportedError, "area() is not supported"),
    ("distance(${trace}) < 5", XPathUnsupportedError, "distance() is not supported"),
    ("name() = 'q'", XPathUnsupportedError, "name() is not supported"),
    ("${last-saved#q}", XPathUnsupportedError, "last saved"),
    ("/data/q/text()", XPathUnsupportedError, "“text”"),
]


@pytest.mark.parametrize(("expression", "error", "says"), BROKEN)
def test_broken_expressions_raise_a_clear_error(expression, error, says):
    with pytest.raises(error) as raised:
        compile_expression(expression)
    assert raised.value.expression == expression
    assert says in raised.value.reason


# (expression, a fragment of the reason): these compile but fail on these answers.
FAILING = [
    ("${nobody} = 1", "no question named “nobody”"),
    ("regex(${name}, '[a-')", "not a valid regular expression"),
    ("instance('villages')/root/item", "no choice list named “villages”"),
    ("date('yesterday')", "cannot make a date"),
    ("count('abc')", "a path was expected"),
]


@pytest.mark.parametrize(("expression", "says"), FAILING)
def test_evaluation_errors_name_the_expression(root, env, expression, says):
    with pytest.raises(XPathEvaluationError) as raised:
        compile_expression(expression).evaluate(root, env)
    assert raised.value.expression == expression
    assert says in raised.value.reason


def test_references_need_a_resolver(root):
    with pytest.raises(XPathEvaluationError, match="cannot be resolved"):
        compile_expression("${name} = 'Awa'").evaluate(root, Environment(today=TODAY))


def test_compiled_once_per_text():
    first = compile_expression("${a} > 1 and selected(${b}, 'x')")
    assert compile_expression("${a} > 1 and selected(${b}, 'x')") is first
    assert first.references == frozenset({"a", "b"})
    with pytest.raises(XPathSyntaxError) as once:
        compile_expression("1 +")
    with pytest.raises(XPathSyntaxError) as twice:
        compile_expression("1 +")
    assert once.value is twice.value  # a broken text is not parsed again either


CONVERSIONS = [
    ("", math.nan, "", False),
    ("12", 12.0, "12", True),
    (" 12 ", 12.0, " 12 ", True),
    ("-1.5", -1.5, "-1.5", True),
    ("abc", math.nan, "abc", True),
    (3.0, 3.0, "3", True),
    (0.0, 0.0, "0", False),
    (math.nan, math.nan, "NaN", False),
    (True, 1.0, "true", True),
    (dt.date(1970, 1, 11), 10.0, "1970-01-11", True),
    ("1970-01-11", 10.0, "1970-01-11", True),
]


@pytest.mark.parametrize(("value", "number", "string", "boolean"), CONVERSIONS)
def test_conversions(value, number, string, boolean):
    if math.isnan(number):
        assert math.isnan(to_number(value))
    else:
        assert to_number(value) == number
    assert to_string(value) == string
    assert to_boolean(value) is boolean


def test_a_blank_node_is_false_and_an_answered_one_true(root):
    assert to_boolean(root.named("empty")) is False
    assert to_boolean(root.named("name")) is True
    assert to_boolean([]) is False


# --------------------------------------------------------------------------- real forms

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("FIELDWORK_SHARED_DATA", ROOT.parent / "shared" / "data"))
FIXTURES = ROOT / "tests" / "fixtures" / "xlsforms"
# (folder to search, what names are relative to): the fixtures first, then what only the
# shared research data has (the GPL-3.0 ruODK forms).
FORM_FOLDERS = [
    (SHARED / "messy", SHARED),
    (SHARED / "xlsforms", SHARED / "xlsforms"),
    (FIXTURES, FIXTURES),
]
_ALL_FORMS = {
    path.relative_to(base).as_posix(): path
    for folder, base in FORM_FOLDERS
    if folder.is_dir()
    for path in folder.rglob("*")
    if path.suffix in (".xlsx", ".xls", ".md", ".csv") and path.name != "SOURCES.md"
}
# Only the XLSForms that import (tests/instruments/test_xlsform.py): refused forms and the
# data CSVs among the messy files have no expressions.
FORMS = sorted(
    (name, path) for name, path in _ALL_FORMS.items() if isinstance(EXPECTED.get(name), Imports)
)
#: Expressions ODK Validate refuses too (../shared/data/SOURCES.md says so).
KNOWN_BAD = {
    ("bad_calc.xlsx", "badcalc"),  # calculation: "because pyxform doesn't know what to do"
    ("xl_date_ambiguous.xlsx", "names"),  # choice_filter: label::English != ''
}


@pytest.mark.parametrize("path", [path for _name, path in FORMS], ids=[n for n, _p in FORMS])
def test_every_expression_of_the_real_forms_compiles(path):
    """relevant, constraint, choice_filter and calculation of every XLSForm we hold."""
    converted = convert_xlsform(content=path.read_bytes(), filename=path.name)
    failures = []
    for spec in converted.questions:
        for column in ("relevant", "constraint", "choice_filter", "calculation"):
            source = getattr(spec, column)
            if not source or (path.name, spec.name) in KNOWN_BAD:
                continue
            try:
                compile_expression(source)
            except (XPathSyntaxError, XPathUnsupportedError) as err:
                failures.append((spec.path, column, source, err.reason))
    assert failures == []


def test_nested_repeats_resolve_to_the_enclosing_instances():
    root = instance_from_dict(
        {
            "village": "Ogol",
            "households": [
                {"head": "Hama", "members": [{"m_name": "Awa"}, {"m_name": "Fanta"}]},
                {"head": "Ali", "members": [{"m_name": "Kadia"}]},
            ],
        }
    )
    refs = QuestionRefs(
        {
            "village": "village",
            "head": "households/head",
            "m_name": "households/members/m_name",
        },
        repeats=["households", "households/members"],
    )
    env = Environment(today=TODAY, resolve=refs)
    kadia = root.named("households")[1].named("members")[0].named("m_name")[0]
    expression = compile_expression("concat(${m_name}, ' of ', ${head}, ', ', ${village})")
    assert expression.text(kadia, env) == "Kadia of Ali, Ogol"
    head = root.named("households")[0].named("head")[0]
    assert compile_expression("count(${m_name})").evaluate(head, env) == 2.0
