"""Factories for Kafka clients. Each is created where it is used, when it is first needed."""

from django.conf import settings
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

# How long a client may wait for the first answer from the broker before giving up.
BOOTSTRAP_TIMEOUT_MS = 5000
# A consumer that dies without leaving its group holds its partitions this long (the broker's
# smallest allowed by default), so that a restarted one takes over quickly.
SESSION_TIMEOUT_MS = 6000


def dead_letter_topic(topic: str) -> str:
    """Where consumers put the messages of `topic` they cannot apply."""
    return f"{topic}.dlq"


def new_producer(**overrides) -> KafkaProducer:
    """An idempotent producer that waits for every in-sync replica (acks=all)."""
    config = {
        "bootstrap_servers": settings.KAFKA_BOOTSTRAP_SERVERS,
        "client_id": "event-books",
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "compression_type": None,
        "bootstrap_timeout_ms": BOOTSTRAP_TIMEOUT_MS,
        "request_timeout_ms": 10000,
        "delivery_timeout_ms": 30000,
        "reconnect_backoff_max_ms": 2000,
    }
    return KafkaProducer(**{**config, **overrides})


def new_admin(*, timeout_ms: int = BOOTSTRAP_TIMEOUT_MS) -> KafkaAdminClient:
    return KafkaAdminClient(
        bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
        client_id="event-books-admin",
        bootstrap_timeout_ms=timeout_ms,
        request_timeout_ms=timeout_ms,
    )


def new_consumer(*, group_id: str, **overrides) -> KafkaConsumer:
    """A consumer that commits offsets only when told to, after its work is stored."""
    config = {
        "bootstrap_servers": settings.KAFKA_BOOTSTRAP_SERVERS,
        "group_id": group_id,
        "client_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": SESSION_TIMEOUT_MS,
        "heartbeat_interval_ms": SESSION_TIMEOUT_MS // 3,
        "bootstrap_timeout_ms": BOOTSTRAP_TIMEOUT_MS,
        "reconnect_backoff_max_ms": 2000,
    }
    return KafkaConsumer(**{**config, **overrides})
