"""Celery tasks for phones: recording what the intake stored (`fieldwork.openrosa.intake`).

Phones do not queue a task each: `record_soon` keeps at most one recording task queued and
not started (the `RECORDER_QUEUED` flag), and a task, once started, looks again for what
arrived until `LINGER_S` after it started. A web process that saw a task queued less than
half of that ago queues nothing and does not even ask Redis: that task will start later than
it saw it, and look after this process's new row was stored. So a burst of phones costs a
round trip to Redis per process twice a second, not one per submission, and nothing waits
for a task that is not coming."""

import time

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError

from fieldwork.openrosa.services import received_record_pending

#: Set while a recording task is queued and has not started.
RECORDER_QUEUED = "fieldwork:openrosa:recorder-queued"
#: How long that flag may outlive a task that never ran (a broker that lost it): after
#: this, the next submission queues another.
RECORDER_QUEUED_TTL = 60
#: A started task looks for new rows until this long after it started (every POLL_S).
LINGER_S = 1.0
POLL_S = 0.2

#: When this process last knew a task to be queued and not started (time.monotonic()).
_queued_seen_at = float("-inf")


@shared_task(
    name="openrosa.received_record",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=8,
)
def received_record_task() -> int:
    # Cleared before looking, so a submission stored from now on queues the next task.
    cache.delete(RECORDER_QUEUED)
    started = time.monotonic()
    handled = received_record_pending()
    if not settings.CELERY_TASK_ALWAYS_EAGER:  # in-process, the caller records its own row
        while time.monotonic() - started < LINGER_S:
            time.sleep(POLL_S)
            handled += received_record_pending()
    return handled


def record_soon() -> None:
    """Make sure a recording task looks at the intake after now (see the module's
    docstring). Without a broker the task runs here and now (Celery's eager mode)."""
    global _queued_seen_at
    eager = settings.CELERY_TASK_ALWAYS_EAGER
    now = time.monotonic()
    if not eager and now - _queued_seen_at < LINGER_S / 2:
        return
    if cache.add(RECORDER_QUEUED, True, timeout=RECORDER_QUEUED_TTL):
        received_record_task.delay()
    _queued_seen_at = now


@worker_ready.connect
def _record_what_waits(**kwargs) -> None:
    # What a worker stopped in the middle left waiting, or what arrived while none ran.
    received_record_task.delay()
