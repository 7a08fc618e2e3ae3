from django.core.management.base import CommandError

from events.consumer import BatchApplier, SearchEventConsumer
from events.management.worker import KafkaWorkerCommand


class ConsumerCommand(KafkaWorkerCommand):
    """A long-running consumer of the search topic; subclasses name the group and the batch."""

    group_id: str
    apply_batch: BatchApplier

    def add_arguments(self, parser) -> None:
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

    def handle(self, *args, group: str, max_messages, timeout, batch_size: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        self.install_stop_handlers()
        consumer = self.connect(
            lambda: SearchEventConsumer(
                group_id=group, apply_batch=type(self).apply_batch, batch_size=batch_size
            ),
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
        partitions = ", ".join(map(str, sorted(stats.partitions))) or "none"
        self.stdout.write(
            self.style.SUCCESS(
                f"{group}: {stats.applied} events applied, {stats.duplicates} duplicates skipped, "
                f"{stats.dead_lettered} dead-lettered; partitions {partitions}."
            )
        )
