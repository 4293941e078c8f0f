"""Previewing and importing an export of a questionnaire about sources: row errors with their
row and column, every row or nothing, the valid rows only, importing twice, conflicts,
consent, and the file kept sealed."""

import datetime as dt
import io
import uuid

import openpyxl
import pytest
from django.utils import timezone, translation

from fieldwork.audit.models import AuditEvent
from fieldwork.core.errors import ServiceError
from fieldwork.imports.models import ImportBatch
from fieldwork.imports.services import MAX_IMPORT_BYTES, ExportFile, batch_file, batch_results
from fieldwork.instruments.services import instrument_upload
from fieldwork.interviews.models import Interview, InterviewVersion, SubmissionConflict
from fieldwork.interviews.selectors import conflict_payload, version_content
from fieldwork.sources.models import ConsentScope
from fieldwork.sources.services import consent_withdraw
from tests.factories import make_source
from tests.imports.conftest import XLSFORMS

FORM = """\
| survey |
| | type | name | label | required |
| | text | source_code | Code of the source | yes |
| | select_one armed_group | armed_group | Which armed group? | yes |
| | integer | amount_paid | Amount paid | |
| | select_multiple items | items_taken | Goods taken | |
| | begin repeat | incidents | Incidents | |
| | date | incident_date | Date of the incident | |
| | end repeat | | | |
| choices |
| | list_name | name | label |
| | armed_group | dna | Dan Na Ambassagou |
| | armed_group | jnim | JNIM |
| | items | money | Money |
| | items | phone | Phone |
| settings |
| | form_id | version |
| | checkpoint_import | 1 |
"""

IDS = [f"6b6e3f0c-5f6e-4b63-9a7e-3d1c2a4f5e6{n}" for n in range(10)]
HEADER = (
    "source_code,armed_group,amount_paid,items_taken/money,items_taken/phone,"
    "incidents[1]/incident_date,meta/instanceID,_submission_time,_submitted_by\n"
)


@pytest.fixture
def setup(world):
    version = world.publish(FORM.encode(), "checkpoint_import.md")
    consenting = make_source(study=world.study, by=world.researcher)
    return world, version, consenting


def export(*rows: str, header: str = HEADER) -> ExportFile:
    return ExportFile("kobo-export.csv", (header + "".join(f"{r}\n" for r in rows)).encode())


def good_row(code: str, n: int = 0, amount: str = "5000") -> str:
    return f"{code},jnim,{amount},True,False,2025-01-03,uuid:{IDS[n]},2025-01-05T10:00:00,bob"


def test_the_preview_lists_each_error_with_its_row_and_column(setup):
    world, version, source = setup
    unconsenting = make_source(
        study=world.study, by=world.researcher, scopes=[ConsentScope.RECORD_AUDIO]
    )
    header = HEADER.replace("_submitted_by", "_submitted_by,village_chief")
    batch = world.preview(
        version,
        export(
            good_row(source.code, 0) + ",",
            f"{source.code},police,,,,,uuid:{IDS[1]},,,",  # not a choice
            f",dna,,,,,uuid:{IDS[2]},,,",  # required, and names no source
            good_row(source.code, 3) + ",Amadou Cissé",  # a column of no question
            good_row("ZZZ-999", 4) + ",",  # no such source
            good_row(unconsenting.code, 5) + ",",  # no consent to take part
            f"{source.code},dna,a lot,,,,uuid:{IDS[6]},,,",  # not a number
            header=header,
        ),
    )
    assert (batch.row_count, batch.error_count, batch.new_count) == (7, 6, 1)
    assert batch.state == ImportBatch.State.PREVIEWED
    assert not Interview.objects.exists()  # a preview writes no interview
    results = batch_results(batch=batch)
    assert results.unmatched_columns == ("village_chief",)
    errors = {r.row: r.errors for r in results.rows}
    assert errors[2] == ()
    [(column, message)] = errors[3]
    assert column == "armed_group"
    assert "“police”, which is not a choice of the list “armed_group”" in message
    columns = [c for c, _m in errors[4]]
    assert columns == ["source_code", "source_code"]
    assert "“Code of the source” is required but has no answer" in errors[4][0][1]
    assert "names none" in errors[4][1][1]
    [(column, message)] = errors[5]
    assert column == "village_chief"
    assert "“Amadou Cissé” cannot be kept" in message
    assert errors[6] == (("source_code", "No source of this study has the code “ZZZ-999”."),)
    [(column, message)] = errors[7]
    assert column == "source_code"
    assert "has no current consent to take part" in message
    [(column, message)] = errors[8]
    assert column == "amount_paid"
    assert "must be a whole number; got “a lot”" in message


