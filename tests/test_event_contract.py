"""The event contract in units: what the envelope and the registry write, and what they refuse to
read. Records are a small fake of kafka-python's ConsumerRecord, so no broker or database is
involved."""

import datetime
import json
import re
from dataclasses import dataclass, field

import pytest
from django.conf import settings as django_settings

from events import registry
from events.envelope import (
    MAX_ID_LENGTH,
    MAX_KEY_BYTES,
    MAX_VALUE_BYTES,
    REQUIRED_HEADERS,
    Event,
    KafkaMessage,
    MalformedEvent,
)
from events.types.book_changes import (
    BOOK_ADDED,
    BOOK_CHANGED,
    BOOK_REMOVED,
    MAX_DESCRIPTION_LENGTH,
    book_event,
)
from events.types.book_viewed import BOOK_VIEWED
from events.types.search_performed import MAX_RESULT_OFFSET, SEARCH_PERFORMED, search_event

BOOK = {
    "id": 7,
    "title": "Cien años de soledad",
    "author": "Gabriel García Márquez",
    "published_at": "1967-05-30",
    "description": "Macondo.",
    "created_at": "2026-01-02T03:04:05Z",
}
VISITOR = "ab" * 16
BOOK_TYPES = [BOOK_ADDED, BOOK_CHANGED, BOOK_REMOVED, BOOK_VIEWED]
# RFC 3339 in UTC with "Z", optionally with fractional seconds: what Go's time.RFC3339 reads.
RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")


@dataclass
class FakeRecord:
    """The attributes of kafka-python's ConsumerRecord that the registry reads."""

    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]] = field(default_factory=list)
    topic: str = "lr-book-searches"
    partition: int = 0
    offset: int = 0
    timestamp: int = 1_767_225_600_000  # 2026-01-01T00:00:00Z, in milliseconds


def record_of(message: KafkaMessage, **replaced: bytes | None) -> FakeRecord:
    """The consumed record of `message`, with each header named in `replaced` set to the given
    value, or left out when it is None."""
    headers = [(name, raw) for name, raw in message.headers if name not in replaced]
    headers += [(name, raw) for name, raw in replaced.items() if raw is not None]
    return FakeRecord(key=message.key, value=message.value, headers=headers, topic=message.topic)


def headers_of(message: KafkaMessage) -> dict[str, str]:
    return {name: raw.decode() for name, raw in message.headers}


def sample_event(type_name: str) -> Event:
    """A typical event of each registered type, with a visitor where the type has one."""
    if type_name == SEARCH_PERFORMED:
        return search_event(query="años", books=[BOOK], visitor_id=VISITOR, offset=10)
    if type_name == BOOK_VIEWED:
        return book_event(BOOK_VIEWED, BOOK, visitor_id=VISITOR)
    return book_event(type_name, BOOK)


def decode(record: FakeRecord) -> Event:
    """What the consumer loop does with a record: find its type, then decode it."""
    event_type = registry.type_of(record)
    assert event_type is not None
    return registry.decode(record, event_type)


# --- encoding ---------------------------------------------------------------------------------


def test_the_registry_holds_the_five_types_these_tests_cover() -> None:
    # A type registered later needs its own cases here (and a schema test): this fails until then.
    assert {event_type.name for event_type in registry.event_types()} == {
        SEARCH_PERFORMED,
        *BOOK_TYPES,
    }


def test_a_search_is_keyed_by_its_query_with_the_books_as_value_and_cloudevents_headers() -> None:
    event = search_event(query="años", books=[BOOK], visitor_id=VISITOR, offset=5)

    message = registry.encode(event)

    assert message.topic == django_settings.KAFKA_TOPIC
    assert message.key == "años".encode()
    assert json.loads(message.value) == [BOOK]
    assert headers_of(message) == {
        "ce_specversion": "1.0",
        "ce_id": event.id,
        "ce_source": "/event-books/search",
        "ce_type": SEARCH_PERFORMED,
        "ce_time": event.time.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "ce_subject": "años",
        "content-type": "application/json",
        "ce_resultoffset": "5",
        "ce_visitorid": VISITOR,
    }


