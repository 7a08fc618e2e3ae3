"""CloudEvents 1.0 in Kafka's binary content mode: the envelope every event type shares.

The attributes travel as `ce_*` headers, the data as the message's JSON value, so that consumers
which read only the key and the value (the seed tutorial's) understand the message too.
"""

import datetime
import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bookstore_site.timestamps import rfc3339

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
# Consumers store ids and visitor ids in columns of this size.
MAX_ID_LENGTH = 64
# The largest key and value an event may have, so that every consumer group turns away the same
# messages, before parsing them, rather than each storing or choking on what its columns allow.
# A key is a book id, a search query (at most SEARCH_QUERY_MAX_LENGTH = 200 characters, 800
# bytes of UTF-8) or the seed's "<query>:<uid>". A value is at most a page of 100 books
# (PAGE_SIZE's limit) of 255-character titles and authors and 500-character descriptions
# (book.v1.schema.json) at 4 bytes a character: about 420 KiB; half Kafka's default 1 MiB.
MAX_KEY_BYTES = 1024
MAX_VALUE_BYTES = 512 * 1024
# An event may be stamped a little ahead of the consumer's clock, not a day: a time far ahead
# would win every "newest wins" comparison for good.
MAX_CLOCK_SKEW = datetime.timedelta(days=1)
REQUIRED_HEADERS = frozenset({"ce_id", "ce_specversion", "ce_type", "ce_source", "ce_time"})

# Headers that have a field of their own in Event; other ce_* headers are its extensions.
_READ_ABOVE = REQUIRED_HEADERS | {"ce_subject", "ce_visitorid"}

Headers = list[tuple[str, bytes]]


class MalformedEvent(ValueError):
    """A message that does not follow its event type's contract."""


@dataclass(frozen=True)
class Event:
    """One event, as producers build it and consumers' handlers receive it."""

    type: str
    subject: str
    data: Any
    visitor_id: str | None = None
    # Further CloudEvents extension attributes of the type, by name without the "ce_" prefix.
    extensions: Mapping[str, str] = field(default_factory=dict)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    time: datetime.datetime = field(default_factory=lambda: datetime.datetime.now(datetime.UTC))


@dataclass(frozen=True)
class KafkaMessage:
    topic: str
    key: bytes
    value: bytes
    headers: Headers


def to_message(event: Event, *, topic: str, key: str, source: str) -> KafkaMessage:
    headers = [
        ("ce_specversion", SPEC_VERSION),
        ("ce_id", event.id),
        ("ce_source", source),
        ("ce_type", event.type),
        ("ce_time", rfc3339(event.time)),
        ("ce_subject", event.subject),
        ("content-type", CONTENT_TYPE),
        *((f"ce_{name}", text) for name, text in event.extensions.items()),
    ]
    if event.visitor_id:
        headers.append(("ce_visitorid", event.visitor_id))
    return KafkaMessage(
        topic=topic,
        key=key.encode(),
        value=json.dumps(event.data, ensure_ascii=False, separators=(",", ":")).encode(),
        headers=[(name, text.encode()) for name, text in headers],
    )


def read_headers(headers: Headers | None) -> dict[str, str]:
    try:
        return {name: raw.decode() for name, raw in headers or ()}
    except (UnicodeDecodeError, AttributeError, TypeError, ValueError) as exc:
        raise MalformedEvent(f"unreadable headers: {exc}") from exc


def check_size(key: bytes | None, value: bytes | None) -> None:
    """Refuse a key or value larger than an event may be, before anything reads it."""
    for part, raw, limit in (("key", key, MAX_KEY_BYTES), ("value", value, MAX_VALUE_BYTES)):
        if raw is not None and len(raw) > limit:
            raise MalformedEvent(f"the {part} is {len(raw)} bytes, more than the {limit} allowed")


def _not_a_number(text: str) -> float:
    raise ValueError(f"{text} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # e.g. 1e400, which float() reads as infinity
        raise ValueError(f"{text[:40]} is beyond a double's range")
    return number


def parse_json(value: bytes | None) -> Any:
    """The value as strict JSON. Python's json module reads NaN, Infinity and -Infinity (and an
    exponent too large as infinity), which JSON has not: the database refuses them in some
    columns and stores them in others, and Go's and JavaScript's readers fail on them."""
    try:
        return json.loads(value or b"", parse_constant=_not_a_number, parse_float=_finite)
    except ValueError as exc:  # not UTF-8, not JSON, or a number too long to read
        raise MalformedEvent(f"not UTF-8 JSON: {exc}") from exc


def check_ids(event: Event) -> None:
    """The id and the visitor id fit the consumers' columns, however the event was read."""
    for name, text in (("ce_id", event.id), ("ce_visitorid", event.visitor_id)):
        if len(text or "") > MAX_ID_LENGTH:
            raise MalformedEvent(f"{name} is longer than {MAX_ID_LENGTH} characters")


def from_message(
    attributes: Mapping[str, str], key: bytes | None, value: bytes | None, *, type_name: str
) -> Event:
    """The event in a message whose headers are `attributes`; its data is not checked here."""
    missing = REQUIRED_HEADERS - attributes.keys()
    if missing:
        raise MalformedEvent(f"missing headers: {', '.join(sorted(missing))}")
    if attributes["ce_specversion"] != SPEC_VERSION:
        raise MalformedEvent(f"unsupported ce_specversion {attributes['ce_specversion']!r}")
    if not attributes["ce_id"]:
        raise MalformedEvent("ce_id is empty")
    try:
        time = datetime.datetime.fromisoformat(attributes["ce_time"])
        if time.tzinfo is not None:
            # Near year 1 or 9999 the conversion overflows; the handlers and the database
            # would fail on such a time later, in every retry of the batch.
            time = time.astimezone(datetime.UTC)
    except (ValueError, OverflowError) as exc:
        raise MalformedEvent(f"ce_time is not an RFC 3339 time: {exc}") from exc
    try:
        subject = attributes.get("ce_subject") or (key or b"").decode()
    except ValueError as exc:
        raise MalformedEvent(f"the key is not UTF-8: {exc}") from exc
    data = parse_json(value)
    if time.tzinfo is None:
        raise MalformedEvent("ce_time has no time zone")
    if time > datetime.datetime.now(datetime.UTC) + MAX_CLOCK_SKEW:
        raise MalformedEvent(f"ce_time {attributes['ce_time']} is in the future")
    return Event(
        type=type_name,
        subject=subject,
        data=data,
        visitor_id=attributes.get("ce_visitorid") or None,
        extensions={
            name[3:]: text
            for name, text in attributes.items()
            if name.startswith("ce_") and name not in _READ_ABOVE
        },
        id=attributes["ce_id"],
        time=time,
    )
