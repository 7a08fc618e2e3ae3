"""The one consumer loop behind every consumer group; groups differ only in their handlers.

poll → decode by ce_type → skip the types this group has no handler for → dead-letter the
malformed → drop events this group already applied (by ce_id) → apply the batch in one
database transaction → commit the offsets. Offsets are committed only after the transaction,
so a crash at any point redelivers rather than loses, and the ce_id record turns the
redelivery into a no-op: each event is applied once.
"""

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import CommitFailedError, KafkaError

from events import registry
from events.consuming.dead_letter import DeadLetters
from events.consuming.dedupe import Handler, apply_once, forget_applied
from events.envelope import MalformedEvent
from events.heartbeats import Heartbeat
from events.kafka import new_consumer
from events.retention import PURGE_EVERY_SECONDS

logger = logging.getLogger(__name__)

# At most this long between tries, so that a batch follows within seconds of an outage's end.
MAX_RETRY_DELAY_SECONDS = 5
# Errors of a service that is away, waited out however long it takes. Any other database error
# (a value a column cannot hold, say) gets this many tries, as a conflicting insert of another
# consumer resolves itself on a retry, and then the batch is applied event by event.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, KafkaError, OSError)
POISON_BATCH_TRIES = 3
# How long an idle-timed run waits to be given partitions: a killed member of the group holds
# them until its session (events.kafka.SESSION_TIMEOUT_MS) expires.
JOIN_TIMEOUT_SECONDS = 60
# A consumer that polled nothing for this long checks whether events wait all the same, and if
# so replaces its Kafka client.
STALL_SECONDS = 15
POLL_RETRY_SECONDS = 1


@dataclass
class ConsumerStats:
    applied: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    # Events of types this group has no handler for: committed past, never dead-lettered.
    skipped: int = 0
    # The "topic/partition"s this consumer read records from.
    partitions: set[str] = field(default_factory=set)

    @property
    def seen(self) -> int:
        return self.applied + self.duplicates + self.dead_lettered + self.skipped


