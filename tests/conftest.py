import re
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from unittest import mock

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from fieldwork.accounts.models import Membership, Role, User
from fieldwork.instruments.services import instrument_upload
from fieldwork.instruments.xlsform import convert_xlsform
from fieldwork.openrosa.intake import forget_cached
from fieldwork.sources.keys import reset_keyring
from fieldwork.studies.models import ActorAlias, PlaceLevel
from tests.factories import (
    ActorFactory,
    ConsentFormFactory,
    MembershipFactory,
    PlaceFactory,
    StudyFactory,
    UserFactory,
    make_received,
    make_source,
)

#: XLSForms for tests: permissively licensed copies (see SOURCES.md there) and our own.
XLSFORMS = Path(__file__).parent / "fixtures" / "xlsforms"
#: The world's questionnaire: names, a phone, a geopoint, a photo, groups and a repeat.
CHECKPOINT_FORM = XLSFORMS / "fieldwork" / "checkpoint.md"

OUTSIDER = "outsider"  # signed in, member of another study only
ANONYMOUS = "anonymous"
ALL_ROLES = [*Role]
EVERY_VISITOR = [*Role, OUTSIDER, ANONYMOUS]


@pytest.fixture(scope="session", autouse=True)
def _session_keys(tmp_path_factory):
    """Tests never touch the keys under var/: without keys in the environment (as CI's
    PostgreSQL run sets them, shared with its worker), each session makes its own."""
    from django.conf import settings

    from fieldwork.sources import crypto
    from fieldwork.sources.keys import write_key_file

    folder = tmp_path_factory.mktemp("keys")
    if not settings.FIELDWORK_MASTER_KEY:
        settings.FIELDWORK_MASTER_KEY_FILE = folder / "master.key"
        write_key_file(settings.FIELDWORK_MASTER_KEY_FILE, crypto.generate_key())
    if not settings.FIELDWORK_BLIND_INDEX_KEY:
        settings.FIELDWORK_BLIND_INDEX_KEY_FILE = folder / "blind_index.key"
        write_key_file(settings.FIELDWORK_BLIND_INDEX_KEY_FILE, crypto.generate_key())


@pytest.fixture(autouse=True)
def _fresh_keyring():
    """Tests that change key settings must not leak a cached keyring into the next test."""
    reset_keyring()
    yield
    reset_keyring()


@pytest.fixture(autouse=True)
def _fresh_intake_caches():
    """The phones' intake keeps what never changes for a device or a form version; a rolled
    back test's primary keys come back in the next one, naming other rows."""
    forget_cached()


