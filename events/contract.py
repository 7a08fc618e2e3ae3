"""The search event's wire format: the one module producers and consumers both import.

Compatible with the seed's consumers, which read only key and value:

- key: the query, UTF-8;
- value: the JSON array of the result books (the API's JSON shape), ``[]`` when none matched;
- headers: CloudEvents 1.0 in Kafka binary content mode (``ce_*``), plus extension attributes
  for the visitor and the position of the page in the results.
"""

import datetime
import json
import uuid
from dataclasses import dataclass, field

SPEC_VERSION = "1.0"
EVENT_TYPE = "com.event-books.search.performed"
EVENT_SOURCE = "/event-books/search"
CONTENT_TYPE = "application/json"
BOOK_FIELDS = ("id", "title", "author", "published_at", "description", "created_at")
MAX_ID_LENGTH = 64

Headers = list[tuple[str, bytes]]


class MalformedEvent(ValueError):
    """A message on the topic that does not follow this contract."""


@dataclass(frozen=True)
class SearchEvent:
    query: str
    books: list[dict]
    visitor_id: str | None = None
    offset: int = 0
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    time: datetime.datetime = field(default_factory=lambda: datetime.datetime.now(datetime.UTC))


@dataclass(frozen=True)
class KafkaMessage:
    key: bytes
    value: bytes
    headers: Headers


def encode(event: SearchEvent) -> KafkaMessage:
    headers = [
        ("ce_specversion", SPEC_VERSION),
        ("ce_id", event.id),
        ("ce_source", EVENT_SOURCE),
        ("ce_type", EVENT_TYPE),
        ("ce_time", event.time.isoformat().replace("+00:00", "Z")),
        ("content-type", CONTENT_TYPE),
        ("ce_resultoffset", str(event.offset)),
    ]
    if event.visitor_id:
        headers.append(("ce_visitorid", event.visitor_id))
    return KafkaMessage(
        key=event.query.encode(),
        value=json.dumps(event.books, ensure_ascii=False, separators=(",", ":")).encode(),
        headers=[(name, text.encode()) for name, text in headers],
    )


def decode(key: bytes | None, value: bytes | None, headers: Headers) -> SearchEvent:
    """Parse one message; raises MalformedEvent saying what is wrong with it."""
    try:
        return _decode(key, value, headers)
    except MalformedEvent:
        raise
    except Exception as exc:  # e.g. a None header, a 5000-digit number, JSON nested too deep
        raise MalformedEvent(f"unreadable message: {type(exc).__name__}: {exc}") from exc


def _decode(key: bytes | None, value: bytes | None, headers: Headers) -> SearchEvent:
    try:
        attributes = {name: raw.decode() for name, raw in headers}
        query = (key or b"").decode()
        books = json.loads(value or b"")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedEvent(f"not UTF-8 JSON: {exc}") from exc
    if not query:
        raise MalformedEvent("the key (the query) is empty")
    missing = {"ce_id", "ce_specversion", "ce_type", "ce_time"} - attributes.keys()
    if missing:
        raise MalformedEvent(f"missing headers: {', '.join(sorted(missing))}")
    if attributes["ce_type"] != EVENT_TYPE:
        raise MalformedEvent(f"unexpected ce_type {attributes['ce_type']!r}")
    if not isinstance(books, list) or not all(_is_book(book) for book in books):
        raise MalformedEvent("the value is not a JSON array of books with integer ids and titles")
    # The consumers store these in columns of this size.
    for name in ("ce_id", "ce_visitorid"):
        if len(attributes.get(name, "")) > MAX_ID_LENGTH:
            raise MalformedEvent(f"{name} is longer than {MAX_ID_LENGTH} characters")
    try:
        time = datetime.datetime.fromisoformat(attributes["ce_time"])
        offset = int(attributes.get("ce_resultoffset", "0"))
    except ValueError as exc:
        raise MalformedEvent(f"bad header value: {exc}") from exc
    if time.tzinfo is None:
        raise MalformedEvent("ce_time has no time zone")
    return SearchEvent(
        query=query,
        books=books,
        visitor_id=attributes.get("ce_visitorid") or None,
        offset=offset,
        id=attributes["ce_id"],
        time=time,
    )


def _is_book(book: object) -> bool:
    return (
        isinstance(book, dict)
        and type(book.get("id")) is int
        and isinstance(book.get("title"), str)
    )
