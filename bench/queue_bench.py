"""Benchmark of the supervisors' queue: interview pages over 100,000 interviews of one study.

Imported by `bench/run.py` after django.setup(), on a scratch PostgreSQL database. The study
gets the demo checkpoint questionnaire (uploaded and published through the services), a few
members and 200 sources made by `source_create`; the interviews are then bulk-loaded (one
version each, with a realistic answers dict) and ANALYZEd. The figures are whole responses
through Django's test client (middleware, session, permissions, queries, template or
serializer); the peer is the bare selector, so the rendering's share shows.
"""

import datetime as dt
import gc
import hashlib
import json
import random
import re
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.openrosa_bench import settle
from bench.sources_bench import create_source, fake_identity, percentile, say, timed, verdict
from fieldwork.accounts.models import Role
from fieldwork.accounts.services import member_add, user_create
from fieldwork.instruments.services import instrument_upload, instrument_version_publish
from fieldwork.interviews.models import Interview, InterviewStatus, InterviewVersion
from fieldwork.interviews.selectors import interview_list
from fieldwork.interviews.services import version_build
from fieldwork.sources.models import ConsentScope
from fieldwork.sources.services import consent_form_create
from fieldwork.studies.models import PlaceLevel
from fieldwork.studies.services import place_create, study_create

TARGET_MS = 150.0  # p95 of a queue or list response
CHECKPOINT = (
    Path(__file__).resolve().parent.parent
    / "fieldwork"
    / "studies"
    / "demo_forms"
    / "checkpoint.md"
)
PASSWORD = "bench-fieldwork-2026"
RESEARCHERS = 6
VILLAGES = ("Ogol-Du", "Banani", "Ireli", "Tireli", "Diallassagou", "Bankass-Ville")
#: (status, weight): most interviews are received or approved, as in a study under way.
STATUS_MIX = (
    (InterviewStatus.APPROVED, 45),
    (InterviewStatus.RECEIVED, 30),
    (InterviewStatus.EDITED, 5),
    (InterviewStatus.HAS_ISSUES, 8),
    (InterviewStatus.REJECTED, 4),
    (InterviewStatus.DRAFT, 8),
)
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


# --- The world ------------------------------------------------------------------------------


def world(sources: int) -> dict:
    by = user_create(username="bench-queue-admin", password=PASSWORD)
    study = study_create(by=by, name="Queue", slug="bench-queue", place_scheme="mali")
    region = place_create(study=study, by=by, name="Mopti", level=PlaceLevel.REGION)
    cercle = place_create(
        study=study, by=by, name="Bandiagara", level=PlaceLevel.CERCLE, parent=region
    )
    commune = place_create(
        study=study, by=by, name="Sangha", level=PlaceLevel.COMMUNE, parent=cercle
    )
    villages = [
        place_create(study=study, by=by, name=n, level=PlaceLevel.VILLAGE, parent=commune)
        for n in VILLAGES
    ]
    form = consent_form_create(
        study=study,
        by=by,
        title="Consentement éclairé — entretiens",
        text_fr="Vous pouvez refuser de répondre et arrêter à tout moment.",
        text_en="You may decline to answer and stop at any time.",
        scopes=frozenset(ConsentScope.values),
    )
    version = instrument_upload(
        study=study, by=by, content=CHECKPOINT.read_bytes(), filename=CHECKPOINT.name
    )
    version = instrument_version_publish(version=version, by=by)
    supervisor = member_add(
        study=study, by=by, username="bench-supervisor", role=Role.SUPERVISOR, password=PASSWORD
    ).user
    researchers = [
        member_add(
            study=study,
            by=by,
            username=f"bench-researcher-{k}",
            role=Role.FIELD_RESEARCHER,
            password=PASSWORD,
        ).user
        for k in range(RESEARCHERS)
    ]
    w = {"by": by, "study": study, "villages": villages, "form": form}
    # The sources bench's own helpers: source_create with sealed identity and consent.
    w["sources"] = [
        create_source(w, fake_identity("Queue Personne", i, "4"), i) for i in range(sources)
    ]
    w.update(version=version, supervisor=supervisor, researchers=researchers)
    return w


