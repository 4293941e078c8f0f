"""Every export in ../shared/data/exports/ imports, file by file, against the form it was made
with, and a few of its real answers land where they belong (a select_multiple, a repeat, a
date). Where a file holds a real error (a choice the form does not have, an impossible time
zone), the test says which and shows that the rest of the file imports.

The list is explicit: a new file in ../shared/data/exports/ fails `test_every_export_is_listed`
until it gets a test here."""

import datetime as dt
import io
import json
import uuid
import zipfile

import pytest

from fieldwork.core.errors import ServiceError
from fieldwork.imports.services import ExportFile, batch_results
from fieldwork.interviews.models import Interview, InterviewVersion
from fieldwork.interviews.selectors import version_content
from tests.imports.conftest import EXPORTS, FORMS, SHARED, XLSFORMS, export_path
from tests.imports.kobo import xlsform_from_kobo_content

#: Every file of ../shared/data/exports/ and the test that imports it.
EXPORT_FILES = {
    "briefcase_all-data-types.csv": "test_briefcase_all_data_types",
    "briefcase_choice-lists.csv": "test_briefcase_choice_lists",
    "briefcase_choice-lists-predicate-relative-repeat.csv": "test_briefcase_repeat_in_its_own_file",
    "briefcase_choice-lists-predicate-relative-repeat-group.csv": (
        "test_briefcase_repeat_in_its_own_file"
    ),
    "formpack_long_unicode_labels_v1.json": "test_kobo_json_without_submissions",
    "formpack_nested_grouped_repeatable_v1.json": "test_kobo_json_nested_repeats",
    "formpack_or_other_v1.json": "test_kobo_json_or_other",
    "onadata_csv_import_with_multiple_select.csv": "test_ona_long_texts_and_joined_selects",
    "onadata_double_image_field_form_data.xlsx": "test_ona_xlsx_media_urls",
    "onadata_good.csv": "test_ona_good_csv",
    "onadata_good.xlsx": "test_ona_good_xlsx",
    "onadata_large_csv_upload.csv": "test_ona_large_csv",
    "onadata_transportation.csv": "test_ona_transportation_csv",
    "onadata_transportation_export.xlsx": "test_ona_transportation_xlsx",
    "onadata_transportation_labels_only.csv": "test_ona_transportation_labels_only",
    "onadata_transportation_no_group_names.csv": "test_ona_transportation_no_group_names",
    "onadata_transportation_viewer.csv": "test_ona_transportation_viewer",
    "onadata_tutorial_w_repeats.csv": "test_ona_flattened_repeats",
    "onadata_tutorial_w_repeats_truncate_titles.csv": "test_ona_flattened_repeats",
}
GPL = {name for name in EXPORT_FILES if name.startswith("formpack_")}


def test_every_export_is_listed():
    folder = SHARED / "exports"
    if not folder.is_dir():
        pytest.skip("../shared/data/exports is absent; tests/fixtures/exports is checked below")
    assert sorted(p.name for p in folder.iterdir()) == sorted(EXPORT_FILES)
    for test in set(EXPORT_FILES.values()):
        assert callable(globals().get(test)), test


def test_the_permissive_exports_are_copied():
    """The BSD and Apache files are in the repository; the GPL ones are read from ../shared."""
    copied = {p.name for p in EXPORTS.iterdir() if p.is_file() and p.suffix != ".md"}
    assert copied == set(EXPORT_FILES) - GPL


def _answers(world, instance_id: str) -> dict:
    version = InterviewVersion.objects.get(study=world.study, instance_id=uuid.UUID(instance_id))
    return version_content(version)[0]


def _imported(world, *names, form, mode="all_or_nothing"):
    version = world.publish_file(form)
    batch = world.preview(version, *names)
    batch = world.confirm(batch, mode=mode)
    return batch, batch_results(batch=batch)


# --------------------------------------------------------------------------- ODK Briefcase