def test_every_row_or_nothing(setup):
    world, version, source = setup
    batch = world.preview(
        version, export(good_row(source.code, 0), f"{source.code},police,,,,,uuid:{IDS[1]},,")
    )
    with pytest.raises(ServiceError, match="Nothing was imported: 1 row has an error"):
        world.confirm(batch, mode="all_or_nothing")
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.PREVIEWED
    assert not Interview.objects.exists()
    assert not InterviewVersion.objects.exists()


def test_the_valid_rows_only(setup):
    world, version, source = setup
    batch = world.preview(
        version,
        export(
            good_row(source.code, 0),
            f"{source.code},police,,,,,uuid:{IDS[1]},,",
            good_row(source.code.lower(), 2, amount="12"),  # a code typed in lower case
        ),
    )
    batch = world.confirm(batch, mode="valid_rows")
    assert batch.state == ImportBatch.State.IMPORTED
    assert batch.mode == ImportBatch.Mode.VALID_ROWS
    assert (batch.created_count, batch.skipped_count) == (2, 1)
    results = batch_results(batch=batch)
    assert [r.status for r in results.rows] == ["created", "skipped", "created"]
    assert "police" in results.rows[1].errors[0][1]  # the rest is listed, with its error
    interview = Interview.objects.get(client_uuid=IDS[0])
    assert interview.source == source
    assert interview.researcher == world.researcher  # who imported records the interview
    assert interview.conducted_at == dt.datetime(2025, 1, 5, 10, tzinfo=dt.UTC)
    version_row = interview.current_version
    assert version_row.payload_format == InterviewVersion.Format.EXPORT_ROW
    assert version_content(version_row)[0]["items_taken"] == "money"
    assert version_content(version_row)[0]["incidents"] == [{"incident_date": "2025-01-03"}]
    assert version_content(version_row)[0]["amount_paid"] == 5000
    assert results.rows[0].interview == IDS[0]
    assert Interview.objects.get(client_uuid=IDS[2]).source == source


def test_importing_the_same_file_again_adds_nothing(setup):
    world, version, source = setup
    rows = (good_row(source.code, 0), good_row(source.code, 1))
    first = world.confirm(world.preview(version, export(*rows)))
    assert first.created_count == 2
    again = world.preview(version, export(*rows))
    assert (again.duplicate_count, again.new_count) == (2, 0)
    again = world.confirm(again)
    assert (again.created_count, again.duplicate_count) == (0, 2)
    assert Interview.objects.count() == 2
    assert InterviewVersion.objects.count() == 2
    # confirming an imported batch once more changes nothing either
    assert world.confirm(again).pk == again.pk
    assert Interview.objects.count() == 2


def test_a_row_stored_with_other_answers_is_kept_as_a_conflict(setup):
    world, version, source = setup
    world.confirm(world.preview(version, export(good_row(source.code, 0))))
    changed = world.preview(version, export(good_row(source.code, 0, amount="9000")))
    assert changed.conflict_count == 1
    changed = world.confirm(changed)
    assert (changed.created_count, changed.conflict_count) == (0, 1)
    stored = InterviewVersion.objects.get(instance_id=IDS[0])
    assert version_content(stored)[0]["amount_paid"] == 5000  # the stored interview is untouched
    conflict = SubmissionConflict.objects.get(instance_id=IDS[0])
    assert b"9000" in conflict_payload(conflict)  # and the other body is kept


def test_the_same_answers_in_another_export_s_layout_are_already_stored(setup):
    """Idempotent by instance ID: a second export of the same interviews (other metadata,
    another submitter column) adds nothing and records no conflict."""
    world, version, source = setup
    world.confirm(world.preview(version, export(good_row(source.code, 0))))
    other_layout = good_row(source.code, 0).replace(",bob", ",someone-else")
    again = world.preview(version, export(other_layout))
    assert batch_results(batch=again).rows[0].status == "duplicate"
    again = world.confirm(again)
    assert (again.created_count, again.conflict_count) == (0, 0)
    assert SubmissionConflict.objects.count() == 0
    assert Interview.objects.count() == 1


