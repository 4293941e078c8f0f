"""Benchmark of instruments: importing a 300-question XLSForm through `instrument_upload`.

Imported by `bench/run.py` after django.setup(), on a scratch PostgreSQL database. The form is
generated here with openpyxl: 300 questions of mixed types in French and English, with
choices, groups, a repeat, relevance, constraints and calculations. The figure is the whole
upload as a study admin's click runs it (pyxform, ODK Validate in Java, storing); the peers
beside it show each part.
"""

import io
import statistics
import time

import openpyxl
import pyxform

from fieldwork.accounts.services import user_create
from fieldwork.instruments import services
from fieldwork.instruments.services import instrument_upload
from fieldwork.instruments.xlsform import convert_xlsform, validate_with_odk
from fieldwork.studies.services import study_create

IMPORT_TARGET_S = 2.0
QUESTIONS = 300
RUNS = 5

#: (type, extra columns) cycled through the questions: the mix of a field questionnaire.
KINDS = (
    ("text", {}),
    ("integer", {"constraint": ". >= 0 and . < 1000", "constraint_message": "0 à 999."}),
    ("select_one yesno", {}),
    ("decimal", {}),
    ("select_multiple goods", {}),
    ("date", {}),
    ("select_one group_kind", {}),
    ("integer", {"required": "yes"}),
    ("text", {"appearance": "multiline"}),
    ("geopoint", {}),
)
SURVEY_COLUMNS = (
    "type",
    "name",
    "label::Français (fr)",
    "label::English (en)",
    "hint::Français (fr)",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "appearance",
)


def say(line: str = "") -> None:
    print(line, flush=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS  <-- target missed"


#: The keyword of each survey column in `generate_xlsform`'s rows.
KEYS = (
    "type",
    "name",
    "fr",
    "en",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "appearance",
)
GROUPS = 12


def generate_xlsform(*, questions: int = QUESTIONS, version: str = "1") -> bytes:
    """An .xlsx XLSForm: `questions` questions that take an answer, in 12 groups (the last
    one a repeat), with a calculate after some integers."""
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(SURVEY_COLUMNS)

    def row(**cells) -> None:
        survey.append([cells.get(key) or None for key in KEYS])

    per_group = -(-questions // GROUPS)
    closing = None
    previous = None
    for i in range(questions):
        if i % per_group == 0:
            if closing:
                row(type=closing)
            section = i // per_group + 1
            opening = "begin_repeat" if section == GROUPS else "begin_group"
            closing = opening.replace("begin", "end")
            row(
                type=opening,
                name=f"section_{section}",
                fr=f"Section {section}",
                en=f"Part {section}",
            )
        kind, extra = KINDS[i % len(KINDS)]
        name = f"q{i:03d}"
        row(
            type=kind,
            name=name,
            fr=f"Question {i} : combien, où, qui ?",
            en=f"Question {i}: how many, where, who?",
            hint="Demandez calmement." if i % 5 == 0 else "",
            relevant=f"${{{previous}}} != ''" if previous and i % 7 == 0 else "",
            **extra,
        )
        if kind == "integer" and i % 4 == 1:
            row(type="calculate", name=f"calc_{i:03d}", calculation=f"${{{name}}} * 2")
        previous = name
    row(type=closing)

    choices = book.create_sheet("choices")
    choices.append(("list_name", "name", "label::Français (fr)", "label::English (en)"))
    choices.append(("yesno", "yes", "Oui", "Yes"))
    choices.append(("yesno", "no", "Non", "No"))
    for k, good in enumerate(("money", "livestock", "grain", "phone", "motorbike", "papers")):
        choices.append(("goods", good, f"Bien {k}", good.capitalize()))
    for k in range(12):
        choices.append(("group_kind", f"kind_{k}", f"Groupe {k}", f"Group {k}"))
    settings = book.create_sheet("settings")
    settings.append(("form_id", "form_title", "version", "default_language"))
    settings.append(("bench300", "Questionnaire de 300 questions", version, "Français (fr)"))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(*, by=None, study=None) -> None:
    if by is None:
        by = user_create(username="bench-instruments", password="bench-fieldwork-2026")
    if study is None:
        study = study_create(by=by, name="Instruments", slug="bench-instr", place_scheme="mali")
    content = generate_xlsform()
    converted = convert_xlsform(content=content, filename="bench300.xlsx")
    kinds = [q.type for q in converted.questions]
    answering = sum(1 for k in kinds if k not in ("group", "repeat", "calculate", "note"))
    assert answering == QUESTIONS, answering
    say(
        f"Importing a {QUESTIONS}-question XLSForm through instrument_upload "
        f"(.xlsx of {len(content) / 1024:.0f} kB, {len(converted.questions)} nodes: "
        f"{answering} questions, {kinds.count('calculate') - 1} calculates, {GROUPS} groups "
        f"incl. a repeat, meta; {len(converted.choices)} choices; 2 languages; "
        f"pyxform {pyxform.__version__}; median of {RUNS})"
    )
    totals, converts, validates, stores = [], [], [], []
    for run_number in range(RUNS):
        version = generate_xlsform(version=f"{run_number + 1}")
        start = time.perf_counter()
        instrument_upload(study=study, by=by, content=version, filename="bench300.xlsx")
        totals.append(time.perf_counter() - start)

        start = time.perf_counter()
        form = convert_xlsform(content=version, filename="bench300.xlsx")
        converts.append(time.perf_counter() - start)
        start = time.perf_counter()
        problems = validate_with_odk(form.xform_xml)
        validates.append(time.perf_counter() - start)
        assert not problems, problems

    # Storing alone: the service's transaction (rows, bulk inserts, audit) on a converted form.
    for run_number in range(RUNS):
        version = generate_xlsform(version=f"store-{run_number + 1}")
        form = convert_xlsform(content=version, filename="bench300.xlsx")
        start = time.perf_counter()
        services._store_version(
            study=study, by=by, converted=form, content=version, name="bench300.xlsx"
        )
        stores.append(time.perf_counter() - start)

    total = statistics.median(totals)
    say(
        f"   import: {total:.2f} s (target < {IMPORT_TARGET_S:.0f} s) "
        f"{verdict(total < IMPORT_TARGET_S)}   [runs: {', '.join(f'{t:.2f}' for t in totals)} s]"
    )
    odk = statistics.median(validates)
    say(
        f"   of which ODK Validate (Java, a new JVM each upload): {odk:.2f} s "
        f"({odk / total:.0%}); pyxform conversion and extraction: "
        f"{statistics.median(converts):.2f} s; storing ({len(converted.questions)} questions, "
        f"{len(converted.choices)} choices, original file, XForm, audit row): "
        f"{statistics.median(stores):.3f} s"
    )
