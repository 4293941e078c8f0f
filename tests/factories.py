"""Builders for test data. Sources go through the real service (sealed identity, consent)."""

import datetime as dt
import itertools

import factory

from fieldwork.accounts.models import Membership, Role, User
from fieldwork.sources.identity import Identity
from fieldwork.sources.models import ConsentForm, ConsentMethod, ConsentScope
from fieldwork.sources.services import ConsentGrant, SourceAttributes, source_create
from fieldwork.studies.models import Actor, ActorKind, Place, PlaceLevel, PlaceScheme, Study

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StudyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Study

    slug = factory.Sequence(lambda n: f"study-{n}")
    name = factory.Sequence(lambda n: f"Study {n}")
    place_scheme = PlaceScheme.MALI


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    study = factory.SubFactory(StudyFactory)
    role = Role.FIELD_RESEARCHER


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Place

    study = factory.SubFactory(StudyFactory)
    level = PlaceLevel.REGION
    name = factory.Sequence(lambda n: f"Region {n}")


class ActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Actor

    study = factory.SubFactory(StudyFactory)
    name = factory.Sequence(lambda n: f"Actor {n}")
    kind = ActorKind.MILITIA


class ConsentFormFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsentForm

    study = factory.SubFactory(StudyFactory)
    title = "Consentement éclairé"
    version = factory.Sequence(lambda n: n + 1)
    text_fr = "Vous pouvez arrêter à tout moment."
    text_en = "You may stop at any time."
    scopes = factory.LazyFunction(lambda: list(ConsentScope.values))
    created_by = factory.SubFactory(UserFactory)


_names = itertools.count()


def make_source(*, study, by, form=None, identity=None, scopes=None, place=None, **attrs):
    """A source created through `source_create`, with a unique made-up identity."""
    n = next(_names)
    form = form or ConsentFormFactory(study=study, created_by=by)
    identity = identity or Identity(full_name=f"Personne Fictive {n}", phone=f"+223 70 {n:06d}")
    return source_create(
        study=study,
        by=by,
        identity=identity,
        attributes=SourceAttributes(place=place, **attrs),
        consent=ConsentGrant(
            form=form,
            scopes=frozenset(scopes if scopes is not None else form.scopes),
            method=ConsentMethod.ORAL_WITNESSED,
            obtained_on=dt.date(2026, 3, 1),
        ),
        confirm_not_duplicate=True,
    )


def make_received(*, device, version, body: bytes, instance_id, reason: dict | None = None):
    """A submission the phones' intake stored for `device` (sealed, as the intake seals it),
    refused by the worker with `reason` when one is given, else waiting."""
    import hashlib

    from django.utils import timezone

    from fieldwork.openrosa.models import ReceivedSubmission, received_context
    from fieldwork.sources.blobs import seal_blob

    sealed = seal_blob(
        data=body, context=received_context(study_id=device.study_id, instance_id=instance_id)
    )
    refused = ReceivedSubmission.State.REFUSED
    return ReceivedSubmission.objects.create(
        study_id=device.study_id,
        instance_id=instance_id,
        instrument_version=version,
        device=device,
        submitted_by=device.researcher,
        state=refused if reason else ReceivedSubmission.State.PENDING,
        payload_ciphertext=sealed.ciphertext,
        payload_wrapped_key=sealed.wrapped_key,
        payload_key_id=sealed.key_id,
        payload_size=len(body),
        payload_sha256=hashlib.sha256(body).hexdigest(),
        received_at=timezone.now(),
        reason=reason or {},
        refused_at=timezone.now() if reason else None,
    )