def test_briefcase_all_data_types(world):
    batch, results = _imported(
        world, "briefcase_all-data-types.csv", form=FORMS / "all-data-types.md"
    )
    assert (batch.row_count, batch.created_count) == (1, 1)
    answers = _answers(world, "39f3dd36-161e-45cb-a1a4-395831d253a7")
    # Briefcase's Java dates ("Apr 26, 2018", "8:56:00 AM") come back as ODK writes them
    assert answers["some_date"] == "2018-04-26"
    assert answers["some_time"] == "08:56:00"
    assert answers["some_date_time"] == "2018-04-26T08:56:00"
    # the geopoint split into -Latitude, -Longitude, -Altitude, -Accuracy is whole again
    assert answers["some_geopoint"] == "43.3149254 -1.9869671 71.80000305175781 15.478"
    assert answers["some_int"] == 123
    assert answers["some_barcode"] == "000049499094"
    interview = Interview.objects.get(study=world.study)
    assert interview.conducted_at == dt.datetime(2018, 4, 26, 8, 58, 20, tzinfo=dt.UTC)


def test_briefcase_choice_lists(world):
    batch, _results = _imported(world, "briefcase_choice-lists.csv", form=FORMS / "choice-lists.md")
    assert batch.created_count == 1
    answers = _answers(world, "39f3dd36-161e-45cb-a1a4-395831d253a7")
    assert answers["some_string"] == "CHOICE_1"  # select_multiple, joined column and split ones
    assert answers["another_string"] == "CHOICE_2"
    assert answers["some_group"] == {"yet_another_string": "CHOICE_1"}  # group-question


def test_briefcase_repeat_in_its_own_file(world):
    """The main CSV and its repeat's CSV, uploaded together, and as ODK Central's zip."""
    main = "briefcase_choice-lists-predicate-relative-repeat.csv"
    group = "briefcase_choice-lists-predicate-relative-repeat-group.csv"
    batch, _results = _imported(
        world, main, group, form=FORMS / "choice-lists-predicate-relative-repeat.md"
    )
    assert batch.created_count == 1
    answers = _answers(world, "a21ca0ad-db7e-4ef5-b7ea-d73dd4a42bf0")
    assert answers["group"] == [{"category": "1", "item": "1"}]

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("form.csv", export_path(main).read_bytes())
        z.writestr("form-group.csv", export_path(group).read_bytes())
        z.writestr("media/photo.jpg", b"not read")
    version = batch.instrument_version
    again = world.preview(version, ExportFile("central.zip", archive.getvalue()))
    assert (again.row_count, again.duplicate_count) == (1, 1)  # the same submission


def test_briefcase_repeat_rows_without_their_parent_are_listed(world):
    """A repeat file whose rows point at a submission that is not in the main file: those
    rows cannot be imported, and the preview says so rather than dropping them."""
    main = "briefcase_choice-lists-predicate-relative-repeat.csv"
    group = "briefcase_choice-lists-predicate-relative-repeat-group.csv"
    version = world.publish_file(FORMS / "choice-lists-predicate-relative-repeat.md")
    other = export_path(main).read_bytes().replace(b"a21ca0ad", b"b21ca0ad")
    batch = world.preview(version, ExportFile(main, other), group)
    problems = batch_results(batch=batch).problems
    assert batch.file_problem_count == 1
    assert (problems[0].table, problems[0].row, problems[0].column) == (group, 2, "PARENT_KEY")
    assert "uuid:a21ca0ad-db7e-4ef5-b7ea-d73dd4a42bf0" in problems[0].message
    with pytest.raises(ServiceError, match="the file has a problem"):
        world.confirm(batch)
    assert world.confirm(batch, mode="valid_rows").created_count == 1


# --------------------------------------------------------------------------- Kobo JSON


def _kobo_form(world, name: str):
    data = json.loads(export_path(name).read_text(encoding="utf-8"))
    content = xlsform_from_kobo_content(
        data["content"], form_id=name.removesuffix(".json"), version=data["version"]
    )
    return world.publish(content, name.replace(".json", ".xlsx"))


