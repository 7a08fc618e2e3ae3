"""Every write to the catalogue is announced: book.added.v1, book.changed.v1 and book.removed.v1
rows in the outbox, committed with the book (or rolled back with it), from the admin, the API
and the bulk loaders; the relay takes them to Kafka, and the consumers show the changes."""

import datetime
import json
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.test import Client

from books.models import Book
from books.serializers import book_as_json
from books.services import create_book
from books.tokens import issue_api_token
from events.consuming import Consumer, ConsumerStats
from events.models import OutboxEvent
from events.types.book_changes import BOOK_ADDED, BOOK_CHANGED, BOOK_REMOVED
from events.types.search_performed import SEARCH_PERFORMED
from recommendations.handlers import HANDLERS as RECOMMENDATION_HANDLERS
from tests.helpers import header_map, read_topic
from trends.handlers import HANDLERS as TREND_HANDLERS

BOOKS_URL = "/admin/books/book/"
ADD_URL = f"{BOOKS_URL}add/"
NEW_BOOK = {
    "title": "Streaming Systems",
    "author": "Tyler Akidau",
    "published_at": "2018-08-01",
    "published_precision": "day",
    "isbn": "978-1-491-98387-4",
    "description": "The what, where, when and how of large-scale data processing.",
}


# --- Fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def catalogue(event_topics, catalogue) -> dict:
    """conftest's `catalogue`, added only once the topics are the test's own: its book.added
    rows name their topic when written, and the consumers below count exactly this test's
    messages (the session's shared topics hold other tests' too)."""
    return catalogue


def outbox(event_type: str) -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(event_type=event_type).order_by("id"))


def value_of(row: OutboxEvent) -> dict:
    return json.loads(bytes(row.value))


def key_of(row: OutboxEvent) -> str:
    return bytes(row.key).decode()


def change_form(book: Book, **changes: str) -> dict[str, str]:
    return {
        "title": book.title,
        "author": book.author,
        "published_at": book.published_at.isoformat(),
        "published_precision": book.published_precision,
        "isbn": book.isbn or "",
        "description": book.description,
        **changes,
    }


def consume(handlers: dict, count: int) -> ConsumerStats:
    """Run one consumer group of its own with `handlers` until `count` records were seen."""
    consumer = Consumer(group_id=f"test-group-{uuid.uuid4().hex[:8]}", handlers=handlers)
    try:
        return consumer.run(max_messages=count, idle_timeout=30)
    finally:
        consumer.close()


# --- The admin ---------------------------------------------------------------------------------


def test_adding_a_book_in_the_admin_writes_one_book_added_row_with_its_json(
    admin_client, settings
) -> None:
    response = admin_client.post(ADD_URL, NEW_BOOK)

    assert response.status_code == 302
    book = Book.objects.get(title="Streaming Systems")
    [row] = OutboxEvent.objects.all()
    assert row.event_type == BOOK_ADDED
    assert row.topic == settings.KAFKA_BOOK_CHANGES_TOPIC
    assert key_of(row) == str(book.pk)
    assert value_of(row) == book_as_json(book)
    headers = dict(row.headers)
    assert headers["ce_type"] == BOOK_ADDED
    assert headers["ce_subject"] == str(book.pk)
    assert headers["ce_source"] == "/event-books/catalogue"


def test_changing_a_title_in_the_admin_writes_book_changed_with_the_new_title(
    admin_client, make_book
) -> None:
    book = make_book(title="Streaming Sytems", author="Tyler Akidau")

    response = admin_client.post(
        f"{BOOKS_URL}{book.pk}/change/", change_form(book, title="Streaming Systems")
    )

    assert response.status_code == 302
    [row] = outbox(BOOK_CHANGED)
    assert key_of(row) == str(book.pk)
    book.refresh_from_db()
    assert value_of(row) == book_as_json(book)
    assert value_of(row)["title"] == "Streaming Systems"
    assert OutboxEvent.objects.count() == 2  # its book.added, and this