@pytest.mark.parametrize("type_name", [BOOK_ADDED, BOOK_CHANGED, BOOK_REMOVED])
def test_a_book_change_is_keyed_by_the_book_id_on_the_book_changes_topic(type_name: str) -> None:
    event = book_event(type_name, BOOK)

    message = registry.encode(event)

    assert message.topic == django_settings.KAFKA_BOOK_CHANGES_TOPIC
    assert message.key == b"7"
    assert json.loads(message.value) == BOOK
    # Nobody in particular changed the catalogue: no visitor, and no search-only extension.
    assert headers_of(message) == {
        "ce_specversion": "1.0",
        "ce_id": event.id,
        "ce_source": "/event-books/catalogue",
        "ce_type": type_name,
        "ce_time": headers_of(message)["ce_time"],
        "ce_subject": "7",
        "content-type": "application/json",
    }


def test_a_book_view_is_keyed_by_the_book_id_and_names_the_visitor() -> None:
    event = book_event(BOOK_VIEWED, BOOK, visitor_id=VISITOR)

    message = registry.encode(event)

    assert message.topic == django_settings.KAFKA_BOOK_VIEWS_TOPIC
    assert message.key == b"7"
    assert json.loads(message.value) == BOOK
    headers = headers_of(message)
    assert headers["ce_type"] == BOOK_VIEWED
    assert headers["ce_source"] == "/event-books/catalogue"
    assert headers["ce_subject"] == "7"
    assert headers["ce_visitorid"] == VISITOR
    assert "ce_resultoffset" not in headers


@pytest.mark.parametrize("type_name", [SEARCH_PERFORMED, *BOOK_TYPES])
@pytest.mark.parametrize(
    "moment",
    [
        datetime.datetime(2026, 12, 3, 7, 44, 56, tzinfo=datetime.UTC),
        datetime.datetime(2026, 12, 3, 7, 44, 56, 120000, tzinfo=datetime.UTC),
        # A local time is written in UTC, so that every reader compares like with like.
        datetime.datetime(
            2026, 12, 3, 9, 44, 56, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
        ),
    ],
)
def test_ce_time_is_rfc3339_in_utc_with_a_z(type_name: str, moment: datetime.datetime) -> None:
    event = sample_event(type_name)
    event = Event(**{**event.__dict__, "time": moment})

    ce_time = headers_of(registry.encode(event))["ce_time"]

    assert RFC3339_UTC.fullmatch(ce_time), ce_time
    assert ce_time.startswith("2026-12-03T07:44:56")
    assert datetime.datetime.fromisoformat(ce_time) == moment


@pytest.mark.parametrize("visitor_id", [None, ""])
@pytest.mark.parametrize("type_name", [SEARCH_PERFORMED, BOOK_VIEWED])
def test_the_visitor_header_is_left_out_when_there_is_no_visitor(
    type_name: str, visitor_id: str | None
) -> None:
    event = Event(**{**sample_event(type_name).__dict__, "visitor_id": visitor_id})

    assert "ce_visitorid" not in headers_of(registry.encode(event))


def test_a_search_without_results_has_an_empty_array_as_value() -> None:
    assert registry.encode(search_event(query="zzz", books=[])).value == b"[]"


def test_the_value_is_compact_utf8_json() -> None:
    value = registry.encode(search_event(query="años", books=[BOOK])).value

    assert value.startswith('[{"id":7,"title":"Cien años de soledad",'.encode())


def test_every_event_gets_its_own_id_and_a_utc_time() -> None:
    first, second = search_event(query="q", books=[]), search_event(query="q", books=[])

    assert first.id != second.id
    assert first.time.tzinfo == datetime.UTC


def test_with_seed_keys_a_search_is_keyed_query_colon_visitor(settings) -> None:
    settings.EVENTS_SEED_KEYS = True

    with_visitor = registry.encode(search_event(query="kafka", books=[], visitor_id=VISITOR))
    without_visitor = registry.encode(search_event(query="kafka", books=[]))

    assert with_visitor.key == f"kafka:{VISITOR}".encode()
    assert without_visitor.key == b"kafka:"
    # The subject stays the query: only the key follows the seed's format.
    assert headers_of(with_visitor)["ce_subject"] == "kafka"


