"""Background work reaches the same database as the web process.

Embedded mode runs the task in-process (eager); with REDIS_URL it goes through Redis to a
real worker process, which CI starts against this test database."""

import pytest
from django.conf import settings

from fieldwork.core.tasks import worker_report_task


@pytest.mark.django_db(transaction=True)
def test_a_task_sees_the_study_the_web_process_committed(study_world):
    result = worker_report_task.delay().get(timeout=60)
    assert result["studies"] == 2
    assert result["sources"] == 1
    assert result["vendor"] == ("sqlite" if settings.USING_EMBEDDED_DB else "postgresql")


def test_without_a_broker_tasks_run_in_process_and_with_one_they_do_not():
    assert settings.CELERY_TASK_ALWAYS_EAGER is (not settings.REDIS_URL)
