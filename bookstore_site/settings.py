"""Settings for event-books.

This is the one place that reads the environment (through django-environ), from the
process environment and an optional `.env` file beside `manage.py`. Values that cannot
be parsed stop start-up here with a message naming the variable; values that parse but
make no sense are rejected by the apps' system checks (`books/checks.py`,
`events/checks.py`).
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _read(name: str, cast, default):
    """Read one variable, turning a parse error into a message that names it."""
    try:
        return cast(name, default=default)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            f"Environment variable {name}={env.str(name)!r} is not valid: {exc}. "
            "Fix it in the environment or in .env (see .env.example)."
        ) from exc


def _strict_bool(name: str, default: bool) -> bool:
    # env.bool() reads any unknown word as False; a typo must not silently turn DEBUG off.
    value = env.str(name, default=str(default)).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true/false, yes/no, on/off or 1/0")


def _proxy_ssl_header(name: str, default: None) -> tuple[str, str] | None:
    """SECURE_PROXY_SSL_HEADER as "HTTP_X_FORWARDED_PROTO,https": the request header (as Django
    names it in META) and the value by which the proxy says the client used HTTPS."""
    if not env.str(name, default=""):
        return default
    value = tuple(part.strip() for part in env.tuple(name))
    if len(value) != 2 or not all(value):
        raise ValueError('expected "<META header name>,<value>", e.g. HTTP_X_FORWARDED_PROTO,https')
    return value


def _require_production_secret_key(key: str) -> None:
    """Sessions, CSRF tokens and password-reset links are signed with SECRET_KEY: with DEBUG off
    a missing or guessable one refuses to start. Here rather than as a system check because
    gunicorn runs no checks; the thresholds are those of Django's own check (security.W009)."""
    if (
        len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or key.startswith(SECRET_KEY_INSECURE_PREFIX)
    ):
        raise ImproperlyConfigured(
            "SECRET_KEY is missing or a development key, and DEBUG is off: set SECRET_KEY in the "
            f"environment or .env to a random string of at least {SECRET_KEY_MIN_LENGTH} "
            f"characters ({SECRET_KEY_MIN_UNIQUE_CHARACTERS}+ distinct, not starting with "
            f"{SECRET_KEY_INSECURE_PREFIX!r}), e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'` (`make run` writes "
            "one to .env), or set DEBUG=true on a development machine."
        )


DEBUG = _read("DEBUG", _strict_bool, False)
SECRET_KEY = _read("SECRET_KEY", env.str, "")
if DEBUG:
    SECRET_KEY = SECRET_KEY or f"{SECRET_KEY_INSECURE_PREFIX}local-development-key"
else:
    _require_production_secret_key(SECRET_KEY)