def test_seed_keys_leave_the_book_keys_alone(settings) -> None:
    settings.EVENTS_SEED_KEYS = True

    assert registry.encode(sample_event(BOOK_VIEWED)).key == b"7"


# --- decoding what was encoded ----------------------------------------------------------------


@pytest.mark.parametrize("type_name", [SEARCH_PERFORMED, *BOOK_TYPES])
def test_decode_reads_back_what_encode_wrote(type_name: str) -> None:
    event = sample_event(type_name)
    record = record_of(registry.encode(event))

    assert registry.type_of(record) is registry.get(type_name)
    assert registry.decode(record, registry.get(type_name)) == event


def test_a_decoded_search_gives_its_result_offset() -> None:
    event = decode(record_of(registry.encode(sample_event(SEARCH_PERFORMED))))

    assert event.extensions["resultoffset"] == "10"


def test_a_search_without_a_result_offset_is_still_a_search() -> None:
    message = registry.encode(search_event(query="q", books=[]))

    event = decode(record_of(message, ce_resultoffset=None))

    assert "resultoffset" not in event.extensions


def test_with_seed_keys_our_consumers_still_read_the_query_and_the_visitor_from_headers(
    settings,
) -> None:
    settings.EVENTS_SEED_KEYS = True
    message = registry.encode(search_event(query="kafka", books=[], visitor_id=VISITOR))

    event = decode(record_of(message))

    assert (event.subject, event.visitor_id) == ("kafka", VISITOR)


def test_a_search_without_ce_subject_takes_its_query_from_the_key() -> None:
    # Events published before ce_subject existed carried the query in the key only.
    message = registry.encode(search_event(query="kafka", books=[]))

    assert decode(record_of(message, ce_subject=None)).subject == "kafka"


def test_unknown_ce_extensions_are_kept_as_extensions() -> None:
    message = registry.encode(search_event(query="q", books=[]))

    event = decode(record_of(message, ce_traceparent=b"00-abc-def-01"))

    assert event.extensions == {"resultoffset": "0", "traceparent": "00-abc-def-01"}


def test_ids_of_the_longest_storable_length_are_accepted() -> None:
    longest_id, longest_visitor = "i" * MAX_ID_LENGTH, "v" * MAX_ID_LENGTH
    message = registry.encode(search_event(query="q", books=[]))

    event = decode(
        record_of(message, ce_id=longest_id.encode(), ce_visitorid=longest_visitor.encode())
    )

    assert (event.id, event.visitor_id) == (longest_id, longest_visitor)


def test_the_unversioned_search_type_name_is_read_as_v1() -> None:
    # Producers that predate versioned names still send "com.event-books.search.performed".
    message = registry.encode(search_event(query="q", books=[], visitor_id=VISITOR))
    record = record_of(message, ce_type=b"com.event-books.search.performed")

    assert registry.type_of(record) is registry.get(SEARCH_PERFORMED)
    assert registry.decode(record, registry.type_of(record)).type == SEARCH_PERFORMED


@pytest.mark.parametrize(
    "type_name",
    [
        "com.example.order.placed",
        SEARCH_PERFORMED.upper(),
        "com.event-books.search.performed.v2",
        "com.event-books.book.added",
    ],
)
def test_a_type_the_registry_does_not_know_has_no_type(type_name: str) -> None:
    # None, not an error: the consumer loop skips such events instead of dead-lettering them.
    message = registry.encode(search_event(query="q", books=[]))

    assert registry.type_of(record_of(message, ce_type=type_name.encode())) is None


# --- malformed records ------------------------------------------------------------------------


def search_record(**replaced: bytes | None) -> FakeRecord:
    return record_of(registry.encode(search_event(query="q", books=[])), **replaced)


def book_record(type_name: str = BOOK_ADDED, **replaced: bytes | None) -> FakeRecord:
    return record_of(registry.encode(book_event(type_name, BOOK)), **replaced)


