"""Reads for web entry: the questionnaires a study's researchers can fill in the browser."""

from django.db.models import Exists, OuterRef, QuerySet

from fieldwork.instruments.models import InstrumentVersion, Question
from fieldwork.instruments.selectors import HEAVY_FIELDS, SOURCE_QUESTION


def _published(*, study) -> QuerySet[InstrumentVersion]:
    source_question = Question.objects.filter(
        version=OuterRef("pk"), name=SOURCE_QUESTION, repeat_path=""
    )
    return (
        InstrumentVersion.objects.filter(
            instrument__study=study, status=InstrumentVersion.Status.PUBLISHED
        )
        .select_related("instrument")
        .annotate(asks_source=Exists(source_question))
    )


def fillable_versions(*, study) -> QuerySet[InstrumentVersion]:
    """The study's published questionnaires (one version per instrument: publishing retires
    the one before), by title, without their files. Each carries `asks_source`: whether it
    names the source by a `source_code` question."""
    return _published(study=study).defer(*HEAVY_FIELDS).order_by("title", "instrument__form_id")


def fillable_version_get(*, study, xform_id: str) -> InstrumentVersion | None:
    """The published version of the study's questionnaire with this form ID, with its
    XForm, or None (unknown, another study's, or never published)."""
    return (
        _published(study=study).defer("original_file").filter(instrument__form_id=xform_id).first()
    )


def is_encrypted(version: InstrumentVersion) -> bool:
    """An XLSForm with a public key is encrypted on the phone; ODK Web Forms cannot encrypt,
    so the browser would send in clear what the study chose to seal."""
    return bool((version.form_settings or {}).get("public_key"))
