"""Validating a submission's answers against a version: types, required, choices, choice
filters, constraints and relevance, on a small checkpoint form, then on real XLSForms with
the submissions that were made with them. No database."""

import copy
import datetime as dt
import functools
import os
import re
import statistics
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from fieldwork.instruments.answers import validate_answers
from fieldwork.instruments.specs import ChoiceSpec, QuestionSpec
from fieldwork.instruments.xlsform import ConvertedForm, convert_xlsform

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("FIELDWORK_SHARED_DATA", ROOT.parent / "shared" / "data"))
XLSFORMS = ROOT / "tests" / "fixtures" / "xlsforms"
SUBMISSIONS = ROOT / "tests" / "fixtures" / "submissions"
TODAY = dt.date(2025, 1, 20)
EN = "English (en)"
FR = "Français (fr)"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def q(path: str, type: str = "text", label: str = "", **fields: Any) -> QuestionSpec:
    return QuestionSpec(
        name=path.rpartition("/")[2],
        path=path,
        type=type,
        labels={EN: label, FR: f"{label} (fr)"} if label else {},
        **fields,
    )


def c(list_name: str, name: str, label: str = "", **extra: str) -> ChoiceSpec:
    return ChoiceSpec(list_name=list_name, name=name, labels={EN: label or name}, extra=extra)


FORM = [
    q("start", "start"),
    q("respondent", label="Respondent's name", required=True),
    q("consent", "select one", "Consent", list_name="yes_no", required=True),
    q(
        "age",
        "integer",
        "Age",
        required=True,
        relevant="${consent} = 'yes'",
        constraint=". >= 15 and . < 120",
        constraint_message={EN: "Between 15 and 119.", FR: "Entre 15 et 119."},
    ),
    q(
        "phone",
        label="Phone number",
        relevant="selected(${consent}, 'yes')",
        constraint="regex(., '^[0-9]{8}$')",
    ),
    q("visit_date", "date", "Date of the visit", constraint=". <= today()"),
    q("checkpoint", "group", "Checkpoint", relevant="${consent} = 'yes'"),
    q("checkpoint/armed_group", "select one", "Armed group", list_name="groups", required=True),
    q(
        "checkpoint/amount_paid",
        "decimal",
        "Amount paid",
        relevant="${armed_group} != 'none'",
        constraint=". >= 0",
    ),
    q(
        "checkpoint/items_taken",
        "select all that apply",
        "Goods taken",
        list_name="items",
        relevant="${amount_paid} > 0",
    ),
    q("commune", "select one", "Commune", list_name="communes"),
    q("village", "select one", "Village", list_name="villages", choice_filter="commune=${commune}"),
    q("household", "group", "Household"),
    q("household/members", "repeat", "Members"),
    q("household/members/m_name", label="Name", required=True, repeat_path="household/members"),
    q("household/members/m_age", "integer", "Age of the member", repeat_path="household/members"),
    q(
        "household/members/school",
        "select one",
        "Goes to school",
        list_name="yes_no",
        required=True,
        relevant="${m_age} < 18",
        repeat_path="household/members",
    ),
    q(
        "household/members/head_phone",
        label="Phone of the head",
        relevant="position(..) = 1",
        repeat_path="household/members",
    ),
    q("location", "geopoint", "Location"),
    q("route", "geotrace", "Route"),
    q("arrived", "time", "Arrival time"),
    q("left", "dateTime", "Departure"),
    q("ack", "acknowledge", "I have read the consent form"),
    q("double_age", "calculate", calculation="${age} * 2"),
    q("thanks", "note", "Thank you."),
    q("meta", "group"),
    q("meta/instanceID", "calculate"),
]
CHOICES = [
    c("yes_no", "yes", "Yes"),
    c("yes_no", "no", "No"),
    c("groups", "dna", "Dan Na Ambassagou"),
    c("groups", "jnim", "JNIM"),
    c("groups", "none", "None"),
    c("items", "money", "Money"),
    c("items", "livestock", "Livestock"),
    c("items", "phone", "Phone"),
    c("communes", "sangha", "Sangha"),
    c("communes", "bankass", "Bankass"),
    c("villages", "ogol", "Ogol", commune="sangha"),
    c("villages", "banani", "Banani", commune="sangha"),
    c("villages", "diallassagou", "Diallassagou", commune="bankass"),
]
GOOD = {
    "start": "2025-01-20T08:00:00.000+00:00",
    "respondent": "Awa",
    "consent": "yes",
    "age": "34",
    "phone": "76543210",
    "visit_date": "2025-01-19",
    "checkpoint": {"armed_group": "dna", "amount_paid": "2500.50", "items_taken": "money  phone"},
    "commune": "sangha",
    "village": "banani",
    "household": {
        "members": [
            {"m_name": "Hama", "m_age": "40", "head_phone": "76000000"},
            {"m_name": "Fanta", "m_age": "12", "school": "yes"},
        ]
    },
    "location": "14.35 -3.61 300 5",
    "route": "14.35 -3.61 300 5;14.36 -3.62 0 0",
    "arrived": "08:05:00.000+00:00",
    "left": "2025-01-20T09:00:00.000+00:00",
    "ack": "OK",
    "double_age": "68",
    "thanks": "",
    "meta": {"instanceID": "uuid:0b6e3f4a", "deprecatedID": "uuid:0a"},
}


