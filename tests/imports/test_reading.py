"""exports.py on small exports written here: how columns find their questions, how cells
become answers, and how a bad header or cell is reported. Pure: no database."""

import datetime as dt
import io
import json
from functools import cache

import openpyxl
import pytest

from fieldwork.imports.exports import ExportError, Place, parse_moment, read_export
from fieldwork.instruments.xlsform import convert_xlsform

FORM = """\
| survey |
| | type | name | label | required |
| | start | start | | |
| | text | source_code | Code of the source | yes |
| | begin group | checkpoint | Checkpoint | |
| | select_one armed_group | armed_group | Which armed group? | yes |
| | integer | amount_paid | Amount paid | |
| | select_multiple items | items_taken | Goods taken | |
| | geopoint | location | Where | |
| | date | day | Day | |
| | end group | | | |
| | begin repeat | incidents | Incidents | |
| | date | incident_date | Date of the incident | |
| | text | what | What happened | |
| | end repeat | | | |
| | begin group | other | Other | |
| | text | what | What else | |
| | end group | | | |
| choices |
| | list_name | name | label |
| | armed_group | dna | Dan Na Ambassagou |
| | armed_group | jnim | JNIM |
| | items | money | Money |
| | items | phone | Phone |
| | items | livestock | Livestock |
| settings |
| | form_id | version |
| | checkpoint_import | 1 |
"""

UUID = "6b6e3f0c-5f6e-4b63-9a7e-3d1c2a4f5e60"


@cache
def _form():
    converted = convert_xlsform(content=FORM.encode(), filename="checkpoint_import.md")
    return converted.questions, converted.choices


def read(*files):
    questions, choices = _form()
    return read_export(files=list(files), questions=questions, choices=choices)


def csv_file(text: str, name="export.csv") -> tuple[str, bytes]:
    return name, text.encode("utf-8")


def test_kobo_paths_split_choices_and_flattened_repeats():
    reading = read(
        csv_file(
            "source_code,checkpoint/armed_group,checkpoint/amount_paid,"
            "checkpoint/items_taken/money,checkpoint/items_taken/phone,"
            "checkpoint/items_taken/livestock,incidents[1]/incident_date,incidents[1]/what,"
            "incidents[2]/incident_date,incidents[2]/what,meta/instanceID,_uuid,"
            "_submission_time,_submitted_by,_tags\n"
            f"SRC-1,jnim,5000,True,False,1,2025-01-03,Taxed,n/a,n/a,uuid:{UUID},{UUID},"
            "2025-01-05T10:00:00,bob,\n"
        )
    )
    [record] = reading.records
    assert record.row == 2
    assert record.instance_id == f"uuid:{UUID}"
    assert not record.derived_id
    assert record.submitted_at == dt.datetime(2025, 1, 5, 10, tzinfo=dt.UTC)
    assert record.submitted_by == "bob"
    assert record.answers == {
        "source_code": "SRC-1",
        "checkpoint": {
            "armed_group": "jnim",
            "amount_paid": "5000",
            "items_taken": "money livestock",
        },
        # the second instance is all n/a: Ona writes as many columns as the longest repeat
        "incidents": [{"incident_date": "2025-01-03", "what": "Taxed"}],
        "meta": {"instanceID": f"uuid:{UUID}"},
    }
    assert record.problems == ()
    assert "_tags" in reading.ignored_columns


def test_odk_dashes_geopoint_parts_and_java_dates():
    reading = read(
        csv_file(
            "SubmissionDate,source_code,checkpoint-armed_group,checkpoint-day,"
            "checkpoint-location-Latitude,checkpoint-location-Longitude,"
            "checkpoint-location-Altitude,checkpoint-location-Accuracy,meta-instanceID,KEY\n"
            '"Apr 26, 2018 8:58:20 PM",SRC-1,dna,"Apr 6, 2018",14.5,-4.2,280,5,'
            f"uuid:{UUID},uuid:{UUID}\n"
        )
    )
    [record] = reading.records
    assert record.submitted_at == dt.datetime(2018, 4, 26, 20, 58, 20, tzinfo=dt.UTC)
    assert record.answers["checkpoint"] == {
        "armed_group": "dna",
        "day": "2018-04-06",
        "location": "14.5 -4.2 280 5",
    }


def test_kobo_csv_with_semicolons_and_labels_for_headers():
    """KoboToolbox separates with ";" by default, and can write labels instead of names."""
    reading = read(
        csv_file(
            "Code of the source;Which armed group?;Goods taken/Money;Goods taken/Phone;"
            "Amount paid;instanceID\n"
            f"SRC-1;dna;0;1;12;{UUID}\n"
        )
    )
    [record] = reading.records
    assert record.answers["checkpoint"] == {
        "armed_group": "dna",
        "items_taken": "phone",
        "amount_paid": "12",
    }
    assert record.instance_id == f"uuid:{UUID}"


