from django.core.management.base import CommandError

from events.consuming import Consumer, Handler
from events.management.worker import KafkaWorkerCommand


class ConsumerCommand(KafkaWorkerCommand):
    """A long-running consumer group; subclasses name the group and its handler per type."""

    group_id: str
    handlers: dict[str, Handler]

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--group", default=self.group_id, help=f"Consumer group ({self.group_id})."
        )
        parser.add_argument(
            "--max-messages", type=int, default=None, help="Exit after handling this many."
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=None,
            help="Exit after this many seconds without a new message (default: run until SIGTERM).",
        )
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Most records handled per batch (500)."
        )

    def handle(
        self,
        *args,
        group: str,
        max_messages,
        timeout,
        batch_size: int,
        metrics_port: int | None,
        metrics_address: str,
        **options,
    ) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        self.start_metrics(port=metrics_port, address=metrics_address)
        self.install_stop_handlers()
        consumer = self.connect(
            lambda: Consumer(group_id=group, handlers=self.handlers, batch_size=batch_size),
            # A batch job (--timeout / --max-messages) fails at once; a service waits for Kafka.
            wait=timeout is None and max_messages is None,
        )
        if consumer is None:
            return
        try:
            stats = consumer.run(
                should_stop=lambda: self.stopping, max_messages=max_messages, idle_timeout=timeout
            )
        finally:
            consumer.close()
        partitions = ", ".join(sorted(stats.partitions)) or "none"
        self.stdout.write(
            self.style.SUCCESS(
                f"{group}: {stats.applied} events applied, {stats.duplicates} duplicates skipped, "
                f"{stats.skipped} of other types skipped, {stats.dead_lettered} dead-lettered; "
                f"partitions {partitions}."
            )
        )