def test_the_same_id_twice_in_one_file(setup):
    world, version, source = setup
    batch = world.preview(
        version, export(good_row(source.code, 0), good_row(source.code, 0, amount="1"))
    )
    results = batch_results(batch=batch)
    assert results.rows[1].status == "error"
    assert "Row 2 of this export has the same instance ID" in results.rows[1].errors[0][1]


def test_consent_withdrawn_after_the_preview(setup):
    world, version, source = setup
    other = make_source(study=world.study, by=world.researcher)
    rows = export(good_row(source.code, 0), good_row(other.code, 1))
    batch = world.preview(version, rows)
    assert batch.error_count == 0
    consent_withdraw(
        source=other,
        by=world.researcher,
        scopes=frozenset({ConsentScope.PARTICIPATE}),
        reason="Asked to stop",
        withdrawn_on=timezone.localdate(),
    )
    with pytest.raises(ServiceError, match="1 row has an error"):
        world.confirm(batch)
    assert not Interview.objects.exists()
    batch = world.confirm(world.preview(version, rows), mode="valid_rows")
    assert (batch.created_count, batch.skipped_count) == (1, 1)
    assert list(Interview.objects.values_list("source", flat=True)) == [source.pk]


def test_only_the_uploader_imports(setup):
    world, version, source = setup
    batch = world.preview(version, export(good_row(source.code, 0)))
    with pytest.raises(ServiceError, match="Only the person who uploaded"):
        world.confirm(batch, by=world.supervisor)
    assert not Interview.objects.exists()


def test_a_draft_version_is_refused(setup):
    world, _version, source = setup
    draft = instrument_upload(
        study=world.study,
        by=world.supervisor,
        content=FORM.replace("| checkpoint_import | 1 |", "| checkpoint_import | 2 |").encode(),
        filename="checkpoint_import.md",
        validate=False,
    )
    with pytest.raises(ServiceError, match="is a draft: publish it"):
        world.preview(draft, export(good_row(source.code, 0)))
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([ExportFile("export.csv", HEADER.encode())], "holds no submission"),
        ([ExportFile("export.pdf", b"%PDF")], "is not an export Fieldwork reads"),
        (
            [ExportFile("a.xlsx", b"x"), ExportFile("b.csv", b"x")],
            "Several files can only be the CSV files of one ODK export",
        ),
        ([ExportFile("export.csv", "é".encode("latin-1"))], "is not UTF-8 text"),
    ],
)
def test_files_that_cannot_be_imported(setup, files, message):
    world, version, _source = setup
    with pytest.raises(ServiceError, match=message):
        world.preview(version, *files)
    assert not ImportBatch.objects.exists()


def test_the_file_is_kept_sealed(setup):
    world, version, source = setup
    content = export(good_row(source.code, 0)).content
    batch = world.preview(version, ExportFile("kobo-export.csv", content))
    stored = ImportBatch.objects.get(pk=batch.pk)
    assert source.code.encode() not in bytes(stored.file_ciphertext)
    assert source.code.encode() not in bytes(stored.results_ciphertext)
    assert batch_file(batch=stored) == content
    assert stored.original_filename == "kobo-export.csv"


def test_preview_and_import_are_audited(setup):
    world, version, source = setup
    batch = world.confirm(world.preview(version, export(good_row(source.code, 0))))
    events = AuditEvent.objects.filter(target_id=str(batch.public_id)).order_by("id")
    assert [e.action for e in events] == ["import.previewed", "import.confirmed"]
    assert events[1].data["created"] == 1
    assert events[0].actor == world.researcher


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


def test_an_xlsx_with_the_repeat_on_its_own_sheet(setup):
    """KoboToolbox's XLSX export puts each repeat on a sheet of its own, its rows pointing at
    their submission by `_parent_index`."""
    world, version, source = setup
    content = _workbook(
        {
            "checkpoint_import": [
                ["source_code", "armed_group", "items_taken", "meta/instanceID", "_index"],
                [source.code, "dna", "money phone", f"uuid:{IDS[0]}", 1],
                [source.code, "jnim", None, f"uuid:{IDS[1]}", 2],
            ],
            "incidents": [
                ["incidents/incident_date", "_index", "_parent_table_name", "_parent_index"],
                [dt.datetime(2025, 1, 1), 1, "checkpoint_import", 1],
                [dt.datetime(2025, 1, 2), 2, "checkpoint_import", 1],
                [dt.datetime(2025, 1, 9), 3, "checkpoint_import", 2],
            ],
        }
    )
    batch = world.confirm(world.preview(version, ExportFile("kobo.xlsx", content)))
    assert batch.created_count == 2
    first = version_content(InterviewVersion.objects.get(instance_id=uuid.UUID(IDS[0])))[0]
    assert first["items_taken"] == "money phone"
    assert first["incidents"] == [{"incident_date": "2025-01-01"}, {"incident_date": "2025-01-02"}]
    second = version_content(InterviewVersion.objects.get(instance_id=uuid.UUID(IDS[1])))[0]
    assert second["incidents"] == [{"incident_date": "2025-01-09"}]


