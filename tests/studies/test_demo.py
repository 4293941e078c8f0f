import io

import pytest
from django.core.management import call_command
from django.utils import translation

from fieldwork.accounts.models import Membership, Role, User
from fieldwork.sources.models import ConsentRecord, ConsentScope, Source
from fieldwork.sources.selectors import source_current_scopes
from fieldwork.sources.services import source_identity
from fieldwork.studies.demo import DEMO_PASSWORD, DEMO_URL, DEMO_USERS, demo_load
from fieldwork.studies.models import Actor, ActorAlias, Place, Study

pytestmark = pytest.mark.django_db

MALI, DIASPORA = "centre-mali-demo", "diaspora-demo"


def _counts() -> dict[str, int]:
    return {
        "studies": Study.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "places": Place.objects.count(),
        "actors": Actor.objects.count(),
        "aliases": ActorAlias.objects.count(),
        "sources": Source.objects.count(),
        "consent records": ConsentRecord.objects.count(),
    }


@pytest.fixture
def demo(db):
    return demo_load()


def test_loading_twice_creates_nothing_the_second_time(demo):
    first = _counts()
    again = demo_load()
    assert _counts() == first
    assert first["studies"] == 2
    assert first["users"] == 5
    assert first["memberships"] == 10
    assert Source.objects.filter(study__slug=MALI).count() == 32
    assert Source.objects.filter(study__slug=DIASPORA).count() == 15
    assert all(s.created for s in demo.studies)
    assert not any(s.created or s.sources_created for s in again.studies)
    assert not again.created_anything


def test_exactly_one_source_withdrew(demo):
    withdrawn = Source.objects.filter(consent_records__kind=ConsentRecord.Kind.WITHDRAWAL)
    assert withdrawn.count() == 1
    source = withdrawn.get()
    assert source.study.slug == MALI
    assert source_current_scopes(source=source) == frozenset()
    others = Source.objects.exclude(pk=source.pk)
    assert all(ConsentScope.PARTICIPATE in source_current_scopes(source=s) for s in others)


def test_sources_are_recorded_by_the_researcher_and_obviously_fictitious(demo):
    researcher = User.objects.get(username="demo-researcher")
    for source in Source.objects.all():
        assert source.recorded_by == researcher
        identity = source_identity(source=source)
        assert identity.full_name.startswith(("DÉMO-", "DEMO-"))
        assert not identity.phone or identity.phone.startswith(("+223 00 00 00", "+44 7700 900"))
    communities = set(Source.objects.filter(study__slug=MALI).values_list("community", flat=True))
    assert {"Peul", "Dogon", "Bambara", "Bozo"} <= communities
    methods = set(ConsentRecord.objects.exclude(method="").values_list("method", flat=True))
    assert methods == {"written", "oral_recorded", "oral_witnessed"}


@pytest.mark.parametrize(("username", "role"), DEMO_USERS)
def test_each_demo_user_logs_in_with_the_same_role_in_both_studies(demo, client, username, role):
    assert client.login(username=username, password=DEMO_PASSWORD)
    roles = dict(
        Membership.objects.filter(user__username=username).values_list("study__slug", "role")
    )
    assert roles == {MALI: role, DIASPORA: role}
    assert User.objects.get(username=username).is_staff == (role == Role.STUDY_ADMIN)


def _path(study_slug: str, name: str) -> list[tuple[str, str]]:
    place = Place.objects.get(study__slug=study_slug, name=name, children__isnull=True)
    return [(p.level, p.name) for p in place.path()]


def test_places_nest_by_the_study_scheme(demo):
    assert _path(MALI, "Ogol-Du") == [
        ("region", "Mopti"),
        ("cercle", "Bandiagara"),
        ("commune", "Sangha"),
        ("village", "Ogol-Du"),
    ]
    assert _path(MALI, "Farabougou") == [
        ("region", "Ségou"),
        ("cercle", "Niono"),
        ("commune", "Dogofry"),
        ("village", "Farabougou"),
    ]
    assert _path(DIASPORA, "Berlin") == [("country", "Germany"), ("city", "Berlin")]
    for place in Place.objects.select_related("study", "parent"):
        place.clean()  # raises if a level or parent does not fit the scheme


def test_actors_have_aliases_branches_and_areas(demo):
    for actor in Actor.objects.all():
        assert actor.aliases.exists(), actor.name
        assert actor.active_areas.exists(), actor.name
    katiba = Actor.objects.get(study__slug=MALI, name="Katiba Macina")
    assert katiba.parent.name == "JNIM"
    assert set(katiba.aliases.values_list("name", flat=True)) >= {
        "FLM",
        "Front de libération du Macina",
    }
    dozos = Actor.objects.get(study__slug=MALI, name="Dozos du Macina")
    assert ("Donso", "bm") in set(dozos.aliases.values_list("name", "language"))
    stations = Actor.objects.get(study__slug=DIASPORA, name="Overseas police service stations")
    assert stations.kind == "police_intelligence"
    assert stations.parent.name == "Ministry of Public Security (home state)"


def _run_command() -> str:
    out = io.StringIO()
    with translation.override("en"):  # the French catalog must not break the assertions
        call_command("load_demo", stdout=out)
    return out.getvalue()


def test_command_prints_the_logins_and_says_when_the_studies_were_there(db):
    first = _run_command()
    second = _run_command()
    for text in (first, second):
        assert DEMO_URL in text
        for username, _role in DEMO_USERS:
            assert username in text
        assert DEMO_PASSWORD in text
    assert "created" in first and "already there" not in first
    assert second.count("already there") == 2
    assert Source.objects.count() == 47


def test_the_mali_study_has_a_published_questionnaire_loaded_once(demo):
    from fieldwork.instruments.models import Instrument, InstrumentVersion

    instrument = Instrument.objects.get(study__slug=MALI)
    assert instrument.form_id == "checkpoint"
    assert instrument.versions.get().status == InstrumentVersion.Status.PUBLISHED
    assert instrument.versions.get().questions.filter(name="armed_group").exists()
    demo_load()
    assert InstrumentVersion.objects.filter(instrument=instrument).count() == 1
    assert not Instrument.objects.filter(study__slug=DIASPORA).exists()