def answers_for(rng: random.Random, i: int, when: dt.datetime) -> dict:
    """What the checkpoint questionnaire's answers look like once validated."""
    group = rng.choice(("dna", "jnim", "none"))
    paid = 0 if group == "none" else rng.choice((500, 1000, 2500, 5000, 10000))
    return {
        "start": when.isoformat(),
        "end": (when + dt.timedelta(minutes=rng.randint(15, 70))).isoformat(),
        "respondent_name": f"Répondant {i:06d}",
        "telephone": f"7{i:07d}",
        "age": rng.randint(18, 80),
        "gender": rng.choice(("female", "male")),
        "commune": "sangha",
        "village": rng.choice(("ogol", "banani")),
        "location": f"14.{rng.randint(300000, 399999)} -3.{rng.randint(300000, 399999)} 310 6",
        "checkpoint": {
            "armed_group": group,
            "amount_paid": paid,
            "items_taken": " ".join(rng.sample(("money", "livestock", "phone"), rng.randint(0, 2))),
            "what_happened": "Contrôle au poste, questions sur la destination, paiement exigé.",
        },
        "incidents": [
            {
                "incident_date": (when - dt.timedelta(days=rng.randint(1, 90))).date().isoformat(),
                "incident_description": "Véhicule arrêté, passagers fouillés.",
            }
            for _ in range(rng.randint(0, 2))
        ],
        "amount_doubled": paid * 2,
    }


def load(w: dict, count: int) -> None:
    """`count` interviews with their first version; created_at spread over a year."""
    rng = random.Random(20260401)
    study, version = w["study"], w["version"]
    statuses = [s for s, _ in STATUS_MIX]
    weights = [n for _, n in STATUS_MIX]
    chunk = 5_000
    for first in range(0, count, chunk):
        interviews, bodies = [], []
        for i in range(first, min(first + chunk, count)):
            when = START + dt.timedelta(seconds=rng.randrange(365 * 86_400))
            researcher = w["researchers"][i % RESEARCHERS]
            answers = answers_for(rng, i, when)
            interviews.append(
                Interview(
                    study=study,
                    client_uuid=uuid.uuid4(),
                    instrument_id=version.instrument_id,
                    source=w["sources"][i % len(w["sources"])],
                    researcher=researcher,
                    place=w["villages"][i % len(w["villages"])],
                    # created_at is auto_now_add (bulk_create sets it to now): conducted_at
                    # carries the intended time, copied below by one UPDATE.
                    conducted_at=when,
                    language=rng.choice(("fulfulde", "dogon", "bambara", "français")),
                    status=rng.choices(statuses, weights)[0],
                )
            )
            bodies.append((answers, researcher, when))
        Interview.objects.bulk_create(interviews, batch_size=chunk)
        versions = []
        for interview, (answers, researcher, when) in zip(interviews, bodies, strict=True):
            raw = json.dumps({"answers": answers}, ensure_ascii=False).encode()
            row = version_build(
                interview=interview,
                number=1,
                instance_id=interview.client_uuid,
                deprecated_id=None,
                instrument_version=version,
                answers=answers,
                problems=[],
                notes=[],
                raw=raw,
                sha=hashlib.sha256(raw).hexdigest(),
                payload_format=InterviewVersion.Format.JSON,
                by=researcher,
                device_id=f"collect:bench{researcher.pk}",
                via_device=None,
                expected_attachments=[],
            )
            row.received_at = when
            versions.append(row)
        InterviewVersion.objects.bulk_create(versions, batch_size=chunk)
    interview_table = Interview._meta.db_table
    version_table = InterviewVersion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{interview_table}" i SET "created_at" = i."conducted_at", '
            f'"updated_at" = i."conducted_at", "current_version_id" = v."id" '
            f'FROM "{version_table}" v WHERE v."interview_id" = i."id" AND i."study_id" = %s',
            [study.pk],
        )
        # After 100,000 updated rows: clear the dead tuples and the visibility map too.
        cursor.execute(f'VACUUM ANALYZE "{interview_table}"')
        cursor.execute(f'VACUUM ANALYZE "{version_table}"')


# --- Measuring ------------------------------------------------------------------------------


