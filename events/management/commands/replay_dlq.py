from django.core.management.base import CommandError
from kafka.errors import KafkaError

from events import registry
from events.consuming.replay import (
    DeadLetter,
    LetterFilter,
    ReplayFailed,
    dead_letter_topics,
    replay_dead_letters,
)
from events.kafka import new_consumer, new_producer
from events.management.worker import KafkaWorkerCommand


class Command(KafkaWorkerCommand):
    help = (
        "Publish dead letters back to the topics they came from, with their key, value and "
        "CloudEvents headers (so their ce_id: a group that applied one skips it). Reads the "
        "DLQs up to their end offsets at the start; --dry-run lists what would be replayed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--topic",
            action="append",
            default=None,
            help="A topic whose DLQ to read (or the DLQ's own name); repeatable "
            "(default: the DLQs of every registered type's topic).",
        )
        parser.add_argument(
            "--type",
            dest="event_type",
            help="Only letters of this event type (ce_type; an alias names it too).",
        )
        parser.add_argument("--error", help="Only letters whose dlq_error contains this text.")
        parser.add_argument("--partition", type=int, help="Only this partition of the DLQ.")
        parser.add_argument(
            "--from-offset", type=int, help="Only letters at this DLQ offset or later."
        )
        parser.add_argument(
            "--to-offset", type=int, help="Only letters at this DLQ offset or earlier."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List the matching letters; publish nothing."
        )

    def handle(
        self,
        *args,
        topic: list[str] | None,
        event_type: str | None,
        error: str | None,
        partition: int | None,
        from_offset: int | None,
        to_offset: int | None,
        dry_run: bool,
        **options,
    ) -> None:
        if any(value is not None and value < 0 for value in (partition, from_offset, to_offset)):
            raise CommandError("--partition, --from-offset and --to-offset cannot be negative.")
        if None not in (from_offset, to_offset) and from_offset > to_offset:
            raise CommandError("--from-offset is after --to-offset.")
        letter_filter = LetterFilter(event_type=self.find_type(event_type), error=error)
        reader = self.connect(lambda: new_consumer(group_id=None), wait=False)
        producer = (
            None if dry_run else self.connect(lambda: new_producer(max_block_ms=10_000), wait=False)
        )
        try:
            result = replay_dead_letters(
                reader=reader,
                producer=producer,
                topics=dead_letter_topics(topic),
                letter_filter=letter_filter,
                partition=partition,
                from_offset=from_offset,
                to_offset=to_offset,
                on_match=self.show if dry_run else lambda letter: None,
            )
        except ReplayFailed as exc:
            raise CommandError(
                f"Kafka did not acknowledge a replayed message ({exc}) after "
                f"{sum(exc.result.replayed.values())} were; running again is safe, groups "
                "skip what they applied by ce_id."
            ) from exc
        except KafkaError as exc:
            raise CommandError(f"Kafka failed while reading the DLQ: {exc}") from exc
        finally:
            reader.close()
            if producer is not None:
                producer.close(timeout=10)
        self.report(result, dry_run=dry_run)

    @staticmethod
    def find_type(name: str | None) -> registry.EventType | None:
        if name is None:
            return None
        try:
            return registry.get(name)
        except KeyError:
            known = ", ".join(event_type.name for event_type in registry.event_types())
            raise CommandError(f"Unknown event type {name!r}; registered: {known}.") from None

    def show(self, letter: DeadLetter) -> None:
        self.stdout.write(
            f"{letter.topic}/{letter.partition}@{letter.offset} "
            f"{letter.header('ce_type') or '-'} id={letter.header('ce_id') or '-'} "
            f"from {letter.source_topic}/{letter.header('dlq_source_partition') or '?'}"
            f"@{letter.header('dlq_source_offset') or '?'} "
            f"group={letter.header('dlq_consumer_group') or '?'}: {letter.header('dlq_error')}"
        )

    def report(self, result, *, dry_run: bool) -> None:
        if dry_run:
            self.stdout.write(
                f"{result.matched} of {result.read} dead letters match; nothing published "
                "(dry run)."
            )
            return
        replayed = ", ".join(f"{count} replayed to {t}" for t, count in result.replayed.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"{replayed or '0 replayed'} ({result.matched} of {result.read} dead letters "
                "matched)."
            )
        )
