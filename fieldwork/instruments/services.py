"""Writes about instruments: upload an XLSForm, publish a version, delete a draft, review
disclosure roles. Each function is one use case; its writes happen in one transaction."""

import hashlib
import logging
from pathlib import PurePosixPath

from django.db import IntegrityError, transaction
from django.db.models import Case, ProtectedError, RestrictedError, When
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldwork.audit.services import audit_event, audit_record
from fieldwork.core.errors import ServiceError
from fieldwork.instruments.models import (
    Choice,
    Disclosure,
    FormMedia,
    Instrument,
    InstrumentVersion,
    Question,
)
from fieldwork.instruments.xlsform import (
    STRUCTURAL_TYPES,
    ConvertedForm,
    OdkValidateUnavailable,
    XLSFormError,
    convert_xlsform,
    problem_text,
    problem_to_dict,
    takes_disclosure_role,
    validate_with_odk,
    xform_media_references,
)

logger = logging.getLogger(__name__)

#: Larger than any questionnaire we know of (a 400-question form with media columns is
#: ~200 kB); the limit keeps a wrong file from filling the database.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class XLSFormRefused(ServiceError):
    """An upload refused for what is in the file; `problems` keeps each one's location."""

    def __init__(self, problems, code: str):
        super().__init__({"file": [problem_text(p) for p in problems]}, code=code)
        self.problems = problems