@dataclass
class StudyWorld:
    """One study with a member in every role and one of each object, plus a second study
    whose member is an outsider here. Allowed and denied cases share this setup."""

    study: object
    other_study: object
    members: dict
    outsider: User
    region: object
    cercle: object
    commune: object
    village: object
    actor: object
    consent_form: object
    source: object
    instrument_version: object
    extra: dict = field(default_factory=dict)

    @cached_property
    def interview(self):
        """A received interview recorded by the field researcher, made when a test first
        asks for it: it points at the world's draft questionnaire, which tests of their own
        delete, and most tests never need it."""
        return _world_interview(
            study=self.study,
            source=self.source,
            version=self.instrument_version,
            by=self.members[Role.FIELD_RESEARCHER],
        )

    @cached_property
    def published_version(self):
        """The world's questionnaire, published when a test first asks for it (pages that
        fill a published form, by its form ID); until then it stays the draft other tests
        delete."""
        from fieldwork.instruments.services import instrument_version_publish

        self.instrument_version = instrument_version_publish(
            version=self.instrument_version, by=self.members[Role.STUDY_ADMIN]
        )
        return self.instrument_version

    @cached_property
    def device(self):
        """(device, token): a phone carried by the field researcher."""
        from fieldwork.openrosa.services import device_create

        return device_create(
            study=self.study,
            by=self.members[Role.STUDY_ADMIN],
            researcher=self.members[Role.FIELD_RESEARCHER],
            label="Tecno",
        )

    @cached_property
    def files(self) -> str:
        """A file named "photo.jpg" twice: a form media file of the published questionnaire,
        and a photo sent with the world's interview. Returns the name."""
        from fieldwork.instruments.models import FormMedia
        from fieldwork.interviews.attachments import SubmissionFile, store_files

        FormMedia.objects.create(
            version=self.published_version,
            filename="photo.jpg",
            content_type="image/jpeg",
            content=b"\xff\xd8",
            size=2,
            md5="0" * 32,
            uploaded_by=self.members[Role.STUDY_ADMIN],
        )
        version = self.interview.current_version
        type(version).objects.filter(pk=version.pk).update(expected_attachments=["photo.jpg"])
        version.expected_attachments = ["photo.jpg"]
        store_files(version=version, files=[SubmissionFile(name="photo.jpg", content=b"\xff\xd8")])
        return "photo.jpg"

    @cached_property
    def conflict(self) -> int:
        """A body refused under the world's interview's instanceID, kept: its id."""
        from fieldwork.interviews.services import interview_record

        version = self.interview.current_version
        result = interview_record(
            study=self.study,
            by=self.members[Role.FIELD_RESEARCHER],
            client_uuid=version.instance_id,
            instrument_version=version.instrument_version,
            source=self.source,
            answers={},
            raw_payload=b"<data>another body</data>",
            payload_format=version.payload_format,
        )
        return result.conflict.pk

    @cached_property
    def received(self) -> int:
        """A submission the world's device sent that the worker refused, kept: its id."""
        device, _token = self.device
        return make_received(
            device=device,
            version=self.published_version,
            body=b"<data>kept, not recorded</data>",
            instance_id=uuid.uuid4(),
            reason={"en": "The source no longer consents."},
        ).pk

    def member(self, role):
        if role == ANONYMOUS or role is None:
            return None
        if role == OUTSIDER:
            return self.outsider
        return self.members[Role(role)]

    def membership(self, role) -> Membership:
        return Membership.objects.get(study=self.study, user=self.members[Role(role)])

    def url_kwargs(self) -> dict:
        return {
            "slug": self.study.slug,
            "code": self.source.code,
            "place_id": self.village.pk,
            "actor_id": self.actor.pk,
            "member_id": self.membership(Role.CODER).pk,
            "form_id": self.consent_form.pk,
            "version_id": self.instrument_version.pk,
            **self.extra,
        }

    def url(self, name: str) -> str:
        wanted = url_kwarg_names(name)
        available = self.url_kwargs()
        if "interview_id" in wanted and "interview_id" not in available:
            available["interview_id"] = self.interview.client_uuid
        if "xform_id" in wanted and "xform_id" not in available:
            available["xform_id"] = self.published_version.instrument.form_id
        if wanted & {"token", "device_id"}:
            device, token = self.device
            available.setdefault("token", token)
            available.setdefault("device_id", device.pk)
        if "conflict_id" in wanted:
            available.setdefault("conflict_id", self.conflict)
        if "received_id" in wanted:
            available.setdefault("received_id", self.received)
        if wanted & {"filename", "version_number"}:
            available.setdefault("filename", self.files)
            available.setdefault("version_number", 1)
        missing = wanted - available.keys()
        assert not missing, f"{name} needs URL arguments the test world lacks: {sorted(missing)}"
        return reverse(name, kwargs={k: available[k] for k in wanted})


def _walk(patterns, prefix_ns="", prefix_kwargs=frozenset()):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{prefix_ns}{p.namespace}:" if p.namespace else prefix_ns
            kws = prefix_kwargs | _pattern_kwargs(p.pattern)
            yield from _walk(p.url_patterns, ns, kws)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{prefix_ns}{p.name}", prefix_kwargs | _pattern_kwargs(p.pattern)


