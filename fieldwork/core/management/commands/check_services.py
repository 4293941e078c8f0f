from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fieldwork.core.health import service_status
from fieldwork.core.tasks import worker_report_task
from fieldwork.openrosa.selectors import received_backlog


class Command(BaseCommand):
    help = (
        "Check the database, cache and (with REDIS_URL) that a Celery worker answers; count "
        "the phones' submissions not recorded yet (a growing backlog means no worker runs)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout", type=float, default=30.0, help="Seconds to wait for a worker."
        )

    def handle(self, *args, timeout, **options):
        status = service_status()
        self.stdout.write(
            f"database: {status.database}\ncache: {status.cache}\nbroker: {status.broker}"
        )
        if not status.ok:
            raise CommandError("A service does not answer.")
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            try:
                report = worker_report_task.delay().get(timeout=timeout)
            except Exception as exc:
                raise CommandError(
                    f"No Celery worker answered within {timeout:g} s ({exc})."
                ) from exc
            self.stdout.write(f"worker: ok ({report['vendor']} {report['database']})")
        backlog = received_backlog()
        waiting = f"submissions from phones waiting to be recorded: {backlog.waiting}"
        if backlog.oldest is not None:
            age = (timezone.now() - backlog.oldest).total_seconds()
            waiting += f" (oldest received {age:.0f} s ago)"
        self.stdout.write(waiting)
        self.stdout.write(f"submissions from phones the worker refused: {backlog.refused}")