def check(answers: dict, **kwargs: Any):
    return validate_answers(questions=FORM, choices=CHOICES, answers=answers, today=TODAY, **kwargs)


def changed(**changes: Any) -> dict:
    """GOOD with answers replaced: keys are paths, `members[2]` picks an instance; None
    removes the answer."""
    answers = copy.deepcopy(GOOD)
    for path, value in changes.items():
        *parents, last = path.split("/")
        target = answers
        for part in parents:
            match = re.fullmatch(r"(\w+)\[(\d+)\]", part)
            target = target[match[1]][int(match[2]) - 1] if match else target[part]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return answers


def messages(result) -> list[str]:
    return [problem.message for problem in result.errors]


def test_a_complete_submission_is_clean_and_normalized():
    result = check(GOOD)
    assert messages(result) == []
    assert result.ok
    assert result.cleaned == {
        "start": "2025-01-20T08:00:00.000+00:00",
        "respondent": "Awa",
        "consent": "yes",
        "age": 34,
        "phone": "76543210",
        "visit_date": "2025-01-19",
        "checkpoint": {"armed_group": "dna", "amount_paid": 2500.5, "items_taken": "money phone"},
        "commune": "sangha",
        "village": "banani",
        "household": {
            "members": [
                {"m_name": "Hama", "m_age": 40, "head_phone": "76000000"},
                {"m_name": "Fanta", "m_age": 12, "school": "yes"},
            ]
        },
        "location": "14.35 -3.61 300 5",
        "route": "14.35 -3.61 300 5;14.36 -3.62 0 0",
        "arrived": "08:05:00.000+00:00",
        "left": "2025-01-20T09:00:00.000+00:00",
        "ack": "OK",
        "double_age": "68",
        "thanks": None,
        "meta": {"instanceID": "uuid:0b6e3f4a", "deprecatedID": "uuid:0a"},
    }


