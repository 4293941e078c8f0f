"""Fieldwork settings. Everything that differs between a laptop and production comes from
the environment (see `.env.example`); with nothing set the app runs embedded: SQLite under
`var/`, Celery tasks in-process, secrets generated once into `var/`."""

import secrets
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from config.env import BASE_DIR, env

VAR_DIR = Path(env.str("FIELDWORK_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_from_file(path: Path) -> str:
    """Read a secret kept in `var/`, creating it on first run (pretix's `.secret`)."""
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="") or _secret_from_file(VAR_DIR / "secret_key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "fieldwork.core",
    "fieldwork.accounts",
    "fieldwork.audit",
    "fieldwork.studies",
    "fieldwork.sources",
    "fieldwork.instruments",
    "fieldwork.interviews",
    "fieldwork.openrosa",
    "fieldwork.imports",
    "fieldwork.transcripts",
    "fieldwork.webforms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "fieldwork.audit.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# --- Database: embedded SQLite unless DATABASE_URL is set -------------------------------------
EMBEDDED_DB_PATH = VAR_DIR / "fieldwork.sqlite3"
EMBEDDED_DB = f"sqlite:///{EMBEDDED_DB_PATH}"
DATABASES = {"default": env.db("DATABASE_URL", default=EMBEDDED_DB)}
USING_EMBEDDED_DB = DATABASES["default"]["ENGINE"].endswith("sqlite3")
if USING_EMBEDDED_DB:
    # The test database is a file, so the leak test can read every byte SQLite wrote.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_fieldwork.sqlite3")}
    # Two requests writing at once (a transcript's autosave beside its save): a transaction
    # begun DEFERRED that reads, then writes, gets "database is locked" at once, without
    # waiting, when another holds the write lock. IMMEDIATE takes the lock at BEGIN, so
    # the second writer waits up to `timeout` seconds instead.
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # Server-side prepared statements for the statements that ask for one (the phones'
    # intake, `fieldwork.openrosa.intake`): planned once per connection, not on every POST.
    # Django's own queries bind on the client and are never prepared. Behind a pooler in
    # transaction mode that does not keep prepared statements (pgbouncer before 1.21, or
    # without max_prepared_statements), set DATABASE_PREPARED_STATEMENTS=false.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Celery and cache: eager and local unless REDIS_URL is set -------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL  # as in saleor/settings.py
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Keys that protect identities. Never stored in the database. -----------------------------
# The master key wraps each source's data key; the blind-index key makes duplicate detection
# possible without plaintext. Each comes from the environment (base64 of 32 bytes) or a key file.
FIELDWORK_MASTER_KEY = env.str("FIELDWORK_MASTER_KEY", default="")
FIELDWORK_MASTER_KEY_FILE = Path(
    env.str("FIELDWORK_MASTER_KEY_FILE", default=str(VAR_DIR / "master.key"))
)
FIELDWORK_NEXT_MASTER_KEY = env.str("FIELDWORK_NEXT_MASTER_KEY", default="")
FIELDWORK_BLIND_INDEX_KEY = env.str("FIELDWORK_BLIND_INDEX_KEY", default="")
FIELDWORK_BLIND_INDEX_KEY_FILE = Path(
    env.str("FIELDWORK_BLIND_INDEX_KEY_FILE", default=str(VAR_DIR / "blind_index.key"))
)

# --- Phones (OpenRosa) ----------------------------------------------------------------------
# The largest POST a phone may send (advertised as X-OpenRosa-Accept-Content-Length: ODK
# Collect splits a submission with bigger attachments over several POSTs), and the largest
# single attachment kept (a long interview recording).
FIELDWORK_OPENROSA_MAX_BYTES = env.int("FIELDWORK_OPENROSA_MAX_BYTES", default=50 * 1024 * 1024)
# Uploads are never spooled to a temporary file in clear: they stay in memory until sealed,
# up to this size per file (the largest upload any page or endpoint takes).
FILE_UPLOAD_HANDLERS = ["fieldwork.core.uploads.InMemoryLimitedUploadHandler"]
FIELDWORK_ATTACHMENT_MAX_BYTES = env.int("FIELDWORK_ATTACHMENT_MAX_BYTES", default=50 * 1024 * 1024)
FIELDWORK_UPLOAD_MAX_BYTES = max(FIELDWORK_OPENROSA_MAX_BYTES, FIELDWORK_ATTACHMENT_MAX_BYTES)

# --- Auth, i18n, static -----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "studies:study-list"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="fr")
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []

# --- Security, driven by the environment (`check --deploy` passes with production values) ----
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- REST framework and OpenAPI ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "fieldwork.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fieldwork API",
    "DESCRIPTION": "Studies, sources, consent, places, actors and audit for Fieldwork.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # No validator badge: it would fetch from the internet and send it the schema's address.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Logging: ids only, never identities (see STYLE.md) ---------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
