"""One rule for odd but decodable events, on the real broker and MariaDB: a message outside the
contract's bounds (NaN or Infinity, a book id no BIGINT column holds, a value or key too large, a
query or title longer than its column) is dead-lettered at once by both consumer groups alike,
at decode, never handed to a handler, while a normal event of the same batch is applied by
both."""

import json
import uuid
from collections import Counter
from collections.abc import Callable

from kafka import KafkaProducer

from events.consuming import Consumer, ConsumerStats
from events.envelope import Event, KafkaMessage
from events.registry import encode
from events.types.book_changes import BOOK_CHANGED, book_event
from events.types.book_viewed import BOOK_VIEWED
from events.types.search_performed import search_event
from recommendations.handlers import HANDLERS as REC_HANDLERS
from recommendations.models import Interest, OpenedBook
from tests.helpers import EMMA, header_map, read_topic
from trends.handlers import HANDLERS as TREND_HANDLERS
from trends.models import BookViews

VISITOR = "ef" * 16


def raw(event: Event, *, key: bytes | None = None, value: bytes | None = None) -> KafkaMessage:
    """The message of `event`, with its key or value replaced as an odd producer would send it."""
    message = encode(event)
    return KafkaMessage(
        topic=message.topic,
        key=message.key if key is None else key,
        value=message.value if value is None else value,
        headers=message.headers,
    )


def a_search() -> Event:
    return search_event(query="emma", books=[EMMA], visitor_id=VISITOR)


def a_view() -> Event:
    return book_event(BOOK_VIEWED, EMMA, visitor_id=VISITOR)


def book_value(**fields: object) -> bytes:
    return json.dumps({**EMMA, **fields}).encode()


def odd_messages() -> dict[str, tuple[KafkaMessage, str]]:
    """Each odd case: its message, and what its dlq_error must name."""
    huge_id, negative_id = 2**70, -5
    return {
        "NaN": (
            raw(a_search(), value=b'[{"id": 7, "rating": NaN}]'),
            "NaN is not a JSON number",
        ),
        "Infinity": (
            raw(a_view(), value=book_value()[:-1] + b', "rating": Infinity}'),
            "Infinity is not a JSON number",
        ),
        "id 2^70": (
            raw(
                book_event(BOOK_CHANGED, {**EMMA, "id": huge_id}),
                value=book_value(id=huge_id),
            ),
            "greater than the maximum of 9223372036854775807",
        ),
        "negative id": (
            raw(book_event(BOOK_VIEWED, {**EMMA, "id": negative_id}, visitor_id=VISITOR)),
            "less than the minimum of 1",
        ),
        "1 MB value": (
            raw(a_search(), value=json.dumps([{**EMMA, "padding": "x" * 1_000_000}]).encode()),
            "more than the 524288 allowed",
        ),
        "10 KB key": (raw(a_search(), key=b"k" * 10_000), "the key is 10000 bytes"),
        "query of 201 characters": (
            raw(search_event(query="q" * 201, books=[EMMA], visitor_id=VISITOR)),
            "the query is 201 characters, more than the 200 allowed",
        ),
        "title of 256 characters": (
            raw(a_view(), value=book_value(title="t" * 256)),
            "256 characters, more than the 255 allowed",
        ),
    }


def publish(kafka_bootstrap: list[str], messages: list[KafkaMessage]) -> None:
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    for message in messages:
        producer.send(message.topic, key=message.key, value=message.value, headers=message.headers)
    producer.flush()
    producer.close()


class Spy:
    """A group's handler, noting the ids of every event it was handed (a retried batch
    would be handed again)."""

    def __init__(self, handler: Callable[[list[Event]], None], seen: list[str]) -> None:
        self.handler, self.seen = handler, seen

    def __call__(self, events: list[Event]) -> None:
        self.seen.extend(event.id for event in events)
        self.handler(events)


def run_group(handlers: dict, count: int) -> tuple[ConsumerStats, list[str]]:
    seen: list[str] = []
    consumer = Consumer(
        group_id=f"odd-{uuid.uuid4().hex[:8]}",
        handlers={name: Spy(handler, seen) for name, handler in handlers.items()},
    )
    try:
        return consumer.run(max_messages=count, idle_timeout=30), seen
    finally:
        consumer.close()


def test_both_groups_dead_letter_every_odd_event_at_decode_and_apply_the_normal_ones(
    transactional_db, kafka_bootstrap, event_topics
) -> None:
    odd = odd_messages()
    fine, fine_view = a_search(), a_view()
    ce_id = {name: header_map(message)["ce_id"] for name, (message, _) in odd.items()}
    publish(kafka_bootstrap, [encode(fine), *(m for m, _ in odd.values()), encode(fine_view)])
    count = len(odd) + 2

    trends, trends_saw = run_group(TREND_HANDLERS, count)
    recommendations, recommendations_saw = run_group(REC_HANDLERS, count)

    for stats in (trends, recommendations):
        assert (stats.dead_lettered, stats.applied) == (len(odd), 2)
    # Handed to the handlers once each, and nothing else: no retried batch, no odd event.
    for seen in (trends_saw, recommendations_saw):
        assert sorted(seen) == sorted([fine.id, fine_view.id])
    per_topic = Counter(message.topic for message, _ in odd.values())
    dead = [
        letter
        for topic, letters in per_topic.items()
        for letter in read_topic(f"{topic}.dlq", 2 * letters)
    ]
    errors: dict[str, list[str]] = {}
    for letter in dead:
        headers = header_map(letter)
        errors.setdefault(headers["ce_id"], []).append(headers["dlq_error"])
    for name, (_, complaint) in odd.items():
        assert len(errors[ce_id[name]]) == 2, name  # once per group
        for error in errors[ce_id[name]]:
            assert complaint in error, (name, error)
    assert BookViews.objects.get().book_id == EMMA["id"]
    assert Interest.objects.get().visitor_id == VISITOR
    assert OpenedBook.objects.get().book_id == EMMA["id"]