def test_the_joined_column_wins_over_the_split_ones():
    reading = read(
        csv_file(
            "source_code,checkpoint/armed_group,checkpoint/items_taken,"
            "checkpoint/items_taken/money,checkpoint/items_taken/phone,meta/instanceID\n"
            f"SRC-1,dna,money phone,False,,{UUID}\n"
        )
    )
    assert reading.records[0].answers["checkpoint"]["items_taken"] == "money phone"


def test_a_choice_column_holds_true_or_false():
    reading = read(
        csv_file(f"source_code,checkpoint/items_taken/money,meta/instanceID\nSRC-1,maybe,{UUID}\n")
    )
    [problem] = reading.records[0].problems
    assert (problem.row, problem.column) == (2, "checkpoint/items_taken/money")
    assert "not “maybe”" in problem.message


def test_an_unknown_column_is_an_error_only_where_it_holds_a_value():
    reading = read(
        csv_file(
            "source_code,checkpoint/armed_group,village_chief,meta/instanceID\n"
            f"SRC-1,dna,,{UUID}\n"
            "SRC-2,dna,Amadou,6b6e3f0c-5f6e-4b63-9a7e-3d1c2a4f5e61\n"
        )
    )
    assert reading.unmatched_columns == ("village_chief",)
    first, second = reading.records
    assert first.problems == ()
    [problem] = second.problems
    assert (problem.table, problem.row, problem.column) == ("export.csv", 3, "village_chief")
    assert "No question of this version of the form matches this column" in problem.message
    assert "“Amadou” cannot be kept" in problem.message


def test_a_bare_name_that_two_questions_share_is_ambiguous():
    """`what` is both incidents/what and other/what: the column needs its full path."""
    reading = read(csv_file(f"source_code,what,meta/instanceID\nSRC-1,Something,{UUID}\n"))
    [problem] = reading.records[0].problems
    assert problem.column == "what"
    assert "incidents/what, other/what" in problem.message
    assert "full path" in problem.message


def test_instance_ids_as_exports_write_them():
    reading = read(
        csv_file(
            "source_code,meta/instanceID,_uuid\n"
            f"SRC-1,uuid:uuid:{UUID},Loading...\n"  # Ona's doubled prefix; _uuid is not used
            "SRC-2,not-a-uuid,\n"
            "SRC-3,,\n"
        )
    )
    first, second, third = reading.records
    assert first.instance_id == f"uuid:{UUID}"
    assert second.instance_id == ""
    assert second.problems[0].column == "meta/instanceID"
    assert "“not-a-uuid” is not a valid instance ID" in second.problems[0].message
    # no ID at all: one made from the row, the same on every reading (wherever the row is)
    assert third.derived_id
    assert (
        third.instance_id
        == read(csv_file("source_code,meta/instanceID,_uuid\nSRC-3,,\n")).records[0].instance_id
    )


def test_validation_messages_find_their_column():
    reading = read(
        csv_file(
            f"source_code,incidents[2]/incident_date,meta/instanceID\nSRC-1,yesterday,{UUID}\n"
        )
    )
    record = reading.records[0]
    message = "incidents[2]/incident_date: “Date of the incident” must be a date…"
    place, rest = record.locate(message)
    assert place == Place("export.csv", 2, "incidents[2]/incident_date")
    assert rest == "“Date of the incident” must be a date…"
    assert record.locate("source_code: …") == (Place("export.csv", 2, "source_code"), "…")
    assert record.locate("checkpoint/day: …") == (None, "checkpoint/day: …")


@pytest.mark.parametrize(
    "message",
    [
        "source_code\u00a0: “Code” est obligatoire.",  # French: a no-break space before ":"
        "source_code\u202f: “Code” est obligatoire.",
        "source_code — “Code” est obligatoire.",
        "source_code “Code” est obligatoire.",
    ],
)
def test_a_message_finds_its_column_whatever_its_punctuation(message):
    [record] = read(csv_file(f"source_code,meta/instanceID\n,{UUID}\n")).records
    place, _rest = record.locate(message)
    assert place.column == "source_code"
    # a longer path that starts with the same letters is another question
    assert record.locate("source_code_2: …") == (None, "source_code_2: …")


