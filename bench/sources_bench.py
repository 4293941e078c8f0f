"""Benchmarks of sources: creating them through the service, finding duplicates among many.

Imported by `bench/run.py` after django.setup(), on a scratch PostgreSQL database. Every figure
is printed as soon as it is measured; the peers beside each target show where time goes.
"""

import contextlib
import cProfile
import datetime as dt
import io
import multiprocessing
import os
import platform
import pstats
import random
import statistics
import threading
import time
from collections.abc import Callable

import cryptography
import django
from django.db import connection, connections

from fieldwork.accounts.services import user_create
from fieldwork.sources.identity import Identity, identity_indexes, seal_identity
from fieldwork.sources.models import ConsentMethod, ConsentScope, Source
from fieldwork.sources.selectors import source_duplicate_hint
from fieldwork.sources.services import (
    ConsentGrant,
    SourceAttributes,
    consent_form_create,
    source_create,
)
from fieldwork.studies.models import PlaceLevel
from fieldwork.studies.services import place_create, study_create

CREATE_TARGET = 500  # sources/s through source_create
LOOKUP_TARGET_MS = 5.0  # per duplicate lookup, median and p95
GENDERS = ("woman", "man", "undisclosed", "")
COMMUNITIES = ("Peul", "Dogon", "Bambara", "Bozo", "Songhaï", "")
LANGUAGES = ("fulfulde", "dogon", "bambara", "français", "bozo")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS  <-- target missed"


def say(line: str = "") -> None:
    print(line, flush=True)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def fake_identity(prefix: str, i: int, phone_lead: str) -> Identity:
    """A made-up identity; phones are unique on their last 8 digits (what normalization keeps)."""
    return Identity(
        full_name=f"{prefix} {i:07d} Fictif",
        phone=f"+223 {phone_lead}{i:07d}",
        aliases=[f"Alias {i}"] if i % 3 == 0 else [],
        address=f"Quartier {i % 40}, village fictif",
        contact_notes="benchmark: données fictives",
    )


def world() -> dict:
    by = user_create(username="bench-admin", password="bench-fieldwork-2026")
    study = study_create(by=by, name="Benchmark", slug="bench", place_scheme="mali")
    region = place_create(study=study, by=by, name="Mopti", level=PlaceLevel.REGION)
    cercle = place_create(
        study=study, by=by, name="Bandiagara", level=PlaceLevel.CERCLE, parent=region
    )
    commune = place_create(
        study=study, by=by, name="Sangha", level=PlaceLevel.COMMUNE, parent=cercle
    )
    villages = [
        place_create(study=study, by=by, name=n, level=PlaceLevel.VILLAGE, parent=commune)
        for n in ("Ogol-Du", "Banani", "Ireli")
    ]
    form = consent_form_create(
        study=study,
        by=by,
        title="Consentement éclairé — entretiens",
        text_fr="Vous pouvez refuser de répondre et arrêter à tout moment.",
        text_en="You may decline to answer and stop at any time.",
        scopes=frozenset(ConsentScope.values),
    )
    return {"by": by, "study": study, "villages": villages, "form": form}


# --- 1. Creating sources through the service ------------------------------------------------

# Phones must differ on their last 8 digits within a study, so each batch of made-up people
# gets its own leading digit: 1 timed run, 2 crypto peer, 3 breakdown, 4/7/8/9 workers,
# 5 population, 6 lookup misses.
WORKER_LEADS = ("4", "7", "8", "9")


def attributes_for(w: dict, i: int) -> SourceAttributes:
    return SourceAttributes(
        gender=GENDERS[i % 4],
        birth_year=1950 + i % 55,
        place=w["villages"][i % 3],
        community=COMMUNITIES[i % 6],
        language=LANGUAGES[i % 5],
    )


def grant_for(w: dict) -> ConsentGrant:
    return ConsentGrant(
        form=w["form"],
        scopes=frozenset(ConsentScope.values),
        method=ConsentMethod.ORAL_WITNESSED,
        obtained_on=dt.date(2026, 1, 1),
    )


