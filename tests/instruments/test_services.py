"""Uploading, publishing, deleting instrument versions and reviewing disclosure roles."""

from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.utils import timezone

from fieldwork.accounts.models import Role
from fieldwork.audit.models import AuditEvent
from fieldwork.instruments.models import Choice, Instrument, InstrumentVersion, Question
from fieldwork.instruments.selectors import (
    instrument_list,
    questions_to_specs,
    version_diff,
    version_questions,
)
from fieldwork.instruments.services import (
    MAX_UPLOAD_BYTES,
    instrument_upload,
    instrument_version_delete,
    instrument_version_publish,
    question_disclosure_set,
)
from fieldwork.instruments.xlsform import convert_xlsform
from tests.conftest import CHECKPOINT_FORM, XLSFORMS

pytestmark = pytest.mark.django_db

CHECKPOINT = CHECKPOINT_FORM.read_text()


def checkpoint(version: str = "2025010101", *, edit=None) -> bytes:
    """The checkpoint form with another version, and optionally its text edited."""
    text = CHECKPOINT.replace("| checkpoint | 2025010101 |", f"| checkpoint | {version} |")
    if edit:
        text = edit(text)
    return text.encode()


def upload(world, content: bytes, filename: str = "checkpoint.md", **kwargs):
    return instrument_upload(
        study=world.study,
        by=world.member(Role.STUDY_ADMIN),
        content=content,
        filename=filename,
        **kwargs,
    )


def row_counts() -> tuple[int, ...]:
    return tuple(
        m.objects.count() for m in (Instrument, InstrumentVersion, Question, Choice, AuditEvent)
    )


def messages_of(exc: ValidationError) -> list[str]:
    return exc.message_dict["file"]


# --- Upload -------------------------------------------------------------------------------------


def test_upload_stores_the_file_the_xform_and_what_was_extracted(study_world):
    study_world.instrument_version.delete()
    Instrument.objects.all().delete()
    content = CHECKPOINT_FORM.read_bytes()

    version = upload(study_world, content)

    assert version.status == InstrumentVersion.Status.DRAFT
    assert version.instrument.form_id == "checkpoint"
    assert version.instrument.study == study_world.study
    assert (version.version, version.title) == ("2025010101", "Poste de contrôle")
    assert bytes(version.original_file) == content
    assert version.original_filename == "checkpoint.md"
    assert version.xform_xml.startswith("<?xml")
    assert len(version.xform_md5) == 32
    assert version.languages == ["Français (fr)", "English (en)"]
    assert version.form_settings["version"] == "2025010101"
    assert version.warnings  # the image question's max-pixels advice, located
    assert version.questions.count() == 22
    assert version.choices.count() == 13
    assert list(version.questions.values_list("path", flat=True))[:3] == [
        "start",
        "end",
        "respondent_name",
    ]
    event = AuditEvent.objects.filter(action="instrument.uploaded").latest("pk")
    assert event.target_id == "checkpoint@2025010101"
    assert event.data["questions"] == 22


def test_stored_questions_read_back_as_the_specs_the_conversion_made(study_world):
    version = study_world.instrument_version
    converted = convert_xlsform(content=CHECKPOINT_FORM.read_bytes(), filename="checkpoint.md")

    assert questions_to_specs(version_questions(version=version)) == converted.questions


def test_a_new_upload_of_the_same_form_id_is_a_new_version(study_world):
    second = upload(study_world, checkpoint("2025020101"), validate=False)

    assert second.instrument == study_world.instrument_version.instrument
    assert Instrument.objects.filter(study=study_world.study).count() == 1
    assert second.instrument.versions.count() == 2


def test_the_same_version_again_is_refused_and_nothing_is_stored(study_world):
    before = row_counts()

    with pytest.raises(ValidationError) as caught:
        upload(study_world, checkpoint("2025010101", edit=lambda t: t.replace("Âge", "Age")))

    [message] = messages_of(caught.value)
    assert "2025010101" in message
    assert "Change “version” in the settings sheet" in message
    assert "`" not in message
    today = timezone.localdate().strftime("%Y%m%d")
    assert f"like {today}01)" in message
    assert row_counts() == before


def test_the_suggested_version_is_one_the_instrument_does_not_have(study_world):
    today = timezone.localdate().strftime("%Y%m%d")
    upload(study_world, checkpoint(f"{today}01"), validate=False)

    with pytest.raises(ValidationError) as caught:
        upload(study_world, checkpoint(f"{today}01"), validate=False)

    assert f"like {today}02)" in messages_of(caught.value)[0]


