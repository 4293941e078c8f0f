"""The pure XLSForm conversion, form by form: every XLSForm of the shared research data either
imports with all its questions, or is refused with the located message SOURCES.md announces.

No database: `convert_xlsform` takes bytes and a file name."""

import os
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from pyxform.xls2json_backends import get_xlsform

from fieldwork.instruments.specs import ChoiceSpec, Problem, QuestionSpec
from fieldwork.instruments.xlsform import (
    FieldChange,
    XLSFormError,
    content_version,
    convert_xlsform,
    diff_versions,
    parse_location,
    pick_text,
    problem_text,
    suggest_disclosure,
    xform_node_paths,
)
from tests.conftest import XLSFORMS

ROOT = Path(__file__).resolve().parents[2]
#: The research data the project shares between its tasks (../shared/data).
SHARED = Path(os.environ.get("FIELDWORK_SHARED_DATA", ROOT.parent / "shared" / "data"))


@dataclass(frozen=True)
class Imports:
    form_id: str
    questions: int  # groups, repeats, notes, calculates and meta/instanceID included
    choices: int


@dataclass(frozen=True)
class Rejected:
    sheet: str | None
    row: int | None
    column: str | None
    says: str  # a fragment of the message shown


#: Each file's fate. Rejections are those ../shared/data/SOURCES.md reports for pyxform 4.5.0
#: ("REJECTED"); bad_calc.xlsx and xl_date_ambiguous.xlsx convert but ODK Validate refuses
#: them, which the upload service enforces (tests/instruments/test_services.py).
EXPECTED = {
    "central/simple.xlsx": Imports("simple", 4, 0),
    "fieldwork/checkpoint.md": Imports("checkpoint", 22, 13),
    "fieldwork/source_visit.md": Imports("source_visit", 6, 2),
    "fieldwork/with_media.md": Imports("with_media", 4, 0),
    "briefcase/all-data-types.md": Imports("all-data-types", 12, 0),
    "briefcase/choice-lists-predicate-relative-repeat.md": Imports(
        "choice-lists-predicate-relative-repeat", 5, 13
    ),
    "briefcase/nested-repeats.md": Imports("nested-repeats", 8, 0),
    "messy/onadata/transportation.bad_id.xlsx": Imports("Transportation.2011_07_25", 26, 14),
    "messy/onadata/transportation.no_choices.xlsx": Rejected(
        "choices", None, None, "no choices sheet"
    ),
    "messy/onadata/xlsx_output.xlsx": Rejected("survey", 8, "type", "“set form title”"),
    "messy/pyxform/UCL_Biomass_Plot_Form.xlsx": Imports("UCL_Biomass_Plot_Form", 75, 27),
    "messy/pyxform/bad_calc.xlsx": Imports("bad_calc", 3, 0),
    "messy/pyxform/badly_named_choices_sheet.xls": Imports("badly_named_choices_sheet", 5, 4),
    "messy/pyxform/blank_second_row.xls": Imports("ID", 3, 0),
    "messy/pyxform/calculate_without_calculation.xls": Rejected(
        "survey", 34, "calculation", "calculate row needs an expression"
    ),
    "messy/pyxform/duplicate_columns.xlsx": Rejected("survey", 1, "label", "same header “label”"),
    "messy/pyxform/extra_columns.xls": Imports("extra_columns", 4, 0),
    "messy/pyxform/group_name_test.xls": Rejected("survey", 3, "name", "no name"),
    "messy/pyxform/spaces_in_choices_header.xls": Imports("spaces_in_choices_header", 4, 4),
    "messy/pyxform/unknown_question_type.xls": Rejected(
        "survey", 1, "relevance", "“bind:relevant” and “relevance” mean the same thing"
    ),
    "messy/pyxform/xl_date_ambiguous.xlsx": Imports("XLDateAmbiguous-v1", 7, 3),
    "onadata/childrens_survey_sw.xlsx": Imports("childrens_survey_sw", 20, 8),
    "onadata/childrens_survey_unicode.xlsx": Imports("childrens_survey_unicode", 20, 8),
    "onadata/form_with_unicode_in_relevant_column.xlsx": Imports(
        "form_with_unicode_in_relevant_column", 4, 6
    ),
    "onadata/good_eats_multilang.xlsx": Imports("good_eats_multilang", 15, 22),
    "onadata/gps_in_repeats.xlsx": Imports("gps_in_repeats", 7, 5),
    "onadata/groups_in_repeats.xlsx": Imports("groups_in_repeats", 14, 8),
    "onadata/multi_lingual_form.xlsx": Imports("multi_lingual_export", 8, 14),
    "onadata/new_cascading_select.xlsx": Imports("cascading_select_test", 5, 14),
    "onadata/select_one_choices_test.xlsx": Imports("Eth_fsom_final", 367, 377),
    "onadata/transportation.xlsx": Imports("transportation_2011_07_25", 27, 14),
    "onadata/tutorial.xlsx": Imports("tutorial", 8, 6),
    "onadata/tutorial_arabic_labels.xlsx": Imports("tutorial_arabic_labels", 8, 6),
    "onadata/tutorial_encrypted.xlsx": Imports("tutorial_encrypted", 20, 6),
    "onadata/tutorial_w_repeats.xlsx": Imports("tutorial_w_repeats", 11, 6),
    "pyodk/fav_color.xlsx": Imports("fav_color", 9, 4),
    "pyodk/simple_repeat.xlsx": Imports("simple_repeat", 9, 0),
    "pyxform/attribute_columns_test.xlsx": Imports("Spec test", 58, 4),
    "pyxform/case_insensitivity.csv": Imports("YesNo", 7, 2),
    "pyxform/choice_filter_test.xlsx": Imports("cascading_selects1", 5, 14),
    "pyxform/field-list.xlsx": Imports("field-list", 4, 2),
    "pyxform/group.md": Imports("group", 6, 0),
    "pyxform/loop.xlsx": Imports("loop", 13, 4),
    "pyxform/or_other.xlsx": Imports("or_other", 5, 6),
    "pyxform/specify_other.xlsx": Imports("specify_other", 4, 3),
    "pyxform/widgets.xls": Imports("widgets", 42, 18),
    "pyxform/xlsform_spec_test.xlsx": Imports("Spec test", 56, 4),
    "pyxform/yes_or_no_question.md": Imports("yes_or_no_question", 3, 2),
    # GPL-3.0: read from ../shared/data, never copied into this repository.
    "ruodk/I8n_label_choices.xls": Imports("I8n_label_choices", 9, 5),
    "ruodk/I8n_no_lang_choicefilter.xlsx": Imports("I8n_no_lang_choicefilter", 50, 9),
}
GPL_FILES = {"ruodk/I8n_label_choices.xls", "ruodk/I8n_no_lang_choicefilter.xlsx"}
#: Forms written for this project (not copies): the demo's, and XLSForm versions of ODK
#: Briefcase's XForm-only test forms (see tests/fixtures/xlsforms/SOURCES.md).
OURS = {name for name in EXPECTED if name.startswith(("fieldwork/", "briefcase/"))}


