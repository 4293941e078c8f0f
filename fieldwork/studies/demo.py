"""Demo studies for trying Fieldwork: places and actors from the public record, invented sources.

Everything here is plain data, loaded by `demo_load()` through the same services a user goes
through (studies, places, actors, consent forms, sources with sealed identities, a
withdrawal). Loading is idempotent: whatever already exists (a study by slug, a user by
username, a place by name under its parent, an actor or consent form by name) is reused, and a
study's sources are created only while it has none, so a second run changes nothing.

Every source is fictitious: names start with "DÉMO-"/"DEMO-", phone numbers are in ranges no
operator assigns (+223 00 00 00 xx) or reserved for drama (+44 7700 900xxx). Places and actors
are real and public; nothing in the sources is about a real person.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fieldwork.accounts.models import Membership, Role, User
from fieldwork.accounts.services import member_add, user_create
from fieldwork.core.errors import ServiceError
from fieldwork.instruments.models import Instrument
from fieldwork.instruments.services import instrument_upload, instrument_version_publish
from fieldwork.sources.identity import Identity
from fieldwork.sources.models import ConsentForm, ConsentMethod, ConsentScope, Source
from fieldwork.sources.services import (
    ConsentGrant,
    SourceAttributes,
    consent_form_create,
    consent_withdraw,
    source_create,
)
from fieldwork.studies.models import Actor, ActorKind, Place, PlaceScheme, Study
from fieldwork.studies.services import actor_create, place_create, study_create

DEMO_URL = "http://127.0.0.1:8000/"
#: One shared password, obvious on purpose: the demo holds no real data. It passes Django's
#: validators (length, not common, not numeric, not like the usernames: "fieldwork-demo"
#: alone is too close to "demo-coder").
DEMO_PASSWORD = "fieldwork-demo-2026"

#: (username, role in both studies). demo-admin creates the studies and is staff.
DEMO_USERS: tuple[tuple[str, str], ...] = (
    ("demo-researcher", Role.FIELD_RESEARCHER),
    ("demo-coder", Role.CODER),
    ("demo-supervisor", Role.SUPERVISOR),
    ("demo-analyst", Role.ANALYST),
    ("demo-admin", Role.STUDY_ADMIN),
)
ADMIN_USERNAME = "demo-admin"
RESEARCHER_USERNAME = "demo-researcher"

ALL_SCOPES = frozenset(ConsentScope.values)
P, AUDIO, QUOTE, SHARE, ARCHIVE, RECONTACT = (
    ConsentScope.PARTICIPATE,
    ConsentScope.RECORD_AUDIO,
    ConsentScope.QUOTE,
    ConsentScope.SHARE_ANONYMIZED,
    ConsentScope.ARCHIVE,
    ConsentScope.RECONTACT,
)
WRITTEN, ORAL_REC, ORAL_WIT = (
    ConsentMethod.WRITTEN,
    ConsentMethod.ORAL_RECORDED,
    ConsentMethod.ORAL_WITNESSED,
)


# --- Plain data types ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceSpec:
    """A place and what it contains; names are unique among siblings."""

    name: str
    children: tuple["PlaceSpec", ...] = ()


@dataclass(frozen=True)
class ActorSpec:
    name: str
    kind: str
    description: str
    aliases: tuple[tuple[str, str], ...]  # (alias, language code)
    areas: tuple[tuple[str, ...], ...]  # place paths, outermost first
    parent: str = ""  # name of the parent faction


@dataclass(frozen=True)
class ConsentFormSpec:
    title: str
    text_fr: str
    text_en: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class SourceSpec:
    """One invented source. `place` is a path of place names, outermost first."""

    number: int
    given_name: str
    gender: str
    birth_year: int | None
    place: tuple[str, ...]
    community: str
    language: str
    scopes: frozenset[str]
    method: str
    obtained_on: dt.date
    phone: bool = True
    alias: str = ""
    withdrawn_on: dt.date | None = None
    withdrawal_reason: str = ""


@dataclass(frozen=True)
class StudySpec:
    slug: str
    name: str
    description: str
    place_scheme: str
    places: tuple[PlaceSpec, ...]
    actors: tuple[ActorSpec, ...]
    consent_form: ConsentFormSpec
    sources: tuple[SourceSpec, ...]
    name_pattern: str  # full name of a source: .format(n=number, given=given_name)
    phone_pattern: str  # .format(n=number)
    notes: str  # contact notes sealed with each identity


# --- Central Mali -------------------------------------------------------------------------------

_V = PlaceSpec  # a leaf (village or city) reads better without its children


def _c(name: str, *villages: str) -> PlaceSpec:
    """A commune and its villages."""
    return PlaceSpec(name, tuple(_V(v) for v in villages))


# fmt: off
MALI_PLACES = (
    PlaceSpec("Mopti", (
        PlaceSpec("Bandiagara", (_c("Sangha", "Ogol-Du", "Banani", "Ireli"),
                                 _c("Bandiagara", "Bandiagara"))),
        PlaceSpec("Bankass", (_c("Diallassagou", "Diallassagou"), _c("Bankass", "Bankass"))),
        PlaceSpec("Douentza", (_c("Haïré", "Boni"), _c("Douentza", "Douentza"))),
        PlaceSpec("Djenné", (_c("Djenné", "Djenné"), _c("Fakala", "Sofara"))),
        PlaceSpec("Mopti", (_c("Mopti", "Sévaré"), _c("Konna", "Konna"))),
        PlaceSpec("Koro", (_c("Dinangourou", "Dinangourou"), _c("Koro", "Koro"))),
    )),
    PlaceSpec("Ségou", (
        PlaceSpec("Niono", (_c("Dogofry", "Dogofry", "Farabougou"), _c("Niono", "Niono"),
                            _c("Diabaly", "Diabaly"))),
        PlaceSpec("Macina", (_c("Kokry", "Kokry-Centre"), _c("Macina", "Macina"))),
    )),
)
# fmt: on

_MOPTI, _SEGOU = ("Mopti",), ("Ségou",)
_BANDIAGARA, _BANKASS, _KORO = ("Mopti", "Bandiagara"), ("Mopti", "Bankass"), ("Mopti", "Koro")
_DOUENTZA, _DJENNE = ("Mopti", "Douentza"), ("Mopti", "Djenné")
_MOPTI_CERCLE = ("Mopti", "Mopti")
_NIONO, _MACINA = ("Ségou", "Niono"), ("Ségou", "Macina")

MALI_ACTORS = (
    ActorSpec(
        name="Dan Na Ambassagou",
        kind=ActorKind.MILITIA,
        description=(
            "Dogon self-defence militia formed in 2016 around traditional hunters; the name "
            "means “hunters who trust in God”. Umbrella of Dogon village self-defence groups on "
            "the Bandiagara plateau; dissolved by decree in March 2019 but still active."
        ),
        aliases=(
            ("Dana Ambassagou", "fr"),
            ("Dan Na Amassagou", "fr"),
            ("Dan Nan Ambassagou", "fr"),
            ("Dana Amassagou", "fr"),
        ),
        areas=(_BANDIAGARA, _BANKASS, _KORO, _DOUENTZA),
    ),
    ActorSpec(
        name="Dana Atem",
        kind=ActorKind.MILITIA,
        parent="Dan Na Ambassagou",
        description=(
            "Dogon militia associated with Dan Na Ambassagou. Entered here as a branch of the "
            "Dan Na Ambassagou umbrella for the demo; how closely the two are linked is for "
            "interviews to tell."
        ),
        aliases=(("Dan Na Atem", "fr"),),
        areas=(_BANDIAGARA,),
    ),
    ActorSpec(
        name="Dozos du Macina",
        kind=ActorKind.MILITIA,
        description=(
            "Traditional hunters (dozos) of the Ségou and Macina areas, mostly Bambara, armed "
            "as self-defence groups against jihadist groups."
        ),
        aliases=(
            ("Donso", "bm"),
            ("Donsow", "bm"),
            ("Dozo", "fr"),
            ("chasseurs", "fr"),
            ("chasseurs traditionnels", "fr"),
            ("hunters", "en"),
            ("Dozo hunters", "en"),
        ),
        areas=(_NIONO, _MACINA, _DJENNE),
    ),
    ActorSpec(
        name="JNIM",
        kind=ActorKind.JIHADIST,
        description=(
            "Al-Qaeda's coalition in the Sahel, formed in March 2017 by the merger of Ansar Dine, "
            "the Katiba Macina, Al-Mourabitoune and AQIM's Saharan branch."
        ),
        aliases=(
            ("Jama'at Nusrat al-Islam wal-Muslimin", "en"),
            ("Group for the Support of Islam and Muslims", "en"),
            ("GSIM", "fr"),
            ("Groupe de soutien à l'islam et aux musulmans", "fr"),
            ("جماعة نصرة الإسلام والمسلمين", "ar"),
        ),
        areas=(_MOPTI, _SEGOU),
    ),
    ActorSpec(
        name="Katiba Macina",
        kind=ActorKind.JIHADIST,
        parent="JNIM",
        description=(
            "JNIM's branch in central Mali, founded around 2015 by the preacher Amadou Koufa; "
            "recruits largely among Fulani herders of the inner Niger delta."
        ),
        aliases=(
            ("Front de libération du Macina", "fr"),
            ("FLM", "fr"),
            ("Macina Liberation Front", "en"),
            ("Katibat Macina", "en"),
        ),
        areas=(_DJENNE, _MOPTI_CERCLE, _DOUENTZA, _NIONO, _MACINA, _KORO),
    ),
    ActorSpec(
        name="FAMa",
        kind=ActorKind.STATE_FORCE,
        description="Mali's armed forces.",
        aliases=(
            ("Forces armées maliennes", "fr"),
            ("armée malienne", "fr"),
            ("Malian Armed Forces", "en"),
            ("Malian army", "en"),
        ),
        areas=(_MOPTI, _SEGOU),
    ),
    ActorSpec(
        name="Wagner Group / Africa Corps",
        kind=ActorKind.FOREIGN_FORCE,
        description=(
            "Russian force deployed alongside the FAMa from late 2021, first as the Wagner "
            "Group, later as the Africa Corps under Russia's defence ministry. Called "
            "“instructeurs russes” in official Malian statements."
        ),
        aliases=(
            ("Wagner", "en"),
            ("Groupe Wagner", "fr"),
            ("Africa Corps", "en"),
            ("instructeurs russes", "fr"),
            ("Russian instructors", "en"),
        ),
        areas=(_DJENNE, _MOPTI_CERCLE, _NIONO),
    ),
)

MALI_CONSENT = ConsentFormSpec(
    title="Consentement éclairé — entretiens",
    text_fr=(
        "Nous sommes des chercheurs et nous étudions ce que les habitants du centre du Mali "
        "pensent des acteurs de la sécurité : l'armée, les groupes d'autodéfense, les groupes "
        "armés. L'entretien dure environ une heure. Vous n'êtes pas obligé(e) de participer, "
        "vous pouvez refuser de répondre à une question et arrêter à tout moment, sans aucune "
        "conséquence pour vous.\n\n"
        "Votre nom n'apparaîtra dans aucune publication. Il est conservé chiffré, séparément de "
        "vos réponses, et seuls les membres de l'équipe qui en ont besoin peuvent le lire. "
        "Nous vous demandons séparément si vous acceptez : de participer ; que l'entretien soit "
        "enregistré (audio) ; que vos paroles soient citées sans votre nom ; que vos réponses "
        "anonymisées soient partagées avec d'autres chercheurs ; qu'elles soient archivées ; que "
        "nous vous recontactions plus tard.\n\n"
        "Vous pouvez retirer votre accord à tout moment auprès de l'enquêteur ou en appelant le "
        "numéro qui vous a été donné ; vos réponses seront alors retirées de toute diffusion "
        "ultérieure."
    ),
    text_en=(
        "We are researchers studying how people in central Mali see security actors: the army, "
        "self-defence groups, armed groups. The interview takes about an hour. You do not have "
        "to take part; you may decline any question and stop at any time, with no consequence "
        "for you.\n\n"
        "Your name will not appear in any publication. It is kept encrypted, apart from your "
        "answers, and only the team members who need it can read it. We ask you separately "
        "whether you agree: to take part; to the interview being audio-recorded; to your words "
        "being quoted without your name; to your anonymized answers being shared with other "
        "researchers; to their being archived; to our contacting you again later.\n\n"
        "You may withdraw your consent at any time through the interviewer or by calling the "
        "number you were given; your answers will then be left out of anything released later."
    ),
    scopes=ALL_SCOPES,
)

_d = dt.date


def _s(n, given, gender, year, place, community, language, scopes, method, on, **kw):
    return SourceSpec(
        n, given, gender, year, place, community, language, frozenset(scopes), method, on, **kw
    )


_OGOL = ("Mopti", "Bandiagara", "Sangha", "Ogol-Du")
_BANANI = ("Mopti", "Bandiagara", "Sangha", "Banani")
_IRELI = ("Mopti", "Bandiagara", "Sangha", "Ireli")
_BANDIAGARA_V = ("Mopti", "Bandiagara", "Bandiagara", "Bandiagara")
_DIALLASSAGOU = ("Mopti", "Bankass", "Diallassagou", "Diallassagou")
_BANKASS_V = ("Mopti", "Bankass", "Bankass", "Bankass")
_BONI = ("Mopti", "Douentza", "Haïré", "Boni")
_DOUENTZA_V = ("Mopti", "Douentza", "Douentza", "Douentza")
_DJENNE_V = ("Mopti", "Djenné", "Djenné", "Djenné")
_SOFARA = ("Mopti", "Djenné", "Fakala", "Sofara")
_SEVARE = ("Mopti", "Mopti", "Mopti", "Sévaré")
_KONNA = ("Mopti", "Mopti", "Konna", "Konna")
_DINANGOUROU = ("Mopti", "Koro", "Dinangourou", "Dinangourou")
_KORO_V = ("Mopti", "Koro", "Koro", "Koro")
_FARABOUGOU = ("Ségou", "Niono", "Dogofry", "Farabougou")
_DOGOFRY = ("Ségou", "Niono", "Dogofry", "Dogofry")
_NIONO_V = ("Ségou", "Niono", "Niono", "Niono")
_DIABALY = ("Ségou", "Niono", "Diabaly", "Diabaly")
_KOKRY = ("Ségou", "Macina", "Kokry", "Kokry-Centre")
_MACINA_V = ("Ségou", "Macina", "Macina", "Macina")
_KORO_CERCLE = ("Mopti", "Koro")  # a source placed only at cercle level, as a wary one may be

W, M, U = "woman", "man", "undisclosed"
FF, DG, BM, FR, BZ = "fulfulde", "dogon", "bambara", "français", "bozo"

# fmt: off
MALI_SOURCES = (
    _s(1, "Amadou", M, 1978, _OGOL, "Dogon", DG, ALL_SCOPES, WRITTEN, _d(2025, 10, 6)),
    _s(2, "Yagouma", W, 1985, _OGOL, "Dogon", DG, {P, QUOTE, SHARE}, ORAL_WIT, _d(2025, 10, 6)),
    _s(3, "Antandou", M, 1962, _BANANI, "Dogon", DG, {P, AUDIO, SHARE, ARCHIVE}, ORAL_REC,
       _d(2025, 10, 7), alias="Le vieux Antandou"),
    _s(4, "Yakouba", M, 1990, _IRELI, "Dogon", FR, ALL_SCOPES, WRITTEN, _d(2025, 10, 8)),
    _s(5, "Mariam", W, 1996, _BANDIAGARA_V, "Dogon", FR, {P, QUOTE, SHARE, RECONTACT}, WRITTEN,
       _d(2025, 10, 9)),
    _s(6, "Hamadoun", M, 1971, _BANDIAGARA_V, "Peul", FF, {P, SHARE}, ORAL_WIT, _d(2025, 10, 9),
       phone=False),
    _s(7, "Aïssata", W, 1988, _DIALLASSAGOU, "Dogon", DG, {P, AUDIO, SHARE}, ORAL_REC,
       _d(2025, 10, 14)),
    _s(8, "Boureima", M, 1983, _DIALLASSAGOU, "Dogon", FR, ALL_SCOPES, WRITTEN, _d(2025, 10, 14)),
    _s(9, "Kadidia", W, 1975, _BANKASS_V, "Peul", FF, {P, SHARE, ARCHIVE}, ORAL_WIT,
       _d(2025, 10, 15)),
    _s(10, "Oumar", M, 1967, _BONI, "Peul", FF, {P, AUDIO, QUOTE, SHARE}, ORAL_REC,
       _d(2025, 11, 3), alias="Baba"),
    _s(11, "Fatoumata", W, 1993, _BONI, "Songhaï", FR, {P, SHARE}, WRITTEN, _d(2025, 11, 3)),
    _s(12, "Hama", M, 1959, _DOUENTZA_V, "Peul", FF, {P}, ORAL_WIT, _d(2025, 11, 4), phone=False),
    _s(13, "Seydou", M, 1987, _DOUENTZA_V, "Dogon", FR, ALL_SCOPES, WRITTEN, _d(2025, 11, 4)),
    _s(14, "Djeneba", W, 1999, _DJENNE_V, "Bozo", BZ, {P, AUDIO, SHARE, RECONTACT}, ORAL_REC,
       _d(2025, 11, 18)),
    _s(15, "Abdoulaye", M, 1980, _DJENNE_V, "Marka", FR, ALL_SCOPES, WRITTEN, _d(2025, 11, 18)),
    _s(16, "Hawa", W, 1972, _SOFARA, "Peul", FF, {P, SHARE, ARCHIVE}, ORAL_WIT, _d(2025, 11, 19)),
    _s(17, "Sékou", M, 1994, _SOFARA, "Bambara", BM, {P, QUOTE, SHARE}, ORAL_REC,
       _d(2025, 11, 19)),
    _s(18, "Ramata", W, 1981, _SEVARE, "Peul", FR, ALL_SCOPES, WRITTEN, _d(2025, 12, 1)),
    _s(19, "Moussa", M, 1976, _SEVARE, "Bozo", BZ, {P, AUDIO, QUOTE, SHARE, ARCHIVE}, ORAL_REC,
       _d(2025, 12, 1)),
    _s(20, "Bintou", W, 2001, _KONNA, "Bozo", BM, {P, SHARE, RECONTACT}, WRITTEN, _d(2025, 12, 2)),
    _s(21, "Allaye", M, 1969, _KONNA, "Peul", FF, {P, QUOTE}, ORAL_WIT, _d(2025, 12, 2),
       withdrawn_on=_d(2026, 2, 10),
       withdrawal_reason=(
           "A demandé à se retirer après le passage d'hommes armés dans le quartier ; craint "
           "que sa participation soit connue (situation fictive de démonstration)."
       )),
    _s(22, "Ousmane", M, 1984, _DINANGOUROU, "Dogon", DG, {P, AUDIO, SHARE}, ORAL_REC,
       _d(2026, 1, 12)),
    _s(23, "Yalema", W, 1990, _DINANGOUROU, "Dogon", DG, {P, SHARE}, ORAL_WIT, _d(2026, 1, 12),
       phone=False),
    _s(24, "Ali", M, 1979, _KORO_V, "Dogon", FR, ALL_SCOPES, WRITTEN, _d(2026, 1, 13)),
    _s(25, "Mamadou", U, None, _KORO_CERCLE, "Peul", FF, {P, SHARE}, ORAL_WIT, _d(2026, 1, 14),
       phone=False),
    _s(26, "Bakary", M, 1974, _FARABOUGOU, "Bambara", BM, {P, AUDIO, QUOTE, SHARE}, ORAL_REC,
       _d(2026, 2, 2), alias="Le chasseur"),
    _s(27, "Assitan", W, 1986, _FARABOUGOU, "Bambara", BM, {P, SHARE, ARCHIVE}, ORAL_WIT,
       _d(2026, 2, 2)),
    _s(28, "Adama", M, 1992, _DOGOFRY, "Peul", FF, {P, SHARE}, ORAL_WIT, _d(2026, 2, 3)),
    _s(29, "Nana", W, 1965, _NIONO_V, "Bambara", FR, ALL_SCOPES, WRITTEN, _d(2026, 2, 4)),
    _s(30, "Drissa", M, 1998, _DIABALY, "Bambara", BM, {P, AUDIO, SHARE, RECONTACT}, ORAL_REC,
       _d(2026, 2, 5)),
    _s(31, "Salif", M, 1982, _KOKRY, "Bozo", BZ, {P, QUOTE, SHARE}, ORAL_WIT, _d(2026, 2, 16)),
    _s(32, "Kadiatou", W, 1989, _MACINA_V, "Peul", FF, ALL_SCOPES, WRITTEN, _d(2026, 2, 17)),
)
# fmt: on

CENTRE_MALI = StudySpec(
    slug="centre-mali-demo",
    name="Perceptions des acteurs de sécurité — centre du Mali (démo)",
    description=(
        "Étude de démonstration. Les lieux et les acteurs sont réels et publics ; toutes les "
        "sources sont inventées (noms « DÉMO-… », téléphones fictifs). Découpage administratif "
        "des régions de Mopti et de Ségou antérieur à la création des nouvelles régions."
    ),
    place_scheme=PlaceScheme.MALI,
    places=MALI_PLACES,
    actors=MALI_ACTORS,
    consent_form=MALI_CONSENT,
    sources=MALI_SOURCES,
    name_pattern="DÉMO-{n:02d} {given} Fictif",
    phone_pattern="+223 00 00 00 {n:02d}",
    notes="Personne fictive : données de démonstration, ne pas contacter.",
)


# --- Diaspora -----------------------------------------------------------------------------------

DIASPORA_PLACES = (
    PlaceSpec("France", (_V("Paris"), _V("Lyon"))),
    PlaceSpec("Germany", (_V("Berlin"),)),
    PlaceSpec("Canada", (_V("Toronto"),)),
    PlaceSpec("United Kingdom", (_V("London"),)),
    PlaceSpec("Netherlands", (_V("Amsterdam"),)),
)
_EVERYWHERE = tuple((p.name,) for p in DIASPORA_PLACES)

DIASPORA_ACTORS = (
    ActorSpec(
        name="Ministry of Public Security (home state)",
        kind=ActorKind.POLICE_INTELLIGENCE,
        description=(
            "The home state's police ministry, as interviewees describe it: calls to relatives, "
            "summonses, pressure to report on others. Generic for the demo."
        ),
        aliases=(
            ("MPS", "en"),
            ("Ministère de la Sécurité publique (État d'origine)", "fr"),
            ("Ministerium für öffentliche Sicherheit (Herkunftsstaat)", "de"),
            ("Ministerie van Openbare Veiligheid (land van herkomst)", "nl"),
        ),
        areas=_EVERYWHERE,
    ),
    ActorSpec(
        name="Overseas police service stations",
        kind=ActorKind.POLICE_INTELLIGENCE,
        parent="Ministry of Public Security (home state)",
        description=(
            "Offices abroad run by the home state's local police bureaus, presented as "
            "administrative help for nationals, reported to pressure dissidents to return."
        ),
        aliases=(
            ("local police stations abroad", "en"),
            ("postes de police à l'étranger", "fr"),
            ("Übersee-Polizeistationen", "de"),
            ("politiebureaus in het buitenland", "nl"),
        ),
        areas=(
            ("France", "Paris"),
            ("Netherlands", "Amsterdam"),
            ("Canada", "Toronto"),
            ("United Kingdom", "London"),
        ),
    ),
    ActorSpec(
        name="Ministry of State Security (home state)",
        kind=ActorKind.POLICE_INTELLIGENCE,
        description=(
            "The home state's intelligence service, as interviewees describe it: approaches, "
            "surveillance, recruitment of informants. Generic for the demo."
        ),
        aliases=(
            ("MSS", "en"),
            ("Ministère de la Sécurité d'État (État d'origine)", "fr"),
            ("Staatssicherheitsministerium (Herkunftsstaat)", "de"),
            ("Ministerie van Staatsveiligheid (land van herkomst)", "nl"),
        ),
        areas=_EVERYWHERE,
    ),
    ActorSpec(
        name="Proxy community associations",
        kind=ActorKind.OTHER,
        description=(
            "Hometown, student and business associations abroad that relay the home state's "
            "instructions or report on members, as some interviewees describe them."
        ),
        aliases=(
            ("hometown associations", "en"),
            ("associations communautaires relais", "fr"),
            ("Heimatvereine", "de"),
            ("gemeenschapsverenigingen", "nl"),
        ),
        areas=_EVERYWHERE,
    ),
)

DIASPORA_CONSENT = ConsentFormSpec(
    title="Informed consent — diaspora interviews",
    text_fr=(
        "Cette recherche porte sur les pressions que des personnes vivant à l'étranger "
        "subissent de la part des autorités de leur pays d'origine. L'entretien dure environ "
        "une heure, en personne ou par une messagerie chiffrée de votre choix. Vous pouvez "
        "refuser toute question et arrêter à tout moment.\n\n"
        "Nous ne publierons jamais votre nom, votre ville ni aucun détail permettant de vous "
        "reconnaître. Votre identité est conservée chiffrée, séparément de vos réponses. Nous "
        "vous demandons séparément si vous acceptez : de participer ; l'enregistrement audio ; "
        "les citations anonymes ; le partage de données anonymisées ; l'archivage ; un nouveau "
        "contact.\n\n"
        "Vous pouvez retirer votre accord à tout moment en écrivant à l'équipe ; vos réponses "
        "seront alors exclues de toute diffusion ultérieure."
    ),
    text_en=(
        "This research is about the pressure people living abroad face from the authorities of "
        "their home country. The interview takes about an hour, in person or over an encrypted "
        "messenger of your choice. You may decline any question and stop at any time.\n\n"
        "We will never publish your name, your city or any detail that could identify you. "
        "Your identity is kept encrypted, apart from your answers. We ask you separately "
        "whether you agree: to take part; to audio recording; to anonymous quotes; to sharing "
        "anonymized data; to archiving; to being contacted again.\n\n"
        "You may withdraw your consent at any time by writing to the team; your answers will "
        "then be left out of anything released later."
    ),
    scopes=ALL_SCOPES,
)

_PARIS, _LYON, _BERLIN = ("France", "Paris"), ("France", "Lyon"), ("Germany", "Berlin")
_TORONTO, _LONDON = ("Canada", "Toronto"), ("United Kingdom", "London")
_AMSTERDAM = ("Netherlands", "Amsterdam")
EN, DE, NL = "english", "deutsch", "nederlands"

# fmt: off
DIASPORA_SOURCES = (
    _s(1, "Alex", M, 1988, _PARIS, "student", FR, {P, QUOTE, SHARE}, WRITTEN, _d(2026, 3, 2)),
    _s(2, "Sam", W, 1979, _PARIS, "journalist in exile", FR, ALL_SCOPES, WRITTEN,
       _d(2026, 3, 2)),
    _s(3, "Robin", U, None, _PARIS, "human-rights activist", EN, {P, SHARE}, ORAL_REC,
       _d(2026, 3, 3), phone=False),
    _s(4, "Noa", W, 1995, _LYON, "student", FR, {P, AUDIO, SHARE, RECONTACT}, ORAL_REC,
       _d(2026, 3, 9)),
    _s(5, "Kim", M, 1970, _LYON, "small business owner", FR, {P, SHARE}, ORAL_WIT,
       _d(2026, 3, 9)),
    _s(6, "Jo", W, 1984, _BERLIN, "human-rights activist", DE, ALL_SCOPES, WRITTEN,
       _d(2026, 4, 14), alias="J."),
    _s(7, "Lee", M, 1991, _BERLIN, "religious community member", EN, {P, QUOTE, SHARE},
       ORAL_REC, _d(2026, 4, 14)),
    _s(8, "Ari", M, 1966, _TORONTO, "community association member", EN,
       {P, SHARE, ARCHIVE}, WRITTEN, _d(2026, 5, 5)),
    _s(9, "Mika", W, 1999, _TORONTO, "student", EN, {P, AUDIO, QUOTE, SHARE}, ORAL_REC,
       _d(2026, 5, 5)),
    _s(10, "Dana", W, 1975, _LONDON, "journalist in exile", EN, ALL_SCOPES, WRITTEN,
       _d(2026, 5, 20)),
    _s(11, "Chris", M, 1982, _LONDON, "small business owner", EN, {P, SHARE}, ORAL_WIT,
       _d(2026, 5, 20), phone=False),
    _s(12, "Yan", M, 1993, _LONDON, "human-rights activist", EN, {P, QUOTE, SHARE, RECONTACT},
       WRITTEN, _d(2026, 5, 21)),
    _s(13, "Eli", W, 1987, _AMSTERDAM, "religious community member", NL, {P, SHARE},
       ORAL_REC, _d(2026, 6, 8)),
    _s(14, "Tal", M, 1958, _AMSTERDAM, "community association member", NL,
       {P, AUDIO, SHARE, ARCHIVE}, ORAL_WIT, _d(2026, 6, 8)),
    _s(15, "Ren", U, 1990, _AMSTERDAM, "student", EN, ALL_SCOPES, WRITTEN, _d(2026, 6, 9)),
)
# fmt: on

DIASPORA = StudySpec(
    slug="diaspora-demo",
    name="Transnational repression — diaspora interviews (demo)",
    description=(
        "Demo study. The home state and its services are generic; every source is invented "
        "(names “DEMO-…”, phone numbers from the UK's range reserved for drama)."
    ),
    place_scheme=PlaceScheme.DIASPORA,
    places=DIASPORA_PLACES,
    actors=DIASPORA_ACTORS,
    consent_form=DIASPORA_CONSENT,
    sources=DIASPORA_SOURCES,
    name_pattern="DEMO-D{n:02d} {given} Fictional",
    # Ofcom keeps 07700 900000-900999 for fiction; the last 8 digits stay distinct per source.
    phone_pattern="+44 7700 900 {n:03d}",
    notes="Fictional person: demo data, do not contact.",
)

DEMO_STUDIES = (CENTRE_MALI, DIASPORA)


# --- Loading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    role: str  # a Role value; `Role(login.role).label` for display
    username: str
    password: str


@dataclass(frozen=True)
class DemoStudyResult:
    slug: str
    name: str
    created: bool  # False: the study was already there
    places: int
    actors: int
    sources: int
    sources_created: int


@dataclass(frozen=True)
class DemoResult:
    studies: tuple[DemoStudyResult, ...]
    logins: tuple[DemoLogin, ...]
    url: str

    @property
    def created_anything(self) -> bool:
        return any(s.created or s.sources_created for s in self.studies)


def _users(say: Callable[[str], None]) -> dict[str, User]:
    users = {}
    for username, _role in DEMO_USERS:
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            user = user_create(username=username, password=DEMO_PASSWORD, language="fr")
            say(_("Created the account %(username)s.") % {"username": username})
        if username == ADMIN_USERNAME and not user.is_staff:
            # Staff may create studies; the demo admin shows that part of the app too.
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        users[username] = user
    return users


def _study(spec: StudySpec, admin: User) -> tuple[Study, bool]:
    study = Study.objects.filter(slug=spec.slug).first()
    if study is not None:
        return study, False
    study = study_create(
        by=admin,
        name=spec.name,
        slug=spec.slug,
        description=spec.description,
        place_scheme=spec.place_scheme,
    )
    return study, True


def _memberships(study: Study, users: dict[str, User], admin: User) -> None:
    for username, role in DEMO_USERS:
        if not Membership.objects.filter(study=study, user=users[username]).exists():
            member_add(study=study, by=admin, username=username, role=role)


def _places(study: Study, specs, admin: User) -> dict[tuple[str, ...], Place]:
    by_path: dict[tuple[str, ...], Place] = {}
    levels = study.place_levels

    def add(spec: PlaceSpec, parent: Place | None, path: tuple[str, ...]) -> None:
        path = (*path, spec.name)
        place = Place.objects.filter(study=study, parent=parent, name=spec.name).first()
        if place is None:
            place = place_create(
                study=study, by=admin, name=spec.name, level=levels[len(path) - 1], parent=parent
            )
        by_path[path] = place
        for child in spec.children:
            add(child, place, path)

    for spec in specs:
        add(spec, None, ())
    return by_path


def _actors(study: Study, specs, places, admin: User) -> None:
    made: dict[str, Actor] = {}
    for spec in specs:  # parents come before their branches in the data
        actor = Actor.objects.filter(study=study, name=spec.name).first()
        if actor is None:
            actor = actor_create(
                study=study,
                by=admin,
                name=spec.name,
                kind=spec.kind,
                parent=made.get(spec.parent) if spec.parent else None,
                description=spec.description,
                aliases=spec.aliases,
                active_areas=[places[path] for path in spec.areas],
            )
        made[spec.name] = actor


def _consent_form(study: Study, spec: ConsentFormSpec, admin: User) -> ConsentForm:
    form = ConsentForm.objects.filter(study=study, title=spec.title).order_by("-version").first()
    if form is None:
        form = consent_form_create(
            study=study,
            by=admin,
            title=spec.title,
            text_fr=spec.text_fr,
            text_en=spec.text_en,
            scopes=spec.scopes,
        )
    return form


def _sources(study, spec: StudySpec, places, form, researcher) -> int:
    # The marker of a loaded demo: once a study has sources, its sources are left alone.
    if Source.objects.filter(study=study).exists():
        return 0
    for s in spec.sources:
        identity = Identity(
            full_name=spec.name_pattern.format(n=s.number, given=s.given_name),
            aliases=[s.alias] if s.alias else [],
            phone=spec.phone_pattern.format(n=s.number) if s.phone else "",
            contact_notes=spec.notes,
        )
        source = source_create(
            study=study,
            by=researcher,
            identity=identity,
            attributes=SourceAttributes(
                gender=s.gender,
                birth_year=s.birth_year,
                place=places[s.place],
                community=s.community,
                language=s.language,
            ),
            consent=ConsentGrant(
                form=form, scopes=s.scopes, method=s.method, obtained_on=s.obtained_on
            ),
        )
        if s.withdrawn_on is not None:
            consent_withdraw(
                source=source,
                by=researcher,
                scopes=frozenset({ConsentScope.PARTICIPATE}),
                reason=s.withdrawal_reason,
                withdrawn_on=s.withdrawn_on,
            )
    return len(spec.sources)


#: Questionnaires (XLSForms in demo_forms/) uploaded and published in a demo study.
DEMO_QUESTIONNAIRES = {"centre-mali-demo": ("checkpoint.md",)}
DEMO_FORMS_DIR = Path(__file__).resolve().parent / "demo_forms"


def _questionnaires(study: Study, admin: User, say: Callable[[str], None]) -> None:
    """Publish the study's demo questionnaires unless it already has instruments."""
    if Instrument.objects.filter(study=study).exists():
        return
    for filename in DEMO_QUESTIONNAIRES.get(study.slug, ()):
        content = (DEMO_FORMS_DIR / filename).read_bytes()
        try:
            version = instrument_upload(study=study, by=admin, content=content, filename=filename)
        except ServiceError as exc:
            # Without Java, ODK Validate cannot vouch for the form: leave it out and say why.
            say(
                _("The demo questionnaire %(file)s was not loaded: %(reason)s")
                % {"file": filename, "reason": " ".join(exc.messages)}
            )
            continue
        instrument_version_publish(version=version, by=admin)
        say(
            _("Published the demo questionnaire %(form)s in %(slug)s.")
            % {"form": version.instrument.form_id, "slug": study.slug}
        )


