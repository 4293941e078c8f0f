"""Writes about sources and consent. Each function is one use case in one transaction."""

import logging
import secrets
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fieldwork.audit.services import audit_event, audit_record, audit_record_many
from fieldwork.core.errors import ServiceError
from fieldwork.sources.identity import Identity, identity_indexes, open_identity, seal_identity
from fieldwork.sources.models import (
    ConsentForm,
    ConsentMethod,
    ConsentRecord,
    ConsentScope,
    Gender,
    Source,
)
from fieldwork.sources.selectors import (
    source_current_scopes,
    source_duplicate_and_taken_codes,
    source_duplicate_hint,
)

logger = logging.getLogger(__name__)

# Crockford's base32 without I, L, O, U: codes are read aloud and copied by hand.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
MIN_REVEAL_REASON = 10


@dataclass(frozen=True)
class SourceAttributes:
    """The non-identifying description of a source."""

    gender: str = ""
    birth_year: int | None = None
    age: int | None = None
    place: object | None = None
    community: str = ""
    language: str = ""


@dataclass(frozen=True)
class ConsentGrant:
    form: ConsentForm
    scopes: frozenset[str]
    method: str
    obtained_on: date


def _new_code(length: int) -> str:
    return "SRC-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def _validate_attributes(*, study, attrs: SourceAttributes) -> None:
    errors: dict[str, list[str]] = {}
    this_year = timezone.now().year
    if attrs.gender and attrs.gender not in Gender.values:
        errors["gender"] = [_("Choose one of the listed genders.")]
    if attrs.birth_year is not None and not 1900 <= attrs.birth_year <= this_year:
        errors["birth_year"] = [
            _("The birth year must be between 1900 and %(year)s.") % {"year": this_year}
        ]
    if attrs.age is not None and not 0 < attrs.age < 120:
        errors["age"] = [_("The age must be between 1 and 119.")]
    if attrs.place is not None and attrs.place.study_id != study.pk:
        errors["place"] = [_("This place belongs to another study.")]
    if errors:
        raise ServiceError(errors)


def _validate_identity(identity: Identity) -> None:
    if not identity.full_name.strip():
        raise ServiceError({"full_name": [_("Enter the source's full name.")]})


def _validate_grant(*, source_study, grant: ConsentGrant) -> None:
    errors: dict[str, list[str]] = {}
    if grant.form.study_id != source_study.pk:
        errors["consent_form"] = [_("This consent form belongs to another study.")]
    unknown = set(grant.scopes) - set(ConsentScope.values)
    not_asked = set(grant.scopes) - set(grant.form.scopes)
    if unknown:
        errors["scopes"] = [
            _("Unknown consent scope: %(scopes)s.") % {"scopes": ", ".join(sorted(unknown))}
        ]
    elif not_asked:
        errors["scopes"] = [
            _("The form “%(form)s” does not ask for: %(scopes)s.")
            % {
                "form": str(grant.form),
                "scopes": ", ".join(str(ConsentScope(s).label) for s in sorted(not_asked)),
            }
        ]
    if grant.method not in ConsentMethod.values:
        errors["method"] = [_("Say how consent was obtained.")]
    if grant.obtained_on > timezone.localdate():
        errors["obtained_on"] = [_("The consent date cannot be in the future.")]
    if errors:
        raise ServiceError(errors)


def _duplicate_error(hint) -> ServiceError:
    errors = {}
    if hint.same_name:
        errors["full_name"] = [
            _(
                "A source in this study may already have this name. Check with your team; if this "
                "is a different person, confirm it to record them anyway."
            )
        ]
    if hint.same_phone:
        errors["phone"] = [
            _(
                "A source in this study may already have this phone number. Check with your team; "
                "if this is a different person, confirm it to record them anyway."
            )
        ]
    return ServiceError(errors, code="duplicate")


#: Candidate codes drawn per attempt. With 100,000 sources a 4-character code is taken one
#: time in ten, so four candidates all taken happens once in 10,000 creations; then longer
#: codes are drawn.
CODE_CANDIDATES = 4


def source_create(
    *,
    study,
    by,
    identity: Identity,
    attributes: SourceAttributes,
    consent: ConsentGrant,
    confirm_not_duplicate: bool = False,
) -> Source:
    """Record a source with their sealed identity and the consent they gave.

    Refuses (ServiceError, code "duplicate") when the name or phone matches another source of
    the study, unless the researcher confirmed it is a different person. Identity is sealed
    before anything is written; the code is random. One transaction; if another process took
    the same code in the meantime, the whole creation is retried."""
    _validate_identity(identity)
    _validate_attributes(study=study, attrs=attributes)
    _validate_grant(source_study=study, grant=consent)
    for _attempt in range(3):
        try:
            return _source_create(
                study=study,
                by=by,
                identity=identity,
                attributes=attributes,
                consent=consent,
                confirm_not_duplicate=confirm_not_duplicate,
            )
        except _CodeTaken:
            continue
    raise ServiceError(_("Could not allocate a source code; try again."))


class _CodeTaken(Exception):
    pass