def instrument_upload(
    *, study, by, content: bytes, filename: str, validate: bool = True
) -> InstrumentVersion:
    """Convert an XLSForm and store it as a new draft version of the study's instrument
    with that form_id (the instrument is created on its first upload).

    Refuses (ServiceError on "file") a file over `MAX_UPLOAD_BYTES`, a form pyxform rejects,
    a form ODK Validate rejects (Collect would refuse it on the phone) and a version string
    the instrument already has. Nothing is stored unless everything passed. Conversion and
    ODK Validate run before the transaction opens, so no lock waits on Java. `validate=False`
    skips ODK Validate; only tests use it, to build their world cheaply."""
    if len(content) > MAX_UPLOAD_BYTES:
        # Callers read at most one byte past the limit, so the length says "too large", never
        # how large: the message names the limit only.
        raise ServiceError(
            {
                "file": [
                    _(
                        "The file is larger than %(max)s MB, the most Fieldwork accepts for an "
                        "XLSForm."
                    )
                    % {"max": MAX_UPLOAD_BYTES // 1024 // 1024}
                ]
            },
            code="too_large",
        )
    try:
        converted = convert_xlsform(content=content, filename=filename)
    except XLSFormError as exc:
        raise XLSFormRefused(exc.problems, code="invalid_xlsform") from exc
    if validate:
        try:
            problems = validate_with_odk(converted.xform_xml, rows=converted.rows)
        except OdkValidateUnavailable as exc:
            logger.error("ODK Validate unavailable: %s", exc)
            raise ServiceError({"file": [str(exc)]}, code="validator_unavailable") from exc
        if problems:
            raise XLSFormRefused(problems, code="odk_invalid")
    _check_lengths(converted)
    return _store_version(study=study, by=by, converted=converted, content=content, name=filename)


def _check_lengths(converted: ConvertedForm) -> None:
    too_long = [q.path for q in converted.questions if len(q.path) > 1024 or len(q.name) > 255]
    too_long += [c.name for c in converted.choices if len(c.name) > 255 or len(c.list_name) > 255]
    if too_long:
        raise ServiceError(
            {
                "file": [
                    _("These names are too long for Fieldwork (255 characters at most): %(names)s.")
                    % {"names": ", ".join(n[:60] for n in too_long[:5])}
                ]
            }
        )


@transaction.atomic
def _store_version(*, study, by, converted: ConvertedForm, content: bytes, name: str):
    instrument = (
        Instrument.objects.select_for_update()
        .filter(study=study, form_id=converted.form_id)
        .first()
    )
    created = instrument is None
    if created:
        try:
            with transaction.atomic():
                instrument = Instrument.objects.create(
                    study=study, form_id=converted.form_id, title=converted.title
                )
        except IntegrityError:
            # Someone uploaded the first version of this form at the same moment.
            raise ServiceError(
                {"file": [_("Another upload of this form is under way; try again.")]}
            ) from None
    elif instrument.versions.filter(version=converted.version).exists():
        taken = set(instrument.versions.values_list("version", flat=True))
        raise ServiceError(
            {"file": [_duplicate_message(converted, taken=taken)]}, code="duplicate_version"
        )

    version = InstrumentVersion.objects.create(
        instrument=instrument,
        version=converted.version,
        title=converted.title,
        original_filename=name[:255],
        original_file=content,
        xform_xml=converted.xform_xml,
        xform_md5=hashlib.md5(converted.xform_xml.encode("utf-8")).hexdigest(),
        languages=converted.languages,
        default_language=converted.default_language,
        warnings=[problem_to_dict(p) for p in converted.warnings],
        form_settings=converted.settings,
        uploaded_by=by,
    )
    Question.objects.bulk_create(
        Question(version=version, position=position, **_question_fields(spec))
        for position, spec in enumerate(converted.questions)
    )
    Choice.objects.bulk_create(
        Choice(
            version=version,
            list_name=spec.list_name,
            position=position,
            name=spec.name,
            labels=spec.labels,
            extra=spec.extra,
        )
        for position, spec in enumerate(converted.choices)
    )
    carried = [] if created else _carry_media(instrument=instrument, version=version)
    audit_record(
        actor=by,
        study=study,
        action="instrument.uploaded",
        target=version,
        data={
            "form_id": instrument.form_id,
            "version": version.version,
            "questions": len(converted.questions),
            "new_instrument": created,
            "media_carried": carried,
        },
    )
    logger.info("instrument version %s uploaded in study %s", version.pk, study.pk)
    return version


def _carry_media(*, instrument: Instrument, version: InstrumentVersion) -> list[str]:
    """Copy to a new version the form media of the version phones have now (the published
    one, else the last uploaded) that its XForm still names, as ODK Central carries a
    form's attachments to its next version: phones keep their images and choice files
    without anyone adding them again. Returns the names copied."""
    wanted = set(xform_media_references(version.xform_xml))
    if not wanted:
        return []
    source = (
        InstrumentVersion.objects.filter(instrument=instrument, media__isnull=False)
        .exclude(pk=version.pk)
        .order_by(
            Case(When(status=InstrumentVersion.Status.PUBLISHED, then=0), default=1),
            "-created_at",
            "-pk",
        )
        .first()
    )
    if source is None:
        return []
    copies = [
        FormMedia(
            version=version,
            filename=media.filename,
            content_type=media.content_type,
            content=media.content,
            size=media.size,
            md5=media.md5,
            uploaded_by=media.uploaded_by,
        )
        for media in FormMedia.objects.filter(version=source, filename__in=wanted)
    ]
    FormMedia.objects.bulk_create(copies)
    return sorted(media.filename for media in copies)


def _duplicate_message(converted: ConvertedForm, *, taken: set[str]) -> str:
    if converted.version_generated:
        return _(
            "This exact file was already uploaded as version “%(version)s” of “%(form_id)s”."
        ) % {"version": converted.version, "form_id": converted.form_id}
    return _(
        "Version “%(version)s” of “%(form_id)s” was already uploaded. Change “version” in the "
        "settings sheet (for example to today's date and a number, like %(example)s) and upload "
        "the file again."
    ) % {
        "version": converted.version,
        "form_id": converted.form_id,
        "example": suggested_version(taken=taken),
    }


def suggested_version(*, taken: set[str]) -> str:
    """Today's date and a two-digit number (2025061501), the XLSForm habit, as the first
    such version the instrument does not have yet."""
    today = timezone.localdate().strftime("%Y%m%d")
    free = (f"{today}{n:02d}" for n in range(1, 1000) if f"{today}{n:02d}" not in taken)
    return next(free, f"{today}01")


def _question_fields(spec) -> dict:
    return {
        "name": spec.name,
        "path": spec.path,
        "type": spec.type,
        "list_name": spec.list_name,
        "repeat_path": spec.repeat_path,
        "labels": spec.labels,
        "hints": spec.hints,
        "required": spec.required,
        "required_if": spec.required_if,
        "required_message": spec.required_message,
        "relevant": spec.relevant,
        "constraint": spec.constraint,
        "constraint_message": spec.constraint_message,
        "calculation": spec.calculation,
        "choice_filter": spec.choice_filter,
        "appearance": spec.appearance[:255],
        "default": spec.default,
        "read_only": spec.read_only,
        "disclosure": spec.disclosure,
        "disclosure_suggested": spec.disclosure_suggested,
    }


def _locked(version: InstrumentVersion) -> InstrumentVersion:
    return (
        InstrumentVersion.objects.select_for_update(of=("self",))
        .select_related("instrument__study")
        .defer("original_file")
        .get(pk=version.pk)
    )


@transaction.atomic
def instrument_version_publish(*, version: InstrumentVersion, by) -> InstrumentVersion:
    """Publish a draft: phones get it from now on, and the version published before it (if
    any) is retired. Idempotent for a version already published; refuses a retired one.
    Locks the instrument, so two publications cannot both win."""
    instrument = Instrument.objects.select_for_update().get(pk=version.instrument_id)
    version = _locked(version)
    if version.status == InstrumentVersion.Status.PUBLISHED:
        return version
    if version.status == InstrumentVersion.Status.RETIRED:
        raise ServiceError(
            _(
                "A retired version cannot be published again. To use it once more, upload its "
                "file with a new version in the settings sheet."
            ),
            code="retired",
        )
    previous = list(
        InstrumentVersion.objects.filter(
            instrument=instrument, status=InstrumentVersion.Status.PUBLISHED
        ).values_list("pk", "version")
    )
    InstrumentVersion.objects.filter(pk__in=[pk for pk, _v in previous]).update(
        status=InstrumentVersion.Status.RETIRED
    )
    version.status = InstrumentVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_at"])
    instrument.title = version.title
    instrument.save(update_fields=["title"])
    audit_record(
        actor=by,
        study=instrument.study,
        action="instrument.published",
        target=version,
        data={"version": version.version, "retired": [v for _pk, v in previous]},
    )
    return version


@transaction.atomic
def instrument_version_delete(*, version: InstrumentVersion, by) -> None:
    """Delete a draft with nothing pointing at it, with its questions and choices; the
    instrument goes too when this was its only version.

    A published or retired version is in use (phones have it, interviews may point at it)
    and is refused, as is any version another table protects (an interview's PROTECT key)."""
    version = _locked(version)
    if version.status != InstrumentVersion.Status.DRAFT:
        raise ServiceError(_in_use_message(version), code="in_use")
    instrument = version.instrument
    event = audit_event(
        actor=by,
        study=instrument.study,
        action="instrument.version_deleted",
        target=version,
        data={"form_id": instrument.form_id, "version": version.version},
    )
    try:
        with transaction.atomic():
            version.delete()
            if not instrument.versions.exists():
                instrument.delete()
    except (ProtectedError, RestrictedError) as exc:
        raise ServiceError(_in_use_message(version), code="in_use") from exc
    event.save()


def _in_use_message(version: InstrumentVersion) -> str:
    return _(
        "Version “%(version)s” is in use (published, retired, or interviews were made with it) "
        "and cannot be deleted."
    ) % {"version": version.version}


@transaction.atomic
def question_disclosure_set(*, version: InstrumentVersion, by, roles: dict[str, str]) -> int:
    """Confirm or change the disclosure role of questions, by path. Every question named is
    marked as reviewed (no longer a suggestion), changed or not. Returns how many questions
    were named. Refuses unknown roles, unknown paths, and what takes no role (groups,
    repeats, notes, the instance ID): exactly the questions the review page offers."""
    version = _locked(version)
    questions = {q.path: q for q in version.questions.filter(path__in=list(roles))}
    errors = []
    for path, role in roles.items():
        question = questions.get(path)
        if question is None:
            errors.append(_("This version has no question “%(path)s”.") % {"path": path})
        elif question.type in STRUCTURAL_TYPES:
            errors.append(
                _("“%(path)s” is a group, repeat or note and holds no answer.") % {"path": path}
            )
        elif not takes_disclosure_role(question):
            # The review page does not list it either: a role set here could be neither
            # seen nor undone there.
            errors.append(
                _("“%(path)s” is metadata the form fills itself and takes no disclosure role.")
                % {"path": path}
            )
        elif role not in Disclosure.values:
            errors.append(
                _("“%(role)s” is not a disclosure role (question “%(path)s”).")
                % {"role": role, "path": path}
            )
    if errors:
        raise ServiceError({"roles": errors})
    changed = {}
    for path, role in roles.items():
        question = questions[path]
        if question.disclosure != role:
            changed[path] = [question.disclosure, role]
        question.disclosure = role
        question.disclosure_suggested = False
    Question.objects.bulk_update(questions.values(), ["disclosure", "disclosure_suggested"])
    audit_record(
        actor=by,
        study=version.instrument.study,
        action="instrument.disclosure_reviewed",
        target=version,
        data={"reviewed": len(questions), "changed": changed},
    )
    return len(questions)


#: Form media a phone downloads with the form: images, audio, video, and CSV/XML/GeoJSON files
#: for choices from a file.
MEDIA_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".wav": "audio/wav",
    ".mp4": "video/mp4",
    ".csv": "text/csv",
    ".xml": "application/xml",
    ".geojson": "application/geo+json",
}
MAX_MEDIA_BYTES = 20 * 1024 * 1024