@pytest.mark.parametrize("name", sorted(REQUIRED_HEADERS - {"ce_type"}))
@pytest.mark.parametrize("make_record", [search_record, book_record])
def test_a_record_without_a_required_header_is_malformed(make_record, name: str) -> None:
    with pytest.raises(MalformedEvent, match=f"^missing headers: {name}$"):
        decode(make_record(**{name: None}))


def test_a_record_without_ce_type_is_not_a_cloudevent(settings) -> None:
    settings.EVENTS_ACCEPT_SEED_EVENTS = False

    with pytest.raises(MalformedEvent, match="no ce_type"):
        registry.type_of(search_record(ce_type=None))


def test_every_missing_header_is_named() -> None:
    with pytest.raises(MalformedEvent, match=r"^missing headers: ce_id, ce_source, ce_time$"):
        decode(search_record(ce_id=None, ce_source=None, ce_time=None))


@pytest.mark.parametrize("version", [b"0.3", b"1", b"2.0", b""])
def test_a_record_of_another_specversion_is_malformed(version: bytes) -> None:
    with pytest.raises(MalformedEvent, match="unsupported ce_specversion"):
        decode(search_record(ce_specversion=version))


@pytest.mark.parametrize(
    ("ce_time", "complaint"),
    [
        (b"2026-01-01T00:00:00", "ce_time has no time zone"),
        (b"2026-01-01", "ce_time has no time zone"),
        (b"yesterday", "ce_time is not an RFC 3339 time"),
        (b"2026-13-01T00:00:00Z", "ce_time is not an RFC 3339 time"),
        # Valid, but past the end of year 9999 in UTC: every retry would overflow on it.
        (b"9999-12-31T23:59:59-01:00", "ce_time is not an RFC 3339 time"),
        # Would win every "newest wins" comparison (a book's latest version) for good.
        (b"9999-01-01T00:00:00Z", "ce_time 9999-01-01T00:00:00Z is in the future"),
    ],
)
def test_a_ce_time_that_is_not_an_rfc3339_time_with_a_zone_is_malformed(
    ce_time: bytes, complaint: str
) -> None:
    with pytest.raises(MalformedEvent, match=complaint):
        decode(search_record(ce_time=ce_time))


@pytest.mark.parametrize("name", ["ce_id", "ce_visitorid"])
def test_ids_longer_than_the_consumers_columns_are_malformed(name: str) -> None:
    too_long = b"x" * (MAX_ID_LENGTH + 1)

    with pytest.raises(MalformedEvent, match=f"^{name} is longer than {MAX_ID_LENGTH} characters"):
        decode(search_record(**{name: too_long}))


def test_an_empty_ce_id_is_malformed() -> None:
    # Every event of one type would look like a redelivery of the first.
    with pytest.raises(MalformedEvent, match="ce_id is empty"):
        decode(search_record(ce_id=b""))


@pytest.mark.parametrize(
    "value",
    [b"[\xff]", b'[{"title": "\xe9"}]', b"{not json", b"", None],
    ids=["invalid-utf8", "latin-1", "not-json", "empty", "tombstone"],
)
def test_a_value_that_is_not_utf8_json_is_malformed(value: bytes | None) -> None:
    record = search_record()
    record.value = value

    with pytest.raises(MalformedEvent, match=r"^not UTF-8 JSON"):
        decode(record)


@pytest.mark.parametrize("raw", [b"\xff\xfe", None])
def test_a_header_value_that_is_not_utf8_text_is_malformed(raw: bytes | None) -> None:
    record = search_record()
    record.headers.append(("ce_visitorid" if raw else "broken", raw))

    with pytest.raises(MalformedEvent, match=r"^unreadable headers"):
        decode(record)


def without(book: dict, name: str) -> dict:
    return {key: value for key, value in book.items() if key != name}