def create_source(w: dict, identity: Identity, i: int) -> Source:
    """What a researcher's "save" does: the service with its default duplicate check."""
    return source_create(
        study=w["study"],
        by=w["by"],
        identity=identity,
        attributes=attributes_for(w, i),
        consent=grant_for(w),
    )


def bench_create(w: dict, n: int, *, profile: bool) -> None:
    workers = max(2, min(len(WORKER_LEADS), os.cpu_count() or 2))
    say(
        f"1. Creating {n:,} sources with source_create (sealed identity, blind indexes, "
        "duplicate check, consent record, 2 audit events; one transaction each), "
        f"{workers} processes at once (one per CPU, as web or Celery workers run)"
    )
    warmup = min(50, n // 10)
    for i in range(warmup):
        create_source(w, fake_identity("Warmup Personne", i, "0"), i)
    rate = create_concurrently(w, per_worker=n // workers, workers=workers)
    say(
        f"   sources/s: {rate:,.0f} (target ≥ {CREATE_TARGET}) {verdict(rate >= CREATE_TARGET)}"
        f"   [{n // workers * workers:,} sources; PostgreSQL shares the same {workers} CPUs]"
    )

    alone = max(1, n // 4)
    identities = [fake_identity("Bench Personne", i, "1") for i in range(alone)]
    elapsed = timed(lambda: [create_source(w, identities[i], i) for i in range(alone)])
    say(
        f"   peer, one process alone: {alone / elapsed:,.0f} sources/s "
        f"[{elapsed / alone * 1000:.2f} ms a source, {alone:,} sources]"
    )
    create_peers(w, n)
    create_breakdown(w, 1)
    if profile:
        extra = min(2_000, n)
        more = [fake_identity("Profile Personne", i, "9") for i in range(extra)]
        profile_create(w, more, start=0, count=extra)


def create_peers(w: dict, n: int) -> None:
    """The same work without the database, and the database without the work."""
    study, by, villages = w["study"], w["by"], w["villages"]
    m = min(n, 10_000)
    scope = str(study.uuid)
    peer_ids = [fake_identity("Peer Personne", i, "2") for i in range(m)]
    contexts = [os.urandom(16).hex().encode() for _ in range(m)]

    def crypto_only() -> None:
        for identity, context in zip(peer_ids, contexts, strict=True):
            seal_identity(identity=identity, context=context)
            identity_indexes(identity=identity, scope=scope)

    rate_crypto = m / timed(crypto_only)
    say(
        f"   peer, crypto only (seal_identity: 2 AES-256-GCM + key gen, 2 HMAC indexes; "
        f"no database): {rate_crypto:,.0f} sources/s [{1e6 / rate_crypto:.0f} µs a source]"
    )

    k = min(n, 2_000)

    def plain_rows_one_by_one() -> None:
        for i in range(k):
            Source.objects.create(
                study=study, recorded_by=by, code=f"P1-{i:06d}", place=villages[0]
            )

    rate_row = k / timed(plain_rows_one_by_one)
    say(
        f"   peer, plain Source.objects.create, no crypto, no consent/audit, one commit each: "
        f"{rate_row:,.0f} rows/s [{1000 / rate_row:.2f} ms a row, {k:,} rows]"
    )

    def plain_bulk() -> None:
        Source.objects.bulk_create(
            [
                Source(study=study, recorded_by=by, code=f"P2-{i:06d}", place=villages[1])
                for i in range(m)
            ],
            batch_size=1_000,
        )

    rate_bulk = m / timed(plain_bulk)
    say(
        f"   floor, plain Source bulk_create (batches of 1,000, no crypto): "
        f"{rate_bulk:,.0f} rows/s [{m:,} rows]"
    )
    Source.objects.filter(study=study, code__startswith="P").delete()


def create_breakdown(w: dict, count: int) -> None:
    """Where a source's milliseconds go: the statements one `source_create` sends (captured,
    not copied from the service), and what a round trip costs here."""
    from django.test.utils import CaptureQueriesContext

    study = w["study"]
    with CaptureQueriesContext(connection) as captured:
        create_source(w, fake_identity("Breakdown Personne", 0, "3"), 0)
    kinds = [q["sql"].split()[0].upper() for q in captured.captured_queries]
    say(
        f"   statements per source_create: {len(kinds)} ({', '.join(kinds)}); "
        f"{1000 / max(len(kinds), 1):.0f} µs a statement would be the whole budget at 1,000/s"
    )

    def round_trips(sql: str, params: list, k: int = 2_000) -> float:
        with connection.cursor() as cursor:
            start = time.perf_counter()
            for _ in range(k):
                cursor.execute(sql, params)
                cursor.fetchone()
            return (time.perf_counter() - start) / k * 1000

    name_idx, _ = identity_indexes(identity=fake_identity("X", 0, "3"), scope=str(study.uuid))
    exists_qs = Source.objects.filter(study=study, name_index=name_idx)
    orm_ms = timed(lambda: [exists_qs.exists() for _ in range(2_000)]) / 2_000 * 1000
    table = Source._meta.db_table
    raw_ms = round_trips(
        f'SELECT 1 FROM "{table}" WHERE "study_id" = %s AND "name_index" = %s LIMIT 1',
        [study.pk, name_idx],
    )
    say(
        f"   one round trip (SELECT 1, raw cursor): {round_trips('SELECT 1', []):.3f} ms; "
        f"the name check as raw SQL: {raw_ms:.3f} ms, through the ORM: {orm_ms:.3f} ms"
    )


def _worker(w: dict, lead: str, count: int, barrier) -> None:
    # A forked child: Django is set up; its connection opens on first use.
    identities = [fake_identity(f"Worker{lead} Personne", i, lead) for i in range(count)]
    barrier.wait(timeout=300)
    for i, identity in enumerate(identities):
        create_source(w, identity, i)
    connections.close_all()


def create_concurrently(w: dict, *, per_worker: int, workers: int) -> float:
    """Sources per second created by `workers` processes at once; each makes `per_worker`."""
    connections.close_all()  # children must not share the parent's socket
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(workers + 1)
    procs = [
        ctx.Process(target=_worker, args=(w, WORKER_LEADS[k], per_worker, barrier))
        for k in range(workers)
    ]
    for proc in procs:
        proc.start()
    # A child that dies before the start must not hang the run.
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(timeout=300)
    start = time.perf_counter()
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - start
    if any(proc.exitcode for proc in procs):
        raise SystemExit("bench: a worker process failed; no figure for source creation")
    return workers * per_worker / elapsed


def profile_create(w: dict, identities: list, *, start: int, count: int) -> None:
    """cProfile of `count` more calls, after the timed ones."""
    say(f"   cProfile of {count:,} more source_create calls (internal time, top 25):")
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(start, start + count):
        create_source(w, identities[i], i)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    for line in out.getvalue().splitlines():
        if line.strip():
            say("     " + line)


# --- 2. Duplicate lookup among many sources -------------------------------------------------


def bench_lookup(w: dict, population: int, lookups: int) -> None:
    say()
    say(f"2. Duplicate lookup (source_duplicate_hint) among {population:,} sources of one study")
    by = w["by"]
    study = study_create(
        by=by, name="Benchmark population", slug="bench-population", place_scheme="mali"
    )
    scope = str(study.uuid)

    def load() -> None:
        chunk = 5_000
        for first in range(0, population, chunk):
            rows = []
            for i in range(first, min(first + chunk, population)):
                identity = fake_identity("Population", i, "5")
                source = Source(
                    study=study,
                    recorded_by=by,
                    code=f"POP-{i:07d}",
                    gender=GENDERS[i % 4],
                    birth_year=1950 + i % 55,
                    community=COMMUNITIES[i % 6],
                )
                # The service's own functions: real sealed identities, real blind indexes.
                sealed = seal_identity(identity=identity, context=str(source.uuid).encode())
                source.identity_ciphertext = sealed.ciphertext
                source.wrapped_key = sealed.wrapped_key
                source.key_id = sealed.key_id
                source.name_index, source.phone_index = identity_indexes(
                    identity=identity, scope=scope
                )
                rows.append(source)
            Source.objects.bulk_create(rows, batch_size=chunk)

    load_s = timed(load)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Source._meta.db_table}")
    say(
        f"   loaded {population:,} sealed sources in {load_s:.1f} s "
        f"({population / load_s:,.0f} rows/s with sealing and indexes), then ANALYZE"
    )

    rng = random.Random(20260101)
    hits = []
    for i in rng.sample(range(population), lookups // 2):
        base = fake_identity("Population", i, "5")
        # The same person written differently (word order, case, punctuation, phone format),
        # or someone else who shares the phone.
        match i % 3:
            case 0:
                hits.append(Identity(full_name=f"FICTIF, population {i:07d}", phone=base.phone))
            case 1:
                hits.append(Identity(full_name=base.full_name.upper(), phone=f"005{i:07d}"))
            case _:
                hits.append(Identity(full_name=f"Nobody Else {i}", phone=f"+223 5{i:07d}"))
    misses = [
        Identity(full_name=f"Absent {j:07d} Fictif", phone=f"+223 6{j:07d}")
        for j in range(lookups - len(hits))
    ]
    cases = [(identity, True) for identity in hits] + [(identity, False) for identity in misses]
    rng.shuffle(cases)

    for identity, _expected in cases[:50]:  # warm the connection, the plan cache and the index
        source_duplicate_hint(study=study, identity=identity)

    times_ms: list[float] = []
    wrong = 0
    for identity, expected in cases:
        start = time.perf_counter()
        hint = source_duplicate_hint(study=study, identity=identity)
        times_ms.append((time.perf_counter() - start) * 1000)
        wrong += bool(hint) != expected
    median, p95 = statistics.median(times_ms), percentile(times_ms, 0.95)
    hit_ms = statistics.median(t for t, (_i, e) in zip(times_ms, cases, strict=True) if e)
    miss_ms = statistics.median(t for t, (_i, e) in zip(times_ms, cases, strict=True) if not e)
    say(
        f"   ms per lookup, median: {median:.3f} (target < {LOOKUP_TARGET_MS:g}) "
        f"{verdict(median < LOOKUP_TARGET_MS)}"
    )
    say(
        f"   ms per lookup, p95:    {p95:.3f} (target < {LOOKUP_TARGET_MS:g}) "
        f"{verdict(p95 < LOOKUP_TARGET_MS)}"
    )
    say(
        f"   [{len(cases):,} lookups: {len(hits)} hits (median {hit_ms:.3f} ms), "
        f"{len(misses)} misses (median {miss_ms:.3f} ms), max {max(times_ms):.3f} ms]"
    )
    if wrong:
        say(f"   ERROR: {wrong} lookups gave the wrong answer; the figures above are void")

    k = 10_000
    sample = [identity for identity, _e in cases] * (k // len(cases) + 1)
    hmac_s = timed(lambda: [identity_indexes(identity=i, scope=scope) for i in sample[:k]])
    say(
        f"   peer, blind indexes alone (normalize + 2 HMAC-SHA256, no database): "
        f"{hmac_s / k * 1000:.4f} ms a lookup"
    )
    name_idx, _phone = identity_indexes(identity=hits[0], scope=scope)
    plan = Source.objects.filter(study=study, name_index=name_idx).explain()
    scan = next(
        (line.strip() for line in plan.splitlines() if "Scan" in line), plan.splitlines()[0]
    )
    say(f"   plan of the name query: {scan}")


def run(*, sources: int, population: int, lookups: int, profile: bool) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        pg = cursor.fetchone()[0].split(" on ")[0]
    say(
        f"Fieldwork benchmarks — {pg}, Python {platform.python_version()}, "
        f"Django {django.get_version()}, cryptography {cryptography.__version__}, "
        f"{os.cpu_count()} CPUs"
    )
    say(f"database {connection.settings_dict['NAME']} (scratch), keys generated for this run")
    say()
    w = world()
    bench_create(w, sources, profile=profile)
    bench_lookup(w, population, lookups)
