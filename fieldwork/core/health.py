"""Is everything this installation needs answering? Used by /health/, the
`check_services` command and the worker round-trip task."""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection


@dataclass(frozen=True)
class ServiceStatus:
    database: str
    cache: str
    broker: str

    @property
    def ok(self) -> bool:
        return self.database == "ok" and self.cache == "ok"


def service_status() -> ServiceStatus:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception as exc:  # report, do not raise: this is the health answer
        database = f"error: {type(exc).__name__}"
    try:
        cache.set("fieldwork:health", "1", 10)
        cache_state = "ok" if cache.get("fieldwork:health") == "1" else "error: no read-back"
    except Exception as exc:
        cache_state = f"error: {type(exc).__name__}"
    broker = "eager (in-process)" if settings.CELERY_TASK_ALWAYS_EAGER else "redis"
    return ServiceStatus(database=database, cache=cache_state, broker=broker)


def worker_report() -> dict:
    """What a worker sees: run inside a worker, it proves the worker reaches the same
    database (vendor, name and the number of studies and sources it can read)."""
    from fieldwork.sources.models import Source
    from fieldwork.studies.models import Study

    return {
        "vendor": connection.vendor,
        "database": str(connection.settings_dict["NAME"]),
        "studies": Study.objects.count(),
        "sources": Source.objects.count(),
    }
