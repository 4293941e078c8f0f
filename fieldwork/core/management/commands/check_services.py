from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fieldwork.core.health import service_status
from fieldwork.core.tasks import worker_report_task


class Command(BaseCommand):
    help = "Check the database, cache and (with REDIS_URL) that a Celery worker answers."

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
