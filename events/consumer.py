"""The one consumer loop behind every search-event consumer.

poll → decode → dead-letter the malformed → drop events this group already applied (by ce_id) →
apply the batch in one database transaction → commit the offsets. Offsets are committed only
after the transaction, so a crash at any point redelivers rather than loses, and the ce_id
record turns the redelivery into a no-op: each event is applied once.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, close_old_connections, transaction
from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import CommitFailedError, KafkaError

from events.contract import MalformedEvent, SearchEvent, decode
from events.kafka import new_consumer, new_producer
from events.models import ProcessedEvent

logger = logging.getLogger(__name__)

BatchApplier = Callable[[list[SearchEvent]], None]
MAX_RETRY_DELAY_SECONDS = 30
# How long an idle-timed run waits to be given partitions: a killed member of the group holds
# them until its session (events.kafka.SESSION_TIMEOUT_MS) expires.
JOIN_TIMEOUT_SECONDS = 60


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"


@dataclass
class ConsumerStats:
    applied: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    partitions: set[int] = field(default_factory=set)

    @property
    def seen(self) -> int:
        return self.applied + self.duplicates + self.dead_lettered


class SearchEventConsumer:
    def __init__(
        self,
        *,
        group_id: str,
        apply_batch: BatchApplier,
        consumer: KafkaConsumer | None = None,
        batch_size: int = 500,
    ) -> None:
        self.group_id = group_id
        self.apply_batch = apply_batch
        self.topic = settings.KAFKA_TOPIC
        self.batch_size = batch_size
        self.consumer = consumer or new_consumer(group_id=group_id, max_poll_records=batch_size)
        self.consumer.subscribe([self.topic])
        self._dlq_producer: KafkaProducer | None = None
        self.stats = ConsumerStats()

    def run(
        self,
        *,
        should_stop: Callable[[], bool] = lambda: False,
        max_messages: int | None = None,
        idle_timeout: float | None = None,
    ) -> ConsumerStats:
        """Consume until asked to stop, `max_messages` were handled, or the topic stayed quiet
        for `idle_timeout` seconds. A stop request takes effect between batches."""
        last_message_at = time.monotonic()
        waiting_for_partitions = True
        while not should_stop():
            if max_messages is not None and self.stats.seen >= max_messages:
                break
            records = self.poll()
            if waiting_for_partitions and self.consumer.assignment():
                # Joining a group can take a while (a killed member's session must expire
                # first); quiet time counts from when this consumer has partitions to read.
                waiting_for_partitions = False
                last_message_at = time.monotonic()
            if records:
                self.handle_with_retry(records, should_stop)
                last_message_at = time.monotonic()
            elif idle_timeout is not None:
                quiet_for = time.monotonic() - last_message_at
                if quiet_for >= (JOIN_TIMEOUT_SECONDS if waiting_for_partitions else idle_timeout):
                    break
        return self.stats

    def close(self) -> None:
        self.consumer.close()
        if self._dlq_producer is not None:
            self._dlq_producer.close(timeout=10)

    def poll(self) -> list:
        batches = self.consumer.poll(timeout_ms=500, max_records=self.batch_size)
        return [record for records in batches.values() for record in records]

    def handle_with_retry(self, records: list, should_stop: Callable[[], bool]) -> None:
        """Handle one poll's records, waiting out database or DLQ trouble; never skip them."""
        delay = 1.0
        while True:
            try:
                self.handle(records)
                return
            except (DatabaseError, KafkaError, OSError) as exc:
                if should_stop():
                    # Uncommitted offsets: these records are redelivered to the next consumer.
                    logger.warning(
                        "Stopping with an unapplied batch (%s); it will be redelivered", exc
                    )
                    return
                logger.warning("Batch not applied (%s); retrying in %.0f s", exc, delay)
                close_old_connections()
                time.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_DELAY_SECONDS)

    def handle(self, records: list) -> None:
        events, malformed = [], []
        for record in records:
            try:
                events.append(decode(record.key, record.value, record.headers))
            except MalformedEvent as exc:
                malformed.append((record, exc))
        if malformed:
            self.dead_letter(malformed)
        applied, duplicates = self.apply_once(events)
        try:
            self.consumer.commit()
        except CommitFailedError as exc:
            # The partitions moved to another member, which gets these records again and
            # recognises them by ce_id.
            logger.warning("Offsets not committed after a rebalance: %s", exc)
        self.stats.applied += applied
        self.stats.duplicates += duplicates
        self.stats.dead_lettered += len(malformed)
        self.stats.partitions.update(record.partition for record in records)

    def apply_once(self, events: list[SearchEvent]) -> tuple[int, int]:
        """Apply the events this group has not applied before; returns (applied, duplicates)."""
        unique = list({event.id: event for event in events}.values())
        with transaction.atomic():
            seen = set(
                ProcessedEvent.objects.filter(
                    consumer_group=self.group_id, event_id__in=[e.id for e in unique]
                ).values_list("event_id", flat=True)
            )
            fresh = [event for event in unique if event.id not in seen]
            # A concurrent insert of the same ids fails the transaction: retried, then skipped.
            ProcessedEvent.objects.bulk_create(
                [ProcessedEvent(consumer_group=self.group_id, event_id=e.id) for e in fresh]
            )
            if fresh:
                self.apply_batch(fresh)
        return len(fresh), len(events) - len(fresh)

    def dead_letter(self, malformed: list) -> None:
        """Copy malformed records to the DLQ, waiting for Kafka's ack before going on."""
        if self._dlq_producer is None:
            self._dlq_producer = new_producer()
        futures = []
        for record, error in malformed:
            logger.warning(
                "Malformed event at %s/%d@%d sent to the DLQ: %s",
                record.topic,
                record.partition,
                record.offset,
                error,
            )
            headers = [
                *record.headers,
                ("dlq_error", str(error).encode()),
                ("dlq_source_topic", record.topic.encode()),
                ("dlq_source_partition", str(record.partition).encode()),
                ("dlq_source_offset", str(record.offset).encode()),
                ("dlq_consumer_group", self.group_id.encode()),
            ]
            futures.append(
                self._dlq_producer.send(
                    dead_letter_topic(record.topic),
                    key=record.key,
                    value=record.value,
                    headers=headers,
                )
            )
        for future in futures:
            future.get(timeout=30)
