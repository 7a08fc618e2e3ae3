"""The outbox relay: publishes outbox rows to Kafka, each marked once Kafka acknowledged it.

`Relay.publish_batch()` is one claim-send-record pass; `Relay.run()` is the long-running loop
behind `manage.py relay_events`, which outlives any outage of Kafka or the database: a producer
that failed to deliver is replaced (see `events.kafka.ReplaceableProducer`) and rows that
failed for a passing reason are due again a second later, so the backlog follows within
seconds of Kafka answering again.
"""

import datetime
import logging
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

from django.db import DatabaseError, close_old_connections, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from kafka.errors import KafkaError, KafkaTimeoutError

from bookstore_site.tracing import mark_failed, producer_span
from events.heartbeats import Heartbeat
from events.kafka import ReplaceableProducer
from events.metrics import RELAY_BATCH_SECONDS, RELAY_FAILED, RELAY_PUBLISHED
from events.models import OutboxEvent
from events.retention import PURGE_EVERY_SECONDS, delete_in_batches, retention_cutoff

logger = logging.getLogger(__name__)

# A row Kafka refused (too large, say) is retried after 1 s, 2 s, 4 s … and at most 30 s later,
# so that it does not hold up the others. A row that failed for a reason that passes (no ack
# in time, no broker) is due again after the base delay alone: the loop's own backoff paces
# the tries, and the backlog goes as soon as Kafka is back, not up to 30 s later.
RETRY_BASE_SECONDS = 1
RETRY_MAX_SECONDS = 30
# While nothing can be published the loop waits this long at most between tries.
MAX_BACKOFF_SECONDS = 5
# A relay that has published nothing for this long says so at ERROR, and again as often.
STUCK_REPORT_SECONDS = 30


def retry_delay(attempts: int, error: BaseException) -> datetime.timedelta:
    if getattr(error, "retriable", False):
        return datetime.timedelta(seconds=RETRY_BASE_SECONDS)
    seconds = min(RETRY_BASE_SECONDS * 2 ** (attempts - 1), RETRY_MAX_SECONDS)
    return datetime.timedelta(seconds=seconds)


def delivery_error(outcome: object) -> BaseException | None:
    """Why a row's send failed (its error, or no ack in time); None once Kafka acknowledged
    it. `outcome` is the send's future, or the error that stopped the send."""
    if isinstance(outcome, BaseException):
        return outcome
    if outcome.succeeded():
        return None
    return outcome.exception or KafkaTimeoutError("no ack in time")


@dataclass(frozen=True)
class BatchResult:
    claimed: int
    published: int

    @property
    def failed(self) -> bool:
        return self.published < self.claimed