@pytest.mark.parametrize(
    ("books", "complaint"),
    [
        ([without(BOOK, "title")], r"^value \$\[0\]: 'title' is a required property"),
        ([{**BOOK, "id": "7"}], r"^value \$\[0\]\.id: '7' is not of type 'integer'"),
        ([{**BOOK, "id": True}], r"^value \$\[0\]\.id: True is not of type 'integer'"),
        ([{**BOOK, "id": 0}], r"^value \$\[0\]\.id: 0 is less than the minimum of 1"),
        ([{**BOOK, "id": -5}], r"^value \$\[0\]\.id: -5 is less than the minimum of 1"),
        ([{**BOOK, "id": 2**70}], r"^value \$\[0\]\.id: \d+ is greater than the maximum of 9223"),
        (
            [{**BOOK, "title": "t" * 256}],
            r"^value \$\[0\]\.title: 256 characters, more than the 255 allowed$",
        ),
        (
            [{**BOOK, "author": "a" * 256}],
            r"^value \$\[0\]\.author: 256 characters, more than the 255 allowed$",
        ),
        (
            [{**BOOK, "description": "d" * 501}],
            r"^value \$\[0\]\.description: 501 characters, more than the 500 allowed$",
        ),
        ([BOOK] * 101, r"^value \$: 101 items, more than the 100 allowed$"),
        ([{**BOOK, "title": ""}], r"^value \$\[0\]\.title: '' should be non-empty"),
        ([{**BOOK, "published_at": "30/05/1967"}], r"^value \$\[0\]\.published_at: .* match"),
        ([{**BOOK, "created_at": "yesterday"}], r"^value \$\[0\]\.created_at: .* match"),
        ({"books": [BOOK]}, r"^value \$: .* is not of type 'array'"),
        ([1], r"^value \$\[0\]: 1 is not of type 'object'"),
    ],
)
def test_a_search_value_that_violates_its_schema_is_malformed(books, complaint: str) -> None:
    record = search_record()
    record.value = json.dumps(books).encode()

    with pytest.raises(MalformedEvent, match=complaint):
        decode(record)


@pytest.mark.parametrize("type_name", BOOK_TYPES)
@pytest.mark.parametrize(
    ("book", "complaint"),
    [
        (without(BOOK, "title"), r"^value \$: 'title' is a required property"),
        ({**BOOK, "id": "7"}, r"^value \$\.id: '7' is not of type 'integer'"),
        ([BOOK], r"^value \$: .* is not of type 'object'"),
    ],
)
def test_a_book_value_that_violates_its_schema_is_malformed(
    type_name: str, book, complaint: str
) -> None:
    record = book_record(type_name)
    record.value = json.dumps(book).encode()

    with pytest.raises(MalformedEvent, match=complaint):
        decode(record)


@pytest.mark.parametrize("type_name", BOOK_TYPES)
@pytest.mark.parametrize("subject", [b"8", b"07", b""])
def test_a_book_event_whose_subject_is_not_the_book_id_is_malformed(
    type_name: str, subject: bytes
) -> None:
    # An empty ce_subject falls back to the key, which is not the book's id either.
    record = book_record(type_name, ce_subject=subject)
    record.key = b"8"

    with pytest.raises(MalformedEvent, match="is not the book's id"):
        decode(record)


def test_a_search_with_an_empty_query_is_malformed() -> None:
    record = search_record(ce_subject=b"")
    record.key = b""

    with pytest.raises(MalformedEvent, match=r"the query .* is empty"):
        decode(record)


@pytest.mark.parametrize("offset", [b"five", b"1.5", b"-1", b" 1", b""])
def test_a_result_offset_that_is_not_a_whole_number_is_malformed(offset: bytes) -> None:
    with pytest.raises(MalformedEvent, match=r"ce_resultoffset .* is not a whole number"):
        decode(search_record(ce_resultoffset=offset))


def test_a_result_offset_of_superscript_digits_is_malformed() -> None:
    with pytest.raises(MalformedEvent, match="ce_resultoffset"):
        decode(search_record(ce_resultoffset="²".encode()))


@pytest.mark.parametrize(
    "value",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'[{"id": ' + b"9" * 5000 + b', "title": "x"}]',
    ],
    ids=["deep-json", "5000-digit-number"],
)
def test_values_that_exhaust_the_json_parser_are_malformed_not_a_crash(value: bytes) -> None:
    record = search_record()
    record.value = value

    with pytest.raises(MalformedEvent):
        decode(record)


