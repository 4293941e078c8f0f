"""Reads for phones: the study's published forms, their media, the devices a user may see,
and what phones sent that waits to be recorded or could not be."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Min, QuerySet

from fieldwork.accounts.permissions import Perm, has_perm
from fieldwork.instruments.models import FormMedia, InstrumentVersion
from fieldwork.openrosa.models import Device, ReceivedSubmission


def published_forms(*, study) -> QuerySet[InstrumentVersion]:
    """The version phones get of each questionnaire (one published per form_id), with its
    XForm (phones need to know which forms declare media) and how many media files it has."""
    return (
        InstrumentVersion.objects.defer("original_file")
        .select_related("instrument")
        .filter(instrument__study=study, status=InstrumentVersion.Status.PUBLISHED)
        .annotate(media_count=Count("media"))
        .order_by("instrument__title", "instrument__form_id")
    )


def published_form_get(*, study, form_id: str, with_xml: bool = False) -> InstrumentVersion | None:
    versions = InstrumentVersion.objects.select_related("instrument").filter(
        instrument__study=study,
        instrument__form_id=form_id,
        status=InstrumentVersion.Status.PUBLISHED,
    )
    versions = (
        versions.defer("original_file")
        if with_xml
        else versions.defer("original_file", "xform_xml")
    )
    return versions.first()


def form_media_get(*, version: InstrumentVersion, filename: str) -> FormMedia | None:
    return FormMedia.objects.filter(version=version, filename=filename).first()


def device_list(*, study, user) -> QuerySet[Device]:
    """Supervisors and study admins see every device of the study; a field researcher only
    her own."""
    devices = Device.objects.filter(study=study).select_related("researcher", "created_by")
    if has_perm(user, study, Perm.DEVICE_MANAGE):
        return devices
    return devices.filter(researcher=user)


def received_list(*, study, user) -> QuerySet[ReceivedSubmission]:
    """Submissions phones sent that are not interviews yet: waiting for a worker, or refused
    by it (with why). Reviewers see the study's; a field researcher those she sent."""
    rows = (
        ReceivedSubmission.objects.filter(study=study)
        .select_related("device", "submitted_by", "instrument_version__instrument")
        .defer("payload_ciphertext", "payload_wrapped_key")
        .order_by("-state", "-received_at")  # refused first: they need someone
    )
    if has_perm(user, study, Perm.INTERVIEW_REVIEW):
        return rows
    return rows.filter(submitted_by=user)


def received_counts(*, study, user) -> dict[str, int]:
    """How many of `received_list` wait and how many were refused, per state value."""
    counts = dict.fromkeys(ReceivedSubmission.State.values, 0)
    rows = received_list(study=study, user=user).order_by()
    for state, count in rows.values_list("state").annotate(count=Count("pk")):
        counts[state] = count
    return counts


@dataclass(frozen=True)
class ReceivedBacklog:
    waiting: int
    oldest: dt.datetime | None  # when the oldest waiting one arrived
    refused: int


def received_backlog() -> ReceivedBacklog:
    """Every study's submissions not recorded yet, for operators (`check_services`)."""
    rows = ReceivedSubmission.objects.order_by().values("state")
    found = {
        row["state"]: row for row in rows.annotate(count=Count("pk"), oldest=Min("received_at"))
    }
    waiting = found.get(ReceivedSubmission.State.PENDING, {})
    return ReceivedBacklog(
        waiting=waiting.get("count", 0),
        oldest=waiting.get("oldest"),
        refused=found.get(ReceivedSubmission.State.REFUSED, {}).get("count", 0),
    )