# (answer changed, the message: where, which question, what is wrong)
TYPES = [
    ({"age": "cinq"}, "age: “Age” must be a whole number; got “cinq”."),
    ({"age": "34.5"}, "age: “Age” must be a whole number; got “34.5”."),
    (
        {"household/members[2]/m_age": "cinq"},
        "household/members[2]/m_age: “Age of the member” must be a whole number; got “cinq”.",
    ),
    (
        {"checkpoint/amount_paid": "2 500"},
        "checkpoint/amount_paid: “Amount paid” must be a number; got “2 500”.",
    ),
    (
        {"checkpoint/amount_paid": "nan"},
        "checkpoint/amount_paid: “Amount paid” must be a number; got “nan”.",
    ),
    (
        {"visit_date": "19/01/2025"},
        "visit_date: “Date of the visit” must be a date written YYYY-MM-DD; got “19/01/2025”.",
    ),
    (
        {"visit_date": "2025-02-30"},
        "visit_date: “Date of the visit” must be a date written YYYY-MM-DD; got “2025-02-30”.",
    ),
    (
        {"arrived": "8h05"},
        "arrived: “Arrival time” must be a time written HH:MM:SS; got “8h05”.",
    ),
    (
        {"left": "2025-01-20 09:00"},
        "left: “Departure” must be a date and time written YYYY-MM-DDTHH:MM:SS; "
        "got “2025-01-20 09:00”.",
    ),
    (
        {"location": "94.35 -3.61"},
        "location: “Location” must be a location written “latitude longitude altitude "
        "accuracy”, with a latitude from -90 to 90 and a longitude from -180 to 180; "
        "got “94.35 -3.61”.",
    ),
    (
        {"route": "14.35 -3.61"},
        "route: “Route” must be at least 2 locations separated by “;”; got “14.35 -3.61”.",
    ),
    ({"ack": "yes"}, "ack: “I have read the consent form” can only be “OK”; got “yes”."),
    (
        {"consent": "oui"},
        "consent: “Consent” has “oui”, which is not a choice of the list “yes_no”.",
    ),
    ({"consent": "yes no"}, "consent: “Consent” takes one choice; got “yes no”."),
    (
        {"checkpoint/items_taken": "money goats cattle"},
        "checkpoint/items_taken: “Goods taken” has “goats cattle”, which are not choices of "
        "the list “items”.",
    ),
    (
        {"start": "yesterday"},
        "start: “start” must be a date and time written YYYY-MM-DDTHH:MM:SS; got “yesterday”.",
    ),
]


@pytest.mark.parametrize(("change", "message"), TYPES)
def test_types_and_choices(change, message):
    result = check(changed(**change))
    assert messages(result) == [message]


@pytest.mark.parametrize(
    ("value", "cleaned"),
    [
        ("+7", 7),
        (" 34 ", 34),  # spaces around a number, as some XML writers leave them
        ("-0", 0),
    ],
)
def test_integers_are_parsed(value, cleaned):
    result = check(changed(**{"household/members[1]/m_age": value}))
    assert result.cleaned["household"]["members"][0]["m_age"] == cleaned


# (answers changed, the messages expected)
REQUIRED = [
    ({"respondent": ""}, ["respondent: “Respondent's name” is required but has no answer."]),
    ({"respondent": "   "}, ["respondent: “Respondent's name” is required but has no answer."]),
    ({"respondent": None}, ["respondent: “Respondent's name” is required but has no answer."]),
    (
        {"checkpoint/armed_group": ""},  # also makes amount_paid relevant, blank: not required
        ["checkpoint/armed_group: “Armed group” is required but has no answer."],
    ),
    (
        {"household/members[2]/school": None},
        ["household/members[2]/school: “Goes to school” is required but has no answer."],
    ),
    ({"household/members[1]/school": None}, []),  # not relevant for an adult
    ({"consent": "no", "age": None}, []),  # age is required only when relevant
    ({"double_age": ""}, []),  # a calculate is never required
]


@pytest.mark.parametrize(("change", "expected"), REQUIRED)
def test_required_only_when_relevant(change, expected):
    assert messages(check(changed(**change))) == expected


def test_a_required_message_from_the_form_is_used():
    form = [q("name", label="Name", required=True, required_message={EN: "Say a name."})]
    result = validate_answers(questions=form, choices=[], answers={"name": ""}, today=TODAY)
    assert messages(result) == ["name: Say a name."]


@pytest.mark.parametrize(
    ("contact", "phone", "expected"),
    [
        ("yes", "", ["phone: “Phone” is required but has no answer."]),
        ("no", "", []),
        ("yes", "76123456", []),
    ],
)
def test_a_required_expression_requires_only_when_it_holds(contact, phone, expected):
    form = [
        q("contact", "select one", "May we call you?", list_name="yes_no"),
        q("phone", label="Phone", required=True, required_if="${contact} = 'yes'"),
    ]
    choices = [c("yes_no", "yes"), c("yes_no", "no")]
    answers = {"contact": contact, "phone": phone}
    result = validate_answers(questions=form, choices=choices, answers=answers, today=TODAY)
    assert messages(result) == expected