@transaction.atomic
def _source_create(*, study, by, identity, attributes, consent, confirm_not_duplicate) -> Source:
    # One query answers both "is this a likely duplicate?" and "which codes are free?":
    # at hundreds of creations a second, each round trip counts (see `make bench`).
    candidates = tuple(_new_code(4) for _ in range(CODE_CANDIDATES))
    hint, taken = source_duplicate_and_taken_codes(
        study=study, identity=None if confirm_not_duplicate else identity, codes=candidates
    )
    if hint:
        raise _duplicate_error(hint)
    free = [c for c in candidates if c not in taken]
    source = Source(
        study=study,
        code=free[0] if free else _new_code(6),
        recorded_by=by,
        gender=attributes.gender,
        birth_year=attributes.birth_year,
        age=attributes.age,
        place=attributes.place,
        community=attributes.community.strip(),
        language=attributes.language.strip(),
    )
    _seal_onto(source, identity)
    try:
        source.save(force_insert=True)
    except IntegrityError as exc:
        # A concurrent creation took the code the query above saw free: leaving this atomic
        # block rolls it back, and `source_create` tries again. Other violations propagate.
        if "source_unique_code_in_study" in str(exc) or "sources_source.code" in str(exc):
            raise _CodeTaken from None
        raise

    record = ConsentRecord.objects.create(
        source=source,
        form=consent.form,
        kind=ConsentRecord.Kind.GRANT,
        scopes=sorted(consent.scopes),
        method=consent.method,
        effective_on=consent.obtained_on,
        recorded_by=by,
    )
    audit_record_many(
        [
            audit_event(actor=by, study=study, action="source.created", target=source),
            audit_event(
                actor=by,
                study=study,
                action="consent.granted",
                target=source,
                data={"form": record.form_id, "scopes": record.scopes},
            ),
        ]
    )
    logger.info("source %s created in study %s", source.code, study.pk)
    return source


def _seal_onto(source: Source, identity: Identity) -> None:
    context = str(source.uuid).encode()
    sealed = seal_identity(identity=identity, context=context)
    source.identity_ciphertext = sealed.ciphertext
    source.wrapped_key = sealed.wrapped_key
    source.key_id = sealed.key_id
    source.name_index, source.phone_index = identity_indexes(
        identity=identity, scope=str(source.study.uuid)
    )


@transaction.atomic
def source_update(
    *,
    source: Source,
    by,
    attributes: SourceAttributes,
    identity: Identity | None = None,
    confirm_not_duplicate: bool = False,
) -> Source:
    """Change a source's attributes and, when given, re-seal its identity under a fresh key."""
    source = Source.objects.select_for_update().select_related("study").get(pk=source.pk)
    _validate_attributes(study=source.study, attrs=attributes)
    changed = ["gender", "birth_year", "age", "place", "community", "language"]
    if identity is not None:
        if source.is_shredded:
            raise ServiceError(_("This source's identity was destroyed; it cannot be set again."))
        _validate_identity(identity)
        if not confirm_not_duplicate:
            hint = source_duplicate_hint(study=source.study, identity=identity, exclude=source)
            if hint:
                raise _duplicate_error(hint)
        _seal_onto(source, identity)
        changed += ["identity_ciphertext", "wrapped_key", "key_id", "name_index", "phone_index"]
    source.gender = attributes.gender
    source.birth_year = attributes.birth_year
    source.age = attributes.age
    source.place = attributes.place
    source.community = attributes.community.strip()
    source.language = attributes.language.strip()
    source.save(update_fields=changed)
    audit_record(
        actor=by,
        study=source.study,
        action="source.updated",
        target=source,
        data={"identity_changed": identity is not None},
    )
    return source


def source_identity(*, source: Source) -> Identity | None:
    """Open a source's identity. The caller has checked that the user may read it directly
    (`permissions.can_see_identity_directly`); reveals go through `source_reveal`.
    None once shredded."""
    if source.is_shredded or source.wrapped_key is None:
        return None
    return open_identity(
        ciphertext=source.identity_ciphertext,
        wrapped_key=source.wrapped_key,
        key_id=source.key_id,
        context=str(source.uuid).encode(),
    )


@transaction.atomic
def source_reveal(*, source: Source, by, reason: str) -> Identity:
    """A supervisor's or study admin's logged look at an identity. The audit event is
    written before the identity is opened; no reason, no reveal."""
    reason = (reason or "").strip()
    if len(reason) < MIN_REVEAL_REASON:
        raise ServiceError(
            {
                "reason": [
                    _("Say why you need to see this identity (at least %(n)s characters).")
                    % {"n": MIN_REVEAL_REASON}
                ]
            }
        )
    if source.is_shredded:
        raise ServiceError(_("This source's identity was destroyed and cannot be revealed."))
    audit_record(
        actor=by,
        study=source.study,
        action="source.identity_revealed",
        target=source,
        reason=reason,
    )
    identity = source_identity(source=source)
    assert identity is not None
    return identity


