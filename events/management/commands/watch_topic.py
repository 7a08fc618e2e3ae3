from django.conf import settings

from events.contract import MalformedEvent, decode
from events.kafka import new_consumer
from events.management.worker import KafkaWorkerCommand


class Command(KafkaWorkerCommand):
    help = "Print the search events arriving on KAFKA_TOPIC, as a consumer outside any group."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--from-beginning", action="store_true", help="Start with the oldest event kept."
        )
        parser.add_argument(
            "--max-messages", type=int, default=None, help="Exit after this many events."
        )

    def handle(self, *args, from_beginning: bool, max_messages: int | None, **options) -> None:
        self.install_stop_handlers()
        consumer = self.connect(
            lambda: new_consumer(
                group_id=None, auto_offset_reset="earliest" if from_beginning else "latest"
            ),
            wait=False,
        )
        consumer.subscribe([settings.KAFKA_TOPIC])
        self.stderr.write(f"Watching {settings.KAFKA_TOPIC}; Ctrl-C to stop.")
        seen = 0
        try:
            while not self.stopping and (max_messages is None or seen < max_messages):
                for records in consumer.poll(timeout_ms=500).values():
                    for record in records:
                        self.show(record)
                        seen += 1
        finally:
            consumer.close()

    def show(self, record) -> None:
        where = f"partition {record.partition} offset {record.offset}"
        try:
            event = decode(record.key, record.value, record.headers)
        except MalformedEvent as exc:
            self.stdout.write(self.style.WARNING(f"{where}: malformed ({exc})"))
            return
        titles = ", ".join(book["title"] for book in event.books) or "no books"
        self.stdout.write(
            f"{event.time:%H:%M:%S} {where} key={event.query!r} id={event.id} "
            f"visitor={event.visitor_id} offset={event.offset}: {titles}"
        )
