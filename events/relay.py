"""The outbox relay: publishes outbox rows to Kafka, each marked once Kafka acknowledged it."""

import datetime
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from kafka import KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError

from events.models import OutboxEvent
from events.retention import delete_in_batches, retention_cutoff

logger = logging.getLogger(__name__)

# A failed row is retried after 1 s, 2 s, 4 s … and at most 30 s later, so that events
# follow soon after Kafka comes back from an outage.
RETRY_BASE_SECONDS = 1
RETRY_MAX_SECONDS = 30


def retry_delay(attempts: int) -> datetime.timedelta:
    seconds = min(RETRY_BASE_SECONDS * 2 ** (attempts - 1), RETRY_MAX_SECONDS)
    return datetime.timedelta(seconds=seconds)


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
        producer: KafkaProducer,
        *,
        batch_size: int = 500,
        ack_timeout: float = 10,
        respect_backoff: bool = True,
    ) -> None:
        self.producer = producer
        self.batch_size = batch_size
        self.ack_timeout = ack_timeout
        self.respect_backoff = respect_backoff

    def publish_batch(self) -> BatchResult:
        """Claim up to one batch of rows, publish them, and record each outcome.

        The rows stay locked (FOR UPDATE SKIP LOCKED) until their outcome is written, so other
        relays skip them; a relay that dies mid-batch leaves them unpublished, to be sent again
        (consumers drop the repeat by its ce_id).
        """
        candidates = (
            OutboxEvent.objects.due() if self.respect_backoff else OutboxEvent.objects.pending()
        )
        with transaction.atomic():
            rows = list(
                candidates.select_for_update(skip_locked=True).order_by("id")[: self.batch_size]
            )
            if not rows:
                return BatchResult(claimed=0, published=0)
            outcomes = self._send(rows)
            published_ids = []
            for row, outcome in outcomes:
                if isinstance(outcome, BaseException):
                    self._record_failure(row, outcome)
                elif outcome.succeeded():
                    published_ids.append(row.pk)
                else:
                    self._record_failure(
                        row, outcome.exception or KafkaTimeoutError("no ack in time")
                    )
            OutboxEvent.objects.filter(pk__in=published_ids).update(published_at=timezone.now())
        return BatchResult(claimed=len(rows), published=len(published_ids))

    def _send(self, rows: list[OutboxEvent]) -> list[tuple[OutboxEvent, object]]:
        outcomes: list[tuple[OutboxEvent, object]] = []
        for row in rows:
            try:
                future = self.producer.send(
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
            self.producer.flush(timeout=self.ack_timeout)
        except KafkaTimeoutError:
            logger.warning(
                "Kafka acknowledged only part of the batch within %s s", self.ack_timeout
            )
        return outcomes

    @staticmethod
    def _record_failure(row: OutboxEvent, error: BaseException) -> None:
        OutboxEvent.objects.filter(pk=row.pk).update(
            attempts=F("attempts") + 1,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            next_attempt_at=timezone.now() + retry_delay(row.attempts + 1),
        )


def purge_published() -> int:
    """Delete rows published longer ago than the retention period; never unpublished ones."""
    return delete_in_batches(OutboxEvent.objects.filter(published_at__lt=retention_cutoff()))


def retry_now(rows: QuerySet[OutboxEvent]) -> int:
    """Make unpublished rows due at once (the admin's "retry now")."""
    return rows.filter(published_at__isnull=True).update(next_attempt_at=timezone.now())