def test_the_same_file_without_version_twice_is_refused_as_already_uploaded(study_world):
    content = (XLSFORMS / "onadata/tutorial.xlsx").read_bytes()
    upload(study_world, content, "tutorial.xlsx", validate=False)

    with pytest.raises(ValidationError) as caught:
        upload(study_world, content, "tutorial.xlsx", validate=False)

    assert "exact file was already uploaded" in messages_of(caught.value)[0]


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("messy/pyxform/group_name_test.xls", "Sheet “survey”, row 3, column “name”: "),
        ("messy/onadata/xlsx_output.xlsx", "Sheet “survey”, row 8, column “type”: "),
        ("messy/onadata/transportation.no_choices.xlsx", "no choices sheet"),
    ],
)
def test_a_form_pyxform_refuses_stores_nothing_and_says_where(study_world, name, says):
    path = XLSFORMS / name
    before = row_counts()

    with pytest.raises(ValidationError) as caught:
        upload(study_world, path.read_bytes(), path.name)

    assert caught.value.code == "invalid_xlsform"
    assert says in messages_of(caught.value)[0]
    assert caught.value.problems  # kept for pages that list sheet, row and column apart
    assert row_counts() == before


@pytest.mark.parametrize(
    ("name", "place", "javarosa_says"),
    [
        (
            "messy/pyxform/bad_calc.xlsx",
            "Sheet “survey”, row 2, column “calculation”: ",
            "Invalid calculate for the bind attached to",
        ),
        (
            "messy/pyxform/xl_date_ambiguous.xlsx",
            "Sheet “survey”, row 5, column “choice_filter”: ",
            "Unsupported nodeset expression",
        ),
    ],
)
def test_a_form_odk_collect_would_refuse_never_reaches_a_phone(
    study_world, name, place, javarosa_says
):
    path = XLSFORMS / name
    before = row_counts()

    with pytest.raises(ValidationError) as caught:
        upload(study_world, path.read_bytes(), path.name)

    assert caught.value.code == "odk_invalid"
    [message] = messages_of(caught.value)
    assert message.startswith(f"{place}ODK Collect would refuse this form: ")
    assert javarosa_says in message
    assert "org.javarosa" not in message
    assert row_counts() == before


def test_a_valid_form_passes_odk_validate_on_upload(study_world):
    version = upload(study_world, checkpoint("2025030101"))

    assert version.status == InstrumentVersion.Status.DRAFT


def test_upload_refuses_when_java_is_missing(study_world):
    before = row_counts()

    with (
        mock.patch("shutil.which", return_value=None),
        pytest.raises(ValidationError) as caught,
    ):
        upload(study_world, checkpoint("2025030101"))

    assert "Java" in messages_of(caught.value)[0]
    assert row_counts() == before


def test_a_file_too_large_is_refused_before_conversion(study_world):
    before = row_counts()

    with pytest.raises(ValidationError) as caught:
        upload(study_world, b"x" * (MAX_UPLOAD_BYTES + 1), "huge.xlsx")

    assert caught.value.code == "too_large"
    # the service sees one byte past the limit, not the file's size: it names the limit only
    assert messages_of(caught.value) == [
        "The file is larger than 10 MB, the most Fieldwork accepts for an XLSForm."
    ]
    assert row_counts() == before


def test_forms_of_different_studies_do_not_mix(study_world):
    other = instrument_upload(
        study=study_world.other_study,
        by=study_world.outsider,
        content=CHECKPOINT_FORM.read_bytes(),
        filename="checkpoint.md",
        validate=False,
    )

    assert other.instrument != study_world.instrument_version.instrument
    assert other.version == study_world.instrument_version.version


def test_choice_names_may_repeat_when_the_form_allows_it(study_world):
    text = (
        "| survey |\n| | type | name | label |\n| | select_one l | q | Q |\n"
        "| choices |\n| | list_name | name | label |\n| | l | a | A |\n| | l | a | A again |\n"
        "| settings |\n| | form_id | version | allow_choice_duplicates |\n| | dup | 1 | yes |\n"
    )

    version = upload(study_world, text.encode(), "dup.md")

    assert list(version.choices.values_list("name", flat=True)) == ["a", "a"]


# --- Publish ------------------------------------------------------------------------------------


def test_publish_makes_a_draft_the_version_phones_get(study_world):
    version = instrument_version_publish(
        version=study_world.instrument_version, by=study_world.member(Role.STUDY_ADMIN)
    )

    assert version.status == InstrumentVersion.Status.PUBLISHED
    assert version.published_at is not None
    assert AuditEvent.objects.filter(action="instrument.published").count() == 1