def test_deleting_a_book_in_the_admin_writes_book_removed_with_the_book_as_it_was(
    admin_client, make_book
) -> None:
    book = make_book(title="Streaming Systems", author="Tyler Akidau")
    as_it_was = book_as_json(book)

    response = admin_client.post(f"{BOOKS_URL}{book.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Book.objects.exists()
    [row] = outbox(BOOK_REMOVED)
    assert key_of(row) == str(as_it_was["id"])
    assert value_of(row) == as_it_was


def test_the_delete_selected_action_writes_one_book_removed_per_book(
    admin_client, make_book
) -> None:
    books = [make_book(title=f"Volume {n}") for n in range(3)]
    kept = make_book(title="Kept")

    response = admin_client.post(
        BOOKS_URL,
        {"action": "delete_selected", "_selected_action": [b.pk for b in books], "post": "yes"},
    )

    assert response.status_code == 302
    assert list(Book.objects.all()) == [kept]
    rows = outbox(BOOK_REMOVED)
    assert sorted(key_of(row) for row in rows) == sorted(str(b.pk) for b in books)
    assert sorted((value_of(r) for r in rows), key=lambda b: b["id"]) == [
        book_as_json(b) for b in sorted(books, key=lambda b: b.pk)
    ]


# --- Atomicity ---------------------------------------------------------------------------------


def test_a_rolled_back_write_leaves_no_outbox_row(transactional_db) -> None:
    rows_before_the_rollback: list[int] = []

    def save_then_fail() -> None:
        with transaction.atomic():
            Book.objects.create(
                title="Never", author="Nobody", published_at=datetime.date(2000, 1, 1)
            )
            rows_before_the_rollback.append(len(outbox(BOOK_ADDED)))
            raise RuntimeError("the request failed after saving the book")

    with pytest.raises(RuntimeError):
        save_then_fail()

    assert rows_before_the_rollback == [1]  # written, in the transaction that rolled back
    assert not Book.objects.exists()
    assert not OutboxEvent.objects.exists()


@pytest.fixture
def broken_outbox(monkeypatch) -> None:
    def fail(events) -> None:
        raise DatabaseError("the outbox INSERT failed")

    monkeypatch.setattr("events.delivery.write_to_outbox", fail)


def test_when_the_outbox_insert_fails_the_book_is_not_saved_either(
    transactional_db, make_book, broken_outbox
) -> None:
    with pytest.raises(DatabaseError, match="outbox INSERT failed"):
        create_book(title="Never", author="Nobody", published_at=datetime.date(2000, 1, 1))
    with pytest.raises(DatabaseError, match="outbox INSERT failed"):
        Book.objects.create(title="Never", author="Nobody", published_at=datetime.date(2000, 1, 1))

    assert not Book.objects.exists()
    assert not OutboxEvent.objects.exists()


def test_when_the_outbox_insert_fails_the_api_answers_an_error_and_saves_no_book(
    transactional_db, admin_user, broken_outbox
) -> None:
    token = issue_api_token(user=admin_user, name="importer")
    client = Client(raise_request_exception=False)

    response = client.post(
        "/api/books",
        {k: v for k, v in NEW_BOOK.items() if k != "isbn"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 500
    assert Book.objects.count() == 0
    assert not OutboxEvent.objects.exists()


def test_when_the_outbox_insert_fails_a_change_and_a_delete_are_rolled_back(
    transactional_db, make_book, monkeypatch
) -> None:
    book = make_book(title="Original")

    def fail(events) -> None:
        raise DatabaseError("the outbox INSERT failed")

    monkeypatch.setattr("events.delivery.write_to_outbox", fail)
    book.title = "Changed"
    with pytest.raises(DatabaseError):
        book.save()
    with pytest.raises(DatabaseError):
        Book.objects.get(pk=book.pk).delete()

    assert Book.objects.get(pk=book.pk).title == "Original"


# --- Delivery modes ----------------------------------------------------------------------------


def test_with_direct_delivery_book_changes_still_go_to_the_outbox(
    client, make_book, settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    settings.EVENTS_DELIVERY = "direct"
    sent: list = []

    class Recorder:
        def submit(self, message) -> None:
            sent.append(message)

    monkeypatch.setattr("events.delivery.direct_sender", lambda: Recorder())
    with django_capture_on_commit_callbacks(execute=True):
        book = create_book(title="Direct", author="Someone", published_at=datetime.date(2001, 1, 1))
        book.title = "Direct, revised"
        book.save()
        client.get("/", {"q": "direct"})  # a search, which direct mode does send directly
        book.delete()

    assert [r.event_type for r in OutboxEvent.objects.order_by("id")] == [
        BOOK_ADDED,
        BOOK_CHANGED,
        BOOK_REMOVED,
    ]
    assert [m.key for m in sent] == [b"direct"]
    assert dict(sent[0].headers)["ce_type"] == SEARCH_PERFORMED.encode()


def test_with_delivery_off_book_changes_write_nothing(
    admin_client, settings, django_capture_on_commit_callbacks
) -> None:
    settings.EVENTS_DELIVERY = "off"

    with django_capture_on_commit_callbacks() as callbacks:
        admin_client.post(ADD_URL, NEW_BOOK)
        book = Book.objects.get()
        admin_client.post(f"{BOOKS_URL}{book.pk}/change/", change_form(book, title="Revised"))
        admin_client.post(f"{BOOKS_URL}{book.pk}/delete/", {"post": "yes"})

    assert not Book.objects.exists()  # every write went through
    assert not OutboxEvent.objects.exists()
    assert callbacks == []


# --- The API -----------------------------------------------------------------------------------


@pytest.mark.parametrize("auth", ["bearer token", "staff session"])
def test_adding_a_book_through_the_api_writes_book_added(client, admin_user, auth) -> None:
    if auth == "bearer token":
        headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(user=admin_user, name='t')}"}
    else:
        client.force_login(admin_user)
        headers = {}

    response = client.post("/api/books", NEW_BOOK, content_type="application/json", **headers)

    assert response.status_code == 201
    book = Book.objects.get(pk=response.json()["id"])
    [row] = OutboxEvent.objects.all()
    assert row.event_type == BOOK_ADDED
    assert key_of(row) == str(book.pk)
    assert value_of(row) == book_as_json(book)


def test_a_rejected_api_book_writes_no_event(client, admin_user) -> None:
    token = issue_api_token(user=admin_user, name="importer")

    response = client.post(
        "/api/books",
        {**NEW_BOOK, "isbn": "12345"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 400
    assert not OutboxEvent.objects.exists()


# --- Bulk loaders ------------------------------------------------------------------------------


def run_command(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def added_ids() -> list[int]:
    return sorted(value_of(row)["id"] for row in outbox(BOOK_ADDED))


def assert_one_added_row_per_book() -> None:
    rows = outbox(BOOK_ADDED)
    books = {book.pk: book for book in Book.objects.all()}
    assert len(rows) == len(books)
    assert added_ids() == sorted(books)
    for row in rows:
        assert value_of(row) == book_as_json(books[int(key_of(row))])


def write_csv(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "books.csv"
    rows = [f"Imported Volume {n},Ida Importer,19{n:02d},Part {n}.\n" for n in range(count)]
    path.write_text("title,author,published_at,description\n" + "".join(rows), encoding="utf-8")
    return path


def test_import_books_writes_one_book_added_row_per_added_book(db, tmp_path, make_book) -> None:
    make_book(title="Imported Volume 1", author="Ida Importer")  # already in the catalogue
    OutboxEvent.objects.all().delete()
    path = write_csv(tmp_path, 5)

    out = run_command("import_books", str(path), "--batch-size", "2")

    assert "4 books added, 1 skipped" in out
    rows = outbox(BOOK_ADDED)
    assert len(rows) == 4
    new_ids = sorted(Book.objects.exclude(title="Imported Volume 1").values_list("pk", flat=True))
    assert added_ids() == new_ids
    for row in rows:
        assert value_of(row) == book_as_json(Book.objects.get(pk=int(key_of(row))))


def test_import_books_run_again_adds_no_books_and_no_events(db, tmp_path) -> None:
    path = write_csv(tmp_path, 5)
    run_command("import_books", str(path))
    assert_one_added_row_per_book()

    out = run_command("import_books", str(path))

    assert "0 books added, 5 skipped" in out
    assert Book.objects.count() == 5
    assert len(outbox(BOOK_ADDED)) == 5


def test_an_import_batch_and_its_events_commit_together_or_not_at_all(
    transactional_db, tmp_path, monkeypatch
) -> None:
    from events import delivery

    real_write = delivery.write_to_outbox
    calls: list[int] = []

    def fail_on_second_batch(events):
        calls.append(len(events))
        if len(calls) == 2:
            raise DatabaseError("the outbox INSERT failed")
        return real_write(events)

    monkeypatch.setattr(delivery, "write_to_outbox", fail_on_second_batch)
    path = write_csv(tmp_path, 5)

    with pytest.raises(DatabaseError):
        run_command("import_books", str(path), "--batch-size", "2")

    assert calls == [2, 2]
    assert sorted(Book.objects.values_list("title", flat=True)) == [
        "Imported Volume 0",
        "Imported Volume 1",
    ]
    assert_one_added_row_per_book()


def test_generate_books_writes_one_book_added_row_per_book_in_each_batch(db) -> None:
    out = run_command("generate_books", "--count", "250", "--seed", "5", "--batch-size", "100")

    assert "250 books added, 0 already in the catalogue" in out
    assert Book.objects.count() == 250
    assert_one_added_row_per_book()


def test_generate_books_run_again_adds_no_books_and_no_events(db) -> None:
    run_command("generate_books", "--count", "250", "--seed", "5", "--batch-size", "100")

    out = run_command("generate_books", "--count", "250", "--seed", "5", "--batch-size", "100")

    assert "0 books added, 250 already in the catalogue" in out
    assert Book.objects.count() == 250
    assert len(outbox(BOOK_ADDED)) == 250


def test_load_sample_books_writes_book_added_for_the_books_it_adds(db) -> None:
    run_command("load_sample_books")
    loaded = Book.objects.count()
    assert loaded >= 100
    assert_one_added_row_per_book()

    run_command("load_sample_books")

    assert Book.objects.count() == loaded
    assert len(outbox(BOOK_ADDED)) == loaded


def test_load_sample_books_announces_only_the_books_it_adds(db, tmp_path, make_book) -> None:
    make_book(title="Emma", author="Jane Austen")
    OutboxEvent.objects.all().delete()
    sample = tmp_path / "sample.json"
    sample.write_text(
        json.dumps(
            [
                {"title": "Emma", "author": "Jane Austen", "published_at": "1815-12-23"},
                {"title": "Persuasion", "author": "Jane Austen", "published_at": "1817-12-20"},
            ]
        ),
        encoding="utf-8",
    )

    out = run_command("load_sample_books", "--file", str(sample))

    assert "1 sample books added, 1 already present." in out
    [row] = outbox(BOOK_ADDED)
    assert value_of(row) == book_as_json(Book.objects.get(title="Persuasion"))


def test_a_bulk_load_that_fails_leaves_no_events(db, tmp_path) -> None:
    sample = tmp_path / "sample.json"
    sample.write_text(
        json.dumps(
            [
                {"title": "Persuasion", "author": "Jane Austen", "published_at": "1817-12-20"},
                {"title": "", "author": "Nobody", "published_at": "2000-01-01"},  # invalid
            ]
        ),
        encoding="utf-8",
    )

    with pytest.raises(ValidationError, match="title"):
        run_command("load_sample_books", "--file", str(sample))

    assert not Book.objects.exists()
    assert not OutboxEvent.objects.exists()


# --- Through the real broker -------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["outbox", "direct"])
def test_a_book_added_while_kafka_is_down_reaches_the_topic_once_it_is_back(
    transactional_db, admin_client, event_topics, relay, kafka_bootstrap, settings, mode
) -> None:
    settings.EVENTS_DELIVERY = mode
    settings.KAFKA_BOOTSTRAP_SERVERS = ["127.0.0.1:1"]  # nothing listens there

    response = admin_client.post(ADD_URL, NEW_BOOK)

    assert response.status_code == 302
    book = Book.objects.get()
    [row] = outbox(BOOK_ADDED)
    assert row.published_at is None

    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_bootstrap
    result = relay.drain()

    assert (result.claimed, result.published) == (1, 1)
    [message] = read_topic(event_topics["KAFKA_BOOK_CHANGES_TOPIC"], 1)
    assert message.key == str(book.pk).encode()
    assert json.loads(message.value) == book_as_json(book)
    headers = header_map(message)
    assert headers["ce_type"] == BOOK_ADDED
    assert headers["ce_subject"] == str(book.pk)


def titles(books: list[dict]) -> list[str]:
    return [book["title"] for book in books]


def test_trends_and_recommendations_show_changed_titles_and_drop_removed_books(
    transactional_db, catalogue, relay, admin_client, settings
) -> None:
    settings.EVENTS_DELIVERY = "outbox"
    visitor, reader = Client(), Client()
    visitor.get("/")  # the first visit only sets the cookie: a returning visitor counts
    reader.get("/")
    found = titles(visitor.get("/api/books", {"q": "kafka"}).json())
    assert {"Kafka on the Shore", "Der Prozess"} <= set(found)
    shore, trial = catalogue["shore"], catalogue["trial"]
    # Another reader finds and opens both: what the visitor is recommended.
    reader.get("/api/books", {"q": "kafka"})
    reader.get(f"/books/{shore.pk}/")
    reader.get(f"/books/{trial.pk}/")

    changed = admin_client.post(
        f"{BOOKS_URL}{shore.pk}/change/", change_form(shore, title="Umibe no Kafka")
    )
    removed = admin_client.post(f"{BOOKS_URL}{trial.pk}/delete/", {"post": "yes"})
    assert (changed.status_code, removed.status_code) == (302, 302)
    # 5 book.added (the catalogue), 2 search.performed, 2 book.viewed, 1 book.changed,
    # 1 book.removed.
    assert relay.drain().published == 11

    trend_stats = consume(TREND_HANDLERS, 11)
    recommendation_stats = consume(RECOMMENDATION_HANDLERS, 11)

    assert (trend_stats.applied, trend_stats.skipped) == (6, 5)
    assert (recommendation_stats.applied, recommendation_stats.skipped) == (6, 5)
    expected = [
        "Umibe no Kafka" if title == "Kafka on the Shore" else title
        for title in found
        if title != "Der Prozess"
    ]
    [trend] = visitor.get("/api/trends").json()
    assert (trend["query"], trend["count"]) == ("kafka", 2)
    assert titles(trend["books"]) == expected
    recommended = visitor.get("/api/recommendations", {"uid": visitor.cookies["uid"].value}).json()
    assert titles(recommended) == ["Umibe no Kafka"]
