"""ODK Validate (JavaRosa, the engine inside ODK Collect) accepts every XForm the app serves.

The upload service refuses what JavaRosa refuses (test_services.py); here every form the app
imports is stored, fetched as phones and users fetch it, and checked again, in one Java run."""

import pytest
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