def test_publishing_a_new_version_retires_the_old_one(study_world):
    admin = study_world.member(Role.STUDY_ADMIN)
    first = instrument_version_publish(version=study_world.instrument_version, by=admin)
    second = upload(study_world, checkpoint("2025020101"), validate=False)

    instrument_version_publish(version=second, by=admin)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == InstrumentVersion.Status.RETIRED
    assert second.status == InstrumentVersion.Status.PUBLISHED
    event = AuditEvent.objects.filter(action="instrument.published").latest("pk")
    assert event.data["retired"] == ["2025010101"]


def test_publishing_twice_is_harmless(study_world):
    admin = study_world.member(Role.STUDY_ADMIN)
    instrument_version_publish(version=study_world.instrument_version, by=admin)
    instrument_version_publish(version=study_world.instrument_version, by=admin)

    assert AuditEvent.objects.filter(action="instrument.published").count() == 1


def test_a_retired_version_cannot_be_published_again(study_world):
    admin = study_world.member(Role.STUDY_ADMIN)
    instrument_version_publish(version=study_world.instrument_version, by=admin)
    instrument_version_publish(
        version=upload(study_world, checkpoint("2025020101"), validate=False), by=admin
    )

    with pytest.raises(ValidationError) as caught:
        instrument_version_publish(version=study_world.instrument_version, by=admin)

    assert caught.value.code == "retired"


# --- Delete -------------------------------------------------------------------------------------


def test_deleting_the_only_draft_removes_its_questions_and_the_instrument(study_world):
    version = study_world.instrument_version

    instrument_version_delete(version=version, by=study_world.member(Role.STUDY_ADMIN))

    assert not InstrumentVersion.objects.exists()
    assert not Instrument.objects.exists()
    assert not Question.objects.exists()
    assert not Choice.objects.exists()
    event = AuditEvent.objects.get(action="instrument.version_deleted")
    assert event.target_id == "checkpoint@2025010101"


def test_deleting_a_second_draft_keeps_the_instrument(study_world):
    second = upload(study_world, checkpoint("2025020101"), validate=False)

    instrument_version_delete(version=second, by=study_world.member(Role.STUDY_ADMIN))

    assert list(InstrumentVersion.objects.all()) == [study_world.instrument_version]


@pytest.mark.parametrize("retire", [False, True])
def test_a_published_or_retired_version_is_in_use_and_cannot_be_deleted(study_world, retire):
    admin = study_world.member(Role.STUDY_ADMIN)
    version = instrument_version_publish(version=study_world.instrument_version, by=admin)
    if retire:
        instrument_version_publish(
            version=upload(study_world, checkpoint("2025020101"), validate=False), by=admin
        )
    before = row_counts()

    with pytest.raises(ValidationError) as caught:
        instrument_version_delete(version=version, by=admin)

    assert caught.value.code == "in_use"
    assert "in use" in caught.value.messages[0]
    assert row_counts() == before


def test_a_draft_something_protects_is_in_use(study_world):
    """Interviews will point at their version with on_delete=PROTECT; Django then refuses
    the delete with ProtectedError, which the service reports as "in use"."""
    version = study_world.instrument_version
    refusal = ProtectedError("Interviews point at this version.", set())

    with (
        mock.patch.object(InstrumentVersion, "delete", side_effect=refusal),
        pytest.raises(ValidationError) as caught,
    ):
        instrument_version_delete(version=version, by=study_world.member(Role.STUDY_ADMIN))

    assert caught.value.code == "in_use"
    assert not AuditEvent.objects.filter(action="instrument.version_deleted").exists()


# --- Disclosure review ----------------------------------------------------------------------------


def test_disclosure_review_confirms_and_changes_roles(study_world):
    version = study_world.instrument_version

    count = question_disclosure_set(
        version=version,
        by=study_world.member(Role.STUDY_ADMIN),
        roles={"checkpoint/amount_paid": "sensitive", "respondent_name": "direct_identifier"},
    )

    assert count == 2
    amount = version.questions.get(path="checkpoint/amount_paid")
    name = version.questions.get(path="respondent_name")
    assert (amount.disclosure, amount.disclosure_suggested) == ("sensitive", False)
    assert (name.disclosure, name.disclosure_suggested) == ("direct_identifier", False)
    assert version.questions.get(path="age").disclosure_suggested  # not named: still a guess
    event = AuditEvent.objects.get(action="instrument.disclosure_reviewed")
    assert event.data["changed"] == {"checkpoint/amount_paid": ["none", "sensitive"]}