@transaction.atomic
def demo_load(*, stdout: Callable[[str], None] | None = None) -> DemoResult:
    """Create the demo users and studies, or leave them as they are.

    Idempotent: a second run finds every object and creates nothing. All in one transaction,
    so a failure leaves no half-loaded demo. `stdout` receives one line per step taken."""
    say = stdout or (lambda _line: None)
    users = _users(say)
    admin, researcher = users[ADMIN_USERNAME], users[RESEARCHER_USERNAME]
    results = []
    for spec in DEMO_STUDIES:
        study, created = _study(spec, admin)
        _memberships(study, users, admin)
        places = _places(study, spec.places, admin)
        _actors(study, spec.actors, places, admin)
        form = _consent_form(study, spec.consent_form, admin)
        made = _sources(study, spec, places, form, researcher)
        _questionnaires(study, admin, say)
        if created:
            say(_("Created the study %(slug)s.") % {"slug": study.slug})
        if made:
            say(
                ngettext(
                    "Recorded %(count)s fictitious source in %(slug)s.",
                    "Recorded %(count)s fictitious sources in %(slug)s.",
                    made,
                )
                % {"count": made, "slug": study.slug}
            )
        results.append(
            DemoStudyResult(
                slug=study.slug,
                name=study.name,
                created=created,
                places=Place.objects.filter(study=study).count(),
                actors=Actor.objects.filter(study=study).count(),
                sources=Source.objects.filter(study=study).count(),
                sources_created=made,
            )
        )
    logins = tuple(
        DemoLogin(role=str(role), username=username, password=DEMO_PASSWORD)
        for username, role in DEMO_USERS
    )
    return DemoResult(studies=tuple(results), logins=logins, url=DEMO_URL)