def test_in_french_each_error_keeps_its_column(setup):
    """French messages put a no-break space before the colon after the question's path: the
    column is found all the same, and shown once."""
    world, version, source = setup
    with translation.override("fr"):
        batch = world.preview(
            version,
            export(
                f"{source.code},police,,,,,uuid:{IDS[1]},,",
                f"{source.code},dna,a lot,,,not a date,uuid:{IDS[2]},,",
            ),
        )
        results = batch_results(batch=batch)
    [(column, message)] = results.rows[0].errors
    assert column == "armed_group"
    assert "police" in message
    assert not message.startswith(("armed_group", ":", "\xa0"))  # the column is shown once
    assert [column for column, _message in results.rows[1].errors] == [
        "amount_paid",
        "incidents[1]/incident_date",
    ]


def test_an_error_in_a_repeat_sheet_names_the_sheet_and_its_row(world):
    """KoboToolbox's XLSX export: the `children` sheet's row 3 holds an age that is no
    number; the error is listed under the submission's row, naming the sheet and its row."""
    version = world.publish_file(XLSFORMS / "onadata" / "tutorial_w_repeats.xlsx")
    content = _workbook(
        {
            "tutorial_w_repeats": [
                ["name", "age", "has_children", "meta/instanceID", "_index"],
                ["Bob", 25, 1, f"uuid:{IDS[0]}", 1],
            ],
            "children": [
                [
                    "children/childs_name",
                    "children/childs_age",
                    "_index",
                    "_parent_table_name",
                    "_parent_index",
                ],
                ["Tom", 12, 1, "tutorial_w_repeats", 1],
                ["Dick", "abc", 2, "tutorial_w_repeats", 1],
            ],
        }
    )
    batch = world.preview(version, ExportFile("kobo.xlsx", content))
    [row] = batch_results(batch=batch).rows
    assert row.row == 2
    assert row.errors == (
        (
            "children/childs_age",
            "children, row 3: “5.2 Childs age?” must be a whole number; got “abc”.",
        ),
    )


@pytest.mark.parametrize(
    ("size", "message"),
    [
        (36_988_915, "“big.csv” is 35.3 MB; Fieldwork imports files of at most 20 MB."),
        (20 * 1024 * 1024 + 1, "“big.csv” is 20.1 MB; Fieldwork imports files of at most 20 MB."),
        (None, "“big.csv” is larger than 20 MB, the most Fieldwork imports at a time."),
    ],
)
def test_a_file_too_large_is_refused_with_its_size(setup, size, message):
    """The page reads no more than one byte past the limit; the size the upload declares is
    the file's."""
    world, version, _source = setup
    content = HEADER.encode() + b"x" * MAX_IMPORT_BYTES
    with pytest.raises(ServiceError) as refused:
        world.preview(version, ExportFile("big.csv", content, size=size))
    assert refused.value.messages == [message]
    assert not ImportBatch.objects.exists()


def test_a_conflict_lists_the_answers_that_differ(setup):
    world, version, source = setup
    world.confirm(world.preview(version, export(good_row(source.code, 0))))
    changed = good_row(source.code, 0, amount="9000").replace("True,False", "True,True")
    [row] = batch_results(batch=world.preview(version, export(changed))).rows
    assert row.status == "conflict"
    assert row.differences == (
        ("amount_paid", "5000", "9000"),
        ("items_taken", "money", "money phone"),
    )
    # importing keeps the row as a conflict, with what differs
    batch = world.confirm(world.preview(version, export(changed)))
    [row] = batch_results(batch=batch).rows
    assert (row.status, row.differences[0]) == ("conflict", ("amount_paid", "5000", "9000"))
