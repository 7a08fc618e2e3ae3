import logging
import time

from django.core.management.base import CommandError
from django.db import DatabaseError, close_old_connections

from events.kafka import new_producer
from events.management.worker import KafkaWorkerCommand
from events.relay import Relay, purge_published
from events.retention import PURGE_EVERY_SECONDS

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 5


class Command(KafkaWorkerCommand):
    help = (
        "Publish the outbox's search events to Kafka. Runs until SIGTERM or Ctrl-C; "
        "several relays may run at once. With --once, publishes everything pending and exits."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Publish all pending events, then exit."
        )
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Rows claimed per transaction (500)."
        )
        parser.add_argument(
            "--poll-interval",
            type=float,
            default=0.1,
            help="Seconds to wait when the outbox is empty before looking again (0.1).",
        )

    def handle(self, *args, once: bool, batch_size: int, poll_interval: float, **options) -> None:
        if batch_size < 1 or poll_interval <= 0:
            raise CommandError("--batch-size and --poll-interval must be positive.")
        self.install_stop_handlers()
        self.published = 0
        producer = self.connect(lambda: new_producer(max_block_ms=2000), wait=not once)
        if producer is None:
            return
        self.relay = Relay(producer, batch_size=batch_size, respect_backoff=not once)
        try:
            if once:
                self.drain()
            else:
                self.loop(poll_interval)
        finally:
            self.relay.producer.close(timeout=10)
        self.stdout.write(self.style.SUCCESS(f"Relay stopped; {self.published} events published."))

    def drain(self) -> None:
        while not self.stopping:
            result = self.relay.publish_batch()
            self.published += result.published
            if result.failed:
                raise CommandError(
                    f"{result.claimed - result.published} events could not be published; "
                    "they stay in the outbox (see its last_error in the admin)."
                )
            if not result.claimed:
                return

    def loop(self, poll_interval: float) -> None:
        delay = poll_interval
        self.next_purge = 0.0
        while not self.stopping:
            try:
                result = self.tick()
            except DatabaseError as exc:
                logger.warning("Database unavailable (%s); retrying", exc)
                close_old_connections()
                result = None
            if result is not None and result.claimed == self.relay.batch_size and not result.failed:
                # More may be waiting. After a partial batch the relay pauses instead: under
                # steady traffic, going straight on published a row or two per batch, and the
                # fixed cost of each batch made the relay a tenth of the web's CPU.
                continue
            healthy = result is not None and not result.failed
            delay = poll_interval if healthy else min(delay * 2, MAX_BACKOFF_SECONDS)
            time.sleep(delay)

    def tick(self):
        """One pass: publish a batch, and purge old published rows when it is time."""
        result = self.relay.publish_batch()
        self.published += result.published
        if result.claimed:
            logger.info("Published %d of %d events", result.published, result.claimed)
        if time.monotonic() >= self.next_purge:
            if purged := purge_published():
                logger.info("Purged %d published outbox rows past retention", purged)
            self.next_purge = time.monotonic() + PURGE_EVERY_SECONDS
        return result