class Relay:
    def __init__(
        self,
        producer: ReplaceableProducer,
        *,
        batch_size: int = 500,
        ack_timeout: float = 10,
        respect_backoff: bool = True,
    ) -> None:
        self.producer = producer
        self.batch_size = batch_size
        self.ack_timeout = ack_timeout
        self.respect_backoff = respect_backoff
        self.published = 0
        # When the relay last stopped getting acknowledgements; None while it is healthy.
        self.failing_since: float | None = None
        self.next_stuck_report = 0.0
        self.next_purge = 0.0
        self.heartbeat = Heartbeat(kind="relay", name="relay")

    def publish_batch(self) -> BatchResult:
        """Claim up to one batch of rows, publish them, and record each outcome.

        The rows stay locked (FOR UPDATE SKIP LOCKED) until their outcome is written, so other
        relays skip them; a relay that dies mid-batch leaves them unpublished, to be sent again
        (consumers drop the repeat by its ce_id). Raises KafkaError while no broker answers.
        """
        producer = self.producer.get()
        candidates = (
            OutboxEvent.objects.due() if self.respect_backoff else OutboxEvent.objects.pending()
        )
        with transaction.atomic():
            rows = list(
                candidates.select_for_update(skip_locked=True).order_by("id")[: self.batch_size]
            )
            if not rows:
                return BatchResult(claimed=0, published=0)
            published_ids, failures = [], []
            for row, outcome in self._send(producer, rows):
                if (error := delivery_error(outcome)) is None:
                    published_ids.append(row.pk)
                else:
                    failures.append((row, error))
            for row, error in failures:
                self._record_failure(row, error)
            OutboxEvent.objects.filter(pk__in=published_ids).update(published_at=timezone.now())
        if failures:
            self.producer.discard(failures[0][1])
        self.published += len(published_ids)
        return BatchResult(claimed=len(rows), published=len(published_ids))

    def _send(self, producer, rows: list[OutboxEvent]) -> list[tuple[OutboxEvent, object]]:
        outcomes: list[tuple[OutboxEvent, object]] = []
        # A PRODUCER span per row that carries a traceparent (None for the others), each ended
        # when the block closes, after the flush has settled every row's outcome.
        with ExitStack() as open_spans:
            spans = []
            for row in rows:
                spans.append(
                    open_spans.enter_context(producer_span(row.headers, destination=row.topic))
                )
                try:
                    future = producer.send(
                        row.topic,
                        key=bytes(row.key),
                        value=bytes(row.value),
                        headers=[(name, text.encode()) for name, text in row.headers],
                    )
                except KafkaError as exc:
                    # The broker is unreachable: the rest of the batch would only wait for it too.
                    outcomes.append((row, exc))
                    break
                outcomes.append((row, future))
            try:
                producer.flush(timeout=self.ack_timeout)
            except KafkaTimeoutError:
                logger.warning(
                    "Kafka acknowledged only part of the batch within %s s", self.ack_timeout
                )
            for span, (_, outcome) in zip(spans, outcomes, strict=True):
                if (error := delivery_error(outcome)) is not None:
                    mark_failed(span, error)
        return outcomes

    @staticmethod
    def _record_failure(row: OutboxEvent, error: BaseException) -> None:
        OutboxEvent.objects.filter(pk=row.pk).update(
            attempts=F("attempts") + 1,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            next_attempt_at=timezone.now() + retry_delay(row.attempts + 1, error),
        )

    def publish_and_report(self) -> BatchResult:
        """One batch, counted in the metrics and logged in one line (fields of its own in
        LOG_FORMAT=json)."""
        started = time.monotonic()
        result = self.publish_batch()
        if result.claimed:
            seconds = time.monotonic() - started
            RELAY_BATCH_SECONDS.observe(seconds)
            RELAY_PUBLISHED.inc(result.published)
            RELAY_FAILED.inc(result.claimed - result.published)
            logger.info(
                "Published %d of %d events in %.0f ms",
                result.published,
                result.claimed,
                seconds * 1000,
                extra={
                    "batch": "relay",
                    "claimed": result.claimed,
                    "published": result.published,
                    "failed": result.claimed - result.published,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )
        return result

    def drain(self, *, should_stop: Callable[[], bool] = lambda: False) -> BatchResult:
        """Publish until nothing is pending; stops at the first batch that fails."""
        total = BatchResult(claimed=0, published=0)
        while not should_stop():
            result = self.publish_and_report()
            total = BatchResult(total.claimed + result.claimed, total.published + result.published)
            if result.failed or not result.claimed:
                break
        return total

    def run(self, *, should_stop: Callable[[], bool], poll_interval: float = 0.1) -> None:
        """Publish until asked to stop, riding out outages of Kafka and the database."""
        delay = poll_interval
        while not should_stop():
            self.heartbeat.beat()
            result = self.tick()
            if result is not None and result.claimed == self.batch_size and not result.failed:
                # More may be waiting. After a partial batch the relay pauses instead: under
                # steady traffic, going straight on published a row or two per batch, and the
                # fixed cost of each batch made the relay a tenth of the web's CPU.
                continue
            healthy = result is not None and not result.failed
            delay = poll_interval if healthy else min(delay * 2, MAX_BACKOFF_SECONDS)
            time.sleep(delay)
        self.heartbeat.stop()

    def tick(self) -> BatchResult | None:
        """One pass of the loop: a batch, then a purge when one is due. None when the batch
        could not be tried at all (Kafka or the database unreachable)."""
        try:
            result = self.publish_and_report()
        except (KafkaError, DatabaseError) as exc:
            self.note_failure(exc)
            if isinstance(exc, DatabaseError):
                close_old_connections()
            return None
        if result.failed:
            self.note_failure(f"{result.claimed - result.published} of {result.claimed} unacked")
        elif result.claimed:
            self.note_success()
        self.purge_when_due()
        return result

    def note_failure(self, error: BaseException | str) -> None:
        now = time.monotonic()
        if self.failing_since is None:
            self.failing_since = now
            self.next_stuck_report = now + STUCK_REPORT_SECONDS
            logger.warning("Relay cannot publish (%s); retrying", error)
        elif now >= self.next_stuck_report:
            self.next_stuck_report = now + STUCK_REPORT_SECONDS
            logger.error(
                "Relay has published nothing for %.0f s: %s. Events wait in the outbox; "
                "is Kafka reachable?",
                now - self.failing_since,
                error,
            )

    def note_success(self) -> None:
        if self.failing_since is not None:
            outage = time.monotonic() - self.failing_since
            self.failing_since = None
            logger.warning("Relay publishing again after %.0f s", outage)

    def purge_when_due(self) -> None:
        if time.monotonic() < self.next_purge:
            return
        self.next_purge = time.monotonic() + PURGE_EVERY_SECONDS
        try:
            purged = purge_published()
        except DatabaseError as exc:
            logger.warning("Could not purge published outbox rows: %s", exc)
            return
        if purged:
            logger.info("Purged %d published outbox rows past retention", purged)


def purge_published() -> int:
    """Delete rows published longer ago than the retention period; never unpublished ones."""
    return delete_in_batches(OutboxEvent.objects.filter(published_at__lt=retention_cutoff()))


def retry_now(rows: QuerySet[OutboxEvent]) -> int:
    """Make unpublished rows due at once (the admin's "retry now")."""
    return rows.filter(published_at__isnull=True).update(next_attempt_at=timezone.now())