class Consumer:
    """A consumer group: its id and a handler per event type it applies. It reads the topics of
    those types; each handler gets a list of events of its type, inside the batch's
    transaction."""

    def __init__(
        self,
        *,
        group_id: str,
        handlers: Mapping[str, Handler],
        batch_size: int = 500,
    ) -> None:
        self.group_id = group_id
        # By each type's current name, so that an event read under an alias finds its handler.
        self.handlers = {registry.get(name).name: handler for name, handler in handlers.items()}
        self.topics = sorted({registry.get(name).topic for name in self.handlers})
        self.batch_size = batch_size
        self.consumer = self.subscribe()
        self.dead_letters = DeadLetters(group_id=group_id)
        self.heartbeat = Heartbeat(kind="consumer", name=group_id)
        self.stats = ConsumerStats()
        self.next_purge = 0.0
        self.rebuilds = 0

    def run(
        self,
        *,
        should_stop: Callable[[], bool] = lambda: False,
        max_messages: int | None = None,
        idle_timeout: float | None = None,
    ) -> ConsumerStats:
        """Consume until asked to stop, `max_messages` were handled, or the topic stayed quiet
        for `idle_timeout` seconds. A stop request takes effect between batches."""
        last_message_at = progress_at = time.monotonic()
        waiting_for_partitions = True
        while not should_stop():
            self.heartbeat.beat()
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
                last_message_at = progress_at = time.monotonic()
            elif time.monotonic() - progress_at >= STALL_SECONDS:
                progress_at = time.monotonic()
                if self.stalled():
                    self.rebuild()
            if time.monotonic() >= self.next_purge:
                self.purge_processed()
            if not records and idle_timeout is not None:
                quiet_for = time.monotonic() - last_message_at
                if quiet_for >= (JOIN_TIMEOUT_SECONDS if waiting_for_partitions else idle_timeout):
                    break
        return self.stats

    def subscribe(self) -> KafkaConsumer:
        consumer = new_consumer(group_id=self.group_id, max_poll_records=self.batch_size)
        consumer.subscribe(self.topics)
        return consumer

    def stalled(self) -> bool:
        """Whether events wait on the topic while this consumer gets none of them: after a
        whole-cluster outage kafka-python's group membership was seen to stay broken for good
        (offsets refused with UnknownMemberId, then nothing polled), like the producer's."""
        try:
            partitions = [
                TopicPartition(topic, number)
                for topic in self.topics
                for number in self.consumer.partitions_for_topic(topic) or ()
            ]
            ends = self.consumer.end_offsets(partitions)
            assigned = [tp for tp in self.consumer.assignment() if tp.topic in self.topics]
            if assigned:
                return any(self.consumer.position(tp) < ends.get(tp, 0) for tp in assigned)
            return not partitions or any(
                (self.consumer.committed(tp) or 0) < ends.get(tp, 0) for tp in partitions
            )
        except Exception as exc:  # a diagnosis must never end the loop; a client that
            # cannot even answer it is the one to replace
            logger.info("%s: stall check failed: %s", self.group_id, exc)
            return True

    def rebuild(self) -> None:
        """Replace the Kafka client: the new one rejoins the group from the committed offsets
        (what the old one applied but did not commit comes again and is dropped by ce_id)."""
        logger.warning(
            "%s: no events for %d s although some wait; rebuilding the Kafka consumer",
            self.group_id,
            STALL_SECONDS,
        )
        try:
            fresh = self.subscribe()
        except KafkaError as exc:
            # No broker answers (an outage, not a stuck client): keep the old one for now.
            logger.warning(
                "%s: Kafka consumer not rebuilt, Kafka unreachable: %s", self.group_id, exc
            )
            return
        try:
            self.consumer.close(autocommit=False, timeout_ms=5000)
        except KafkaError as exc:
            logger.info("Old Kafka consumer closed with an error: %s", exc)
        self.consumer = fresh
        self.rebuilds += 1

    def purge_processed(self) -> None:
        """Forget applied ce_ids past the retention period: redeliveries come long before."""
        self.next_purge = time.monotonic() + PURGE_EVERY_SECONDS
        try:
            purged = forget_applied(group_id=self.group_id)
        except DatabaseError as exc:
            logger.warning("Could not purge old ce_id records: %s", exc)
            return
        if purged:
            logger.info("Forgot %d ce_id records past retention", purged)

    def close(self) -> None:
        self.heartbeat.stop()
        self.consumer.close()
        self.dead_letters.close()

    def poll(self) -> list:
        """The next records; none while Kafka cannot be reached (kafka-python raises from its
        coordinator lookup when the whole cluster is down), after a pause so as not to spin."""
        try:
            batches = self.consumer.poll(timeout_ms=500, max_records=self.batch_size)
        except KafkaError as exc:
            logger.warning("%s: Kafka unreachable while polling (%s); retrying", self.group_id, exc)
            time.sleep(POLL_RETRY_SECONDS)
            return []
        return [record for records in batches.values() for record in records]

    def handle_with_retry(self, records: list, should_stop: Callable[[], bool]) -> None:
        """Handle one poll's records, never skipping them: an outage of the database or Kafka
        is waited out; an error that persists (a row this batch cannot store) sends the
        events that cause it to the DLQ, one by one, after a few tries."""
        decoded, malformed, skipped = self.decode_all(records)
        delay = 1.0
        failures = 0
        while True:
            try:
                self.handle(
                    records,
                    decoded,
                    malformed,
                    skipped=skipped,
                    one_by_one=failures >= POISON_BATCH_TRIES,
                )
                return
            except Exception as exc:  # a handler's own error too: retried, then the events
                # that cause it are dead-lettered, rather than the consumer dying on the batch
                # again and again
                if should_stop():
                    # Uncommitted offsets: these records are redelivered to the next consumer.
                    logger.warning("Stopping with an unapplied batch (%s); it is redelivered", exc)
                    return
                if not isinstance(exc, TRANSIENT_ERRORS):
                    failures += 1
                    if not isinstance(exc, DatabaseError | KafkaError | OSError):
                        logger.exception("A handler failed on this batch")
                logger.warning("Batch not applied (%s); retrying in %.0f s", exc, delay)
                close_old_connections()
                time.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_DELAY_SECONDS)

    def decode_all(self, records: list) -> tuple[list, list, int]:
        """The records of handled types as (record, event) pairs, the malformed ones as
        (record, error), and how many were of types this group does not handle."""
        decoded, malformed, skipped = [], [], 0
        for record in records:
            try:
                event_type = registry.type_of(record)
                if event_type is None or event_type.name not in self.handlers:
                    skipped += 1
                    continue
                decoded.append((record, registry.decode(record, event_type)))
            except MalformedEvent as exc:
                malformed.append((record, exc))
        return decoded, malformed, skipped

    def handle(
        self, records: list, decoded: list, malformed: list, *, skipped: int, one_by_one: bool
    ) -> None:
        """Apply one poll's decoded events, dead-letter what cannot be applied, then commit
        the records' offsets."""
        rejected = list(malformed)
        if one_by_one:
            applied, duplicates = 0, 0
            for record, event in decoded:
                try:
                    done, repeated = self.apply_once([event])
                except TRANSIENT_ERRORS:
                    raise  # an outage, not this event: the whole batch waits
                except Exception as exc:
                    rejected.append((record, exc))
                    continue
                applied, duplicates = applied + done, duplicates + repeated
        else:
            applied, duplicates = self.apply_once([event for _, event in decoded])
        # After the database work, so that a retried batch does not dead-letter twice.
        if rejected:
            self.dead_letters.send(rejected)
        try:
            self.consumer.commit()
        except CommitFailedError as exc:
            # The partitions moved to another member, which gets these records again and
            # recognises them by ce_id.
            logger.warning("Offsets not committed after a rebalance: %s", exc)
        self.stats.applied += applied
        self.stats.duplicates += duplicates
        self.stats.dead_lettered += len(rejected)
        self.stats.skipped += skipped
        self.stats.partitions.update(f"{record.topic}/{record.partition}" for record in records)

    def apply_once(self, events: list) -> tuple[int, int]:
        return apply_once(events, group_id=self.group_id, handlers=self.handlers)
