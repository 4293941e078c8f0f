"""Fieldwork benchmarks on PostgreSQL: `make bench`, or `.venv/bin/python bench/run.py`.

Creates a scratch database (dropped and re-created), migrates it, empties a scratch Redis
database (the Celery broker and cache, as in production), generates fresh keys into a
temporary FIELDWORK_VAR_DIR, runs the benchmarks in `bench/sources_bench.py`,
`bench/instruments_bench.py`, `bench/queue_bench.py` and `bench/openrosa_bench.py` (OpenRosa
submissions to gunicorn from a second process) and prints each figure beside its target as it
is measured.
Exits 0 even when a target is missed (the output says MISS); exits 2 when PostgreSQL, Redis
or psycopg is not there.

    --database-url   postgres://user@host:port/name  (or env BENCH_DATABASE_URL); the name must
                     contain "bench", since the database is dropped
    --redis-url      redis://host:port/db  (or env BENCH_REDIS_URL; redis://127.0.0.1:6379/15),
                     emptied before and after
    --quick          smaller sizes, for a smoke run (10,000 interviews, 50 requests each,
                     OpenRosa load for 10 s, floor 5 s, one gunicorn setting)
    --seconds        the OpenRosa load window (60 s; the floor's is a third of it, ≥ 5 s)
    --clients        concurrent client connections of the OpenRosa load generator (8)
    --profile        also print a cProfile of the source_create loop and of OpenRosa submissions
    --keep           leave the scratch database for inspection
    --only           sources | instruments | queue | openrosa: run one of the benchmarks
"""

import argparse
import base64
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/fieldwork_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
START_HINT = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
REDIS_HINT = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ""'


def fail(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr)
    sys.exit(2)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Fieldwork benchmarks on PostgreSQL.")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument("--sources", type=int, default=10_000, help="sources created (bench 1)")
    parser.add_argument(
        "--population", type=int, default=100_000, help="sources searched (bench 2)"
    )
    parser.add_argument("--lookups", type=int, default=1_000, help="duplicate lookups (bench 2)")
    parser.add_argument(
        "--interviews", type=int, default=100_000, help="interviews in the queue (bench 4)"
    )
    parser.add_argument(
        "--requests", type=int, default=200, help="requests per queue figure (bench 4)"
    )
    parser.add_argument(
        "--seconds", type=float, default=None, help="OpenRosa load window, s (60; quick: 10)"
    )
    parser.add_argument(
        "--clients", type=int, default=8, help="OpenRosa load generator's connections"
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes: a smoke run")
    parser.add_argument("--profile", action="store_true", help="cProfile the service loops")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--only",
        choices=("sources", "instruments", "queue", "openrosa"),
        help="run one of the benchmarks",
    )
    args = parser.parse_args()
    if args.quick:
        args.sources, args.population, args.lookups = 1_000, 10_000, 200
        args.interviews, args.requests = 10_000, 50
    if args.seconds is None:
        args.seconds = 10.0 if args.quick else 60.0
    return args


def scratch_database(url: str) -> tuple[str, str]:
    """(maintenance URL, database name) for a scratch database we may drop."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        fail(f"the benchmarks run on PostgreSQL; {url!r} is not a postgres:// URL.")
    name = parts.path.lstrip("/")
    if "bench" not in name or name.startswith("test_"):
        fail(f"refusing to drop the database {name!r}: its name must contain 'bench'.")
    return urlunsplit(parts._replace(path="/postgres")), name


def recreate_database(maintenance_url: str, name: str) -> None:
    try:
        import psycopg
        from psycopg import sql
    except ImportError:
        fail("psycopg is not installed in this environment (pip install 'psycopg[binary]').")
    try:
        with psycopg.connect(maintenance_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        fail(
            f"cannot reach PostgreSQL at {maintenance_url} ({str(exc).strip()}).\n"
            f"Start it with: {START_HINT}"
        )


def empty_redis(url: str) -> None:
    """Empty the scratch Redis database (broker queues, cache) the benchmarks use."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).flushdb()
    except redis.RedisError as exc:
        fail(f"cannot reach Redis at {url} ({exc}).\nStart it with: {REDIS_HINT}")


def drop_database(maintenance_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def write_key(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(base64.b64encode(os.urandom(32)).decode("ascii") + "\n")


def configure_environment(database_url: str, redis_url: str, var_dir: Path) -> None:
    """Everything settings read, set before django.setup(): the scratch database and Redis,
    fresh keys."""
    write_key(var_dir / "master.key")
    write_key(var_dir / "blind_index.key")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        FIELDWORK_VAR_DIR=str(var_dir),
        FIELDWORK_MASTER_KEY_FILE=str(var_dir / "master.key"),
        FIELDWORK_BLIND_INDEX_KEY_FILE=str(var_dir / "blind_index.key"),
        # One INFO line per source created would flood the terminal (and a log file costs
        # what a deployment chooses); warnings still show.
        LOG_LEVEL="WARNING",
        REDIS_URL=redis_url,
        DEBUG="false",
    )
    for name in ("FIELDWORK_MASTER_KEY", "FIELDWORK_NEXT_MASTER_KEY", "FIELDWORK_BLIND_INDEX_KEY"):
        os.environ.pop(name, None)  # keys from the caller's shell must not reach this database


def main() -> None:
    args = parse_args()
    maintenance_url, name = scratch_database(args.database_url)
    started = time.perf_counter()
    recreate_database(maintenance_url, name)
    empty_redis(args.redis_url)
    var_dir = Path(tempfile.mkdtemp(prefix="fieldwork-bench-"))
    try:
        configure_environment(args.database_url, args.redis_url, var_dir)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        from bench import instruments_bench, openrosa_bench, queue_bench, sources_bench

        call_command("migrate", verbosity=0)
        try:
            if args.only in (None, "sources"):
                sources_bench.run(
                    sources=args.sources,
                    population=args.population,
                    lookups=args.lookups,
                    profile=args.profile,
                )
                print()
            if args.only in (None, "instruments"):
                instruments_bench.run()
                print()
            if args.only in (None, "queue"):
                queue_bench.run(interviews=args.interviews, requests=args.requests)
                print()
            if args.only in (None, "openrosa"):
                openrosa_bench.run(
                    seconds=args.seconds,
                    floor_seconds=max(5.0, args.seconds / 3),
                    clients=args.clients,
                    settings=(
                        openrosa_bench.SERVER_SETTINGS[:1]
                        if args.quick
                        else openrosa_bench.SERVER_SETTINGS
                    ),
                    profile=args.profile,
                )
        finally:
            connections.close_all()
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
        empty_redis(args.redis_url)
        if not args.keep:
            drop_database(maintenance_url, name)
    print(
        f"\ntotal {time.perf_counter() - started:.0f} s"
        + (f"; kept database {name}" if args.keep else "")
    )


if __name__ == "__main__":
    main()