def form_path(name: str) -> Path:
    if name in GPL_FILES:
        path = SHARED / "xlsforms" / name
        if not path.exists():
            pytest.skip(f"{name} is GPL-3.0 and lives in ../shared/data only, absent here.")
        return path
    return XLSFORMS / name


def convert_file(name: str):
    path = form_path(name)
    return convert_xlsform(content=path.read_bytes(), filename=path.name)


def survey_sheet_names(path: Path) -> set[str]:
    """The names in the survey sheet, read without Fieldwork's code: the rows that declare a
    question, group or repeat (closing rows and secondary instances declare none)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl on styles it skips
        sheet = get_xlsform(xlsform=path.read_bytes(), file_type=path.suffix).survey or []
    names = set()
    for row in sheet:
        row = {str(k).strip().lower(): str(v).strip() for k, v in row.items()}
        kind = row.get("type", "").lower().replace("_", " ")
        if row.get("name") and kind and not kind.startswith("end") and "external" not in kind:
            names.add(row["name"])
    return names


IMPORTS = sorted(k for k, v in EXPECTED.items() if isinstance(v, Imports))
REJECTED = sorted(k for k, v in EXPECTED.items() if isinstance(v, Rejected))


@pytest.mark.parametrize("name", IMPORTS)
def test_form_imports_with_every_question_of_its_xform(name):
    expected = EXPECTED[name]
    form = convert_file(name)

    assert form.form_id == expected.form_id
    assert len(form.questions) == expected.questions
    assert len(form.choices) == expected.choices
    paths = [q.path for q in form.questions]
    assert len(paths) == len(set(paths))
    # Every node of the XForm (instance, binds, body controls) has its question, and no
    # question is made up.
    assert set(paths) == xform_node_paths(form.xform_xml)
    # Every name written in the survey sheet is among the questions.
    assert survey_sheet_names(form_path(name)) <= {q.name for q in form.questions}


@pytest.mark.parametrize("name", REJECTED)
def test_form_pyxform_refuses_is_rejected_with_a_located_message(name):
    expected = EXPECTED[name]

    with pytest.raises(XLSFormError) as caught:
        convert_file(name)

    [problem] = caught.value.problems
    assert (problem.sheet, problem.row, problem.column) == (
        expected.sheet,
        expected.row,
        expected.column,
    )
    assert expected.says in problem.message


def test_every_shared_xlsform_has_an_expected_fate():
    """A form added to ../shared/data must be added to EXPECTED (and copied if its licence
    allows): the file-by-file proof covers them all."""
    if not SHARED.exists():
        pytest.skip("../shared/data is absent here; the copies in tests/fixtures are checked.")
    shared = {
        str(p.relative_to(SHARED / "xlsforms"))
        for p in (SHARED / "xlsforms").rglob("*")
        if p.is_file()
    } | {
        str(p.relative_to(SHARED))
        for p in (SHARED / "messy").rglob("*")
        if p.suffix in (".xlsx", ".xls", ".md")
    }
    assert shared == set(EXPECTED) - OURS


def test_every_copied_form_is_listed_with_its_licence():
    copied = {str(p.relative_to(XLSFORMS)) for p in XLSFORMS.rglob("*") if p.name != "SOURCES.md"}
    copied = {c for c in copied if not (XLSFORMS / c).is_dir()}
    sources = (XLSFORMS / "SOURCES.md").read_text()

    assert copied == set(EXPECTED) - GPL_FILES
    for name in copied:
        assert f"`{name}`" in sources


def test_copies_are_the_shared_files_byte_for_byte():
    if not SHARED.exists():
        pytest.skip("../shared/data is absent here.")
    for name in set(EXPECTED) - GPL_FILES - OURS:
        shared = SHARED / ("" if name.startswith("messy/") else "xlsforms") / name
        assert (XLSFORMS / name).read_bytes() == shared.read_bytes(), name


# --- What a form says about itself ---------------------------------------------------------------


def test_form_id_comes_from_the_file_name_when_settings_have_none():
    form = convert_file("onadata/tutorial.xlsx")

    assert form.form_id == "tutorial"
    assert 'id="tutorial"' in form.xform_xml


def test_settings_sheet_gives_form_id_title_version_and_default_language():
    form = convert_file("fieldwork/checkpoint.md")

    assert (form.form_id, form.version, form.title) == (
        "checkpoint",
        "2025010101",
        "Poste de contrôle",
    )
    assert form.languages == ["Français (fr)", "English (en)"]
    assert form.default_language == "Français (fr)"
    assert form.settings["form_id"] == "checkpoint"
    assert not form.version_generated


def test_a_form_without_version_gets_one_from_its_content_written_into_the_xform():
    path = XLSFORMS / "onadata/tutorial.xlsx"
    form = convert_xlsform(content=path.read_bytes(), filename=path.name)
    again = convert_xlsform(content=path.read_bytes(), filename=path.name)

    assert form.version == again.version == content_version(path.read_bytes())
    assert form.version_generated
    assert f'version="{form.version}"' in form.xform_xml
    assert form.warnings[0].column == "version"
    changed = convert_xlsform(content=path.read_bytes() + b"\0", filename=path.name)
    assert changed.version != form.version


def test_questions_carry_labels_per_language_paths_and_logic():
    form = convert_file("fieldwork/checkpoint.md")
    by_path = {q.path: q for q in form.questions}

    age = by_path["age"]
    assert age.labels == {"Français (fr)": "Âge", "English (en)": "Age"}
    assert age.required and age.required_if == ""
    assert by_path["telephone"].required
    assert by_path["telephone"].required_if == "${age} >= 18"
    assert age.constraint == ". >= 15 and . < 120"
    assert age.constraint_message == {
        "English (en)": "Between 15 and 119.",
        "Français (fr)": "Entre 15 et 119.",
    }
    assert by_path["checkpoint/amount_paid"].relevant == "${armed_group} != 'none'"
    assert by_path["village"].choice_filter == "commune=${commune}"
    assert by_path["village"].list_name == "village"
    assert by_path["amount_doubled"].calculation == "${amount_paid} * 2"
    assert by_path["incidents/incident_date"].repeat_path == "incidents"
    assert by_path["respondent_name"].hints == {
        "English (en)": "As the respondent wants it written"
    }
    assert by_path["photo"].type == "image"  # pyxform says "photo"
    assert [q.path for q in form.questions][:3] == ["start", "end", "respondent_name"]


def test_choices_keep_labels_and_the_columns_choice_filters_use():
    form = convert_file("fieldwork/checkpoint.md")
    ogol = next(c for c in form.choices if c.name == "ogol")

    assert ogol.list_name == "village"
    assert ogol.labels == {"Français (fr)": "Ogol", "English (en)": "Ogol"}
    assert ogol.extra == {"commune": "sangha"}


def test_loops_become_a_group_per_choice():
    form = convert_file("pyxform/loop.xlsx")
    groups = [q.path for q in form.questions if q.type == "group"]

    assert len(groups) >= 3
    assert set(q.path for q in form.questions) == xform_node_paths(form.xform_xml)


def test_warnings_are_kept_with_their_row():
    form = convert_file("onadata/gps_in_repeats.xlsx")

    [warning] = [w for w in form.warnings if w.row is not None]
    assert (warning.sheet, warning.row) == ("survey", 4)
    assert "Repeat has no label" in warning.message


# --- Refusals ------------------------------------------------------------------------------------


def test_an_unsupported_file_type_is_refused_in_plain_words():
    with pytest.raises(XLSFormError) as caught:
        convert_xlsform(content=b"%PDF-1.4", filename="form.pdf")

    assert "form.pdf" in caught.value.problems[0].message


@pytest.mark.parametrize(
    ("content", "filename"),
    [(b"", "form.xlsx"), (b"not a spreadsheet at all", "form.xlsx"), (b"\x00\x01", "form.xls")],
)
def test_a_broken_file_is_refused_without_a_crash(content, filename):
    with pytest.raises(XLSFormError) as caught:
        convert_xlsform(content=content, filename=filename)

    assert caught.value.problems[0].message


def md_form(survey_rows: str, *, header: str = "| | type | name | label |") -> bytes:
    return (f"| survey |\n{header}\n{survey_rows}\n").encode()


def test_an_unknown_choice_list_is_located():
    content = md_form("| | text | a | A |\n| | select_one colours | b | B |") + (
        b"| choices |\n| | list_name | name | label |\n| | yesno | yes | Yes |\n"
    )

    with pytest.raises(XLSFormError) as caught:
        convert_xlsform(content=content, filename="f.md")

    [problem] = caught.value.problems
    assert (problem.sheet, problem.row) == ("survey", 3)
    assert "colours" in problem.message


def test_parse_location_reads_pyxform_row_sheet_and_column():
    problem = parse_location(
        "[row : 4] On the 'choices' sheet, the 'label' value is invalid. Choices should have a "
        "label."
    )

    assert (problem.sheet, problem.row, problem.column) == ("choices", 4, "label")
    assert problem.message.startswith("On the 'choices' sheet")
    assert parse_location("[row : 34] Missing calculation.").sheet == "survey"


def test_problem_text_puts_the_place_first():
    text = problem_text(Problem("No name.", sheet="survey", row=3, column="name"))

    assert text == "Sheet “survey”, row 3, column “name”: No name."
    assert problem_text(Problem("Broken.")) == "Broken."


# --- Disclosure ----------------------------------------------------------------------------------


def test_a_real_form_gets_identifiers_flagged_as_suggestions():
    roles = {q.path: q for q in convert_file("fieldwork/checkpoint.md").questions}

    assert roles["respondent_name"].disclosure == "direct_identifier"
    assert roles["telephone"].disclosure == "direct_identifier"
    assert roles["location"].disclosure == "direct_identifier"
    assert roles["photo"].disclosure == "direct_identifier"
    assert roles["age"].disclosure == "quasi_identifier"
    assert roles["village"].disclosure == "quasi_identifier"
    assert roles["gender"].disclosure == "quasi_identifier"
    assert roles["checkpoint/what_happened"].disclosure == "sensitive"
    assert roles["checkpoint/amount_paid"].disclosure == "none"
    assert all(roles[p].disclosure_suggested for p in ("respondent_name", "photo", "age"))
    # Groups, repeats and notes hold no answer: nothing to confirm.
    assert not roles["checkpoint"].disclosure_suggested
    assert not roles["thanks"].disclosure_suggested


@pytest.mark.parametrize(
    ("name", "path", "role"),
    [
        ("onadata/tutorial.xlsx", "name", "direct_identifier"),
        ("onadata/tutorial.xlsx", "age", "quasi_identifier"),
        ("onadata/tutorial.xlsx", "picture", "direct_identifier"),
        ("onadata/tutorial.xlsx", "gps", "direct_identifier"),
        ("onadata/childrens_survey_sw.xlsx", "tel/tel.mobile", "direct_identifier"),
        ("onadata/multi_lingual_form.xlsx", "group1/sex_resp", "quasi_identifier"),
        ("pyodk/fav_color.xlsx", "first_name", "direct_identifier"),
        ("pyxform/widgets.xls", "my_audio", "direct_identifier"),
        ("pyxform/widgets.xls", "my_video", "direct_identifier"),
    ],
)
def test_suggestions_on_shared_forms(name, path, role):
    by_path = {q.path: q for q in convert_file(name).questions}

    assert by_path[path].disclosure == role
    assert by_path[path].disclosure_suggested


@pytest.mark.parametrize(
    ("name", "kind", "appearance", "role"),
    [
        ("nom_chef", "text", "", "direct_identifier"),
        ("prenom", "text", "", "direct_identifier"),
        ("SurName", "text", "", "direct_identifier"),
        ("nom_village", "text", "", "quasi_identifier"),
        ("num_contact", "text", "numbers", "direct_identifier"),
        ("portable", "text", "", "direct_identifier"),
        ("date_naissance", "date", "", "quasi_identifier"),
        ("ethnie", "select one", "", "quasi_identifier"),
        ("trace", "geotrace", "", "direct_identifier"),
        ("voice", "background-audio", "", "direct_identifier"),
        ("comments", "text", "", "sensitive"),
        ("nombre_vaches", "integer", "", "none"),
        ("economie", "select one", "", "none"),
    ],
)
def test_suggest_disclosure(name, kind, appearance, role):
    question = QuestionSpec(name=name, path=name, type=kind, appearance=appearance)

    assert suggest_disclosure(question) == role


DISCLOSURE_FORM = """| survey |
| | type | name | label | disclosure |
| | text | full_name | Name | direct_identifier |
| | integer | cows | Cows | Sensitive |
| | text | remarks | Remarks | |
| | geopoint | where | Where | none |
"""


def test_a_disclosure_column_is_read_and_confirmed():
    form = convert_xlsform(content=DISCLOSURE_FORM.encode(), filename="declared.md")
    by_path = {q.path: q for q in form.questions}

    assert form.has_disclosure_column
    assert (by_path["full_name"].disclosure, by_path["full_name"].disclosure_suggested) == (
        "direct_identifier",
        False,
    )
    assert by_path["cows"].disclosure == "sensitive"  # case does not matter
    assert (by_path["where"].disclosure, by_path["where"].disclosure_suggested) == ("none", False)
    # A blank cell is not a decision: Fieldwork suggests, and flags it for review.
    assert (by_path["remarks"].disclosure, by_path["remarks"].disclosure_suggested) == (
        "sensitive",
        True,
    )


def test_an_unknown_disclosure_value_is_refused_at_its_row():
    content = DISCLOSURE_FORM.replace("Sensitive", "secret").encode()

    with pytest.raises(XLSFormError) as caught:
        convert_xlsform(content=content, filename="declared.md")

    [problem] = caught.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("survey", 3, "disclosure")
    assert "“secret”" in problem.message


# --- Diff and labels -----------------------------------------------------------------------------


def test_diff_lists_added_removed_and_changed_questions_by_path():
    old = [
        QuestionSpec(name="a", path="a", type="text"),
        QuestionSpec(name="b", path="g/b", type="integer", required=True),
        QuestionSpec(name="c", path="c", type="text"),
    ]
    new = [
        QuestionSpec(name="a", path="a", type="text"),
        QuestionSpec(name="b", path="g/b", type="decimal", labels={"default": "B"}),
        QuestionSpec(name="d", path="d", type="date"),
    ]

    diff = diff_versions(old, new)

    assert [q.path for q in diff.added] == ["d"]
    assert [q.path for q in diff.removed] == ["c"]
    [change] = diff.changed
    assert change.path == "g/b"
    assert change.changes == (
        FieldChange("type", "integer", "decimal"),
        FieldChange("label", "", "B"),
        FieldChange("required", "yes", "no"),
    )
    assert diff_versions(old, old).is_empty


def test_diff_shows_each_changed_cell_old_and_new_shortened_and_by_language():
    long = "${age} >= 18 and " + " and ".join(f"${{q{n}}} != ''" for n in range(20))
    old = [
        QuestionSpec(
            name="age",
            path="age",
            type="integer",
            labels={"French (fr)": "Âge", "English (en)": "Age"},
            required=True,
            relevant="${consent} = 'yes'",
        )
    ]
    new = [
        QuestionSpec(
            name="age",
            path="age",
            type="integer",
            labels={"French (fr)": "Âge", "English (en)": "Age in years"},
            required=True,
            required_if="${consent} = 'yes'",
            relevant=long,
        )
    ]

    [change] = diff_versions(old, new).changed

    label, required, relevant = change.changes
    assert label == FieldChange("label", "English (en): Age", "English (en): Age in years")
    assert required == FieldChange("required", "yes", "${consent} = 'yes'")
    assert relevant.field == "relevant"
    assert relevant.old == "${consent} = 'yes'"
    assert relevant.new.startswith("${age} >= 18 and ${q0} != ''")
    assert relevant.new.endswith("…")
    assert len(relevant.new) <= 80


def test_a_disclosure_role_counts_only_where_a_role_applies():
    instance_id = QuestionSpec(name="instanceID", path="meta/instanceID", type="calculate")
    name = QuestionSpec(name="nom", path="nom", type="text", disclosure="direct_identifier")
    old = [
        # a role an older version stored for metadata (the API used to accept it)
        replace(instance_id, disclosure="direct_identifier"),
        # confirmed by a study admin, the same role the new upload suggests
        replace(name, disclosure_suggested=False),
    ]
    new = [instance_id, replace(name, disclosure_suggested=True)]

    assert diff_versions(old, new).is_empty
    changed = [replace(name, disclosure="sensitive")]
    [change] = diff_versions(old[1:], changed).changed
    assert change.changes == (FieldChange("disclosure", "direct_identifier", "sensitive"),)


def test_diff_lists_choices_added_removed_and_changed_with_the_questions_using_them():
    questions = [
        QuestionSpec(
            name="armed_group", path="cp/armed_group", type="select one", list_name="armed_group"
        ),
        QuestionSpec(
            name="items", path="cp/items", type="select all that apply", list_name="items"
        ),
        QuestionSpec(name="gender", path="gender", type="select one", list_name="gender"),
    ]
    old_choices = [
        ChoiceSpec("armed_group", "jnim", {"default": "JNIM"}),
        ChoiceSpec("armed_group", "none", {"default": "None"}),
        ChoiceSpec("items", "money", {"default": "Money"}, {"group": "goods"}),
        ChoiceSpec("items", "phone", {"default": "Phone"}),
        ChoiceSpec("gender", "female", {"default": "Woman"}),
    ]
    new_choices = [
        ChoiceSpec("armed_group", "jnim", {"default": "JNIM (Jama'at Nusrat al-Islam)"}),
        ChoiceSpec("armed_group", "fama", {"default": "FAMa"}),
        ChoiceSpec("armed_group", "none", {"default": "None"}),
        ChoiceSpec("items", "money", {"default": "Money"}, {"group": "cash"}),
        ChoiceSpec("items", "vehicle", {"default": "Vehicle"}),
        ChoiceSpec("gender", "female", {"default": "Woman"}),
    ]

    diff = diff_versions(questions, questions, old_choices=old_choices, new_choices=new_choices)

    assert not diff.is_empty
    assert not diff.questions_changed
    armed, items = diff.choice_lists  # "gender" did not change
    assert (armed.list_name, armed.questions) == ("armed_group", ("cp/armed_group",))
    assert [c.name for c in armed.added] == ["fama"]
    assert armed.removed == ()
    [jnim] = armed.changed
    assert (jnim.name, jnim.changes) == (
        "jnim",
        (FieldChange("label", "JNIM", "JNIM (Jama'at Nusrat al-Islam)"),),
    )
    assert (items.list_name, items.questions) == ("items", ("cp/items",))
    assert [c.name for c in items.added] == ["vehicle"]
    assert [c.name for c in items.removed] == ["phone"]
    assert [(c.name, c.changes) for c in items.changed] == [
        ("money", (FieldChange("group", "goods", "cash"),))
    ]
    assert diff_versions(
        questions, questions, old_choices=old_choices, new_choices=old_choices
    ).is_empty


def test_pick_text_prefers_the_users_language():
    texts = {"English (en)": "Age", "Français (fr)": "Âge"}

    assert pick_text(texts, language="fr") == "Âge"
    assert pick_text(texts, language="en") == "Age"
    assert pick_text({"French": "Oui", "English": "Yes"}, language="fr") == "Oui"
    assert pick_text(texts, language="sw", default_language="English (en)") == "Age"
    assert pick_text({"default": "Hello"}, language="fr") == "Hello"


def test_a_spreadsheet_that_unpacks_to_gigabytes_is_refused_unread():
    import io
    import zipfile

    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"\0" * (201 * 1024 * 1024))

    with pytest.raises(XLSFormError) as caught:
        convert_xlsform(content=packed.getvalue(), filename="bomb.xlsx")

    assert "unpacks to more than 200 MB" in caught.value.problems[0].message