CONSTRAINTS = [
    ({"age": "12"}, ["age: “Age” is not accepted: Between 15 and 119."]),
    ({"age": "120"}, ["age: “Age” is not accepted: Between 15 and 119."]),
    ({"age": "15"}, []),
    (
        {"phone": "7654321"},
        [
            "phone: “Phone number” does not meet its constraint regex(., '^[0-9]{8}$'); "
            "got “7654321”."
        ],
    ),
    (
        {"phone": "+22376543210"},
        [
            "phone: “Phone number” does not meet its constraint regex(., '^[0-9]{8}$'); "
            "got “+22376543210”."
        ],
    ),
    ({"phone": ""}, []),  # a constraint is checked only on an answer
    ({"consent": "no", "phone": "1"}, []),  # nor on a non-relevant question
    (
        {"visit_date": "2025-01-21"},
        [
            "visit_date: “Date of the visit” does not meet its constraint . <= today(); "
            "got “2025-01-21”."
        ],
    ),
    ({"visit_date": "2025-01-20"}, []),
    (
        {"checkpoint/amount_paid": "-1"},
        ["checkpoint/amount_paid: “Amount paid” does not meet its constraint . >= 0; got “-1”."],
    ),
    ({"double_age": "-5"}, []),  # calculates are not constrained
]


@pytest.mark.parametrize(("change", "expected"), CONSTRAINTS)
def test_constraints(change, expected):
    assert messages(check(changed(**change))) == expected


def test_the_constraint_message_in_the_language_asked():
    result = check(changed(age="12"), language=FR)
    assert messages(result) == ["age: “Age (fr)” is not accepted: Entre 15 et 119."]


def test_without_a_language_asked_the_interface_s_language_is_used():
    """A French-speaking supervisor reads the form's French message, not its first column."""
    with translation.override("fr"):
        (message,) = messages(check(changed(age="12")))
    assert "Entre 15 et 119." in message and "Age (fr)" in message
    assert "Between" not in message


# (answers changed, keys (paths) absent from cleaned, keys present)
RELEVANCE = [
    # no consent: its dependants go, the whole checkpoint group with them
    ({"consent": "no"}, ["age", "phone", "checkpoint"], ["respondent", "consent", "commune"]),
    # an answer to a non-relevant question is dropped, not an error
    ({"checkpoint/armed_group": "none"}, ["checkpoint/amount_paid"], ["checkpoint/armed_group"]),
    # a chain: items_taken depends on amount_paid, which depends on armed_group
    (
        {"checkpoint/armed_group": "none"},
        ["checkpoint/items_taken"],
        ["checkpoint/armed_group"],
    ),
    ({"checkpoint/amount_paid": "0"}, ["checkpoint/items_taken"], ["checkpoint/amount_paid"]),
    # per repeat instance: the adult has no school answer kept, the child does
    (
        {"household/members[1]/school": "no"},
        ["household/members[1]/school"],
        ["household/members[2]/school"],
    ),
    # position(): only the first member is asked the head's phone
    (
        {"household/members[2]/head_phone": "76111111"},
        ["household/members[2]/head_phone"],
        ["household/members[1]/head_phone"],
    ),
]


def lookup(cleaned: dict, path: str) -> bool:
    target: Any = cleaned
    for part in path.split("/"):
        match = re.fullmatch(r"(\w+)\[(\d+)\]", part)
        key, index = (match[1], int(match[2]) - 1) if match else (part, None)
        if not isinstance(target, dict) or key not in target:
            return False
        target = target[key]
        if index is not None:
            if index >= len(target):
                return False
            target = target[index]
    return True


@pytest.mark.parametrize(("change", "absent", "present"), RELEVANCE)
def test_non_relevant_answers_are_dropped(change, absent, present):
    result = check(changed(**change))
    assert messages(result) == []
    assert [path for path in absent if lookup(result.cleaned, path)] == []
    assert [path for path in present if not lookup(result.cleaned, path)] == []


def test_relevance_sees_earlier_non_relevant_answers_as_blank():
    """q2 is not relevant, so its (stale) answer is blank for q3 after it, as it is dropped."""
    form = [
        q("q1", "select one", "Q1", list_name="yes_no"),
        q("q2", label="Q2", relevant="selected(${q1}, 'yes')"),
        q("q3", label="Q3", relevant="${q2} != ''"),
    ]
    answers = {"q1": "no", "q2": "left over", "q3": "also left over"}
    result = validate_answers(questions=form, choices=CHOICES, answers=answers, today=TODAY)
    assert result.cleaned == {"q1": "no"}
    assert result.errors == []