def test_deeply_nested_json_is_reported_as_unreadable() -> None:
    record = search_record()
    record.value = b"[" * 100_000 + b"]" * 100_000

    with pytest.raises(MalformedEvent, match=r"^unreadable message: RecursionError"):
        decode(record)


def test_a_number_too_long_to_read_is_not_blamed_on_ce_time() -> None:
    record = search_record()
    record.value = b'[{"id": ' + b"9" * 5000 + b', "title": "x"}]'

    with pytest.raises(MalformedEvent) as raised:
        decode(record)
    assert "ce_time" not in str(raised.value)


def test_a_book_id_larger_than_the_consumers_bigint_columns_is_malformed() -> None:
    record = book_record()
    record.value = json.dumps({**BOOK, "id": 2**63}).encode()
    record.key = str(2**63).encode()
    record.headers = [
        (name, str(2**63).encode() if name == "ce_subject" else raw) for name, raw in record.headers
    ]

    with pytest.raises(MalformedEvent, match="id"):
        decode(record)


# --- bounds: what an event may carry ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        (b'[{"id": 7, "rating": NaN}]', "NaN is not a JSON number"),
        (b'[{"id": 7, "rating": Infinity}]', "Infinity is not a JSON number"),
        (b'[{"id": 7, "rating": -Infinity}]', "-Infinity is not a JSON number"),
        # What float() reads as infinity, though JSON allows the number.
        (b'[{"id": 7, "rating": 1e400}]', "1e400 is beyond a double's range"),
    ],
)
def test_nan_and_infinity_anywhere_in_a_value_are_malformed(value: bytes, complaint: str) -> None:
    # Even where the schema has no property: readers ignore unknown ones, but store them.
    record = search_record()
    record.value = value

    with pytest.raises(MalformedEvent, match=f"^not UTF-8 JSON: {re.escape(complaint)}"):
        decode(record)


def test_a_finite_fraction_in_an_unknown_property_is_read() -> None:
    record = book_record()
    record.value = json.dumps({**BOOK, "rating": 4.5}).encode()

    assert decode(record).data["rating"] == 4.5


@pytest.mark.parametrize("make_record", [search_record, book_record])
def test_a_key_over_the_limit_is_malformed_one_at_it_is_read(make_record) -> None:
    # ce_subject names the query or book, so the key itself is not read; it is bounded all the same.
    at_limit, over = make_record(), make_record()
    at_limit.key, over.key = b"k" * MAX_KEY_BYTES, b"k" * (MAX_KEY_BYTES + 1)

    decode(at_limit)
    with pytest.raises(
        MalformedEvent, match=f"^the key is {MAX_KEY_BYTES + 1} bytes, more than the 1024 allowed$"
    ):
        decode(over)


def test_a_value_over_the_limit_is_malformed_before_it_is_parsed() -> None:
    record = search_record()
    # Not even JSON: the size alone is the complaint.
    record.value = b"x" * (MAX_VALUE_BYTES + 1)

    with pytest.raises(MalformedEvent, match=r"^the value is 524289 bytes, more than the 524288"):
        decode(record)


def test_a_value_of_the_limits_size_is_read() -> None:
    record = book_record()
    padding = MAX_VALUE_BYTES - len(json.dumps({**BOOK, "padding": ""}).encode())
    record.value = json.dumps({**BOOK, "padding": "p" * padding}).encode()

    assert len(record.value) == MAX_VALUE_BYTES
    assert decode(record).data["id"] == BOOK["id"]


def test_a_query_longer_than_a_search_may_be_is_malformed(settings) -> None:
    longest = "q" * settings.SEARCH_QUERY_MAX_LENGTH

    assert decode(search_record(ce_subject=longest.encode())).subject == longest
    with pytest.raises(MalformedEvent, match=r"^the query is 201 characters, more than the 200"):
        decode(search_record(ce_subject=longest.encode() + b"q"))


