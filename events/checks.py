"""System checks that reject bad Kafka and delivery settings at start-up."""

import os
import re

from django.conf import settings
from django.core.checks import Error, Warning
from django.db import DatabaseError
from django.utils import timezone

from events.delivery import DELIVERY_MODES
from events.kafka import SASL_MECHANISMS, SECURITY_PROTOCOLS
from events.registry import SCHEMA_DIR, event_types

_HOST_PORT = re.compile(r"^\[?[A-Za-z0-9.\-:]+\]?:(\d{1,5})$")
# Kafka's own rule for topic names.
_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")


def check_kafka_settings(app_configs, **kwargs) -> list[Error]:
    errors = []
    servers = settings.KAFKA_BOOTSTRAP_SERVERS
    bad = [
        server
        for server in servers
        if not (match := _HOST_PORT.match(server)) or not 0 < int(match.group(1)) < 65536
    ]
    if not servers or bad:
        errors.append(
            Error(
                f"KAFKA_BOOTSTRAP_SERVERS must be a comma-separated list of host:port, "
                f"got {','.join(servers)!r}.",
                hint="For example KAFKA_BOOTSTRAP_SERVERS=localhost:9092.",
                id="events.E001",
            )
        )
    for setting in dict.fromkeys(event_type.topic_setting for event_type in event_types()):
        topic = getattr(settings, setting, None)
        if not isinstance(topic, str):
            errors.append(
                Error(f"An event type's topic setting {setting} is not defined.", id="events.E002")
            )
            continue
        # Room for the ".dlq" of its dead-letter topic.
        if not _TOPIC.match(topic) or len(topic) > 245 or topic in (".", ".."):
            errors.append(
                Error(
                    f"{setting} {topic!r} is not a valid Kafka topic name.",
                    hint="Use 1 to 245 letters, digits, '.', '_' or '-', e.g. lr-book-searches.",
                    id="events.E002",
                )
            )
    if settings.EVENTS_DELIVERY not in DELIVERY_MODES:
        errors.append(
            Error(
                f"EVENTS_DELIVERY must be one of {', '.join(DELIVERY_MODES)}, "
                f"got {settings.EVENTS_DELIVERY!r}.",
                hint="outbox loses nothing while Kafka is down; direct may; off sends nothing.",
                id="events.E003",
            )
        )
    if settings.EVENTS_RETENTION_HOURS < 1:
        errors.append(
            Error(
                "EVENTS_RETENTION_HOURS must be at least 1.",
                hint=(
                    "Published outbox rows and consumers' ce_id records are kept this long, "
                    "e.g. 168 (a week)."
                ),
                id="events.E004",
            )
        )
    errors.extend(_security_errors())
    return errors


def check_event_types(app_configs, **kwargs) -> list[Error]:
    """Each registered type's schema can be read, so that no consumer finds out at its first
    event."""
    errors = []
    for event_type in event_types():
        try:
            event_type.validator.check_schema(event_type.validator.schema)
        except Exception as exc:  # a missing file, bad JSON or an invalid schema alike
            errors.append(
                Error(
                    f"Event type {event_type.name}: its schema {event_type.schema} is unusable "
                    f"({type(exc).__name__}: {exc}).",
                    hint=f"Event schemas live in {SCHEMA_DIR}.",
                    id="events.E009",
                )
            )
    return errors


def _security_errors() -> list[Error]:
    protocol = settings.KAFKA_SECURITY_PROTOCOL
    if protocol not in SECURITY_PROTOCOLS:
        return [
            Error(
                f"KAFKA_SECURITY_PROTOCOL must be one of {', '.join(SECURITY_PROTOCOLS)}, "
                f"got {protocol!r}.",
                hint="A managed Kafka usually wants SASL_SSL.",
                id="events.E005",
            )
        ]
    errors = []
    if protocol.startswith("SASL_"):
        if settings.KAFKA_SASL_MECHANISM not in SASL_MECHANISMS:
            errors.append(
                Error(
                    f"KAFKA_SASL_MECHANISM must be one of {', '.join(SASL_MECHANISMS)}, "
                    f"got {settings.KAFKA_SASL_MECHANISM!r}.",
                    id="events.E006",
                )
            )
        if not (settings.KAFKA_SASL_USERNAME and settings.KAFKA_SASL_PASSWORD):
            errors.append(
                Error(
                    f"KAFKA_SECURITY_PROTOCOL={protocol} needs KAFKA_SASL_USERNAME and "
                    "KAFKA_SASL_PASSWORD.",
                    id="events.E007",
                )
            )
    if protocol.endswith("SSL"):
        for name in ("KAFKA_SSL_CAFILE", "KAFKA_SSL_CERTFILE", "KAFKA_SSL_KEYFILE"):
            path = getattr(settings, name)
            if path and not os.path.isfile(path):
                errors.append(Error(f"{name} {path!r} is not a readable file.", id="events.E008"))
        if bool(settings.KAFKA_SSL_CERTFILE) != bool(settings.KAFKA_SSL_KEYFILE):
            errors.append(
                Error(
                    "KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE go together (mutual TLS).",
                    id="events.E008",
                )
            )
    return errors


def check_outbox_backlog(app_configs, databases=None, **kwargs) -> list[Warning]:
    """Warn when searches have waited long for the relay (run with `check --database default`)."""
    if not databases:
        return []
    from events.models import OutboxEvent

    try:
        oldest = OutboxEvent.objects.pending().order_by("id").values_list("created_at", flat=True)
        oldest = oldest.first()
    except DatabaseError:
        return []  # not migrated yet: nothing can be waiting
    if oldest is None:
        return []
    age = (timezone.now() - oldest).total_seconds()
    if age < settings.EVENTS_BACKLOG_WARNING_SECONDS:
        return []
    return [
        Warning(
            f"The oldest unpublished event has waited {age:.0f} s.",
            hint="Is `manage.py relay_events` running and Kafka reachable? See the outbox admin.",
            id="events.W001",
        )
    ]
