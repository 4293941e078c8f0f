"""Reads for phones: the study's published forms, their media, and the devices a user may
see."""

from django.db.models import Count, QuerySet

from fieldwork.accounts.permissions import Perm, has_perm
from fieldwork.instruments.models import FormMedia, InstrumentVersion
from fieldwork.openrosa.models import Device


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