def test_a_non_relevant_repeat_instance_is_dropped():
    form = [
        q("members", "repeat", "Members", relevant="${age} >= 18"),
        q("members/age", "integer", "Age", repeat_path="members"),
        q("members/job", label="Job", required=True, repeat_path="members"),
    ]
    answers = {"members": [{"age": "40", "job": "farmer"}, {"age": "9"}, {"age": "30", "job": "x"}]}
    result = validate_answers(questions=form, choices=[], answers=answers, today=TODAY)
    assert result.errors == []
    assert result.cleaned == {"members": [{"age": 40, "job": "farmer"}, {"age": 30, "job": "x"}]}


def test_the_choice_filter_is_checked():
    assert messages(check(changed(village="ogol"))) == []
    assert messages(check(changed(commune="bankass", village="ogol"))) == [
        "village: “Village” has “ogol”, which the form does not offer here "
        "(choice filter commune=${commune})."
    ]


STRUCTURE = [
    (
        {"nickname": "Awa"},
        [
            "nickname: This version of the form has no question “nickname”; the answer cannot be "
            "kept."
        ],
    ),
    (
        {"household/members[2]/weight": "30"},
        [
            "household/members[2]/weight: This version of the form has no question “weight”; the "
            "answer cannot be kept."
        ],
    ),
    (
        {"checkpoint": "dna"},
        [
            "checkpoint: “Checkpoint” is a group: its answer must hold the answers to its "
            "questions, not “dna”.",
            "checkpoint/armed_group: “Armed group” is required but has no answer.",
        ],
    ),
    (
        {"household/members": "Hama"},
        [
            "household/members: “Members” is a repeat: its answer must be a list of instances, "
            "not “Hama”."
        ],
    ),
    (
        {"respondent": {"first": "Awa"}},
        [
            "respondent: “Respondent's name” takes a single answer, not a group of answers.",
            "respondent: “Respondent's name” is required but has no answer.",
        ],
    ),
]


@pytest.mark.parametrize(("change", "expected"), STRUCTURE)
def test_answers_of_the_wrong_shape_or_unknown(change, expected):
    result = check(changed(**change))
    assert messages(result) == expected
    assert "nickname" not in result.cleaned
    assert all("weight" not in member for member in result.cleaned["household"]["members"])


def test_a_lone_repeat_instance_and_an_empty_repeat():
    one = check(changed(**{"household/members": {"m_name": "Hama", "m_age": "40"}}))
    assert one.errors == []
    assert one.cleaned["household"]["members"] == [{"m_name": "Hama", "m_age": 40}]
    none = check(changed(**{"household/members": []}))
    assert none.errors == []
    assert none.cleaned["household"] == {"members": []}


# (expression, the column it is put in, the message)
BROKEN = [
    (
        {"relevant": "selected(${consent}, 'yes'"},
        "phone: The relevant expression of “Phone number” cannot be evaluated "
        "(selected(${consent}, 'yes'): this is not a valid expression",
    ),
    (
        {"constraint": "pulldata('phones', 'ok', 'number', .)"},
        "phone: The constraint expression of “Phone number” cannot be evaluated "
        "(pulldata('phones', 'ok', 'number', .)): pulldata() reads a CSV file",
    ),
    (
        {"relevant": "${no_such_question} = 1"},
        "phone: The relevant expression of “Phone number” cannot be evaluated "
        "(${no_such_question} = 1): the form has no question named “no_such_question”.",
    ),
]


@pytest.mark.parametrize(("fields", "says"), BROKEN)
def test_a_broken_expression_names_the_question_and_keeps_the_answer(fields, says):
    form = [
        spec if spec.name != "phone" else QuestionSpec(**{**spec.__dict__, **fields})
        for spec in FORM
    ]
    result = validate_answers(questions=form, choices=CHOICES, answers=GOOD, today=TODAY)
    assert len(result.errors) == 1
    assert result.errors[0].message.startswith(says)
    assert result.cleaned["phone"] == "76543210"


def test_without_labels_the_question_is_named_by_its_name():
    form = [QuestionSpec(name="age", path="age", type="integer")]
    result = validate_answers(questions=form, choices=[], answers={"age": "x"}, today=TODAY)
    assert messages(result) == ["age: “age” must be a whole number; got “x”."]