ALLOWED_HOSTS = _read("ALLOWED_HOSTS", env.list, ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = _read("CSRF_TRUSTED_ORIGINS", env.list, [])
# Serving over HTTPS (README, "Deploying"): all off by default, since `make run` serves plain
# http. Behind a TLS-terminating proxy, SECURE_PROXY_SSL_HEADER says which header the proxy
# sets (and every client request's own copy of it must be overwritten by the proxy).
# SESSION_COOKIE_SECURE makes the visitors' `uid` cookie Secure too (books/visitors.py).
SECURE_SSL_REDIRECT = _read("SECURE_SSL_REDIRECT", _strict_bool, False)
SECURE_PROXY_SSL_HEADER = _read("SECURE_PROXY_SSL_HEADER", _proxy_ssl_header, None)
SECURE_HSTS_SECONDS = _read("SECURE_HSTS_SECONDS", env.int, 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _read("SECURE_HSTS_INCLUDE_SUBDOMAINS", _strict_bool, False)
SECURE_HSTS_PRELOAD = _read("SECURE_HSTS_PRELOAD", _strict_bool, False)
SESSION_COOKIE_SECURE = _read("SESSION_COOKIE_SECURE", _strict_bool, False)
CSRF_COOKIE_SECURE = _read("CSRF_COOKIE_SECURE", _strict_bool, False)
# Content-Security-Policy (django-csp): scripts, styles, images and API calls from this site
# only, no inline script or style anywhere (the admin, the pages and ninja's Swagger UI, served
# from ninja's static files, need none), no plugins, no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # data: for the icons swagger-ui.css embeds.
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Login throttling (django-axes), for the admin's and any other login: AXES_FAILURE_LIMIT failed
# logins for one username, or from one client address, lock that username or address out for
# AXES_COOLOFF_MINUTES (429), counted per username and per address separately so that neither
# guessing one user's password from many addresses nor many users' from one address gets far.
# A successful login clears its failures. `manage.py axes_reset` (or axes_reset_username,
# axes_reset_ip) unlocks at once. The address is REMOTE_ADDR: behind a reverse proxy, have the
# proxy hand the client's address to gunicorn (README, "Deploying") rather than trusting a
# header here that any client can send.
AXES_FAILURE_LIMIT = _read("AXES_FAILURE_LIMIT", env.int, 5)
AXES_COOLOFF_TIME = timedelta(minutes=_read("AXES_COOLOFF_MINUTES", env.int, 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# No banner on every manage.py command; lockouts are still logged (WARNING, axes.handlers).
AXES_VERBOSE = False
AXES_COOLOFF_MESSAGE = (
    "Too many failed logins: this account or address is locked. Try again in "
    f"{AXES_COOLOFF_TIME.total_seconds() / 60:.0f} minutes, or ask an administrator to unlock it."
)
AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out login is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# How many books a search page or an API call returns at once (the seed's page_size).
PAGE_SIZE = _read("PAGE_SIZE", env.int, 5)
# Search pages each web process keeps in memory (books/cache.py), the least recently used
# dropped first: a page is its ids and total, about 300 bytes with its key, so 10,000 pages
# hold at most a few MB per process. 0 keeps none.
SEARCH_CACHE_ENTRIES = _read("SEARCH_CACHE_ENTRIES", env.int, 10_000)
# Longest search query accepted; a longer one is answered with 400.
SEARCH_QUERY_MAX_LENGTH = 200
# Searches one client (by IP address) may run, page and API together, before it is answered 429
# with Retry-After: generous for people, a wall for a script buying a trend. django-ratelimit's
# rate syntax: "<count>/<s|m|h|d>".
SEARCH_RATE_LIMIT = _read("SEARCH_RATE_LIMIT", env.str, "60/m")

KAFKA_BOOTSTRAP_SERVERS = _read("KAFKA_BOOTSTRAP_SERVERS", env.list, ["localhost:9092"])
# The topics of the registered event types (events/types/): searches (the seed's topic), book
# changes (added, changed, removed) and book views. Each has a dead-letter topic "<topic>.dlq".
KAFKA_TOPIC = _read("KAFKA_TOPIC", env.str, "lr-book-searches")
KAFKA_BOOK_CHANGES_TOPIC = _read("KAFKA_BOOK_CHANGES_TOPIC", env.str, "lr-book-changes")
KAFKA_BOOK_VIEWS_TOPIC = _read("KAFKA_BOOK_VIEWS_TOPIC", env.str, "lr-book-views")
# How every Kafka client (relay, direct sender, consumers, DLQ, admin commands) connects:
# PLAINTEXT locally; SASL_SSL with a SCRAM or PLAIN user on a managed Kafka. The CA file is for
# a broker whose certificate the system does not trust; the cert and key for mutual TLS.
KAFKA_SECURITY_PROTOCOL = _read("KAFKA_SECURITY_PROTOCOL", env.str, "PLAINTEXT")
KAFKA_SASL_MECHANISM = _read("KAFKA_SASL_MECHANISM", env.str, "SCRAM-SHA-512")
KAFKA_SASL_USERNAME = _read("KAFKA_SASL_USERNAME", env.str, "")
KAFKA_SASL_PASSWORD = _read("KAFKA_SASL_PASSWORD", env.str, "")
KAFKA_SSL_CAFILE = _read("KAFKA_SSL_CAFILE", env.str, "")
KAFKA_SSL_CERTFILE = _read("KAFKA_SSL_CERTFILE", env.str, "")
KAFKA_SSL_KEYFILE = _read("KAFKA_SSL_KEYFILE", env.str, "")
# outbox: an outbox row per search, published by `manage.py relay_events` (nothing lost);
# direct: sent from the web process in the background (lost while Kafka is down); off: none.
EVENTS_DELIVERY = _read("EVENTS_DELIVERY", env.str, "outbox")
# Seed tutorial interoperability. EVENTS_SEED_KEYS: search events are keyed "<query>:<uid>" as in
# the seed's later chapters, so that its recommendation consumers read the visitor from the key.
# EVENTS_ACCEPT_SEED_EVENTS: our consumers read the seed's header-less search events instead of
# dead-lettering them (the visitor from the key after its last ":").
EVENTS_SEED_KEYS = _read("EVENTS_SEED_KEYS", _strict_bool, False)
EVENTS_ACCEPT_SEED_EVENTS = _read("EVENTS_ACCEPT_SEED_EVENTS", _strict_bool, False)
# Published outbox rows (deleted by the relay) and the consumers' record of applied ce_ids
# (deleted by each consumer) are kept this long.
EVENTS_RETENTION_HOURS = _read("EVENTS_RETENTION_HOURS", env.int, 24 * 7)
# A relay or consumer whose loop has not beaten for this long is stalled (manage.py check_workers).
EVENTS_WORKER_STALL_SECONDS = _read("EVENTS_WORKER_STALL_SECONDS", env.int, 60)
# Who may read /metrics (Prometheus): these client addresses (loopback by default), or anyone
# sending "Authorization: Bearer <METRICS_TOKEN>" when a token is set. Under gunicorn, and when
# `make run` starts the relay and consumers beside the site, prometheus_client itself reads
# PROMETHEUS_MULTIPROC_DIR (the folder where each process writes its series; the web's /metrics
# sums them): its convention, set in the process environment before start.
METRICS_ALLOWED_IPS = _read("METRICS_ALLOWED_IPS", env.list, ["127.0.0.1", "::1"])
METRICS_TOKEN = _read("METRICS_TOKEN", env.str, "")
# Tracing (OpenTelemetry): the site, the relay and the consumers record spans and export them
# over OTLP/HTTP to this collector, e.g. http://localhost:4318, and each event carries its
# request's W3C trace context (ce_traceparent). Empty: nothing is instrumented, at no cost.
OTEL_EXPORTER_OTLP_ENDPOINT = _read("OTEL_EXPORTER_OTLP_ENDPOINT", env.str, "")
OTEL_SERVICE_NAME = _read("OTEL_SERVICE_NAME", env.str, "event-books")
# Pending rows older than this make `manage.py check --database default` warn (events.W001).
EVENTS_BACKLOG_WARNING_SECONDS = _read("EVENTS_BACKLOG_WARNING_SECONDS", env.int, 300)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "axes",
    "books",
    "events",
    "catalogue",
    "trends",
    "recommendations",
    "privacy",
]

MIDDLEWARE = [
    # 503 for a view that failed because the database is unavailable (bookstore_site/errors.py).
    "bookstore_site.errors.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "books.visitors.VisitorIdMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "bookstore_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "bookstore_site.wsgi.application"
ASGI_APPLICATION = "bookstore_site.asgi.application"

CACHES = {
    # Per process: the search rate limit's counts (books/http.py).
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "search": {
        "BACKEND": (
            "django.core.cache.backends.locmem.LocMemCache"
            if SEARCH_CACHE_ENTRIES
            else "django.core.cache.backends.dummy.DummyCache"
        ),
        "LOCATION": "search",
        "OPTIONS": {"MAX_ENTRIES": SEARCH_CACHE_ENTRIES},
    },
}

# SQLite is only the embedded default of `make run`; tests and deployments use MySQL/MariaDB.
DATABASES = {
    "default": _read("DATABASE_URL", env.db_url, f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("charset", "utf8mb4")
    DATABASES["default"]["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the relay and the consumers write to one file at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DATABASES["default"]["CONN_MAX_AGE"] = _read("CONN_MAX_AGE", env.int, 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = _read("TIME_ZONE", env.str, "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the apps' static folders when `collectstatic` has not been run
# (tests, a first `manage.py runserver`); `make run` and the Dockerfile collect them.
WHITENOISE_USE_FINDERS = True

# plain: readable lines for a terminal (`make run`); json: one JSON object a line, for a log
# pipeline, with the relay's and consumers' batch figures as fields of their own.
LOG_FORMAT = _read("LOG_FORMAT", env.str, "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": _read("LOG_LEVEL", env.str, "INFO")},
    # kafka-python logs every refused connection as an error; the relay and consumers say
    # themselves, once, when Kafka is unreachable.
    "loggers": {"kafka": {"level": _read("KAFKA_LOG_LEVEL", env.str, "CRITICAL")}},
}
