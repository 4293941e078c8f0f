import datetime as dt

import pytest

from fieldwork.accounts.models import Role
from fieldwork.audit.models import AuditEvent
from fieldwork.core.errors import ServiceError
from fieldwork.sources.identity import Identity
from fieldwork.sources.models import ConsentMethod, ConsentScope, Source
from fieldwork.sources.selectors import consent_allows, source_release_scope
from fieldwork.sources.services import (
    ConsentGrant,
    SourceAttributes,
    consent_grant,
    consent_require_participation,
    consent_withdraw,
    source_create,
    source_identity,
    source_reveal,
    source_shred,
)
from tests.factories import ConsentFormFactory, make_source

pytestmark = pytest.mark.django_db


def _grant(form, scopes=None):
    return ConsentGrant(
        form=form,
        scopes=frozenset(scopes or form.scopes),
        method=ConsentMethod.WRITTEN,
        obtained_on=dt.date(2026, 1, 5),
    )


def test_created_source_gets_a_code_and_a_sealed_identity(study_world):
    researcher = study_world.member(Role.FIELD_RESEARCHER)
    source = source_create(
        study=study_world.study,
        by=researcher,
        identity=Identity(full_name="Aminata Diallo", phone="+223 76 11 22 33", aliases=["Mina"]),
        attributes=SourceAttributes(gender="woman", birth_year=1990, place=study_world.village),
        consent=_grant(study_world.consent_form),
    )
    assert source.code.startswith("SRC-") and len(source.code) == 8
    stored = Source.objects.get(pk=source.pk)
    assert b"Aminata" not in bytes(stored.identity_ciphertext)
    assert source_identity(source=stored).full_name == "Aminata Diallo"
    assert source_identity(source=stored).aliases == ["Mina"]
    assert consent_allows(source=stored, scope=ConsentScope.PARTICIPATE)


def test_duplicate_name_or_phone_is_refused_without_saying_whom(study_world):
    researcher = study_world.member(Role.FIELD_RESEARCHER)
    make_source(
        study=study_world.study,
        by=researcher,
        identity=Identity(full_name="Traoré, Amadou", phone="+223 76 12 34 56"),
    )
    before = Source.objects.count()
    with pytest.raises(ServiceError) as err:
        source_create(
            study=study_world.study,
            by=researcher,
            identity=Identity(full_name="amadou TRAORE", phone="76123456"),
            attributes=SourceAttributes(),
            consent=_grant(study_world.consent_form),
        )
    messages = err.value.message_dict
    assert set(messages) == {"full_name", "phone"}
    assert "SRC-" not in str(messages)
    assert Source.objects.count() == before  # nothing half-saved


def test_duplicates_in_another_study_do_not_match(study_world):
    researcher = study_world.member(Role.FIELD_RESEARCHER)
    ident = Identity(full_name="Oumar Cissé", phone="+223 66 00 00 01")
    make_source(study=study_world.study, by=researcher, identity=ident)
    other_form = ConsentFormFactory(study=study_world.other_study, created_by=researcher)
    source_create(
        study=study_world.other_study,
        by=researcher,
        identity=ident,
        attributes=SourceAttributes(),
        consent=_grant(other_form),
    )


def test_reveal_needs_a_reason_and_is_audited_first(study_world):
    supervisor = study_world.member(Role.SUPERVISOR)
    with pytest.raises(ServiceError):
        source_reveal(source=study_world.source, by=supervisor, reason="")
    identity = source_reveal(
        source=study_world.source, by=supervisor, reason="Recontact for follow-up visit"
    )
    assert identity.full_name.startswith("Personne Fictive")
    event = AuditEvent.objects.get(action="source.identity_revealed")
    assert event.actor == supervisor and event.target_id == study_world.source.code
    assert "Recontact" in event.reason


def test_shredding_makes_identity_unrecoverable_but_keeps_the_source(study_world):
    admin = study_world.member(Role.STUDY_ADMIN)
    source_shred(source=study_world.source, by=admin, reason="Source asked to be forgotten")
    stored = Source.objects.get(pk=study_world.source.pk)
    assert stored.wrapped_key is None and stored.identity_ciphertext is None
    assert source_identity(source=stored) is None
    assert stored.code == study_world.source.code and stored.place == study_world.village
    with pytest.raises(ServiceError):
        source_reveal(source=stored, by=admin, reason="Trying to read after shredding")
    assert AuditEvent.objects.filter(action="source.shredded", target_id=stored.code).count() == 1


def test_withdrawal_is_a_new_event_and_removes_from_releases(study_world):
    researcher = study_world.member(Role.FIELD_RESEARCHER)
    source = study_world.source
    assert source_release_scope(source=source).in_datasets
    first = source.consent_records.get()
    consent_withdraw(
        source=source,
        by=researcher,
        scopes=frozenset({ConsentScope.PARTICIPATE}),
        reason="Fears reprisals",
        withdrawn_on=dt.date(2026, 4, 1),
    )
    first.refresh_from_db()
    assert first.scopes == sorted(study_world.consent_form.scopes)  # the old record is untouched
    scope = source_release_scope(source=source)
    assert not scope.participates and not scope.in_datasets and not scope.quotes
    with pytest.raises(ServiceError, match="no current consent"):
        consent_require_participation(source=source)
    # Consent given again later is a new grant, and it counts.
    consent_grant(
        source=source,
        by=researcher,
        grant=ConsentGrant(
            form=study_world.consent_form,
            scopes=frozenset({ConsentScope.PARTICIPATE}),
            method=ConsentMethod.ORAL_RECORDED,
            obtained_on=dt.date(2026, 5, 1),
        ),
    )
    consent_require_participation(source=source)
    assert not source_release_scope(source=source).in_datasets


def test_partial_withdrawal_keeps_participation(study_world):
    source = study_world.source
    consent_withdraw(
        source=source,
        by=study_world.member(Role.FIELD_RESEARCHER),
        scopes=frozenset({ConsentScope.QUOTE}),
        reason="No verbatim quotes",
        withdrawn_on=dt.date(2026, 4, 1),
    )
    scope = source_release_scope(source=source)
    assert scope.participates and scope.in_datasets and not scope.quotes


def test_a_taken_code_is_never_reused(study_world, monkeypatch):
    """Codes are random; when every drawn candidate is taken, a longer code is drawn."""
    from fieldwork.sources import services

    taken = study_world.source.code
    draws = iter([taken] * services.CODE_CANDIDATES + ["SRC-LONGER"])
    monkeypatch.setattr(services, "_new_code", lambda length: next(draws))
    source = make_source(study=study_world.study, by=study_world.member(Role.FIELD_RESEARCHER))
    assert source.code == "SRC-LONGER"
    assert Source.objects.filter(code=taken).count() == 1
