"""Celery tasks for phones: recording what the intake stored (`fieldwork.openrosa.intake`).

Phones do not queue a task each: `record_soon` keeps at most one recording task queued and
not started (the `RECORDER_QUEUED` flag), and a task, once started, looks again for what
arrived until `LINGER_S` after it started. A web process that saw a task queued less than
half of that ago queues nothing and does not even ask Redis: that task will start later than
it saw it, and look after this process's new row was stored. So a burst of phones costs a
round trip to Redis per process twice a second, not one per submission, and nothing waits
for a task that is not coming.

A task that finds a backlog (more than `HELP_BACKLOG` waiting) asks for a helper: it queues
the next task at once, which a free worker process takes, and which asks in turn while the
backlog lasts. So every process of the worker records a backlog, each its own rows (they
are locked and skipped by the others), and once it is gone the last task queued finds
nothing and ends.

Phones first: while they send faster than `BUSY_RATE` a second, a started task waits rather
than records (`Pacer`), so that a burst of phones is answered at the speed of the intake's
INSERT, not slowed by the recording's queries, which PostgreSQL runs at the web's priority
whatever the worker's `nice`. No submission waits so more than `MAX_DEFER_S`: past that,
the oldest is recorded even during a burst."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.db.models import Max
from django.utils import timezone

from fieldwork.openrosa.models import ReceivedSubmission
from fieldwork.openrosa.services import received_record_pending

#: Set while a recording task is queued and has not started.
RECORDER_QUEUED = "fieldwork:openrosa:recorder-queued"
#: How long that flag may outlive a task that never ran (a broker that lost it): after
#: this, the next submission queues another.
RECORDER_QUEUED_TTL = 60
#: A started task looks for new rows until this long after it started (every POLL_S).
LINGER_S = 1.0
POLL_S = 0.2
#: Phones sending more submissions a second than this are a burst: recording waits
#: (ODK Central's own soak test sends 50 a second).
BUSY_RATE = 50.0
#: The longest a submission waits to be recorded because of a burst, in seconds.
MAX_DEFER_S = 120.0
#: More submissions waiting than this, and a task asks for a helper (about what one
#: process records in a second).
HELP_BACKLOG = 50

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
    if settings.CELERY_TASK_ALWAYS_EAGER:  # in-process: the caller records its own row
        return received_record_pending()
    started = time.monotonic()
    pacer = Pacer()
    handled = 0
    while True:
        if not pacer.phones_first():
            if backlog_over(HELP_BACKLOG):
                record_soon()  # a helper, for another worker process
            handled += received_record_pending(pause=pacer.phones_first)
        if time.monotonic() - started >= LINGER_S and not pacer.deferring:
            return handled
        time.sleep(POLL_S)


@dataclass
class Pacer:
    """Whether recording should wait for phones: they sent more than `BUSY_RATE` a second
    since the last look (the intake's newest row id, read from its primary key), and the
    oldest submission waiting has not waited `MAX_DEFER_S`. Looks at most every `POLL_S`."""

    clock: Callable[[], float] = time.monotonic
    top: int | None = None
    looked_at: float = float("-inf")
    deferring: bool = False

    def phones_first(self) -> bool:
        now = self.clock()
        if now - self.looked_at < POLL_S:
            return self.deferring
        top = ReceivedSubmission.objects.aggregate(top=Max("pk"))["top"] or 0
        rate = (top - self.top) / (now - self.looked_at) if self.top is not None else 0.0
        self.top, self.looked_at = top, now
        self.deferring = rate > BUSY_RATE and not self._oldest_waited_too_long()
        return self.deferring

    @staticmethod
    def _oldest_waited_too_long() -> bool:
        oldest = (
            ReceivedSubmission.objects.filter(state=ReceivedSubmission.State.PENDING)
            .order_by("pk")
            .values_list("received_at", flat=True)
            .first()
        )
        return oldest is not None and (timezone.now() - oldest).total_seconds() > MAX_DEFER_S


def backlog_over(count: int) -> bool:
    """Whether more than `count` submissions wait to be recorded (one row past `count`, in
    no particular order: only whether it exists matters)."""
    waiting = ReceivedSubmission.objects.filter(state=ReceivedSubmission.State.PENDING)
    return waiting[count : count + 1].exists()


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
