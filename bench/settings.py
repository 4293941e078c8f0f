"""Settings for the OpenRosa benchmark's gunicorn: the project's own, with `bench.urls` as the
URL configuration (the project's URLs plus the bare floor view). Used only by
`bench/openrosa_bench.py`, which passes the scratch database and fresh keys in the
environment."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