def test_a_query_is_bounded_in_characters_not_bytes(settings) -> None:
    # 200 four-byte characters: 800 bytes, a search the page and the API accept.
    query = "𝄞" * settings.SEARCH_QUERY_MAX_LENGTH

    assert decode(search_record(ce_subject=query.encode())).subject == query


@pytest.mark.parametrize(
    ("offset", "complaint"),
    [
        (str(MAX_RESULT_OFFSET + 1), f"more than {MAX_RESULT_OFFSET}"),
        ("9" * 5000, f"more than {MAX_RESULT_OFFSET}"),
    ],
)
def test_a_result_offset_beyond_what_a_search_can_skip_is_malformed(
    offset: str, complaint: str
) -> None:
    assert decode(search_record(ce_resultoffset=str(MAX_RESULT_OFFSET).encode()))

    with pytest.raises(MalformedEvent, match=complaint):
        decode(search_record(ce_resultoffset=offset.encode()))


def test_the_largest_event_a_producer_builds_is_within_every_bound(settings) -> None:
    # A 200-character query and a page of 100 books (PAGE_SIZE's limit) whose titles and authors
    # fill their columns with four-byte characters and whose descriptions are 100 times the
    # bound: the producer cuts the descriptions, and the event is read as it was built.
    settings.EVENTS_SEED_KEYS = True
    query = "𝄞" * settings.SEARCH_QUERY_MAX_LENGTH
    books = [
        {
            **BOOK,
            "id": 2**63 - 1 - n,
            "title": "𝄞" * 255,
            "author": "𝄞" * 255,
            "description": "𝄞" * (MAX_DESCRIPTION_LENGTH * 100),
        }
        for n in range(100)
    ]
    [event] = registry.get(SEARCH_PERFORMED).build(
        query=query, offset=MAX_RESULT_OFFSET, results=books, visitor_id="v" * MAX_ID_LENGTH
    )

    message = registry.encode(event)

    assert len(message.key) <= MAX_KEY_BYTES
    assert len(message.value) <= MAX_VALUE_BYTES
    read = decode(record_of(message))
    assert [book["description"] for book in read.data] == ["𝄞" * MAX_DESCRIPTION_LENGTH] * 100
    assert read.data[0]["title"] == "𝄞" * 255


@pytest.mark.parametrize("type_name", BOOK_TYPES)
def test_a_book_event_carries_the_start_of_a_long_description(type_name: str) -> None:
    long_read = {**BOOK, "description": "Macondo. " * 1000}

    event = decode(record_of(registry.encode(book_event(type_name, long_read))))

    assert event.data == {**BOOK, "description": long_read["description"][:MAX_DESCRIPTION_LENGTH]}


# --- the seed's header-less search events ------------------------------------------------------


def seed_record(key: bytes | None, books: list[dict] | None = None, **where) -> FakeRecord:
    """A search event as the seed's web service produces it: no headers at all."""
    return FakeRecord(
        key=key,
        value=json.dumps([] if books is None else books).encode(),
        topic=django_settings.KAFKA_TOPIC,
        **where,
    )


SEED_BOOK = {**BOOK, "created_at": "2026-01-02 03:04:05"}


def test_a_header_less_record_is_malformed_unless_seed_events_are_accepted(settings) -> None:
    settings.EVENTS_ACCEPT_SEED_EVENTS = False

    with pytest.raises(MalformedEvent, match="no ce_type"):
        registry.type_of(seed_record(f"kafka:{VISITOR}".encode()))


def test_an_accepted_seed_search_gives_its_query_visitor_and_time(settings) -> None:
    settings.EVENTS_ACCEPT_SEED_EVENTS = True

    event = decode(seed_record(f"kafka:{VISITOR}".encode(), [SEED_BOOK]))

    assert event.type == SEARCH_PERFORMED
    assert (event.subject, event.visitor_id) == ("kafka", VISITOR)
    assert event.data == [SEED_BOOK]
    assert event.time == datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    assert event.extensions["resultoffset"] == "0"


