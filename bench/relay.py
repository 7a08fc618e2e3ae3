"""(c) Relay throughput: N outbox rows published to Kafka by `manage.py relay_events --once`.

Two figures: the wall time of the whole command (Django start-up and connecting included), and
the steady rate from the rows' own published_at: every batch stamps its rows once Kafka has
acknowledged them, so (rows after the first batch) / (last stamp - first stamp) is the rate of
claim → send → ack → mark, without start-up.
"""

import functools
import itertools
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

from bench.config import RunContext
from bench.http_load import VISITORS
from bench.memory import ProcessMemory
from bench.processes import BenchError, manage, step
from bench.queries import PAGE_SIZE, QUERIES, visitor_ids

INSERT_BATCH = 2000
RELAY_BATCH_SIZE = 500  # rows relay_events claims per transaction (its --batch-size)


@dataclass(frozen=True)
class RelayResult:
    events: int
    published: int
    on_topic: int  # messages the topic gained: what Kafka acknowledged
    wall_seconds: float
    steady_rate: float
    batch_size: int
    memory: ProcessMemory

    @property
    def wall_rate(self) -> float:
        return self.published / self.wall_seconds if self.wall_seconds else 0.0


@functools.cache
def _result_pages() -> list[tuple[str, list[dict]]]:
    """Each query with its first page of books (the API's JSON), searched once per run: at a
    million books the searches take most of a minute."""
    from books.selectors import search_books
    from books.serializers import book_as_json

    pages = []
    for query in QUERIES:
        books = search_books(query=query, offset=0, limit=PAGE_SIZE).books
        if books:
            pages.append((query, [book_as_json(book) for book in books]))
    if not pages:
        raise BenchError("no query found any book: is the catalogue empty?")
    return pages


def realistic_events(count: int, *, seed: int = 2) -> Iterator:
    """`count` search events as the site emits them: a query, its first page of books from
    this catalogue, a visitor."""
    from events.types.search_performed import search_event

    pages = _result_pages()
    rng = random.Random(seed)
    visitors = visitor_ids(VISITORS, seed=seed)
    for _ in range(count):
        query, books = rng.choice(pages)
        yield search_event(query=query, books=books, visitor_id=rng.choice(visitors))


def prefill_outbox(topic: str, count: int) -> None:
    """Bulk-insert `count` pending outbox rows: the rows write_to_outbox() writes, many per
    INSERT (one INSERT each would take minutes for 50k)."""
    from django.db import connection
    from django.test import override_settings

    from events.delivery import outbox_row
    from events.models import OutboxEvent

    step(f"relay: emptying the outbox and writing {count:,} pending events")
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE TABLE {connection.ops.quote_name(OutboxEvent._meta.db_table)}")
    events = realistic_events(count)
    with override_settings(KAFKA_TOPIC=topic):
        while batch := list(itertools.islice(events, INSERT_BATCH)):
            OutboxEvent.objects.bulk_create([outbox_row(event) for event in batch])


@dataclass(frozen=True)
class OutboxHealth:
    """The outbox after the web phase: how the running relay coped with the load."""

    rows: int
    retried: int  # rows Kafka did not acknowledge at the first attempt
    pending: int  # rows still unpublished when the relay was stopped
    last_error: str


def outbox_health() -> OutboxHealth:
    from django.db.models import Count, Q

    from events.models import OutboxEvent

    counts = OutboxEvent.objects.aggregate(
        rows=Count("id"),
        retried=Count("id", filter=Q(attempts__gt=0)),
        pending=Count("id", filter=Q(published_at__isnull=True)),
    )
    failed = OutboxEvent.objects.filter(attempts__gt=0).order_by("-id").first()
    return OutboxHealth(**counts, last_error=failed.last_error if failed else "")


def topic_size(topic: str) -> int:
    """Messages on the topic: the sum of its partitions' end offsets."""
    from kafka import TopicPartition

    from events.kafka import new_consumer

    consumer = new_consumer(group_id=None)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        offsets = consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
        return sum(offsets.values())
    finally:
        consumer.close()


def measure_relay(ctx: RunContext, *, topic: str, events: int) -> RelayResult:
    from django.db.models import Count, Max, Min

    from events.models import OutboxEvent

    prefill_outbox(topic, events)
    before = topic_size(topic)
    step(f"relay: manage.py relay_events --once ({events:,} events)")
    started, started_at = time.monotonic(), time.time()
    rss: list[tuple[float, float]] = []
    out = manage(
        ctx,
        "relay_events",
        "--once",
        "--batch-size",
        str(RELAY_BATCH_SIZE),
        env=ctx.env(topic=topic),
        timeout=1800,
        rss=rss,
    )
    wall = time.monotonic() - started
    match = re.search(r"(\d+) events published", out)
    published = int(match[1]) if match else 0
    stamps = OutboxEvent.objects.filter(published_at__isnull=False).aggregate(
        first=Min("published_at"), last=Max("published_at"), n=Count("id")
    )
    steady = 0.0
    if stamps["n"] and stamps["last"] > stamps["first"]:
        first_batch = OutboxEvent.objects.filter(published_at=stamps["first"]).count()
        span = (stamps["last"] - stamps["first"]).total_seconds()
        steady = (stamps["n"] - first_batch) / span
    return RelayResult(
        events=events,
        published=published,
        on_topic=topic_size(topic) - before,
        wall_seconds=wall,
        steady_rate=steady,
        batch_size=RELAY_BATCH_SIZE,
        memory=ProcessMemory(
            "relay",
            events=published,
            samples=rss,
            work=(
                stamps["first"].timestamp() - started_at if stamps["n"] else 0.0,
                stamps["last"].timestamp() - started_at if stamps["n"] else wall,
            ),
        ),
    )
