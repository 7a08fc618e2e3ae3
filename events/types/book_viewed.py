"""com.event-books.book.viewed.v1: a visitor opened a book's page.

- topic: KAFKA_BOOK_VIEWS_TOPIC (lr-book-views);
- key and ce_subject: the book's id;
- value: the book's JSON (docs/schemas/book.v1.schema.json);
- headers: CloudEvents, with ce_visitorid the visitor when known.
"""

from books.signals import book_viewed
from events.envelope import Event
from events.registry import EventType, register
from events.types.book_changes import book_event, check_book_subject

BOOK_VIEWED = "com.event-books.book.viewed.v1"


def _build(*, book: dict, visitor_id: str | None, **kwargs: object) -> list[Event]:
    return [book_event(BOOK_VIEWED, book, visitor_id=visitor_id)]


register(
    EventType(
        name=BOOK_VIEWED,
        topic_setting="KAFKA_BOOK_VIEWS_TOPIC",
        signal=book_viewed,
        build=_build,
        schema="book.v1.schema.json",
        source="/event-books/catalogue",
        check=check_book_subject,
    )
)
