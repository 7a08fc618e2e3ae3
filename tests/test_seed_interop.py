"""Interoperability with the seed tutorial's services, both ways, on the real broker and MariaDB:
our consumers count the seed web service's header-less search events (once each, however often
they are redelivered) when EVENTS_ACCEPT_SEED_EVENTS is on, and the seed's consumers can read
our search events when EVENTS_SEED_KEYS is on."""

import datetime
import json
import uuid

from django.test import Client
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from books.models import Book
from events.consuming import Consumer, ConsumerStats
from events.models import ProcessedEvent
from recommendations.handlers import CONSUMER_GROUP as REC_GROUP
from recommendations.handlers import HANDLERS as REC_HANDLERS
from recommendations.models import Interest
from tests.helpers import header_map, read_topic
from trends.handlers import CONSUMER_GROUP as TREND_GROUP
from trends.handlers import HANDLERS as TREND_HANDLERS
from trends.models import TrendingQuery

SEED_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# What Go's time.RFC3339 layout reads, for a time in UTC as this project writes it.
GO_RFC3339_UTC = "%Y-%m-%dT%H:%M:%SZ"
SEED_BOOK_FIELDS = {"id", "title", "author", "published_at", "description", "created_at"}


def seed_book(book_id: int, title: str, author: str) -> dict:
    """A book as the seed's web service puts it in a search event."""
    return {
        "id": book_id,
        "title": title,
        "author": author,
        "published_at": "2017-07-07",
        "description": f"{title}, by {author}.",
        "created_at": datetime.datetime(2026, 1, 2, 3, 4, 5).strftime(SEED_TIME_FORMAT),
    }


def produce_like_the_seed(kafka_bootstrap, topic: str, searches: list[tuple[str, list]]) -> None:
    """What the seed's Python web service does per search: a KafkaProducer without headers, key
    "<query>:<uid>" ("<query>:" without a uid), value json.dumps(books)."""
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    for key, books in searches:
        producer.send(topic, key=key.encode(), value=json.dumps(books).encode())
    producer.flush()
    producer.close()


def run_consumer(group_id: str, handlers: dict, count: int) -> ConsumerStats:
    consumer = Consumer(group_id=group_id, handlers=handlers)
    try:
        return consumer.run(max_messages=count, idle_timeout=30)
    finally:
        consumer.close()


def rewind(group_id: str, topic: str, kafka_bootstrap) -> None:
    """Commit offset 0 for `group_id` on every partition of `topic`, as an operator resetting
    the group would: its next member reads the topic again from the start."""
    consumer = KafkaConsumer(
        bootstrap_servers=kafka_bootstrap, group_id=group_id, enable_auto_commit=False
    )
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
    consumer.assign(partitions)
    consumer.commit({tp: OffsetAndMetadata(0, "", -1) for tp in partitions})
    consumer.close()


def trends() -> dict[str, int]:
    return dict(TrendingQuery.objects.values_list("query", "count"))


def interests() -> dict[tuple[str, int], int]:
    return {
        (visitor, book): score
        for visitor, book, score in Interest.objects.values_list("visitor_id", "book_id", "score")
    }


# --- the seed's events, read by our consumers -------------------------------------------------


ALICE, BOB = str(uuid.uuid4()), str(uuid.uuid4())
GUIDE = seed_book(1, "Kafka: The Definitive Guide", "Gwen Shapira")
SHORE = seed_book(3, "Kafka on the Shore", "Haruki Murakami")
EMMA = seed_book(5, "Emma", "Jane Austen")
SEED_SEARCHES = [
    (f"kafka:{ALICE}", [GUIDE, SHORE]),
    (f"Kafka:{ALICE}", [GUIDE]),
    (f"austen:{BOB}", [EMMA]),
    ("kafka:", [GUIDE, SHORE]),  # a visitor without a uid
    (f"c++: a primer:{BOB}", [GUIDE]),  # a uid has no ':', so the query is all before the last
]


def test_accepted_seed_searches_are_counted_in_trends_and_interests_once_despite_a_replay(
    db, kafka_bootstrap, event_topics, topic, settings
) -> None:
    settings.EVENTS_ACCEPT_SEED_EVENTS = True
    produce_like_the_seed(kafka_bootstrap, topic, SEED_SEARCHES)
    groups = {
        f"{TREND_GROUP}-{topic}": TREND_HANDLERS,
        f"{REC_GROUP}-{topic}": REC_HANDLERS,
    }

    first = [run_consumer(group, handlers, 5) for group, handlers in groups.items()]

    assert [(s.applied, s.dead_lettered) for s in first] == [(5, 0), (5, 0)]
    # A query counts once per visitor: Alice's two kafka searches once, the uid-less one not.
    counted = {"kafka": 1, "austen": 1, "c++: a primer": 1}
    assert trends() == counted
    # The visitor is what follows the key's ':'; "kafka:" counts for nobody.
    interested = {(ALICE, 1): 2, (ALICE, 3): 1, (BOB, 5): 1, (BOB, 1): 1}
    assert interests() == interested
    assert TrendingQuery.objects.get(query="austen").books == [EMMA]

    # The same group reads the same records again (a reset, a crash before the commit): their
    # ids derive from topic/partition/offset, so each is recognised as already applied.
    for group in groups:
        rewind(group, topic, kafka_bootstrap)
    again = [run_consumer(group, handlers, 5) for group, handlers in groups.items()]

    assert [(s.applied, s.duplicates) for s in again] == [(0, 5), (0, 5)]
    assert trends() == counted
    assert interests() == interested
    assert ProcessedEvent.objects.count() == 10


