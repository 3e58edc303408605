"""Settings for Inner Client, read from the environment.

Defaults work on a laptop: SQLite in WAL mode under ``data/``, console email, DEBUG on.
Production sets ``DJANGO_DEBUG=0``, ``DJANGO_SECRET_KEY``, ``DATABASE_URL`` and
``DJANGO_ALLOWED_HOSTS``.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    "innerclient.core",
    "innerclient.accounts",
    "innerclient.org",
    "innerclient.surveys",
    "innerclient.results",
    "innerclient.reports",
    "innerclient.actions",
    "innerclient.appeals",
    "innerclient.regulation",
    "innerclient.workflow",
    "innerclient.api",
    "innerclient.ops",
    "innerclient.backup",
    "innerclient.demo",
]

MIDDLEWARE = [
    "innerclient.ops.middleware.RequestIdMiddleware",  # first: every log line has the id
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "innerclient.ops.middleware.RaterLinkThrottleMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "innerclient.urls"
WSGI_APPLICATION = "innerclient.wsgi.application"

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
                "innerclient.core.context_processors.organizations",
            ],
        },
    },
]

DATA_DIR = Path(os.environ.get("INNERCLIENT_DATA_DIR", BASE_DIR / "data"))
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'innerclient.sqlite3'}"),
        # Persistent connections: opening one per request costs more than most pages.
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the web process read while the worker writes; IMMEDIATE avoids
    # "database is locked" on lock upgrades inside write transactions.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("INNERCLIENT_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Imports at most this many rows are validated and applied inside the request; larger
# files go to the background worker and the page shows a progress bar.
IMPORT_INLINE_MAX_ROWS = int(os.environ.get("INNERCLIENT_IMPORT_INLINE_MAX_ROWS", "2000"))
# Uploads larger than this are refused before parsing.
IMPORT_MAX_UPLOAD_BYTES = int(
    os.environ.get("INNERCLIENT_IMPORT_MAX_UPLOAD_BYTES", str(50 * 2**20))
)
DATA_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_UPLOAD_BYTES + 2**20
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 2**20

# Keys for rater links and pseudonymous rater keys (docs/anonymity.md); derived from
# SECRET_KEY when unset. Production sets both, kept apart from database backups.
INNERCLIENT_LINK_KEY = os.environ.get("INNERCLIENT_LINK_KEY", "")
INNERCLIENT_RATER_KEY = os.environ.get("INNERCLIENT_RATER_KEY", "")

# The address raters' links point to (emails are read outside the app).
INNERCLIENT_SITE_URL = os.environ.get("INNERCLIENT_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The response-rate page refreshes invitation statuses at most this often (seconds).
INNERCLIENT_PROGRESS_REFRESH_SECONDS = int(
    os.environ.get("INNERCLIENT_PROGRESS_REFRESH_SECONDS", "60")
)

MAILERS = {
    "default": {
        "BACKEND": os.environ.get(
            "INNERCLIENT_EMAIL_BACKEND",
            # Production sends real mail (SMTP); a laptop prints it (ops: check --deploy).
            "django.core.mail.backends.console.EmailBackend"
            if DEBUG
            else "django.core.mail.backends.smtp.EmailBackend",
        ),
        "OPTIONS": {
            key: value
            for key, value in {
                "host": os.environ.get("INNERCLIENT_SMTP_HOST"),
                "port": int(os.environ["INNERCLIENT_SMTP_PORT"])
                if os.environ.get("INNERCLIENT_SMTP_PORT")
                else None,
                "username": os.environ.get("INNERCLIENT_SMTP_USER"),
                "password": os.environ.get("INNERCLIENT_SMTP_PASSWORD"),
                "use_tls": env_bool("INNERCLIENT_SMTP_TLS", False) or None,
            }.items()
            if value is not None
        },
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("INNERCLIENT_FROM_EMAIL", "Inner Client <noreply@localhost>")

# Messages can carry a one-time temporary password: keep them server-side, not in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Secure cookies, the HTTPS redirect and HSTS go together: on in production, off when the
# site is served over plain HTTP (the loopback benchmarks set DJANGO_SECURE_COOKIES=0).
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
# A signed-in session lasts a working day, not Django's two weeks (coordinators see bonuses).
SESSION_COOKIE_AGE = int(os.environ.get("DJANGO_SESSION_COOKIE_AGE", str(12 * 3600)))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True  # pages send the token from the template (hx-headers), not JS
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", SESSION_COOKIE_SECURE)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # monitors may ask the app server over plain HTTP
SECURE_HSTS_SECONDS = int(
    os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600 if SESSION_COOKIE_SECURE else 0))
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading puts the domain in browsers' built-in lists, which is hard to undo: the domain
# owner decides (DJANGO_HSTS_PRELOAD=1); the deploy check's reminder is silenced meanwhile.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Reverse proxies in front of the app whose X-Forwarded-For / X-Forwarded-Proto are trusted
# (nginx on the same machine: 1). 0 means clients talk to the app server directly.
INNERCLIENT_TRUSTED_PROXIES = int(os.environ.get("INNERCLIENT_TRUSTED_PROXIES", "0"))
if INNERCLIENT_TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Rater links: a client that opened this many invalid links within the window gets 429 for
# further link attempts until the window ends (innerclient/ops/throttle.py).
INNERCLIENT_LINK_ATTEMPTS_MAX = int(os.environ.get("INNERCLIENT_LINK_ATTEMPTS_MAX", "20"))
INNERCLIENT_LINK_ATTEMPTS_WINDOW = int(os.environ.get("INNERCLIENT_LINK_ATTEMPTS_WINDOW", "600"))
# /healthz: the queue is degraded when a ready task has waited this long and no worker has
# started anything meanwhile (innerclient/ops/health.py).
INNERCLIENT_HEALTH_QUEUE_MAX_WAIT = int(os.environ.get("INNERCLIENT_HEALTH_QUEUE_MAX_WAIT", "300"))

# A cache shared by every process (the link-attempt counters): a database table in
# production (created by migrate, innerclient/ops/models.py); process memory on a laptop,
# where one runserver process serves everything, and in tests.
INNERCLIENT_CACHE = os.environ.get("INNERCLIENT_CACHE", "locmem" if DEBUG else "database")
CACHES = {
    "default": {
        "database": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "innerclient_cache",
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        },
        "locmem": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }[INNERCLIENT_CACHE]
}

# Logs: one JSON object per line in production (INNERCLIENT_LOG_FORMAT=json), readable text
# on a laptop. Every line carries the request id; rater links are redacted
# (innerclient/ops/logs.py). The app's own access line replaces gunicorn's access log, which
# would write rater links as they are.
LOG_LEVEL = os.environ.get("DJANGO_LOG_LEVEL", "INFO")
INNERCLIENT_LOG_FORMAT = os.environ.get("INNERCLIENT_LOG_FORMAT", "text" if DEBUG else "json")
INNERCLIENT_ACCESS_LOG = env_bool("INNERCLIENT_ACCESS_LOG", not DEBUG)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "innerclient.ops.logs.RequestContextFilter"}},
    "formatters": {
        "json": {"()": "innerclient.ops.logs.JsonFormatter"},
        "text": {"()": "innerclient.ops.logs.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request"],
            "formatter": INNERCLIENT_LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's records go to the root handler only (its default handlers would print
        # them a second time, unfiltered); runserver's request lines get redacted too.
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Requests per minute per API token; 0 turns the limit off (docs/api.md).
INNERCLIENT_API_RATE_LIMIT = int(os.environ.get("INNERCLIENT_API_RATE_LIMIT", "600"))

# --- Background worker (innerclient/ops/worker.py) ---------------------------------------------
# A worker (manage.py run_worker) whose heartbeat is older than this many seconds is taken for
# dead: the task it was running is marked failed and retried (docs/worker.md).
INNERCLIENT_WORKER_LOST_AFTER = float(os.environ.get("INNERCLIENT_WORKER_LOST_AFTER", "60"))
# An invitation or reminder claimed by a sender is free again after this many seconds, so the
# rows of a sender that crashed are picked up by the next pass (surveys/notifications.py).
INNERCLIENT_EMAIL_CLAIM_SECONDS = float(os.environ.get("INNERCLIENT_EMAIL_CLAIM_SECONDS", "300"))