def test_kobo_json_nested_repeats(world):
    name = "formpack_nested_grouped_repeatable_v1.json"
    batch = world.confirm(world.preview(_kobo_form(world, name), name))
    assert (batch.row_count, batch.created_count) == (2, 2)
    answers = _answers(world, "f16d9a3f-0892-413e-81d4-758ab188ea0b")
    trees = answers["group_tree"]
    assert [t["What_kind_of_tree_is_this"] for t in trees] == ["pine", "spruce"]
    nests = trees[0]["group_nest"]
    assert [n["How_high_above_the_ground_is_the_nest"] for n in nests] == [13, 15]
    assert [e["Describe_the_egg"] for e in nests[0]["group_egg"]] == [
        "brown and speckled; medium",
        "brown and speckled; large; cracked",
        "light tan; small",
    ]
    interview = Interview.objects.get(client_uuid="f16d9a3f-0892-413e-81d4-758ab188ea0b")
    assert interview.conducted_at == dt.datetime(
        2017, 12, 27, 15, 53, 26, tzinfo=dt.timezone(dt.timedelta(hours=-5))
    )


def test_kobo_json_or_other(world):
    name = "formpack_or_other_v1.json"
    batch = world.confirm(world.preview(_kobo_form(world, name), name))
    assert batch.created_count == 3
    answers = _answers(world, "40805f86-2638-46f1-ab5a-72f4632474b5")
    assert answers["fav_emperors"] == "caligula other"
    assert answers["fav_emperors_other"] == "Commodus"
    assert answers["fav_emperor_other"] == "Nero"


def test_kobo_json_without_submissions(world):
    """formpack's fixture holds the form and no submission: the importer says so."""
    name = "formpack_long_unicode_labels_v1.json"
    version = _kobo_form(world, name)
    with pytest.raises(ServiceError) as refused:
        world.preview(version, name)
    assert "holds no submission" in refused.value.messages[0]


# --------------------------------------------------------------------------- Ona / Kobo


def test_ona_long_texts_and_joined_selects(world):
    """Ona's CSV import fixture: select_multiple answers joined in one column, texts of several
    thousand characters, no instance ID, and a date written 9/10/2015. That date can be the
    9th of October or the 10th of September: the preview says where it is, nothing is
    imported until it is written as a date; then the row imports."""
    name = "onadata_csv_import_with_multiple_select.csv"
    version = world.publish_file(FORMS / "form_with_multiple_select.md")
    batch = world.preview(version, name)
    [row] = batch_results(batch=batch).rows
    assert row.row == 2
    assert row.errors == (
        (
            "section_A/date_of_survey",
            "“Date of survey” must be a date written YYYY-MM-DD; got “9/10/2015”.",
        ),
    )
    with pytest.raises(ServiceError, match="1 row has an error"):
        world.confirm(batch)
    assert not Interview.objects.filter(study=world.study).exists()

    fixed = export_path(name).read_bytes().replace(b"9/10/2015", b"2015-10-09", 1)
    batch = world.confirm(world.preview(version, ExportFile(name, fixed)))
    assert batch.created_count == 1
    [row] = batch_results(batch=batch).rows
    assert row.derived_id  # the export's meta/instanceID is empty
    answers = _answers(world, row.instance_id[5:])
    assert answers["section_A"]["date_of_survey"] == "2015-10-09"
    assert answers["section_D"]["water_source"] == "taps borehole wells"
    assert answers["section_D"]["sanitation"] == "flash pit_latrine blair bucket bush"
    assert len(answers["section_B"]["land_and_tenure"]) == 4152
    # the derived ID is the same for the same row: importing it again adds nothing
    again = world.preview(version, ExportFile(name, fixed))
    assert again.duplicate_count == 1