@transaction.atomic
def source_shred(*, source: Source, by, reason: str) -> Source:
    """Destroy a source's data key: the identity becomes unrecoverable for everyone, the
    pseudonymous attributes, consent history and (later) answers stay. Irreversible."""
    source = Source.objects.select_for_update().select_related("study").get(pk=source.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError({"reason": [_("Say why this identity is being destroyed.")]})
    if source.is_shredded:
        return source  # shredding twice changes nothing and records nothing new
    source.wrapped_key = None
    source.identity_ciphertext = None
    source.key_id = ""
    source.name_index = ""
    source.phone_index = ""
    source.shredded_at = timezone.now()
    source.save(
        update_fields=[
            "wrapped_key",
            "identity_ciphertext",
            "key_id",
            "name_index",
            "phone_index",
            "shredded_at",
        ]
    )
    audit_record(
        actor=by, study=source.study, action="source.shredded", target=source, reason=reason
    )
    return source


@transaction.atomic
def consent_grant(*, source: Source, by, grant: ConsentGrant) -> ConsentRecord:
    """Record consent given (again) under a form version; it replaces the scopes in force."""
    source = Source.objects.select_for_update().select_related("study").get(pk=source.pk)
    _validate_grant(source_study=source.study, grant=grant)
    record = ConsentRecord.objects.create(
        source=source,
        form=grant.form,
        kind=ConsentRecord.Kind.GRANT,
        scopes=sorted(grant.scopes),
        method=grant.method,
        effective_on=grant.obtained_on,
        recorded_by=by,
    )
    audit_record(
        actor=by,
        study=source.study,
        action="consent.granted",
        target=source,
        data={"form": grant.form.pk, "scopes": record.scopes},
    )
    return record


@transaction.atomic
def consent_withdraw(
    *, source: Source, by, scopes: frozenset[str], reason: str, withdrawn_on: date
) -> ConsentRecord:
    """Record a withdrawal as a new event. Withdrawing participation withdraws everything:
    the source leaves every later release."""
    source = Source.objects.select_for_update().select_related("study").get(pk=source.pk)
    errors: dict[str, list[str]] = {}
    current = source_current_scopes(source=source)
    scopes = frozenset(scopes)
    if not scopes:
        errors["scopes"] = [_("Choose what the source withdraws.")]
    elif unknown := scopes - set(ConsentScope.values):
        errors["scopes"] = [
            _("Unknown consent scope: %(scopes)s.") % {"scopes": ", ".join(sorted(unknown))}
        ]
    elif not scopes & current:
        errors["scopes"] = [_("The source has not currently given any of these scopes.")]
    if withdrawn_on > timezone.localdate():
        errors["withdrawn_on"] = [_("The withdrawal date cannot be in the future.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Note the reason or circumstances of the withdrawal.")]
    if errors:
        raise ServiceError(errors)
    if ConsentScope.PARTICIPATE in scopes:
        scopes = frozenset(ConsentScope.values)
    record = ConsentRecord.objects.create(
        source=source,
        kind=ConsentRecord.Kind.WITHDRAWAL,
        scopes=sorted(scopes & current)
        if ConsentScope.PARTICIPATE not in scopes
        else sorted(current),
        effective_on=withdrawn_on,
        reason=reason.strip(),
        recorded_by=by,
    )
    audit_record(
        actor=by,
        study=source.study,
        action="consent.withdrawn",
        target=source,
        reason=reason.strip(),
        data={"scopes": record.scopes},
    )
    return record


def consent_require_participation(*, source: Source) -> None:
    """The gate for recording an interview: raises unless participation consent is in force."""
    if ConsentScope.PARTICIPATE not in source_current_scopes(source=source):
        raise ServiceError(
            {
                "source": [
                    _(
                        "Source %(code)s has no current consent to take part; no interview "
                        "can be recorded."
                    )
                    % {"code": source.code}
                ]
            }
        )


@transaction.atomic
def consent_form_create(
    *, study, by, title: str, text_fr: str, text_en: str, scopes: frozenset[str]
) -> ConsentForm:
    """Publish a consent form, or a new version of one with the same title."""
    errors: dict[str, list[str]] = {}
    title = title.strip()
    if not title:
        errors["title"] = [_("Give the consent form a title.")]
    if not text_fr.strip():
        errors["text_fr"] = [_("Enter the French text read or given to sources.")]
    if not text_en.strip():
        errors["text_en"] = [_("Enter the English text.")]
    scopes = frozenset(scopes)
    if unknown := scopes - set(ConsentScope.values):
        errors["scopes"] = [
            _("Unknown consent scope: %(scopes)s.") % {"scopes": ", ".join(sorted(unknown))}
        ]
    elif ConsentScope.PARTICIPATE not in scopes:
        errors["scopes"] = [_("A consent form must at least ask to take part in the study.")]
    if errors:
        raise ServiceError(errors)
    previous = (
        ConsentForm.objects.select_for_update()
        .filter(study=study, title=title)
        .order_by("-version")
        .first()
    )
    form = ConsentForm.objects.create(
        study=study,
        title=title,
        version=(previous.version + 1) if previous else 1,
        text_fr=text_fr.strip(),
        text_en=text_en.strip(),
        scopes=[s for s in ConsentScope.values if s in scopes],
        created_by=by,
    )
    audit_record(actor=by, study=study, action="consent_form.published", target=form)
    return form
