"""Opening a book's page announces a book.viewed.v1 event, which feeds the "Most viewed this week"
box (trends) and keeps opened books out of the visitor's recommendations."""

import datetime
import json
import uuid

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from books.models import Book
from books.serializers import book_as_json
from catalogue.models import BookRevision
from events.consuming import Consumer, ConsumerStats
from events.envelope import Event
from events.models import OutboxEvent
from events.types.book_viewed import BOOK_VIEWED
from recommendations.handlers import HANDLERS as RECOMMENDATION_HANDLERS
from tests.helpers import T0
from trends.handlers import HANDLERS as TREND_HANDLERS
from trends.models import BookViews
from trends.selectors import most_viewed
from trends.services import count_views

# --- Fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def catalogue(event_topics, catalogue) -> dict[str, Book]:
    """conftest's `catalogue`, added only once the topics are the test's own: its book.added
    rows name their topic when written, and the consumers below count exactly this test's
    messages (the session's shared topics hold other tests' too)."""
    return catalogue


def page(book: Book) -> str:
    return f"/books/{book.pk}/"


def viewed_rows() -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(event_type=BOOK_VIEWED).order_by("id"))


def visitor() -> Client:
    """A browser that has its uid cookie already (its first visit issues it)."""
    client = Client()
    client.get("/")
    return client


def consume(handlers: dict, count: int) -> ConsumerStats:
    """Run one consumer group of its own with `handlers` until `count` records were seen."""
    consumer = Consumer(group_id=f"test-group-{uuid.uuid4().hex[:8]}", handlers=handlers)
    try:
        return consumer.run(max_messages=count, idle_timeout=30)
    finally:
        consumer.close()


def section(html: str, heading_id: str) -> str:
    return html.split(f'id="{heading_id}"')[1].split("</section>")[0]


# --- Opening a page writes the event -----------------------------------------------------------


def test_opening_a_book_page_writes_one_book_viewed_row_with_the_visitor(
    make_book, settings
) -> None:
    book = make_book(title="Emma", author="Jane Austen")
    client = visitor()

    response = client.get(page(book))

    assert response.status_code == 200
    [row] = viewed_rows()
    assert row.topic == settings.KAFKA_BOOK_VIEWS_TOPIC
    assert bytes(row.key).decode() == str(book.pk)
    assert json.loads(bytes(row.value)) == book_as_json(book)
    headers = dict(row.headers)
    assert headers["ce_type"] == BOOK_VIEWED
    assert headers["ce_subject"] == str(book.pk)
    assert headers["ce_visitorid"] == client.cookies["uid"].value


def test_every_get_of_a_book_page_is_a_view(make_book) -> None:
    book = make_book()
    client = visitor()

    client.get(page(book))
    client.get(page(book))

    assert len(viewed_rows()) == 2


def test_a_head_request_writes_nothing(make_book) -> None:
    book = make_book()
    client = visitor()

    response = client.head(page(book))

    assert response.status_code == 200
    assert viewed_rows() == []


def test_a_missing_book_is_404_and_writes_nothing(make_book) -> None:
    missing = make_book()
    missing_url = page(missing)
    missing.delete()
    client = visitor()

    response = client.get(missing_url)

    assert response.status_code == 404
    assert viewed_rows() == []


# --- Through the broker to the read models -----------------------------------------------------


def test_consumed_views_feed_most_viewed_and_the_home_page_box(
    transactional_db, event_topics, make_book, relay
) -> None:
    emma = make_book(title="Emma", author="Jane Austen")
    persuasion = make_book(title="Persuasion", author="Jane Austen")
    never_opened = make_book(title="Sanditon", author="Jane Austen")
    first, second = visitor(), visitor()
    first.get(page(emma))
    first.get(page(emma))
    second.get(page(emma))
    second.get(page(persuasion))
    first.head(page(never_opened))
    # 3 book.added (skipped by the trends group) and 4 book.viewed.
    assert relay.drain().published == 7

    stats = consume(TREND_HANDLERS, 7)

    assert (stats.applied, stats.skipped) == (4, 3)
    viewed = most_viewed()
    assert [(book["title"], book["views"]) for book in viewed] == [
        ("Emma", 3),
        ("Persuasion", 1),
    ]
    assert viewed[0] == {**book_as_json(emma), "views": 3}
    cache.clear()  # the box the pages above cached expires (trends.BOX_CACHE_SECONDS)
    box = section(Client().get("/").text, "most-viewed-heading")
    assert "Most viewed this week" in box
    assert f'<a href="{page(emma)}">Emma</a> <span class="meta">(3 views)</span>' in box
    assert f'<a href="{page(persuasion)}">Persuasion</a> <span class="meta">(1 view)</span>' in box
    assert box.index("Emma") < box.index("Persuasion")
    assert "Sanditon" not in box