def test_ona_xlsx_media_urls(world):
    name = "onadata_double_image_field_form_data.xlsx"
    batch, _results = _imported(world, name, form=FORMS / "double_image_field_form.md")
    assert batch.created_count == 3
    answers = _answers(world, "0b5d054a-1541-4ac7-8f51-870edc929c43")
    # the answer is the file's name, as the phone sent it, not the server's URL to its copy
    assert answers["image1"] == "1675420011121.jpg"
    assert answers["image2"] == "1675420021845.jpg"
    assert answers["start"] == "2023-02-03T13:26:37.040+03:00"
    interview = Interview.objects.get(client_uuid="0b5d054a-1541-4ac7-8f51-870edc929c43")
    assert interview.conducted_at == dt.datetime(2023, 2, 3, 10, 26, 37, 40000, tzinfo=dt.UTC)


def test_ona_good_csv(world):
    batch, results = _imported(world, "onadata_good.csv", form=FORMS / "tutorial.md")
    assert (batch.row_count, batch.created_count) == (9, 9)
    answers = _answers(world, "e92dad0d-ee3f-41eb-82d0-4cc0e7f12cb9")
    assert answers["favorite_toppings"] == (
        "cheese pepperoni sausauge green_peppers mushrooms anchovies"
    )
    assert answers["date"] == "2014-09-30"
    assert answers["location"] == "-84.5351 29.0149 100000 1"
    assert answers["age"] == 20
    assert "favorite_toppings" not in _answers(world, "685dd371-4831-4fdc-a205-f285337dd98d")
    # who submitted, as the export names them (not a Fieldwork user)
    assert {r.submitted_by for r in results.rows} == {"bob", "tori"}
    assert set(Interview.objects.values_list("researcher__username", flat=True)) == {"awa"}


def test_ona_good_xlsx(world):
    """The same data as a worksheet: dates are cells, the instance IDs are written
    "uuid:uuid:…", and the IDs are those of the CSV."""
    batch, _results = _imported(world, "onadata_good.xlsx", form=FORMS / "tutorial.md")
    assert batch.created_count == 9
    answers = _answers(world, "e92dad0d-ee3f-41eb-82d0-4cc0e7f12cb9")
    assert answers["date"] == "2014-09-30"
    assert answers["today"] == "2014-09-04"
    assert answers["meta"]["instanceID"] == "uuid:e92dad0d-ee3f-41eb-82d0-4cc0e7f12cb9"


def test_ona_large_csv(world):
    """800 rows; in 699 of them the start and end times have an impossible time zone
    ("+03:778"). Every row or nothing refuses; the valid rows import the other 101."""
    version = world.publish_file(FORMS / "tutorial.md")
    batch = world.preview(version, "onadata_large_csv_upload.csv")
    assert (batch.row_count, batch.error_count, batch.new_count) == (800, 699, 101)
    results = batch_results(batch=batch)
    first = results.rows[0]
    assert first.row == 2
    assert [column for column, _message in first.errors] == ["start_time", "end_time"]
    assert "2014-09-04T12:19:31.000+03:778" in first.errors[0][1]
    with pytest.raises(ServiceError, match="699 rows have errors"):
        world.confirm(batch)
    assert not Interview.objects.exists()
    batch = world.confirm(batch, mode="valid_rows")
    assert (batch.created_count, batch.skipped_count) == (101, 699)
    assert Interview.objects.filter(study=world.study).count() == 101


def test_ona_transportation_csv(world):
    transportation = XLSFORMS / "onadata" / "transportation.xlsx"
    batch, _results = _imported(world, "onadata_transportation.csv", form=transportation)
    assert batch.created_count == 4
    # select_multiple split into True/False columns, a loop of groups per choice
    answers = _answers(world, "f3d8dc65-91a6-4d0f-9e97-802128083390")
    transport = answers["transport"]
    assert transport["available_transportation_types_to_referral_facility"] == "ambulance bicycle"
    frequency = transport["loop_over_transport_types_frequency"]
    assert frequency["ambulance"] == {"frequency_to_referral_facility": "daily"}
    assert frequency["bicycle"] == {"frequency_to_referral_facility": "weekly"}
    other = _answers(world, "9f0a1508-c3b7-4c99-be00-9b237c26bcbf")["transport"]
    assert other["available_transportation_types_to_referral_facility"] == "taxi other"
    assert other["available_transportation_types_to_referral_facility_other"] == "camel"
    assert _answers(world, "5b2cc313-fc09-437e-8149-fcd32f695d41").get("transport") is None