@pytest.mark.parametrize(
    ("key", "query", "visitor_id"),
    [
        (b"kafka:", "kafka", None),  # the seed's key when the visitor has no uid
        (b"kafka", "kafka", None),  # the seed's first chapter: the query alone
        (b"c++: a primer:" + VISITOR.encode(), "c++: a primer", VISITOR),  # split on the last ':'
    ],
)
def test_a_seed_key_is_split_into_query_and_visitor_at_its_last_colon(
    settings, key: bytes, query: str, visitor_id: str | None
) -> None:
    settings.EVENTS_ACCEPT_SEED_EVENTS = True

    event = decode(seed_record(key))

    assert (event.subject, event.visitor_id) == (query, visitor_id)


def test_a_seed_search_redelivered_from_the_same_offset_has_the_same_id(settings) -> None:
    settings.EVENTS_ACCEPT_SEED_EVENTS = True
    key = f"kafka:{VISITOR}".encode()

    first = decode(seed_record(key, partition=1, offset=41))
    again = decode(seed_record(key, partition=1, offset=41))
    next_one = decode(seed_record(key, partition=1, offset=42))
    other_partition = decode(seed_record(key, partition=2, offset=41))

    assert first.id == again.id
    assert len({first.id, next_one.id, other_partition.id}) == 3
    # The id must fit the consumers' ProcessedEvent.event_id column.
    assert len(first.id) <= MAX_ID_LENGTH


def test_a_seed_search_with_an_empty_query_is_malformed(settings) -> None:
    settings.EVENTS_ACCEPT_SEED_EVENTS = True

    with pytest.raises(MalformedEvent, match=r"the query .* is empty"):
        decode(seed_record(f":{VISITOR}".encode()))


@pytest.mark.parametrize(
    ("key", "value", "complaint"),
    [
        (b"q" * (MAX_KEY_BYTES + 1), b"[]", "the key is 1025 bytes"),
        (b"kafka:", b" " * (MAX_VALUE_BYTES + 1), "the value is 524289 bytes"),
        (b"kafka:", b'[{"id": NaN}]', "NaN is not a JSON number"),
        ("q" * 201 + ":", b"[]", "the query is 201 characters"),
        (b"kafka:" + b"v" * (MAX_ID_LENGTH + 1), b"[]", "ce_visitorid is longer than 64"),
    ],
)
def test_a_seed_search_is_bounded_like_ours(
    settings, key: bytes | str, value: bytes, complaint: str
) -> None:
    settings.EVENTS_ACCEPT_SEED_EVENTS = True
    record = seed_record(key if isinstance(key, bytes) else key.encode())
    record.value = value

    with pytest.raises(MalformedEvent, match=complaint):
        decode(record)


def test_a_seed_search_whose_value_violates_the_schema_is_malformed(settings) -> None:
    settings.EVENTS_ACCEPT_SEED_EVENTS = True

    with pytest.raises(MalformedEvent, match="'title' is a required property"):
        decode(seed_record(b"kafka:", [without(SEED_BOOK, "title")]))


def test_a_header_less_record_on_a_book_topic_is_malformed_even_when_seed_events_are_accepted(
    settings,
) -> None:
    # Only searches have a seed form; a header-less book message is nobody's event.
    settings.EVENTS_ACCEPT_SEED_EVENTS = True
    record = FakeRecord(
        key=b"7",
        value=json.dumps(BOOK).encode(),
        topic=django_settings.KAFKA_BOOK_CHANGES_TOPIC,
    )

    with pytest.raises(MalformedEvent, match="no ce_type"):
        registry.type_of(record)


def test_an_empty_ce_type_is_malformed_not_skipped() -> None:
    with pytest.raises(MalformedEvent, match="ce_type is empty"):
        registry.type_of(search_record(ce_type=b""))


@pytest.mark.parametrize("book_id", [5.0, True])
def test_a_book_id_that_is_not_a_json_integer_is_malformed(book_id: object) -> None:
    record = book_record()
    record.value = json.dumps({**BOOK, "id": book_id}).encode()

    with pytest.raises(MalformedEvent, match=r"\$\.id"):
        decode(record)
