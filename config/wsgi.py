import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

from fieldwork.sources.checks import assert_keys_usable  # noqa: E402

assert_keys_usable()  # no key, or the wrong key: the server does not start

# What is loaded by now (Django and the app's modules) lives as long as the worker process.
# Frozen, the garbage collector's full passes no longer walk it: they ran every few dozen
# requests and paused one for 100-200 ms on a 2-CPU machine (make bench: queue). What is
# already garbage is collected first, so that none of it is kept for good.
gc.collect()
gc.freeze()
