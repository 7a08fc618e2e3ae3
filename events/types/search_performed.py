"""com.event-books.search.performed.v1: a visitor searched the catalogue.

- topic: KAFKA_TOPIC (lr-book-searches, the seed's);
- key: the query, or with EVENTS_SEED_KEYS the seed's later key "<query>:<uid>" ("<query>:"
  without a visitor), which the seed's recommendation consumers split on ":";
- value: the JSON array of the page's books (docs/schemas/search-performed.v1.schema.json),
  `[]` when none matched, their descriptions cut as in book events;
- headers: CloudEvents, with ce_subject the query, ce_visitorid the visitor (when known) and
  ce_resultoffset how many results the page skipped.
"""

import datetime
import hashlib
from typing import Any

from django.conf import settings

from books.signals import search_performed
from events.envelope import Event, MalformedEvent, parse_json
from events.registry import EventType, register
from events.types.book_changes import event_book

SEARCH_PERFORMED = "com.event-books.search.performed.v1"
# The largest offset the API accepts (books.api.MAX_OFFSET); the page's stay far below it.
MAX_RESULT_OFFSET = 2**31 - 1


def search_event(
    *, query: str, books: list[dict], visitor_id: str | None = None, offset: int = 0, **envelope
) -> Event:
    return Event(
        type=SEARCH_PERFORMED,
        subject=query,
        data=books,
        visitor_id=visitor_id,
        extensions={"resultoffset": str(offset)},
        **envelope,
    )


def _build(
    *, query: str, offset: int, results: list[dict], visitor_id: str | None, **kwargs: object
) -> list[Event]:
    books = [event_book(book) for book in results]
    return [search_event(query=query, books=books, visitor_id=visitor_id, offset=offset)]


def _key(event: Event) -> str:
    if settings.EVENTS_SEED_KEYS:
        return f"{event.subject}:{event.visitor_id or ''}"
    return event.subject


def _check(event: Event) -> None:
    if not event.subject:
        raise MalformedEvent("the query (ce_subject, or else the key) is empty")
    # Trends store and show the query: no longer than a search can be.
    if len(event.subject) > settings.SEARCH_QUERY_MAX_LENGTH:
        raise MalformedEvent(
            f"the query is {len(event.subject)} characters, "
            f"more than the {settings.SEARCH_QUERY_MAX_LENGTH} allowed"
        )
    offset = event.extensions.get("resultoffset", "0")
    if not (offset.isascii() and offset.isdigit()):
        raise MalformedEvent(f"ce_resultoffset {offset[:40]!r} is not a whole number")
    # Compared by length first: int() refuses numbers of thousands of digits.
    if len(offset) > len(str(MAX_RESULT_OFFSET)) or int(offset) > MAX_RESULT_OFFSET:
        raise MalformedEvent(f"ce_resultoffset {offset[:40]} is more than {MAX_RESULT_OFFSET}")


def _adopt(record: Any) -> Event:
    """A search event of the seed's web service: no headers, key "<query>:<uid>" (or the query
    alone, in its first chapter). Its id is derived from where it sits in the topic, so that a
    redelivery is recognised as the same event."""
    query, sep, visitor_id = (record.key or b"").decode().rpartition(":")
    if not sep:
        query, visitor_id = visitor_id, ""
    where = f"{record.topic}/{record.partition}/{record.offset}"
    return search_event(
        query=query,
        books=parse_json(record.value),
        visitor_id=visitor_id or None,
        id="seed-" + hashlib.sha256(where.encode()).hexdigest()[:40],
        time=datetime.datetime.fromtimestamp(record.timestamp / 1000, datetime.UTC),
    )


register(
    EventType(
        name=SEARCH_PERFORMED,
        topic_setting="KAFKA_TOPIC",
        signal=search_performed,
        build=_build,
        schema="search-performed.v1.schema.json",
        source="/event-books/search",
        key=_key,
        check=_check,
        adopt=_adopt,
        # The name before types carried their version; the contract is the same.
        aliases=("com.event-books.search.performed",),
    )
)
