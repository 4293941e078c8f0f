from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from fieldwork.sources.identity import Identity, identity_indexes
from fieldwork.sources.models import ConsentForm, ConsentRecord, ConsentScope, Source
from fieldwork.studies.selectors import place_subtree_ids


def source_list(
    *, study, search: str = "", place=None, consent: str = "", within=None
) -> QuerySet[Source]:
    """A study's sources, pseudonymous. `search` matches the code or the community only:
    identities are never searchable, not even by those who may read them. `place` matches
    that place only, `within` that place and every place inside it."""
    qs = (
        Source.objects.filter(study=study)
        .select_related("place", "recorded_by")
        .prefetch_related(
            Prefetch(
                "consent_records",
                queryset=ConsentRecord.objects.order_by(*ConsentRecord._meta.ordering),
            )
        )
    )
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(community__icontains=search))
    if place is not None:
        qs = qs.filter(place=place)
    if within is not None:
        qs = qs.filter(place_id__in=place_subtree_ids(place=within))
    if consent == "withdrawn":
        qs = qs.filter(consent_records__kind=ConsentRecord.Kind.WITHDRAWAL).distinct()
    return qs


def scopes_from_records(records) -> frozenset[str]:
    """Fold consent events in order: a grant sets the scopes given under its form, a
    withdrawal removes scopes. Pure, so selectors and releases agree."""
    current: frozenset[str] = frozenset()
    for record in sorted(records, key=lambda r: (r.effective_on, r.created_at, r.pk)):
        if record.kind == ConsentRecord.Kind.GRANT:
            current = frozenset(record.scopes)
        else:
            current = current - frozenset(record.scopes)
    return current


def source_current_scopes(*, source: Source) -> frozenset[str]:
    return scopes_from_records(source.consent_records.all())


def consent_allows(*, source: Source, scope: str) -> bool:
    return scope in source_current_scopes(source=source)


@dataclass(frozen=True)
class ReleaseScope:
    """What may be released about a source, from its current consent."""

    participates: bool  # may be interviewed at all
    in_datasets: bool  # answers may appear in anonymized releases
    quotes: bool  # words may be quoted verbatim
    audio: bool  # recordings may be kept
    archive: bool  # may be deposited in an archive
    recontact: bool


def source_release_scope(*, source: Source) -> ReleaseScope:
    """The rule every release follows: data leaves only with participation *and* the scope
    for it; a withdrawal of participation takes the source out of every later release."""
    scopes = source_current_scopes(source=source)
    participates = ConsentScope.PARTICIPATE in scopes
    return ReleaseScope(
        participates=participates,
        in_datasets=participates and ConsentScope.SHARE_ANONYMIZED in scopes,
        quotes=participates and ConsentScope.QUOTE in scopes,
        audio=participates and ConsentScope.RECORD_AUDIO in scopes,
        archive=participates and ConsentScope.ARCHIVE in scopes,
        recontact=participates and ConsentScope.RECONTACT in scopes,
    )


@dataclass(frozen=True)
class DuplicateHint:
    """Whether the study already holds a source with this name or phone. Says *that*, never
    *which*: the researcher learns to check with the team, not who the other person is."""

    same_name: bool
    same_phone: bool

    def __bool__(self) -> bool:
        return self.same_name or self.same_phone


def source_duplicate_hint(
    *, study, identity: Identity, exclude: Source | None = None
) -> DuplicateHint:
    hint, _taken = source_duplicate_and_taken_codes(study=study, identity=identity, exclude=exclude)
    return hint


def source_duplicate_and_taken_codes(
    *, study, identity: Identity | None, exclude: Source | None = None, codes: tuple[str, ...] = ()
) -> tuple[DuplicateHint, frozenset[str]]:
    """In one query: whether the name or phone is already in the study (identity None: not
    asked), and which of the candidate `codes` are taken. Source creation asks both at once,
    since every statement is a round trip."""
    condition = Q(code__in=codes) if codes else Q(pk__in=[])
    name_idx = phone_idx = ""
    if identity is not None:
        name_idx, phone_idx = identity_indexes(identity=identity, scope=str(study.uuid))
        if name_idx:
            condition |= Q(name_index=name_idx)
        if phone_idx:
            condition |= Q(phone_index=phone_idx)
    qs = Source.objects.filter(study=study).filter(condition)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    rows = list(qs.values_list("code", "name_index", "phone_index"))
    hint = DuplicateHint(
        same_name=bool(name_idx) and any(r[1] == name_idx for r in rows),
        same_phone=bool(phone_idx) and any(r[2] == phone_idx for r in rows),
    )
    return hint, frozenset(r[0] for r in rows) & frozenset(codes)


def source_consent_history(*, source: Source) -> QuerySet[ConsentRecord]:
    """A source's consent events, oldest first, with their form and recorder."""
    return ConsentRecord.objects.filter(source=source).select_related("form", "recorded_by")


def consent_form_list(*, study) -> QuerySet[ConsentForm]:
    return ConsentForm.objects.filter(study=study).select_related("created_by")


def consent_form_get(*, study, form_id: int) -> ConsentForm | None:
    return consent_form_list(study=study).filter(pk=form_id).first()


def consent_form_current(*, study) -> QuerySet[ConsentForm]:
    """The newest version of each consent form: what a researcher reads out today."""
    latest = {}
    for form in consent_form_list(study=study).order_by("title", "-version"):
        latest.setdefault(form.title, form.pk)
    return ConsentForm.objects.filter(pk__in=latest.values()).order_by("title")
