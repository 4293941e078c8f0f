"""ODK Validate (JavaRosa, the engine inside ODK Collect) accepts every XForm the app serves.

The upload service refuses what JavaRosa refuses (test_services.py); here every form the app
imports is stored, fetched as phones and users fetch it, and checked again, in one Java run."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from lxml import etree

from fieldwork.accounts.models import Role
from fieldwork.instruments.models import Instrument, InstrumentVersion
from fieldwork.instruments.services import instrument_upload, instrument_version_publish
from fieldwork.instruments.xlsform import convert_xlsform, validate_many_with_odk
from fieldwork.openrosa.services import device_create
from tests.conftest import XLSFORMS
from tests.instruments.test_xlsform import EXPECTED, GPL_FILES, SHARED, Imports

#: Forms pyxform converts but JavaRosa refuses: the upload service turns them away.
ODK_REFUSES = {"messy/pyxform/bad_calc.xlsx", "messy/pyxform/xl_date_ambiguous.xlsx"}
SERVED = sorted(
    name
    for name, fate in EXPECTED.items()
    if isinstance(fate, Imports) and name not in ODK_REFUSES | {"fieldwork/checkpoint.md"}
)


def served_paths():
    for name in SERVED:
        path = SHARED / "xlsforms" / name if name in GPL_FILES else XLSFORMS / name
        if path.exists():  # GPL forms live in ../shared/data only
            yield path


@pytest.mark.django_db
def test_every_version_the_app_serves_passes_odk_validate(client, study_world):
    admin = study_world.member(Role.STUDY_ADMIN)
    paths = list(served_paths())
    for path in paths:
        instrument_upload(
            study=study_world.study,
            by=admin,
            content=path.read_bytes(),
            filename=path.name,
            validate=False,
        )

    client.force_login(study_world.member(Role.FIELD_RESEARCHER))
    served = {}
    for version in InstrumentVersion.objects.filter(instrument__study=study_world.study):
        study_world.extra["version_id"] = version.pk
        response = client.get(study_world.url("instruments:version-xform"))
        served[version.original_filename] = response.content.decode()
        instrument_version_publish(version=version, by=admin)

    # and as phones get them: the form list's download URLs, with a device token
    _device, token = device_create(
        study=study_world.study, by=admin, researcher=admin, label="validator"
    )
    headers = {"X-OpenRosa-Version": "1.0"}
    listed = etree.fromstring(
        client.get(
            f"/openrosa/key/{token}/{study_world.study.slug}/formList", headers=headers
        ).content
    )
    downloads = [node.text for node in listed.iter("{*}downloadUrl")]
    for url in downloads:
        served[url] = client.get(url, headers=headers).content.decode()

    # one published version per form ID (the world's checkpoint form among them)
    assert len(downloads) == Instrument.objects.filter(study=study_world.study).count()
    assert len(downloads) > 30
    assert {name: p for name, p in validate_many_with_odk(served).items() if p} == {}


def test_odk_validate_names_the_form_it_refuses_in_a_batch():
    forms = {}
    for name in ("onadata/tutorial.xlsx", "messy/pyxform/bad_calc.xlsx", "pyxform/widgets.xls"):
        path = XLSFORMS / name
        forms[name] = convert_xlsform(content=path.read_bytes(), filename=path.name).xform_xml

    problems = validate_many_with_odk(forms)

    assert problems["onadata/tutorial.xlsx"] == []
    assert problems["pyxform/widgets.xls"] == []
    [refusal] = problems["messy/pyxform/bad_calc.xlsx"]
    assert "Invalid calculate" in refusal.message


#: A form with one broken expression on row 4 (in a group, as JavaRosa's paths then differ
#: from the name), in the column the test names.
BROKEN_FORM = """| survey |
| | type | name | label | relevant | constraint | calculation | required |
| | integer | q1 | Q1 | | | | |
| | begin group | g | G | | | | |
| | {row} |
| | end group | | | | | | |
| settings |
| | form_id | version |
| | broken_{column} | 1 |
"""
BROKEN_ROWS = {
    "relevant": "text | q2 | Q2 | ${q1} > > 2 | | |",
    "constraint": "integer | q2 | Q2 | | . > > 2 | |",
    "calculation": "calculate | q2 | | | | ${q1} + + |",
    "required": "text | q2 | Q2 | | | | ${q1} > > 2",
    # JavaRosa names a "Condition" here; the node's bind says which one
    "relevant_function": "text | q2 | Q2 | nosuchfn(${q1}) | | |",
}


def broken_form(column: str) -> bytes:
    return BROKEN_FORM.format(row=BROKEN_ROWS[column], column=column).encode()


def test_odk_refusals_name_the_row_and_column_in_plain_words():
    converted = {
        column: convert_xlsform(content=broken_form(column), filename=f"{column}.md")
        for column in BROKEN_ROWS
    }

    problems = validate_many_with_odk(
        {column: form.xform_xml for column, form in converted.items()},
        rows={column: form.rows for column, form in converted.items()},
    )

    located = {
        column: (problem.sheet, problem.row, problem.column)
        for column, [problem] in problems.items()
    }
    assert located == {
        "relevant": ("survey", 4, "relevant"),
        "constraint": ("survey", 4, "constraint"),
        "calculation": ("survey", 4, "calculation"),
        "required": ("survey", 4, "required"),
        "relevant_function": ("survey", 4, "relevant"),
    }
    messages = {column: problem.message for column, [problem] in problems.items()}
    assert messages["relevant"] == (
        "ODK Collect would refuse this form: Encountered a problem with display condition for "
        "node [${q2}] at line: ${q1} > > 2"
    )
    assert messages["calculation"].endswith('attached to "${q2}": in expression ${q1} + +')
    assert "cannot handle function 'nosuchfn'" in messages["relevant_function"]
    for message in messages.values():
        assert "org.javarosa" not in message
        assert "Bad node" not in message
        assert "@" not in message
        assert "more" not in message.split()  # "... 10 more" of a Java stack


@pytest.mark.django_db
def test_the_upload_page_shows_an_odk_refusal_at_its_sheet_row_and_column(client, study_world):
    client.force_login(study_world.member(Role.STUDY_ADMIN))

    response = client.post(
        study_world.url("instruments:instrument-upload"),
        {"file": SimpleUploadedFile("broken.md", broken_form("relevant"))},
    )

    page = response.content.decode()
    assert "<td>survey</td><td>4</td><td>relevant</td>" in page
    assert "display condition for node [${q2}] at line: ${q1} &gt; &gt; 2" in page
    assert "ASTNode" not in page
