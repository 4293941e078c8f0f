from celery import shared_task

from fieldwork.core.health import worker_report


@shared_task(name="core.worker_report")
def worker_report_task() -> dict:
    return worker_report()
