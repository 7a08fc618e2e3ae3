"""What the admin's pipeline page shows: the outbox's backlog per event type, and per consumer
group its workers' heartbeats, its lag per partition and its dead letters. The database part
is read through indexes only; Kafka is asked with a short timeout, and its absence is shown,
not waited out."""

import logging
from dataclasses import dataclass

from django.conf import settings
from kafka.errors import KafkaError

from events.consuming.groups import consumer_groups
from events.consuming.lag import KafkaState, PartitionLag, read_kafka_state
from events.heartbeats import WorkerState, worker_states
from events.kafka import dead_letter_topic, new_admin
from events.selectors import TypeBacklog, outbox_backlog

logger = logging.getLogger(__name__)

# How long the page waits for Kafka before saying it is unreachable.
KAFKA_TIMEOUT_MS = 2000


@dataclass(frozen=True)
class GroupStatus:
    group_id: str
    topics: list[str]
    workers: list[WorkerState]
    # None when Kafka could not be asked.
    lags: list[PartitionLag] | None
    dead_letters: dict[str, int] | None

    @property
    def total_lag(self) -> int | None:
        return None if self.lags is None else sum(lag.lag for lag in self.lags)


@dataclass(frozen=True)
class Pipeline:
    backlog: list[TypeBacklog]
    groups: list[GroupStatus]
    kafka_error: str


def kafka_state(*, timeout_ms: int = KAFKA_TIMEOUT_MS) -> KafkaState:
    """Every registered group's lag and DLQ sizes; raises KafkaError when Kafka is away."""
    admin = new_admin(timeout_ms=timeout_ms)
    try:
        return read_kafka_state(
            admin, topics_by_group={group.group_id: group.topics for group in consumer_groups()}
        )
    finally:
        admin.close()


def pipeline_status() -> Pipeline:
    try:
        state, kafka_error = kafka_state(), ""
    except KafkaError as exc:
        logger.info("Pipeline page: Kafka unreachable: %s", exc)
        state, kafka_error = None, f"{type(exc).__name__}: {exc}"
    workers = worker_states(stall_seconds=settings.EVENTS_WORKER_STALL_SECONDS, kind="consumer")
    groups = [
        GroupStatus(
            group_id=group.group_id,
            topics=group.topics,
            workers=[worker for worker in workers if worker.name == group.group_id],
            lags=state.lags[group.group_id] if state else None,
            dead_letters=(
                {
                    dlq: state.dead_letters.get(dlq, 0)
                    for dlq in map(dead_letter_topic, group.topics)
                }
                if state
                else None
            ),
        )
        for group in consumer_groups()
    ]
    return Pipeline(backlog=outbox_backlog(), groups=groups, kafka_error=kafka_error)
