"""Start-up check: the app refuses to run with a missing key or a key that is not the one
the stored identities were sealed with. Runs with `runserver`, `migrate`, `check`, the WSGI
entry point and Celery workers (see config/wsgi.py and config/celery.py)."""

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection

from fieldwork.sources.keys import keyring


def master_key_problems() -> list[str]:
    """Human-readable problems with the configured keys; empty when all is well.
    (A first run's keys were created when the app loaded: `SourcesConfig.ready`.)"""
    try:
        ring = keyring()
    except ImproperlyConfigured as exc:
        return [str(exc)]
    try:
        if "sources_source" not in connection.introspection.table_names():
            return []
        from fieldwork.sources.models import Source

        stored = set(
            Source.objects.exclude(key_id="").order_by().values_list("key_id", flat=True).distinct()
        )
    except DatabaseError:
        return []  # no database yet: nothing can have been sealed
    unknown = stored - set(ring.key_ids())
    if unknown:
        configured, sealed = ", ".join(ring.key_ids()), ", ".join(sorted(unknown))
        return [
            f"The configured master key (id {configured}) is not the key that sealed the stored "
            f"source identities (sealed with: {sealed}). Fieldwork will not start with the wrong "
            "key; set FIELDWORK_MASTER_KEY or FIELDWORK_MASTER_KEY_FILE to the right one."
        ]
    return []


@checks.register()
def check_master_key(app_configs, **kwargs):
    return [
        checks.Critical(msg, hint="See README, section 'Keys'.", id="fieldwork.E001")
        for msg in master_key_problems()
    ]


def assert_keys_usable() -> None:
    """For entry points that do not run system checks (WSGI, Celery)."""
    problems = master_key_problems()
    if problems:
        raise ImproperlyConfigured(" ".join(problems))