def measure(fn: Callable[[], object], requests: int) -> list[float]:
    for _ in range(min(20, requests // 10)):  # warm the plan cache, templates and buffers
        fn()
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def fetch(client: Client, url: str, data: dict | None = None, **headers) -> Callable[[], None]:
    def get() -> None:
        response = client.get(url, data or {}, **headers)
        assert response.status_code == 200, (url, data, response.status_code)
        response.content  # noqa: B018  (the body is built; nothing streams)

    return get


def breakdown(get: Callable[[], None]) -> tuple[list[dict], float]:
    """The statements one request sends, and its time, captured."""
    with CaptureQueriesContext(connection) as captured:
        ms = timed(get) * 1000
    return captured.captured_queries, ms


def explain(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [row[0] for row in cursor.fetchall()]


def short(sql: str, width: int = 110) -> str:
    sql = " ".join(sql.split())
    return sql if len(sql) <= width else sql[: width - 1] + "…"


def run(*, interviews: int = 100_000, sources: int = 200, requests: int = 200) -> None:
    say(
        f"Supervisor queue and interview lists over {interviews:,} interviews of one study "
        f"(checkpoint questionnaire, {sources} sources, {RESEARCHERS} field researchers; "
        f"{requests} requests each through django.test.Client, whole responses)"
    )
    w: dict = {}
    setup_s = timed(lambda: w.update(world(sources)))
    load_s = timed(lambda: load(w, interviews))
    say(
        f"   set up in {setup_s:.1f} s (upload + publish incl. ODK Validate, members, "
        f"{sources} source_create); loaded {interviews:,} interviews + versions in {load_s:.1f} s "
        f"({interviews / load_s:,.0f} rows/s), then VACUUM ANALYZE"
    )
    # Measured from a quiet database, as the OpenRosa bench is: not while the checkpointer
    # writes out the load and autovacuum reads it.
    settled_s = settle()
    # As config/wsgi.py does in a server's worker once the app is loaded: what is alive now
    # stays out of the garbage collector's full passes while requests are measured.
    gc.collect()
    gc.freeze()
    say(
        f"   waited {settled_s:.0f} s for a CHECKPOINT, autovacuum and a load average under 1; "
        "then gc.freeze(), as a server's worker does (config/wsgi.py)"
    )
    study, supervisor = w["study"], w["supervisor"]
    researcher = w["researchers"][0]
    boss = Client()
    boss.force_login(supervisor)
    own = Client()
    own.force_login(researcher)
    queue_url = reverse("interviews:interview-list", args=[study.slug])
    api_url = reverse("api:interview-list", kwargs={"slug": study.slug})
    filtered = {
        "state": InterviewStatus.APPROVED,
        "researcher": str(researcher.pk),
        "since": "2025-03-01",
        "until": "2025-05-31",
    }
    cases = [
        ("queue, default view (waiting for review)", fetch(boss, queue_url)),
        ("queue, filtered (approved, 1 researcher, 3 months)", fetch(boss, queue_url, filtered)),
        ("queue, page 50 (waiting)", fetch(boss, queue_url, {"state": "waiting", "page": 50})),
        ("field researcher's own list", fetch(own, queue_url)),
        (
            "API list, JSON (50 a page, cursor)",
            fetch(boss, api_url, HTTP_ACCEPT="application/json"),
        ),
    ]
    slowest: tuple[float, str, str] = (0.0, "", "")
    worst_p95 = 0.0
    for n, (label, get) in enumerate(cases, start=1):
        times = measure(get, requests)
        median, p95 = statistics.median(times), percentile(times, 0.95)
        worst_p95 = max(worst_p95, p95)
        queries, one_ms = breakdown(get)
        seconds = [float(q["time"]) * 1000 for q in queries]
        top = max(range(len(queries)), key=seconds.__getitem__)
        counts = [k for k, q in enumerate(queries) if q["sql"].lstrip().startswith("SELECT COUNT")]
        groups = [k for k, q in enumerate(queries) if "GROUP BY" in q["sql"]]
        shapes = Counter(re.sub(r"\d+|'[^']*'", "?", q["sql"]) for q in queries)
        shape, repeats = shapes.most_common(1)[0]
        say(
            f"   {n}. {label}: p50 {median:.1f} ms, p95 {p95:.1f} ms "
            f"(target < {TARGET_MS:g}) {verdict(p95 < TARGET_MS)}"
        )
        count_note = (
            "; COUNT queries: " + ", ".join(f"{seconds[k]:.1f} ms" for k in counts)
            if counts
            else "; no COUNT query"
        )
        if groups:
            count_note += "; per-state GROUP BY: " + ", ".join(
                f"{seconds[k]:.0f} ms" for k in groups
            )
        if repeats > 5:
            count_note += f"; {repeats}× one statement (N+1): {short(shape, 70)}"
        say(
            f"      [{len(queries)} queries, {sum(seconds):.1f} ms of {one_ms:.1f} ms in one "
            f"captured request, 1 ms resolution{count_note}; slowest {seconds[top]:.1f} ms: "
            f"{short(queries[top]['sql'])}]"
        )
        if p95 >= TARGET_MS and seconds[top] > slowest[0]:
            slowest = (seconds[top], queries[top]["sql"], label)

    peer = measure(lambda: list(interview_list(study=study, user=supervisor)[:50]), requests)
    say(
        f"   peer, bare selector list(interview_list(...)[:50]), no count, no rendering: "
        f"p50 {statistics.median(peer):.1f} ms, p95 {percentile(peer, 0.95):.1f} ms"
    )
    if slowest[1]:
        say(f"   EXPLAIN ANALYZE of the slowest query of a missed figure ({slowest[2]}):")
        for line in explain(slowest[1]):
            say("      " + line)
    elif worst_p95 < TARGET_MS:
        say("   (every figure within target: no EXPLAIN shown)")