def _pattern_kwargs(pattern) -> frozenset:
    if hasattr(pattern, "converters"):
        return frozenset(pattern.converters)
    return frozenset(re.findall(r"\(\?P<(\w+)>", str(pattern)))


def all_url_names() -> dict[str, frozenset]:
    """Every named URL the resolver knows, with the keyword arguments it takes."""
    return dict(_walk(get_resolver().url_patterns))


def url_kwarg_names(name: str) -> frozenset:
    return all_url_names()[name]


_CONVERSIONS: dict = {}


def _cached_convert(*, content: bytes, filename: str):
    from django.utils import translation

    key = (content, filename, translation.get_language())
    if key not in _CONVERSIONS:
        _CONVERSIONS[key] = convert_xlsform(content=content, filename=filename)
    return _CONVERSIONS[key]


@pytest.fixture
def study_world(db) -> StudyWorld:
    study = StudyFactory(slug="centre-mali", name="Centre du Mali")
    other = StudyFactory(slug="diaspora", name="Diaspora", place_scheme="diaspora")
    members = {
        role: MembershipFactory(study=study, role=role, user__username=f"{role.value}-user").user
        for role in Role
    }
    outsider = MembershipFactory(study=other, role=Role.STUDY_ADMIN, user__username="outsider").user
    region = PlaceFactory(study=study, name="Mopti", level=PlaceLevel.REGION)
    cercle = PlaceFactory(study=study, name="Bandiagara", level=PlaceLevel.CERCLE, parent=region)
    commune = PlaceFactory(study=study, name="Sangha", level=PlaceLevel.COMMUNE, parent=cercle)
    village = PlaceFactory(study=study, name="Ogol", level=PlaceLevel.VILLAGE, parent=commune)
    actor = ActorFactory(study=study, name="Dan Na Ambassagou")
    ActorAlias.objects.create(actor=actor, name="Dana", language="fr")
    form = ConsentFormFactory(study=study, created_by=members[Role.STUDY_ADMIN], version=1)
    source = make_source(study=study, by=members[Role.FIELD_RESEARCHER], form=form, place=village)
    # A draft version of the checkpoint questionnaire. Every role-matrix case builds this
    # world, so it skips ODK Validate (Java, ~0.3 s; tests/instruments run it on this form)
    # and reuses pyxform's conversion (~17 ms) from the first world of the session.
    with mock.patch("fieldwork.instruments.services.convert_xlsform", _cached_convert):
        version = instrument_upload(
            study=study,
            by=members[Role.STUDY_ADMIN],
            content=CHECKPOINT_FORM.read_bytes(),
            filename=CHECKPOINT_FORM.name,
            validate=False,
        )
    return StudyWorld(
        study,
        other,
        members,
        outsider,
        region,
        cercle,
        commune,
        village,
        actor,
        form,
        source,
        version,
    )


def _world_interview(*, study, source, version, by):
    """A received interview recorded by the field researcher, written straight to the tables:
    `interview_record` wants a published questionnaire and the world's version is a draft."""

    from fieldwork.interviews.models import Interview, InterviewVersion
    from fieldwork.interviews.services import version_create

    client_uuid = uuid.uuid4()
    interview = Interview.objects.create(
        study=study,
        client_uuid=client_uuid,
        instrument=version.instrument,
        source=source,
        researcher=by,
        place=source.place,
        status=Interview.Status.RECEIVED,
    )
    interview.current_version = version_create(
        interview=interview,
        number=1,
        instance_id=client_uuid,
        deprecated_id=None,
        instrument_version=version,
        answers={"age": 34},
        problems=[],
        notes=[],
        raw=b"{}",
        sha="0" * 64,
        payload_format=InterviewVersion.Format.JSON,
        by=by,
        device_id="",
        via_device=None,
        expected_attachments=[],
    )
    interview.save(update_fields=["current_version"])
    return interview


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s a user; tests create many users and test no hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """The product speaks French first; tests read English unless they ask for French
    (tests/test_translations.py, the language switch tests)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
