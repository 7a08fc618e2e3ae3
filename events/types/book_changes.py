"""com.event-books.book.added.v1, ….book.changed.v1 and ….book.removed.v1: the catalogue changed.

- topic: KAFKA_BOOK_CHANGES_TOPIC (lr-book-changes), all three types, so that one book's
  events stay in order;
- key and ce_subject: the book's id;
- value: the book's JSON (docs/schemas/book.v1.schema.json), as saved, or as it was before it
  was removed, its description cut to MAX_DESCRIPTION_LENGTH characters;
- lossless: written to the outbox in the transaction that writes the book.
"""

from functools import partial
from typing import Any

from books.signals import books_added, books_changed, books_removed
from events.envelope import Event, MalformedEvent
from events.registry import EventType, register

BOOK_ADDED = "com.event-books.book.added.v1"
BOOK_CHANGED = "com.event-books.book.changed.v1"
BOOK_REMOVED = "com.event-books.book.removed.v1"
# Events carry a book's description up to this many characters (the schema's maxLength), so
# that a page of 100 books fits an event (events.envelope.MAX_VALUE_BYTES) however long the
# descriptions in the catalogue: the cards built from events show 220, the book's page and the
# API the whole text.
MAX_DESCRIPTION_LENGTH = 500


def event_book(book: dict) -> dict:
    """The book as events carry it."""
    return {**book, "description": book["description"][:MAX_DESCRIPTION_LENGTH]}


def book_event(name: str, book: dict, **envelope: Any) -> Event:
    return Event(type=name, subject=str(book["id"]), data=event_book(book), **envelope)


def _build(name: str, *, books: list[dict], **kwargs: object) -> list[Event]:
    return [book_event(name, book) for book in books]


def check_book_subject(event: Event) -> None:
    if event.subject != str(event.data["id"]):
        raise MalformedEvent(f"ce_subject {event.subject[:40]!r} is not the book's id")


for name, signal in (
    (BOOK_ADDED, books_added),
    (BOOK_CHANGED, books_changed),
    (BOOK_REMOVED, books_removed),
):
    register(
        EventType(
            name=name,
            topic_setting="KAFKA_BOOK_CHANGES_TOPIC",
            signal=signal,
            build=partial(_build, name),
            schema="book.v1.schema.json",
            source="/event-books/catalogue",
            lossless=True,
            check=check_book_subject,
        )
    )
