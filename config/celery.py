"""Celery application. Without REDIS_URL tasks run eagerly in-process (settings)."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("fieldwork")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _refuse_to_start_without_keys(**kwargs) -> None:
    from django.db import connections

    from fieldwork.sources.checks import assert_keys_usable

    try:
        assert_keys_usable()
    finally:
        # The check ran in the parent process, which does no database work itself: an open
        # connection here would only hold the database (and stop it from being dropped).
        connections.close_all()
