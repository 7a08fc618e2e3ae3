"""The one place Kafka clients are built. Each is created where it is used, when it is first
needed, with the connection and security settings every client shares."""

import logging
import socket
from collections.abc import Callable
from typing import Any

from django.conf import settings
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

logger = logging.getLogger(__name__)

# How long a client may wait for the first answer from the broker before giving up.
BOOTSTRAP_TIMEOUT_MS = 5000
# A consumer that dies without leaving its group holds its partitions this long (the broker's
# smallest allowed by default), so that a restarted one takes over quickly.
SESSION_TIMEOUT_MS = 6000

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


DEAD_LETTER_SUFFIX = ".dlq"


def dead_letter_topic(topic: str) -> str:
    """Where consumers put the messages of `topic` they cannot apply."""
    return f"{topic}{DEAD_LETTER_SUFFIX}"


def connection_config() -> dict[str, Any]:
    """Where the brokers are and how to authenticate to them, for every kind of client."""
    config: dict[str, Any] = {
        "bootstrap_servers": settings.KAFKA_BOOTSTRAP_SERVERS,
        "security_protocol": settings.KAFKA_SECURITY_PROTOCOL,
        "bootstrap_timeout_ms": BOOTSTRAP_TIMEOUT_MS,
        "reconnect_backoff_max_ms": 2000,
    }
    if settings.KAFKA_SECURITY_PROTOCOL.startswith("SASL_"):
        config |= {
            "sasl_mechanism": settings.KAFKA_SASL_MECHANISM,
            "sasl_plain_username": settings.KAFKA_SASL_USERNAME,
            "sasl_plain_password": settings.KAFKA_SASL_PASSWORD,
        }
    if settings.KAFKA_SECURITY_PROTOCOL.endswith("SSL"):
        config |= {
            "ssl_cafile": settings.KAFKA_SSL_CAFILE or None,
            "ssl_certfile": settings.KAFKA_SSL_CERTFILE or None,
            "ssl_keyfile": settings.KAFKA_SSL_KEYFILE or None,
        }
    return config


def credentials_refused() -> str | None:
    """Why no client could bootstrap although a broker answers: with SASL or TLS configured,
    a broker that accepts the connection and then fails the bootstrap refused the credentials
    or the certificate (kafka-python only logs that, then times out). None when it looks like
    an outage instead."""
    if settings.KAFKA_SECURITY_PROTOCOL == "PLAINTEXT":
        return None
    answering = [server for server in settings.KAFKA_BOOTSTRAP_SERVERS if _accepts(server)]
    if not answering:
        return None
    return (
        f"Kafka at {','.join(answering)} answers but refused the "
        f"{settings.KAFKA_SECURITY_PROTOCOL} connection: check KAFKA_SASL_USERNAME, "
        "KAFKA_SASL_PASSWORD, KAFKA_SASL_MECHANISM and the KAFKA_SSL_* files."
    )


def _accepts(server: str) -> bool:
    host, _, port = server.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=2).close()
    except (OSError, ValueError):
        return False
    return True


def new_producer(**overrides) -> KafkaProducer:
    """An idempotent producer that waits for every in-sync replica (acks=all)."""
    config = {
        **connection_config(),
        "client_id": "event-books",
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "compression_type": None,
        "request_timeout_ms": 10000,
        "delivery_timeout_ms": 30000,
    }
    return KafkaProducer(**{**config, **overrides})


def new_admin(*, timeout_ms: int = BOOTSTRAP_TIMEOUT_MS) -> KafkaAdminClient:
    return KafkaAdminClient(
        **{**connection_config(), "bootstrap_timeout_ms": timeout_ms},
        client_id="event-books-admin",
        request_timeout_ms=timeout_ms,
    )


def new_consumer(*, group_id: str | None, **overrides) -> KafkaConsumer:
    """A consumer that commits offsets only when told to, after its work is stored."""
    config = {
        **connection_config(),
        "group_id": group_id,
        "client_id": group_id or "event-books-reader",
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": SESSION_TIMEOUT_MS,
        "heartbeat_interval_ms": SESSION_TIMEOUT_MS // 3,
    }
    return KafkaConsumer(**{**config, **overrides})


class ReplaceableProducer:
    """A producer made on first use and thrown away once it failed to deliver.

    kafka-python's idempotent producer can stop delivering for good while looking healthy:
    after a batch expires in flight it drops its producer id and never asks for a new one
    (kafka-python 3.0.12), so every later send times out. Rather than trust any client to
    recover, whoever sees a send go unacknowledged calls `discard()`, and the next `get()`
    builds a fresh producer. The records the old one still held are not waited for: their
    callers saw them fail and send them again (consumers drop a repeat by its ce_id).
    """

    def __init__(
        self,
        factory: Callable[[], KafkaProducer] = new_producer,
        *,
        first: KafkaProducer | None = None,
    ) -> None:
        self._factory = factory
        self._producer = first
        self.replacements = 0

    def get(self) -> KafkaProducer:
        """The current producer; raises KafkaError while no broker answers."""
        if self._producer is None:
            self._producer = self._factory()
        return self._producer

    def discard(self, reason: BaseException | str) -> None:
        if self._producer is None:
            return
        logger.warning("Replacing the Kafka producer, which failed to deliver: %s", reason)
        producer, self._producer = self._producer, None
        self.replacements += 1
        _close_quietly(producer, timeout=0)

    def close(self, timeout: float = 10) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            _close_quietly(producer, timeout=timeout)


def _close_quietly(producer: KafkaProducer, *, timeout: float) -> None:
    try:
        producer.close(timeout=timeout)
    except KafkaError as exc:
        # Closing flushes first: records it could not flush in time are given up, as intended.
        logger.info("Kafka producer closed with records unsent: %s", exc)
