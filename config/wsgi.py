import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

from fieldwork.sources.checks import assert_keys_usable  # noqa: E402

assert_keys_usable()  # no key, or the wrong key: the server does not start