@pytest.mark.parametrize(
    ("roles", "says"),
    [
        ({"nowhere": "none"}, "no question “nowhere”"),
        ({"age": "secret"}, "“secret” is not a disclosure role"),
        ({"checkpoint": "sensitive"}, "holds no answer"),
        ({"meta/instanceID": "direct_identifier"}, "“meta/instanceID” is metadata"),
    ],
)
def test_disclosure_review_refuses_what_it_cannot_apply(study_world, roles, says):
    with pytest.raises(ValidationError) as caught:
        question_disclosure_set(
            version=study_world.instrument_version,
            by=study_world.member(Role.STUDY_ADMIN),
            roles=roles,
        )

    assert says in caught.value.message_dict["roles"][0]
    assert not AuditEvent.objects.filter(action="instrument.disclosure_reviewed").exists()


# --- Selectors ----------------------------------------------------------------------------------


def test_diff_against_the_published_version(study_world):
    admin = study_world.member(Role.STUDY_ADMIN)
    instrument_version_publish(version=study_world.instrument_version, by=admin)

    def edit(text: str) -> str:
        text = text.replace("| | image | photo | Photo du poste | Photo of the checkpoint |", "|")
        text = text.replace("| . >= 15 and . < 120 |", "| . >= 18 and . < 120 |")
        return text.replace(
            "| | note | thanks |", "| | text | remarks | Remarques | Remarks |\n| | note | thanks |"
        )

    draft = upload(study_world, checkpoint("2025020101", edit=edit), validate=False)

    comparison = version_diff(version=draft)

    assert comparison.base == study_world.instrument_version
    assert [q.path for q in comparison.diff.added] == ["remarks"]
    assert [q.path for q in comparison.diff.removed] == ["photo"]
    [change] = comparison.diff.changed
    assert change.path == "age"
    assert [(f.field, f.old, f.new) for f in change.changes] == [
        ("constraint", ". >= 15 and . < 120", ". >= 18 and . < 120")
    ]


def test_diff_shows_choices_added_and_relabelled_with_the_questions_offering_them(study_world):
    # what an audit did: a new item, a new armed group, JNIM relabelled
    def edit(text: str) -> str:
        phone = "| | items | phone | Téléphone | Phone | |"
        text = text.replace(phone, f"{phone}\n| | items | vehicle | Véhicule | Vehicle | |")
        text = text.replace(
            "| | armed_group | none |",
            "| | armed_group | fama | FAMa | Malian army (FAMa) | |\n| | armed_group | none |",
        )
        return text.replace("| jnim | JNIM | JNIM |", "| jnim | JNIM | JNIM (GSIM) |")

    draft = upload(study_world, checkpoint("2025020101", edit=edit), validate=False)

    diff = version_diff(version=draft).diff

    assert not diff.is_empty
    assert (diff.added, diff.removed, diff.changed) == ([], [], [])
    armed, items = diff.choice_lists
    assert armed.list_name == "armed_group"
    assert armed.questions == ("checkpoint/armed_group",)
    assert [c.name for c in armed.added] == ["fama"]
    [jnim] = armed.changed
    assert [(f.field, f.old, f.new) for f in jnim.changes] == [
        ("label", "English (en): JNIM", "English (en): JNIM (GSIM)")
    ]
    assert (items.list_name, items.questions) == ("items", ("checkpoint/items_taken",))
    assert [c.name for c in items.added] == ["vehicle"]


def test_a_confirmed_role_and_metadata_roles_are_not_question_changes(study_world):
    admin = study_world.member(Role.STUDY_ADMIN)
    base = study_world.instrument_version
    age = base.questions.get(path="age")
    question_disclosure_set(version=base, by=admin, roles={"age": age.disclosure})
    # a role stored for metadata before the service refused it
    base.questions.filter(path="meta/instanceID").update(disclosure="direct_identifier")

    draft = upload(study_world, checkpoint("2025020101"), validate=False)

    assert version_diff(version=draft).diff.is_empty


def test_the_first_version_has_nothing_to_compare_with(study_world):
    assert version_diff(version=study_world.instrument_version) is None


def test_a_draft_is_compared_with_the_previous_version_while_none_is_published(study_world):
    second = upload(study_world, checkpoint("2025020101"), validate=False)

    comparison = version_diff(version=second)

    assert comparison.base == study_world.instrument_version
    assert comparison.diff.is_empty


def test_instrument_list_costs_two_queries_however_many_versions(
    study_world, django_assert_max_num_queries
):
    for number in range(3):
        upload(study_world, checkpoint(f"20250{number + 2}0101"), validate=False)

    with django_assert_max_num_queries(2):
        instruments = list(instrument_list(study=study_world.study))
        versions = [v for i in instruments for v in i.versions.all()]

    assert len(versions) == 4
    assert versions[0].question_count == 22