def test_long_labels_and_values_are_shortened():
    form = [q("age", "integer", "How old " + "very " * 30 + "are you?")]
    result = validate_answers(questions=form, choices=[], answers={"age": "x" * 100}, today=TODAY)
    (message,) = messages(result)
    assert "“How old very very" in message
    assert "…”" in message
    assert len(message) < 160


def test_not_a_dict_at_all():
    result = validate_answers(questions=FORM, choices=CHOICES, answers=["Awa"], today=TODAY)  # type: ignore[arg-type]
    assert messages(result)[0] == "The answers must be a set of named answers."


def test_the_input_is_not_changed():
    answers = copy.deepcopy(GOOD)
    check(changed(consent="no"))
    check(answers)
    assert answers == GOOD


# --------------------------------------------------------------------------- real forms


def xlsform(relative: str) -> Path:
    for base in (XLSFORMS, SHARED / "xlsforms"):
        if (base / relative).exists():
            return base / relative
    pytest.skip(f"{relative} is in neither tests/fixtures/xlsforms nor ../shared/data/xlsforms")


def submission(relative: str) -> Path:
    for base in (SUBMISSIONS, SHARED / "submissions"):
        if (base / relative).exists():
            return base / relative
    pytest.skip(f"{relative} is in neither tests/fixtures/submissions nor ../shared/data")


def read_submission(path: Path, repeats: set[str]) -> dict:
    """An OpenRosa instance as nested plain data: groups are dicts, repeats lists (by the
    form's repeat paths), values strings; namespaces and attributes dropped."""

    def read(element: ET.Element, prefix: str) -> dict:
        out: dict[str, Any] = {}
        for child in element:
            name = child.tag.rpartition("}")[2]
            path = f"{prefix}{name}"
            value = read(child, f"{path}/") if len(child) else (child.text or "")
            if path in repeats:
                out.setdefault(name, []).append(value if isinstance(value, dict) else {})
            else:
                out[name] = value
        return out

    return read(ET.parse(path).getroot(), "")


@functools.cache
def _converted(path: Path) -> ConvertedForm:
    return convert_xlsform(content=path.read_bytes(), filename=path.name)


def converted_form(relative: str) -> ConvertedForm:
    """The XLSForm through the app's converter, once per test session."""
    return _converted(xlsform(relative))


def load(form: str, instance: str):
    converted = converted_form(form)
    repeats = {spec.path for spec in converted.questions if spec.type == "repeat"}
    answers = read_submission(submission(instance), repeats)
    # Ona adds formhub/uuid to the forms it serves; Fieldwork's forms have no such node.
    answers.pop("formhub", None)
    return converted, answers


