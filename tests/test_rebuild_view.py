"""`manage.py rebuild_view`: a read model rebuilt from the events its group's topics retain
equals what the live consumer built, and the live consumer then goes on without counting an
event twice, also one it applies while the rebuild runs."""

import dataclasses
import io
import threading
import time
import uuid
from collections.abc import Callable

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django.db.models import F, QuerySet
from django.test import Client
from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaTimeoutError

from books.models import Book
from events.consuming import Consumer, ConsumerStats
from events.consuming.dedupe import apply_once
from events.consuming.groups import ConsumerGroup, ReadModel, consumer_groups, read_models
from events.consuming.rebuild import rebuild_view
from events.delivery import write_to_outbox
from events.kafka import new_consumer
from events.models import OutboxEvent
from events.registry import encode
from events.types.book_changes import book_event
from events.types.book_viewed import BOOK_VIEWED
from events.types.search_performed import SEARCH_PERFORMED, search_event
from recommendations.models import Interest, OpenedBook
from tests.helpers import EMMA
from trends.models import BookViews, TrendingQuery

# --- Fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def catalogue(event_topics, catalogue) -> dict[str, Book]:
    """conftest's `catalogue`, once the topics are the test's own (see test_book_views)."""
    return catalogue


@pytest.fixture
def groups(monkeypatch) -> dict[str, ConsumerGroup]:
    """The app's consumer groups under group ids of this test's own, so that neither a running
    consumer of the shared broker nor a concurrent suite joins them; by view name."""
    suffix = uuid.uuid4().hex[:8]
    own = [dataclasses.replace(g, group_id=f"{g.group_id}-{suffix}") for g in consumer_groups()]
    monkeypatch.setattr("events.consuming.groups._groups", {g.group_id: g for g in own})
    return {name: group for name, (group, _) in read_models().items()}


def live(group: ConsumerGroup, count: int) -> ConsumerStats:
    """The group's live consumer, run until it has seen `count` more records."""
    consumer = Consumer(group_id=group.group_id, handlers=group.handlers)
    try:
        return consumer.run(max_messages=count, idle_timeout=20)
    finally:
        consumer.close()


def rebuild(name: str) -> str:
    out = io.StringIO()
    call_command("rebuild_view", name, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def visitor() -> Client:
    client = Client()
    client.get("/")  # the first visit sets the uid cookie
    return client


def browse(catalogue: dict[str, Book], relay) -> None:
    """Searches and book views through the site, the outbox and the relay; one search is
    published twice (the relay publishes at least once) and a malformed search follows."""
    reader, other = visitor(), visitor()
    reader.get("/api/books", {"q": "kafka"})
    reader.get("/api/books", {"q": " KAFKA "})
    other.get("/api/books", {"q": "murakami"})
    reader.get("/api/books", {"q": "emma"})
    for client, book in [(reader, "shore"), (reader, "shore"), (other, "emma")]:
        client.get(f"/books/{catalogue[book].pk}/")
    assert relay.drain().published == 12  # with the catalogue's 5 book.added
    OutboxEvent.objects.filter(pk=searches().first().pk).update(published_at=None)
    assert relay.drain().published == 1
    message = encode(search_event(query="bad", books=[]))
    producer = KafkaProducer(bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS)
    producer.send(message.topic, key=b"bad", value=b"{not json", headers=message.headers)
    producer.flush()
    producer.close()


def searches() -> QuerySet[OutboxEvent]:
    return OutboxEvent.objects.filter(event_type=SEARCH_PERFORMED).order_by("pk")


VISITOR = "5e" * 16  # a well-formed uid cookie

# 5 book.added, 4 searches + 1 published twice + 1 malformed, 3 views.
RECORDS = 14

# What each view holds, without ids: rebuilt rows get new ones.
SNAPSHOTS: dict[str, Callable[[], object]] = {
    "trends": lambda: {
        r.query: (r.count, r.books, r.last_searched_at) for r in TrendingQuery.objects.all()
    },
    "most_viewed": lambda: {
        (r.book_id, r.day): (r.views, r.book, r.last_viewed_at) for r in BookViews.objects.all()
    },
    "recommendations": lambda: (
        {
            (r.visitor_id, r.book_id): (r.score, r.book, r.updated_at)
            for r in Interest.objects.all()
        },
        {(r.visitor_id, r.book_id): r.opened_at for r in OpenedBook.objects.all()},
    ),
}

CORRUPTIONS: dict[str, Callable[[], object]] = {
    "trends": lambda: (
        TrendingQuery.objects.filter(query="emma").delete(),
        TrendingQuery.objects.update(count=F("count") + 10),
    ),
    "most_viewed": lambda: BookViews.objects.update(views=99),
    "recommendations": lambda: (
        Interest.objects.filter(pk=Interest.objects.order_by("pk")[0].pk).delete(),
        Interest.objects.update(score=0),
        OpenedBook.objects.all().delete(),
    ),
}


# --- Rebuilding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "summary"),
    [
        ("trends", "6 records in"),
        ("most_viewed", "3 records in"),
        ("recommendations", "9 records in"),
    ],
)
def test_a_corrupted_view_is_rebuilt_to_what_the_live_consumer_built(
    transactional_db, catalogue, relay, groups, name, summary
) -> None:
    browse(catalogue, relay)
    stats = live(groups[name], RECORDS)
    assert (stats.duplicates, stats.dead_lettered) == (1, 1)
    built = SNAPSHOTS[name]()
    assert built
    CORRUPTIONS[name]()
    assert SNAPSHOTS[name]() != built

    output = rebuild(name)

    assert SNAPSHOTS[name]() == built
    assert summary in output
    if name != "most_viewed":
        assert "1 duplicates, 0 of other types skipped, 1 malformed skipped" in output


