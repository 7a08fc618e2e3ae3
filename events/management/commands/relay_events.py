from django.core.management.base import CommandError

from events.kafka import ReplaceableProducer, new_producer
from events.management.worker import KafkaWorkerCommand
from events.relay import Relay


class Command(KafkaWorkerCommand):
    help = (
        "Publish the outbox's events to Kafka. Runs until SIGTERM or Ctrl-C, through outages of "
        "Kafka and the database; several relays may run at once. With --once, publishes "
        "everything pending and exits."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
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

    def handle(
        self,
        *args,
        once: bool,
        batch_size: int,
        poll_interval: float,
        metrics_port: int | None,
        metrics_address: str,
        **options,
    ) -> None:
        if batch_size < 1 or poll_interval <= 0:
            raise CommandError("--batch-size and --poll-interval must be positive.")
        self.start_metrics(port=metrics_port, address=metrics_address)
        self.install_stop_handlers()
        first = self.connect(lambda: new_producer(max_block_ms=2000), wait=not once)
        if first is None:
            return
        producer = ReplaceableProducer(lambda: new_producer(max_block_ms=2000), first=first)
        relay = Relay(producer, batch_size=batch_size, respect_backoff=not once)
        try:
            if once:
                result = relay.drain(should_stop=lambda: self.stopping)
                if result.failed:
                    raise CommandError(
                        f"{result.claimed - result.published} events could not be published; "
                        "they stay in the outbox (see its last_error in the admin)."
                    )
            else:
                relay.run(should_stop=lambda: self.stopping, poll_interval=poll_interval)
        finally:
            producer.close(timeout=10)
        self.stdout.write(self.style.SUCCESS(f"Relay stopped; {relay.published} events published."))