# (XLSForm, submission, answers to add before checking, paths dropped, paths kept)
REAL = [
    (
        "onadata/tutorial.xlsx",
        "onadata_tutorial/tutorial_2012-06-27_11-27-53.xml",
        {},
        [],
        ["name", "age", "gps", "web_browsers"],
    ),
    (
        "onadata/tutorial_w_repeats.xlsx",
        "onadata_tutorial_w_repeats/tutorial_w_repeats.xml",
        {},
        [],
        ["children[2]/childs_age"],
    ),
    (
        "onadata/groups_in_repeats.xlsx",
        "onadata_groups_in_repeats/groups_in_repeats_01.xml",
        {},
        [],
        ["children[2]/immunization/immunization_received", "children[1]/childs_info/name"],
    ),
    (
        "onadata/groups_in_repeats.xlsx",
        "onadata_groups_in_repeats/groups_in_repeats_02.xml",
        {},
        [],
        ["children[1]/childs_info/age"],
    ),
    (
        "onadata/gps_in_repeats.xlsx",
        "onadata_gps_in_repeats/gps_in_repeats_submission.xml",
        {},
        [],
        ["points[2]/point", "start", "end"],
    ),
    # food_type is not "other": the specification given is not relevant, and dropped
    (
        "onadata/good_eats_multilang.xlsx",
        "onadata_good_eats_multilang/1.xml",
        {"food_type_other": "mangoes"},
        ["food_type_other"],
        ["food_type", "amount", "gps"],
    ),
    # the "other" transport is chosen: its specification is relevant and kept; the loop's
    # frequency is relevant only for the chosen transports
    (
        "onadata/transportation.xlsx",
        "onadata_transportation/transport_2011-07-25_19-06-14.xml",
        {},
        ["transport/loop_over_transport_types_frequency/bus/frequency_to_referral_facility"],
        [
            "transport/available_transportation_types_to_referral_facility_other",
            "transport/loop_over_transport_types_frequency/taxi/frequency_to_referral_facility",
        ],
    ),
    (
        "onadata/transportation.xlsx",
        "onadata_transportation/transport_2011-07-25_19-05-36.xml",
        {},
        [],
        ["transport/loop_over_transport_types_frequency/bicycle/frequency_to_referral_facility"],
    ),
    # 367 questions, relevance chains (${a12}=1 and ${b21}=1), choice filters, constraints
    (
        "onadata/select_one_choices_test.xlsx",
        "onadata_select_one_choices_test/select_one_choices_instance.xml",
        {},
        ["b21", "grd2/a1331c"],
        ["region", "zone", "wereda", "ghc1/a13b1", "indicators/lcsi"],
    ),
    # GPL-3.0, read from ../shared/data: choice filters with if(), constraint . <= ${a_integer}
    (
        "ruodk/I8n_no_lang_choicefilter.xlsx",
        "ruodk_I8n_no_lang_choicefilter/e0d018fd.xml",
        {},
        [],
        ["choice_filter_example/choice_filter_question_2", "a_decimal", "skipable_question"],
    ),
]


@pytest.mark.parametrize(
    ("form", "instance", "extra", "dropped", "kept"), REAL, ids=[r[1] for r in REAL]
)
def test_real_submissions_validate(form, instance, extra, dropped, kept):
    converted, answers = load(form, instance)
    answers.update(extra)
    result = validate_answers(
        questions=converted.questions,
        choices=converted.choices,
        answers=answers,
        today=TODAY,
        language=converted.default_language,
    )
    assert messages(result) == []
    for path in dropped:
        assert not lookup(result.cleaned, path), path
    for path in kept:
        assert lookup(result.cleaned, path), path


def test_a_submission_from_another_version_is_refused_with_named_questions():
    converted, answers = load(
        "onadata/transportation.xlsx", "onadata_transportation/transportation_empty_submission.xml"
    )
    result = validate_answers(
        questions=converted.questions, choices=converted.choices, answers=answers, today=TODAY
    )
    assert messages(result)[0] == (
        "transport/ambulance: This version of the form has no question “ambulance”; the answer "
        "cannot be kept."
    )
    assert len(result.errors) == 9


FAV_COLOR = [
    # under 18: the location is not relevant, so neither required nor kept
    (
        {"first_name": "Awa", "age": "16", "favorite_color": "r", "location": "14.3 -3.6 0 5"},
        [],
        {"first_name": "Awa", "age": 16, "favorite_color": "r"},
    ),
    # 18 or more: the location is required
    (
        {"first_name": "Awa", "age": "18", "favorite_color": "r"},
        ["location: “Record your location” is required but has no answer."],
        None,
    ),
    # "Other" asks for the colour; another choice drops it
    (
        {"first_name": "Awa", "age": "16", "favorite_color": "o", "favorite_color_other": "indigo"},
        [],
        {"first_name": "Awa", "age": 16, "favorite_color": "o", "favorite_color_other": "indigo"},
    ),
    (
        {"first_name": "Awa", "age": "16", "favorite_color": "g", "favorite_color_other": "indigo"},
        [],
        {"first_name": "Awa", "age": 16, "favorite_color": "g"},
    ),
    (
        {"first_name": "Awa", "age": "seize", "favorite_color": "violet"},
        [
            "age: “What is your age, ${first_name}?” must be a whole number; got “seize”.",
            "favorite_color: “What is your favorite color?” has “violet”, which is not a choice of "
            "the list “colors”.",
        ],
        None,
    ),
]