def test_seed_searches_go_to_the_dlq_and_count_for_nothing_when_not_accepted(
    db, kafka_bootstrap, event_topics, topic, settings
) -> None:
    settings.EVENTS_ACCEPT_SEED_EVENTS = False
    produce_like_the_seed(kafka_bootstrap, topic, SEED_SEARCHES[:2])
    groups = {
        f"{TREND_GROUP}-{topic}": TREND_HANDLERS,
        f"{REC_GROUP}-{topic}": REC_HANDLERS,
    }

    stats = [run_consumer(group, handlers, 2) for group, handlers in groups.items()]

    assert [(s.applied, s.dead_lettered) for s in stats] == [(0, 2), (0, 2)]
    assert trends() == {}
    assert interests() == {}
    dead = read_topic(f"{topic}.dlq", 4)
    assert len(dead) == 4
    assert {header_map(m)["dlq_consumer_group"] for m in dead} == set(groups)
    # The seed's message is kept as it came, with the reason beside it.
    assert sorted(m.key.decode() for m in dead) == sorted([f"kafka:{ALICE}", f"Kafka:{ALICE}"] * 2)
    assert all("no ce_type" in header_map(m)["dlq_error"] for m in dead)


# --- our events, read as the seed's consumers read them ----------------------------------------


def search_and_publish(client: Client, query: str, relay) -> None:
    response = client.get("/", {"q": query})
    assert response.status_code == 200
    # The search's row, after the catalogue's book.added rows the first time.
    result = relay.drain()
    assert result.published == result.claimed >= 1


def test_with_seed_keys_the_seed_reads_query_and_uid_from_the_key_and_books_from_the_value(
    client, event_topics, topic, catalogue, relay, settings
) -> None:
    settings.EVENTS_SEED_KEYS = True
    settings.EVENTS_DELIVERY = "outbox"
    client.get("/")  # a returning visitor's searches carry its uid

    search_and_publish(client, "kafka", relay)

    [message] = read_topic(topic, 1)
    # The seed's consumers: query, uid := strings.Split(key, ":") (Go), or the Python
    # equivalent below.
    query, uid = message.key.decode().split(":")[0], message.key.decode().split(":")[1]
    assert query == "kafka"
    assert uid == client.cookies["uid"].value
    books = json.loads(message.value)
    assert {book["title"] for book in books} == {
        "Kafka: The Definitive Guide",
        "Kafka on the Shore",
        "Der Prozess",
        "Designing Data-Intensive Applications",
    }
    for book in books:
        assert set(book) >= SEED_BOOK_FIELDS
        created_at = Book.objects.get(pk=book["id"]).created_at
        # Go's time.Parse(time.RFC3339, …) reads the "Z" form; so does Python's fromisoformat.
        in_go = datetime.datetime.strptime(book["created_at"], GO_RFC3339_UTC)
        in_python = datetime.datetime.fromisoformat(book["created_at"])
        assert in_go == created_at.astimezone(datetime.UTC).replace(tzinfo=None, microsecond=0)
        assert in_python == created_at.replace(microsecond=0)
        assert in_python.utcoffset() == datetime.timedelta(0)


def test_without_seed_keys_the_key_is_the_bare_query(
    client, event_topics, topic, catalogue, relay, settings
) -> None:
    settings.EVENTS_SEED_KEYS = False
    settings.EVENTS_DELIVERY = "outbox"

    search_and_publish(client, "kafka", relay)

    [message] = read_topic(topic, 1)
    assert message.key == b"kafka"


def test_with_seed_keys_our_consumers_read_the_query_and_the_visitor_from_the_headers(
    event_topics, topic, catalogue, relay, settings
) -> None:
    # Seed events accepted too: our own events must still be read by their headers, not
    # adopted as the seed's (whose query would come from the key).
    settings.EVENTS_SEED_KEYS = True
    settings.EVENTS_ACCEPT_SEED_EVENTS = True
    settings.EVENTS_DELIVERY = "outbox"
    searcher = Client()
    searcher.get("/")  # a returning visitor's searches carry its uid
    search_and_publish(searcher, "Murakami", relay)
    search_and_publish(searcher, "murakami", relay)
    uid = searcher.cookies["uid"].value
    messages = read_topic(topic, 2)
    assert sorted(m.key.decode() for m in messages) == [f"Murakami:{uid}", f"murakami:{uid}"]
    groups = {
        f"{TREND_GROUP}-{topic}": TREND_HANDLERS,
        f"{REC_GROUP}-{topic}": REC_HANDLERS,
    }

    for group, handlers in groups.items():
        # The catalogue's 5 book.added events are on the book topic too; these groups skip them.
        stats = run_consumer(group, handlers, 7)
        assert (stats.applied, stats.skipped, stats.dead_lettered) == (2, 5, 0)

    assert trends() == {"murakami": 1}  # one visitor, however often
    assert interests() == {(uid, catalogue["shore"].pk): 2}
    # Applied by their ce_id, not adopted with an id derived from where they sit in the topic.
    ce_ids = {header_map(m)["ce_id"] for m in messages}
    for group in groups:
        applied = ProcessedEvent.objects.filter(consumer_group=group)
        assert set(applied.values_list("event_id", flat=True)) == ce_ids
