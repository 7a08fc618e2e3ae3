import json
from textwrap import shorten

from events import registry
from events.envelope import MalformedEvent
from events.kafka import new_consumer
from events.management.worker import KafkaWorkerCommand


class Command(KafkaWorkerCommand):
    help = (
        "Print the events arriving on the registered event types' topics, as a consumer "
        "outside any group."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--from-beginning", action="store_true", help="Start with the oldest event kept."
        )
        parser.add_argument(
            "--max-messages", type=int, default=None, help="Exit after this many events."
        )
        parser.add_argument(
            "--topic",
            action="append",
            default=None,
            help="Watch only this topic; repeatable (default: every registered type's topic).",
        )

    def handle(
        self,
        *args,
        from_beginning: bool,
        max_messages: int | None,
        topic: list[str] | None,
        **options,
    ) -> None:
        self.install_stop_handlers()
        consumer = self.connect(
            lambda: new_consumer(
                group_id=None, auto_offset_reset="earliest" if from_beginning else "latest"
            ),
            wait=False,
        )
        topics = topic or registry.topics()
        consumer.subscribe(topics)
        self.stderr.write(f"Watching {', '.join(topics)}; Ctrl-C to stop.")
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
        where = f"{record.topic} partition {record.partition} offset {record.offset}"
        try:
            event_type = registry.type_of(record)
            if event_type is None:
                self.stdout.write(f"{where}: an event of a type not registered here")
                return
            event = registry.decode(record, event_type)
        except MalformedEvent as exc:
            self.stdout.write(self.style.WARNING(f"{where}: malformed ({exc})"))
            return
        extras = "".join(f" {name}={value}" for name, value in event.extensions.items())
        key = (record.key or b"").decode(errors="replace")
        value = json.dumps(event.data, ensure_ascii=False)
        self.stdout.write(
            f"{event.time:%H:%M:%S} {where} {event.type} key={key!r} subject={event.subject!r} "
            f"id={event.id} visitor={event.visitor_id}{extras}: {shorten(value, 300)}"
        )
