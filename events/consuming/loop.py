"""The one consumer loop behind every consumer group; groups differ only in their handlers.

poll → decode by ce_type → skip the types this group has no handler for → dead-letter the
malformed → drop events this group already applied (by ce_id) → apply the batch in one
database transaction → commit the offsets. Offsets are committed only after the transaction,
so a crash at any point redelivers rather than loses, and the ce_id record turns the
redelivery into a no-op: each event is applied once.
"""

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import CommitFailedError, KafkaError

from events import registry
from events.consuming.dead_letter import DeadLetters
from events.consuming.dedupe import Handler, apply_once, forget_applied
from events.consuming.lag import read_kafka_state
from events.envelope import Event, MalformedEvent
from events.heartbeats import Heartbeat
from events.kafka import new_admin, new_consumer
from events.metrics import CONSUMED, CONSUMER_BATCH_SECONDS, CONSUMER_LAG, DLQ_MESSAGES
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
# How often a consumer measures its group's lag and its DLQs (events.metrics), and how long
# Kafka may take to answer that.
LAG_REPORT_SECONDS = 10
LAG_TIMEOUT_MS = 2000


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
        self.admin = None
        self.next_lag_report = 0.0
        # Records behind on this group's partitions, as last measured (None: not yet).
        self.lag: int | None = None

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
            if time.monotonic() >= self.next_lag_report:
                self.report_lag()
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

    def report_lag(self) -> None:
        """Export the group's lag per partition and its topics' DLQ sizes (events.metrics)."""
        self.next_lag_report = time.monotonic() + LAG_REPORT_SECONDS
        try:
            if self.admin is None:
                self.admin = new_admin(timeout_ms=LAG_TIMEOUT_MS)
            state = read_kafka_state(self.admin, topics_by_group={self.group_id: self.topics})
        except Exception as exc:  # a measurement must never end the loop; the admin client
            # is rebuilt for the next one
            logger.info("%s: lag not measured: %s", self.group_id, exc)
            self.close_admin()
            return
        for lag in state.lags[self.group_id]:
            CONSUMER_LAG.labels(self.group_id, lag.topic, str(lag.partition)).set(lag.lag)
        for topic, size in state.dead_letters.items():
            DLQ_MESSAGES.labels(topic).set(size)
        self.lag = sum(lag.lag for lag in state.lags[self.group_id])

    def close_admin(self) -> None:
        if self.admin is not None:
            admin, self.admin = self.admin, None
            try:
                admin.close()
            except KafkaError as exc:
                logger.info("Kafka admin client closed with an error: %s", exc)

    def close(self) -> None:
        self.heartbeat.stop()
        self.consumer.close()
        self.dead_letters.close()
        self.close_admin()

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
        started = time.monotonic()
        delay = 1.0
        failures = 0
        while True:
            try:
                outcomes = self.handle(
                    records,
                    decoded,
                    malformed,
                    skipped=skipped,
                    one_by_one=failures >= POISON_BATCH_TRIES,
                )
                seconds = time.monotonic() - started
                self.report_batch(outcomes, records=len(records), seconds=seconds)
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

    def decode_all(self, records: list) -> tuple[list, list, Counter]:
        """The records of handled types as (record, event) pairs, the malformed ones as
        (record, error), and how many of each other type this group does not handle."""
        decoded, malformed, skipped = [], [], Counter()
        for record in records:
            try:
                event_type = registry.type_of(record)
                if event_type is None or event_type.name not in self.handlers:
                    skipped[event_type.name if event_type else UNKNOWN_TYPE] += 1
                    continue
                decoded.append((record, registry.decode(record, event_type)))
            except MalformedEvent as exc:
                malformed.append((record, exc))
        return decoded, malformed, skipped

    def handle(
        self, records: list, decoded: list, malformed: list, *, skipped: Counter, one_by_one: bool
    ) -> Counter:
        """Apply one poll's decoded events, dead-letter what cannot be applied, then commit
        the records' offsets. Returns how many events of each type had each outcome."""
        rejected = list(malformed)
        if one_by_one:
            applied: list[Event] = []
            for record, event in decoded:
                try:
                    applied += self.apply_once([event])
                except TRANSIENT_ERRORS:
                    raise  # an outage, not this event: the whole batch waits
                except Exception as exc:
                    rejected.append((record, exc))
                    continue
        else:
            applied = self.apply_once([event for _, event in decoded])
        # After the database work, so that a retried batch does not dead-letter twice.
        if rejected:
            self.dead_letters.send(rejected)
        try:
            self.consumer.commit()
        except CommitFailedError as exc:
            # The partitions moved to another member, which gets these records again and
            # recognises them by ce_id.
            logger.warning("Offsets not committed after a rebalance: %s", exc)
        self.stats.partitions.update(f"{record.topic}/{record.partition}" for record in records)
        outcomes = Counter({(name, "skipped"): count for name, count in skipped.items()})
        outcomes.update((type_label(record), "dead_lettered") for record, _ in rejected)
        rejected_records = {id(record) for record, _ in rejected}
        # A ce_id repeated within the batch is applied at its first record, a duplicate after.
        fresh = {event.id for event in applied}
        for record, event in decoded:
            if id(record) not in rejected_records:
                outcomes[(event.type, "applied" if event.id in fresh else "duplicate")] += 1
                fresh.discard(event.id)
        return outcomes

    def report_batch(self, outcomes: Counter, *, records: int, seconds: float) -> None:
        """Count one batch in the stats and metrics, and log it in one line (fields of its
        own in LOG_FORMAT=json)."""
        totals = Counter()
        for (name, outcome), count in outcomes.items():
            CONSUMED.labels(self.group_id, name, outcome).inc(count)
            totals[outcome] += count
        CONSUMER_BATCH_SECONDS.labels(self.group_id).observe(seconds)
        self.stats.applied += totals["applied"]
        self.stats.duplicates += totals["duplicate"]
        self.stats.dead_lettered += totals["dead_lettered"]
        self.stats.skipped += totals["skipped"]
        logger.info(
            "%s: %d records, %d applied, %d duplicates, %d skipped, %d dead-lettered in %.0f ms; "
            "lag %s",
            self.group_id,
            records,
            totals["applied"],
            totals["duplicate"],
            totals["skipped"],
            totals["dead_lettered"],
            seconds * 1000,
            "unknown" if self.lag is None else self.lag,
            extra={
                "batch": "consumer",
                "group": self.group_id,
                "records": records,
                "applied": totals["applied"],
                "duplicates": totals["duplicate"],
                "skipped": totals["skipped"],
                "dead_lettered": totals["dead_lettered"],
                "duration_ms": round(seconds * 1000, 1),
                "lag": self.lag,
            },
        )

    def apply_once(self, events: list[Event]) -> list[Event]:
        """The events applied now; the rest of `events` this group had applied before."""
        return apply_once(events, group_id=self.group_id, handlers=self.handlers)


# The metrics' type label of a record whose type is not registered or cannot be read: header
# values are the sender's to choose, and each label value is a series of its own.
UNKNOWN_TYPE = "unknown"


def type_label(record) -> str:
    try:
        event_type = registry.type_of(record)
    except MalformedEvent:
        return UNKNOWN_TYPE
    return event_type.name if event_type else UNKNOWN_TYPE
