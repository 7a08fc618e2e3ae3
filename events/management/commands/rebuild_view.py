from django.core.management.base import CommandError
from django.db import DatabaseError
from kafka.errors import KafkaError
from tqdm import tqdm

from events.consuming.groups import read_models
from events.consuming.rebuild import rebuild_view
from events.kafka import new_consumer
from events.management.worker import KafkaWorkerCommand


class Command(KafkaWorkerCommand):
    help = (
        "Rebuild a read model from the events its consumer group's topics retain, in one "
        "database transaction: readers see the old view until the new one is complete, and "
        "the live consumer goes on from its committed offsets without counting an event twice."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "view", choices=sorted(read_models()), help="The read model to rebuild."
        )
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Records read and applied at a time (500)."
        )

    def handle(self, *args, view: str, batch_size: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        reader = self.connect(lambda: new_consumer(group_id=None), wait=False)
        try:
            with tqdm(unit=" records", desc=f"Rebuilding {view}") as bar:
                stats = rebuild_view(
                    name=view,
                    reader=reader,
                    batch_size=batch_size,
                    on_total=lambda total: bar.reset(total=total),
                    on_progress=bar.update,
                )
        except KafkaError as exc:
            raise CommandError(
                f"Kafka failed during the rebuild ({exc}); {view} is unchanged."
            ) from exc
        except DatabaseError as exc:
            raise CommandError(
                f"The database refused the rebuild ({exc}); {view} is unchanged."
            ) from exc
        finally:
            reader.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"{view} rebuilt from {stats.read} records in {stats.seconds:.1f} s: "
                f"{stats.applied} events applied, {stats.duplicates} duplicates, "
                f"{stats.skipped} of other types skipped, {stats.malformed} malformed skipped "
                f"({stats.deleted} old rows deleted)."
            )
        )