def _workbook(sheets: dict[str, list[list]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_kobo_xlsx_with_a_sheet_per_repeat():
    content = _workbook(
        {
            "checkpoint_import": [
                ["source_code", "checkpoint/day", "meta/instanceID", "_index", "_submission_time"],
                ["SRC-1", dt.datetime(2025, 1, 3), f"uuid:{UUID}", 1, dt.datetime(2025, 1, 5, 9)],
                ["SRC-2", None, "6b6e3f0c-5f6e-4b63-9a7e-3d1c2a4f5e61", 2, None],
            ],
            "incidents": [
                [
                    "incidents/incident_date",
                    "incidents/what",
                    "_index",
                    "_parent_table_name",
                    "_parent_index",
                ],
                [dt.datetime(2025, 1, 1), "Taxed", 1, "checkpoint_import", 1],
                [dt.datetime(2025, 1, 2), "Beaten", 2, "checkpoint_import", 1],
                [None, "Threatened", 3, "checkpoint_import", 2],
            ],
        }
    )
    first, second = read(("export.xlsx", content)).records
    assert first.answers["checkpoint"] == {"day": "2025-01-03"}
    assert first.answers["incidents"] == [
        {"incident_date": "2025-01-01", "what": "Taxed"},
        {"incident_date": "2025-01-02", "what": "Beaten"},
    ]
    assert second.answers["incidents"] == [{"what": "Threatened"}]
    assert first.submitted_at == dt.datetime(2025, 1, 5, 9, tzinfo=dt.UTC)
    assert json.loads(first.payload)["repeats"]["incidents"][1]["columns"][1] == [
        "incidents/what",
        "Beaten",
    ]


def test_kobo_json_results():
    data = {
        "count": 1,
        "results": [
            {
                "source_code": "SRC-1",
                "checkpoint/armed_group": "dna",
                "incidents": [{"incidents/what": "Taxed"}],
                "meta/instanceID": f"uuid:{UUID}",
                "_submission_time": "2025-01-05T10:00:00",
                "_validation_status": {},
                "unknown": "x",
            }
        ],
    }
    [record] = read(("kobo.json", json.dumps(data).encode())).records
    assert record.answers["incidents"] == [{"what": "Taxed"}]
    assert record.answers["checkpoint"] == {"armed_group": "dna"}
    [problem] = record.problems
    assert (problem.row, problem.column) == (1, "unknown")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("é".encode("latin-1"), "is not UTF-8 text"),
        (b"PK\x03\x04 broken", "is not a readable zip file"),
    ],
)
def test_unreadable_files_are_refused_whole(content, message):
    name = "export.zip" if content.startswith(b"PK") else "export.csv"
    with pytest.raises(ExportError, match=message):
        read((name, content))


def test_a_file_that_is_no_export():
    with pytest.raises(ExportError, match="is not an export Fieldwork reads"):
        read(("notes.txt", b"hello"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2013-02-14T15:37:21+00:00", dt.datetime(2013, 2, 14, 15, 37, 21, tzinfo=dt.UTC)),
        ("2016-10-14 9:24:36", dt.datetime(2016, 10, 14, 9, 24, 36, tzinfo=dt.UTC)),
        ("Mar 17, 2019 10:14:18 AM", dt.datetime(2019, 3, 17, 10, 14, 18, tzinfo=dt.UTC)),
        (
            "2017-12-27T15:53:26.000-05:00",
            dt.datetime(2017, 12, 27, 15, 53, 26, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        ),
        ("2014-09-04T12:19:31.000+03:778", None),
        ("Loading...", None),
    ],
)
def test_submission_times(text, expected):
    assert parse_moment(text) == expected


NESTED = """\
| survey |
| | type | name | label |
| | text | village | Village |
| | begin repeat | household | Household |
| | text | head | Head of household |
| | begin repeat | member | Member |
| | integer | age | Age |
| | end repeat | | |
| | end repeat | | |
| settings |
| | form_id | version |
| | nested | 1 |
"""


def test_odk_nested_repeats_in_their_own_files():
    """ODK Central: one CSV per repeat, each row pointing at its parent's KEY."""
    converted = convert_xlsform(content=NESTED.encode(), filename="nested.md")
    key = f"uuid:{UUID}"
    files = [
        csv_file(
            f"SubmissionDate,village,SET-OF-household,meta-instanceID,KEY\n"
            f"2025-01-05T10:00:00.000Z,Ogol,{key}/household,{key},{key}\n",
            "nested.csv",
        ),
        csv_file(
            "head,SET-OF-member,PARENT_KEY,KEY,SET-OF-household\n"
            f"Amadou,{key}/household[1]/member,{key},{key}/household[1],{key}/household\n"
            f"Fatoumata,{key}/household[2]/member,{key},{key}/household[2],{key}/household\n",
            "nested-household.csv",
        ),
        csv_file(
            "age,PARENT_KEY,KEY,SET-OF-member\n"
            f"34,{key}/household[1],{key}/household[1]/member[1],{key}/household[1]/member\n"
            f"7,{key}/household[1],{key}/household[1]/member[2],{key}/household[1]/member\n"
            f"61,{key}/household[2],{key}/household[2]/member[1],{key}/household[2]/member\n",
            "nested-member.csv",
        ),
    ]
    reading = read_export(files=files, questions=converted.questions, choices=converted.choices)
    [record] = reading.records
    assert reading.problems == ()
    assert record.answers["household"] == [
        {"head": "Amadou", "member": [{"age": "34"}, {"age": "7"}]},
        {"head": "Fatoumata", "member": [{"age": "61"}]},
    ]
    # a repeat row's answer is located in its own file's column
    place, _rest = record.locate("household[2]/member[1]/age: …")
    assert place == Place("nested-member.csv", 4, "age")
    # a question of that instance that has no column names the instance's file and row
    assert record.locate("household[2]/member[1]/weight: …") == (
        Place("nested-member.csv", 4),
        "household[2]/member[1]/weight: …",
    )