def test_a_consumer_behind_the_rebuild_skips_what_it_applied_and_counts_what_follows_once(
    transactional_db, catalogue, relay, groups
) -> None:
    browse(catalogue, relay)
    rebuild("trends")  # before the live consumer read any of it
    rebuilt = SNAPSHOTS["trends"]()
    # The reader searched kafka twice: one visitor, counted once.
    assert {query: count for query, (count, *_) in rebuilt.items()} == {
        "kafka": 1,
        "murakami": 1,
        "emma": 1,
    }

    caught_up = live(groups["trends"], RECORDS)

    # Its searches were all recorded as applied; the book views (another view) were not.
    assert (caught_up.applied, caught_up.duplicates, caught_up.skipped) == (3, 5, 5)
    assert SNAPSHOTS["trends"]() == rebuilt
    visitor().get("/api/books", {"q": "kafka"})
    assert relay.drain().published == 1
    assert live(groups["trends"], 1).applied == 1
    assert TrendingQuery.objects.get(query="kafka").count == 2
    assert TrendingQuery.objects.count() == 3


def test_an_event_the_live_consumer_applies_during_the_rebuild_counts_once(
    transactional_db, event_topics, relay, groups
) -> None:
    group = groups["trends"]
    early = [search_event(query=f"early {n}", books=[EMMA], visitor_id=VISITOR) for n in range(5)]
    late = search_event(query="late", books=[EMMA], visitor_id=VISITOR)
    write_to_outbox([*early, late])
    relay.drain()
    apply_once(early, group_id=group.group_id, handlers=group.handlers)
    finished = threading.Event()

    def live_consumer_applies_late() -> None:
        try:
            for _ in range(50):
                try:
                    apply_once([late], group_id=group.group_id, handlers=group.handlers)
                    finished.set()
                    return
                except DatabaseError:  # a deadlock or a ce_id inserted meanwhile: retried
                    time.sleep(0.2)
        finally:
            connection.close()

    consumer_thread = threading.Thread(target=live_consumer_applies_late)

    def meanwhile(total: int) -> None:
        # After the delete, before the rebuild reads "late": long enough for the consumer's
        # transaction to commit, were it not made to wait.
        consumer_thread.start()
        consumer_thread.join(timeout=2)

    reader = new_consumer(group_id=None)
    try:
        rebuild_view(name="trends", reader=reader, on_total=meanwhile)
    finally:
        reader.close()
    consumer_thread.join(timeout=60)

    assert finished.is_set()
    assert dict(TrendingQuery.objects.values_list("query", "count")) == {
        **{event.subject: 1 for event in early},
        "late": 1,
    }


# --- Refusals ----------------------------------------------------------------------------------


def test_an_unknown_view_is_a_command_error() -> None:
    with pytest.raises(CommandError, match="invalid choice: 'bestsellers'"):
        rebuild("bestsellers")


def test_kafka_failing_after_the_delete_leaves_the_view_as_it_was(
    transactional_db, event_topics, groups, monkeypatch
) -> None:
    group = groups["trends"]
    apply_once(
        [search_event(query="kept", books=[EMMA], visitor_id=VISITOR)],
        group_id=group.group_id,
        handlers=group.handlers,
    )

    def unreachable(self, partitions, timeout_ms=None):
        raise KafkaTimeoutError("Failed to get offsets by timestamps in 10000 ms")

    monkeypatch.setattr(KafkaConsumer, "end_offsets", unreachable)

    with pytest.raises(CommandError, match="trends is unchanged"):
        rebuild("trends")
    assert dict(TrendingQuery.objects.values_list("query", "count")) == {"kept": 1}


def test_an_unreachable_kafka_is_a_command_error(settings) -> None:
    settings.KAFKA_BOOTSTRAP_SERVERS = ["127.0.0.1:1"]  # nothing listens there

    with pytest.raises(CommandError, match=r"Kafka is not reachable at 127\.0\.0\.1:1"):
        rebuild("trends")


def test_a_view_whose_handler_is_not_its_groups_is_refused(monkeypatch) -> None:
    group = ConsumerGroup(
        group_id="g",
        handlers={SEARCH_PERFORMED: lambda events: None},
        read_models=(
            ReadModel(name="partial", models=(), handlers={SEARCH_PERFORMED: lambda events: None}),
        ),
    )
    monkeypatch.setattr("events.consuming.groups._groups", {"g": group})

    with pytest.raises(ValueError, match="not g's"):
        rebuild_view(name="partial", reader=None)


def test_a_missing_topic_is_a_command_error_and_the_view_is_kept(
    transactional_db, groups, settings, new_topic_name
) -> None:
    group = groups["most_viewed"]
    viewed = book_event(BOOK_VIEWED, EMMA, visitor_id="v1")
    apply_once([viewed], group_id=group.group_id, handlers=group.handlers)
    settings.KAFKA_BOOK_VIEWS_TOPIC = missing = new_topic_name()  # never created

    with pytest.raises(CommandError, match=f"no topic {missing}.*most_viewed is unchanged"):
        rebuild("most_viewed")
    assert BookViews.objects.get().views == 1
