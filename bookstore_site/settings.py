"""Settings for event-books.

This is the one place that reads the environment (through django-environ), from the
process environment and an optional `.env` file beside `manage.py`. Values that cannot
be parsed stop start-up here with a message naming the variable; values that parse but
make no sense are rejected by the apps' system checks (`books/checks.py`,
`events/checks.py`).
"""

from pathlib import Path

import environ
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


SECRET_KEY = _read("SECRET_KEY", env.str, "django-insecure-local-development-key-change-me")
DEBUG = _read("DEBUG", _strict_bool, False)
ALLOWED_HOSTS = _read("ALLOWED_HOSTS", env.list, ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = _read("CSRF_TRUSTED_ORIGINS", env.list, [])

# How many books a search page or an API call returns at once (the seed's page_size).
PAGE_SIZE = _read("PAGE_SIZE", env.int, 5)
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
    "books",
    "events",
    "catalogue",
    "trends",
    "recommendations",
]

MIDDLEWARE = [
    # 503 for a view that failed because the database is unavailable (bookstore_site/errors.py).
    "bookstore_site.errors.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "books.visitors.VisitorIdMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