def test_ona_transportation_xlsx(world):
    """The XLSX export has the joined column beside the split ones (it wins: the split ones
    are derived, and here incomplete), and one real submission answered "none", which the
    form does not offer."""
    version = world.publish_file(XLSFORMS / "onadata" / "transportation.xlsx")
    batch = world.preview(version, "onadata_transportation_export.xlsx")
    results = batch_results(batch=batch)
    assert [r.status for r in results.rows] == ["error", "new", "new", "new"]
    [(column, message)] = results.rows[0].errors
    assert column == "transport/available_transportation_types_to_referral_facility"
    assert "“none”, which is not a choice of the list “transport_types”" in message
    batch = world.confirm(batch, mode="valid_rows")
    assert (batch.created_count, batch.skipped_count) == (3, 1)
    answers = _answers(world, "f3d8dc65-91a6-4d0f-9e97-802128083390")["transport"]
    assert answers["available_transportation_types_to_referral_facility"] == "ambulance bicycle"


def _transportation_world(world):
    return world.publish_file(XLSFORMS / "onadata" / "transportation.xlsx")


def test_ona_transportation_labels_only(world):
    """Headers are labels ("Is ambulance available daily or weekly?", "Specify other.") and
    choice labels ("…/boat/canoe"): each names one question, so the file imports."""
    version = _transportation_world(world)
    batch = world.confirm(world.preview(version, "onadata_transportation_labels_only.csv"))
    results = batch_results(batch=batch)
    assert batch.created_count == 1
    assert results.unmatched_columns == ()
    assert results.rows[0].submitted_at == "2013-02-18T15:54:01+00:00"


def test_ona_transportation_no_group_names(world):
    """Without group names the loop's nine columns are all "frequency_to_referral_facility",
    for ten questions: which is which cannot be told. They are empty in this export, so the
    row imports; the preview lists the column."""
    version = _transportation_world(world)
    batch = world.preview(version, "onadata_transportation_no_group_names.csv")
    assert batch_results(batch=batch).unmatched_columns == ("frequency_to_referral_facility",)
    batch = world.confirm(batch)
    assert batch.created_count == 1


def test_ona_transportation_viewer(world):
    version = _transportation_world(world)
    batch = world.confirm(world.preview(version, "onadata_transportation_viewer.csv"))
    results = batch_results(batch=batch)
    assert batch.created_count == 1
    assert results.rows[0].submitted_by == "bob"
    assert "_media_all_received" in results.ignored_columns


@pytest.mark.parametrize(
    "name",
    ["onadata_tutorial_w_repeats.csv", "onadata_tutorial_w_repeats_truncate_titles.csv"],
)
def test_ona_flattened_repeats(world, name):
    """`children[1]/childs_name`, or just `childs_name` twice: the repeat's instances."""
    batch, _results = _imported(world, name, form=XLSFORMS / "onadata" / "tutorial_w_repeats.xlsx")
    assert batch.created_count == 1
    answers = _answers(world, "b31c6ac2-b8ca-4180-914f-c844fa10ed3b")
    assert answers["children"] == [
        {"childs_name": "Tom", "childs_age": 12},
        {"childs_name": "Dick", "childs_age": 5},
    ]
    assert answers["gps"] == "-1.2625621 36.7921711 0.0 20.0"
    assert answers["has_children"] == "1"
    assert "web_browsers" not in answers  # every choice's column is n/a