@pytest.mark.parametrize(("answers", "expected", "cleaned"), FAV_COLOR)
def test_fav_color(answers, expected, cleaned):
    """getodk/pyodk's example form: relevant rules on a select's "other" and on age."""
    converted = converted_form("pyodk/fav_color.xlsx")
    result = validate_answers(
        questions=converted.questions,
        choices=converted.choices,
        answers=answers,
        today=TODAY,
        language="English (en)",
    )
    assert messages(result) == expected
    if cleaned is not None:
        assert result.cleaned == cleaned


CASCADE = [
    ({"state": "texas", "county": "king", "city": "dumont"}, []),  # "king" is in both states
    ({"state": "washington", "county": "pierce", "city": "tacoma"}, []),
    (
        {"state": "texas", "county": "pierce"},
        [
            "county: “county” has “pierce”, which the form does not offer here (choice filter "
            "${state}=cf)."
        ],
    ),
    (
        {"state": "texas", "county": "cameron", "city": "tacoma"},
        [
            "city: “city” has “tacoma”, which the form does not offer here (choice filter "
            "${county}=cf)."
        ],
    ),
]


@pytest.mark.parametrize(("answers", "expected"), CASCADE)
def test_cascading_selects(answers, expected):
    """pyxform's choice_filter_test: county filtered by state, city by county."""
    converted = converted_form("pyxform/choice_filter_test.xlsx")
    result = validate_answers(
        questions=converted.questions, choices=converted.choices, answers=answers, today=TODAY
    )
    assert messages(result) == expected


def test_the_fieldwork_checkpoint_form_in_french():
    converted = converted_form("fieldwork/checkpoint.md")
    answers = {
        "respondent_name": "Awa",
        "age": "12",
        "commune": "bankass",
        "village": "ogol",
        "checkpoint": {"armed_group": "none", "amount_paid": "5000", "items_taken": "money"},
        "incidents": [{"incident_date": "2025-01-02", "incident_description": "…"}],
    }
    result = validate_answers(
        questions=converted.questions,
        choices=converted.choices,
        answers=answers,
        today=TODAY,
        language=converted.default_language,
    )
    assert messages(result) == [
        "age: “Âge” is not accepted: Entre 15 et 119.",
        "village: “Village” has “ogol”, which the form does not offer here (choice filter "
        "commune=${commune}).",
    ]
    assert "amount_paid" not in result.cleaned["checkpoint"]  # no armed group: not relevant


# --------------------------------------------------------------------------- speed


def big_form(size: int) -> tuple[list[QuestionSpec], dict]:
    """`size` questions: integers with constraints, selects that later questions depend on,
    and a repeat of five instances."""
    questions: list[QuestionSpec] = []
    answers: dict[str, Any] = {}
    for i in range(size // 5):
        questions += [
            q(f"s{i}", "select one", f"Select {i}", list_name="yes_no", required=True),
            q(
                f"n{i}",
                "integer",
                f"Number {i}",
                relevant=f"${{s{i}}} = 'yes'",
                constraint=". >= 0 and . < 1000",
            ),
            q(
                f"t{i}",
                label=f"Text {i}",
                relevant=f"${{n{i}}} > 5 or selected(${{s{i}}}, 'no')",
                constraint="string-length(.) < 50",
            ),
        ]
        answers |= {f"s{i}": "yes" if i % 2 else "no", f"n{i}": str(i), f"t{i}": "x"}
    questions.append(q("rep", "repeat", "Repeat"))
    for i in range(size - len(questions)):
        questions.append(
            q(
                f"rep/r{i}",
                "integer",
                f"R {i}",
                relevant="position(..) < 4 or ${s0} = 'no'",
                constraint=f". != {i + 1000}",
                repeat_path="rep",
            )
        )
    answers["rep"] = [{f"r{i}": str(i) for i in range(size - len(answers) - 1)}] * 5
    return questions, answers


def test_a_250_question_form_takes_a_few_milliseconds():
    questions, answers = big_form(250)
    assert len(questions) == 250
    result = validate_answers(questions=questions, choices=CHOICES, answers=answers, today=TODAY)
    assert messages(result) == []
    timings = []
    for _ in range(15):
        started = time.perf_counter()
        validate_answers(questions=questions, choices=CHOICES, answers=answers, today=TODAY)
        timings.append(time.perf_counter() - started)
    # About 3 ms on a developer laptop; the bound leaves room for a slow, busy CI machine.
    assert statistics.median(timings) < 0.05
