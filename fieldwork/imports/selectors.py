"""Reads about imports, filtered to what the user may see: supervisors and study admins see
every import of the study, a field researcher the imports she uploaded (their rows are her
interviews), nobody else any."""

import uuid

from django.db.models import QuerySet

from fieldwork.accounts.models import Role
from fieldwork.accounts.permissions import (
    Perm,
    can_see_answer_identifiers,
    has_perm,
    study_role,
)
from fieldwork.imports.models import ImportBatch
from fieldwork.instruments.models import InstrumentVersion
from fieldwork.instruments.selectors import HEAVY_FIELDS
from fieldwork.interviews.selectors import interview_visible_to

#: The sealed bytes a list never needs.
_SEALED = (
    "file_ciphertext",
    "file_wrapped_key",
    "results_ciphertext",
    "results_wrapped_key",
)


def import_batch_list(*, study, user) -> QuerySet[ImportBatch]:
    """The study's imports the user may see, newest first, without their sealed bytes."""
    batches = (
        ImportBatch.objects.filter(study=study)
        .defer(*_SEALED)
        .select_related("uploaded_by", "instrument_version__instrument")
        .defer(*(f"instrument_version__{f}" for f in HEAVY_FIELDS))
        .order_by("-created_at", "-id")
    )
    if not has_perm(user, study, Perm.INTERVIEW_RECORD):
        return batches.none()
    if study_role(user=user, study=study) == Role.FIELD_RESEARCHER:
        return batches.filter(uploaded_by=user)
    return batches


def import_batch_get(*, study, user, public_id) -> ImportBatch | None:
    """One import the user may see, with its sealed file and results, or None."""
    visible = import_batch_list(study=study, user=user).values_list("pk", flat=True)
    return (
        ImportBatch.objects.select_related("study", "uploaded_by", "instrument_version__instrument")
        .defer(*(f"instrument_version__{f}" for f in HEAVY_FIELDS))
        .filter(pk__in=visible, public_id=public_id)
        .first()
    )


def import_versions(*, study) -> QuerySet[InstrumentVersion]:
    """The questionnaire versions interviews can be imported into: published or retired."""
    return (
        InstrumentVersion.objects.filter(
            instrument__study=study,
            status__in=[InstrumentVersion.Status.PUBLISHED, InstrumentVersion.Status.RETIRED],
        )
        .defer(*HEAVY_FIELDS)
        .select_related("instrument")
        .order_by("instrument__title", "instrument__form_id", "-created_at")
    )


def import_row_interviews(*, study, user, uuids) -> dict[str, bool]:
    """Of the interviews a batch's rows point to (by client UUID, as text), those the user
    may open, each with whether the user may also read all of its answers (direct
    identifiers included): only then are a conflicting row's answers shown beside them."""
    wanted = set()
    for value in uuids:
        try:
            wanted.add(uuid.UUID(str(value)))
        except ValueError:
            continue
    if not wanted:
        return {}
    interviews = (
        interview_visible_to(study=study, user=user)
        .filter(client_uuid__in=wanted)
        .select_related("study")
        .only("client_uuid", "researcher_id", "study")
    )
    return {str(i.client_uuid): can_see_answer_identifiers(user, i) for i in interviews}