@transaction.atomic
def version_media_add(
    *, version: InstrumentVersion, by, filename: str, content: bytes
) -> FormMedia:
    """Attach a file the version's XForm refers to (jr://images/…, jr://file-csv/…). A file
    the form does not name is refused, so phones never download what no question uses; a
    file of the same name replaces the one before (phones see the new hash and fetch it)."""
    name = PurePosixPath(filename or "").name
    wanted = xform_media_references(version.xform_xml)
    if name not in wanted:
        listed = ", ".join(wanted) if wanted else _("none")
        raise ServiceError(
            {
                "file": [
                    _("The form does not use a file named “%(name)s”. Files it uses: %(listed)s.")
                    % {"name": name, "listed": listed}
                ]
            }
        )
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in MEDIA_TYPES:
        raise ServiceError(
            {
                "file": [
                    _("Fieldwork does not serve %(suffix)s files to phones.") % {"suffix": suffix}
                ]
            }
        )
    if len(content) > MAX_MEDIA_BYTES:
        raise ServiceError(
            {
                "file": [
                    _("The file is larger than %(max)s MB.")
                    % {"max": MAX_MEDIA_BYTES // 1024 // 1024}
                ]
            }
        )
    FormMedia.objects.filter(version=version, filename=name).delete()
    media = FormMedia.objects.create(
        version=version,
        filename=name,
        content_type=MEDIA_TYPES[suffix],
        content=content,
        size=len(content),
        md5=hashlib.md5(content).hexdigest(),
        uploaded_by=by,
    )
    audit_record(
        actor=by,
        study=version.instrument.study,
        action="instrument.media_added",
        target=version,
        data={"file": name, "size": len(content)},
    )
    return media