def test_recommendations_leave_out_the_books_the_visitor_opened(
    transactional_db, catalogue, relay
) -> None:
    reader, other = visitor(), visitor()
    found = [b["title"] for b in reader.get("/api/books", {"q": "kafka"}).json()]
    other.get("/api/books", {"q": "kafka"})
    other.get(page(catalogue["trial"]))
    reader.get(page(catalogue["shore"]))
    assert {"Kafka on the Shore", "Der Prozess"} <= set(found)
    # 5 book.added (skipped), 2 search.performed, 2 book.viewed.
    assert relay.drain().published == 9

    stats = consume(RECOMMENDATION_HANDLERS, 9)

    assert (stats.applied, stats.skipped) == (4, 5)

    def recommended(client: Client) -> list[str]:
        uid = client.cookies["uid"].value
        return [b["title"] for b in client.get("/api/recommendations", {"uid": uid}).json()]

    # What the other visitor opened, not what each opened themselves.
    assert recommended(reader) == ["Der Prozess"]
    assert recommended(other) == ["Kafka on the Shore"]


# --- The read model, without Kafka -------------------------------------------------------------


def book(book_id: int, title: str) -> dict:
    return {"id": book_id, "title": title, "author": "Jane Austen"}


def view(data: dict, time: datetime.datetime) -> Event:
    return Event(type=BOOK_VIEWED, subject=str(data["id"]), data=data, time=time)


def views_by_day() -> dict[tuple[int, datetime.date], tuple[int, str]]:
    return {(r.book_id, r.day): (r.views, r.book["title"]) for r in BookViews.objects.all()}


def test_count_views_counts_per_book_and_utc_day_keeping_the_latest_json(db) -> None:
    late_evening_in_utc = datetime.datetime(
        2026, 1, 2, 0, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
    )  # 2026-01-01 22:30 UTC
    count_views(
        [
            view(book(9001, "Emma, revised"), T0 + datetime.timedelta(hours=5)),
            view(book(9001, "Emma"), T0 + datetime.timedelta(hours=1)),  # older, comes later
            view(book(9001, "Emma, evening"), late_evening_in_utc),
            view(book(9001, "Emma"), T0 + datetime.timedelta(days=1)),
            view(book(9002, "Persuasion"), T0),
        ]
    )
    count_views([view(book(9001, "Emma, 2nd ed."), T0 + datetime.timedelta(hours=23))])
    count_views([view(book(9001, "Emma, old"), T0 + datetime.timedelta(hours=2))])

    day = T0.date()
    assert views_by_day() == {
        (9001, day): (5, "Emma, 2nd ed."),
        (9001, day + datetime.timedelta(days=1)): (1, "Emma"),
        (9002, day): (1, "Persuasion"),
    }
    assert BookViews.objects.get(book_id=9001, day=day).last_viewed_at == (
        T0 + datetime.timedelta(hours=23)
    )


def test_count_views_keeps_the_latest_json_within_one_batch(db) -> None:
    count_views(
        [
            view(book(9001, "Emma, revised"), T0 + datetime.timedelta(hours=5)),
            view(book(9001, "Emma"), T0 + datetime.timedelta(hours=1)),
        ]
    )

    assert views_by_day() == {(9001, T0.date()): (2, "Emma, revised")}


def add_views(book_id: int, title: str, *, days_ago: int, views: int) -> None:
    today = timezone.now().astimezone(datetime.UTC).date()
    BookViews.objects.create(
        book_id=book_id,
        day=today - datetime.timedelta(days=days_ago),
        views=views,
        book=book(book_id, title),
        last_viewed_at=timezone.now() - datetime.timedelta(days=days_ago),
    )


def test_most_viewed_sums_the_last_seven_days_and_orders_by_views(db) -> None:
    add_views(9001, "Emma", days_ago=0, views=3)
    add_views(9001, "Emma", days_ago=1, views=4)
    add_views(9002, "Persuasion", days_ago=6, views=5)  # the week's first day
    add_views(9003, "Sanditon", days_ago=7, views=100)  # a day too old
    add_views(9003, "Sanditon", days_ago=0, views=1)

    assert [(b["id"], b["views"]) for b in most_viewed()] == [(9001, 7), (9002, 5), (9003, 1)]


def test_most_viewed_leaves_out_removed_books_and_shows_changed_titles(db) -> None:
    add_views(9001, "Emma", days_ago=0, views=3)
    add_views(9002, "Persuasion", days_ago=0, views=5)
    add_views(9004, "Lady Susan", days_ago=0, views=2)
    now = timezone.now()
    BookRevision.objects.create(
        book_id=9002, book=book(9002, "Persuasion"), removed=True, changed_at=now
    )
    BookRevision.objects.create(
        book_id=9004, book=book(9004, "Lady Susan, revised"), changed_at=now
    )

    assert [(b["title"], b["views"]) for b in most_viewed()] == [
        ("Emma", 3),
        ("Lady Susan, revised", 2),
    ]
