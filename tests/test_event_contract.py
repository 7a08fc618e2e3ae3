import datetime
import json

import pytest

from events.contract import EVENT_TYPE, MAX_ID_LENGTH, MalformedEvent, SearchEvent, decode, encode

BOOK = {
    "id": 7,
    "title": "Cien años de soledad",
    "author": "Gabriel García Márquez",
    "published_at": "1967-05-30",
    "description": "Macondo.",
    "created_at": "2026-01-02 03:04:05",
}


def test_encoded_event_has_query_key_books_value_and_cloudevents_headers() -> None:
    event = SearchEvent(query="años", books=[BOOK], visitor_id="ab" * 16, offset=5)

    message = encode(event)

    assert message.key == "años".encode()
    assert json.loads(message.value) == [BOOK]
    headers = {name: raw.decode() for name, raw in message.headers}
    assert headers == {
        "ce_specversion": "1.0",
        "ce_id": event.id,
        "ce_source": "/event-books/search",
        "ce_type": EVENT_TYPE,
        "ce_time": event.time.isoformat().replace("+00:00", "Z"),
        "content-type": "application/json",
        "ce_resultoffset": "5",
        "ce_visitorid": "ab" * 16,
    }


def test_event_without_results_has_an_empty_array_value() -> None:
    assert encode(SearchEvent(query="zzz", books=[])).value == b"[]"


def test_visitor_header_is_left_out_when_there_is_no_visitor() -> None:
    names = [name for name, _ in encode(SearchEvent(query="q", books=[])).headers]

    assert "ce_visitorid" not in names


def test_decode_reads_back_what_encode_wrote() -> None:
    event = SearchEvent(query="kafka", books=[BOOK], visitor_id="cd" * 16, offset=10)
    message = encode(event)

    assert decode(message.key, message.value, message.headers) == event


def test_every_event_gets_its_own_id_and_a_utc_time() -> None:
    first, second = SearchEvent(query="q", books=[]), SearchEvent(query="q", books=[])

    assert first.id != second.id
    assert first.time.tzinfo == datetime.UTC


@pytest.mark.parametrize(
    ("key", "value", "drop_header", "complaint"),
    [
        (b"q", b"{not json", None, "not UTF-8 JSON"),
        (b"q", b'{"id": 1}', None, "not a JSON array"),
        (b"q", b'[{"title": "no id"}]', None, "not a JSON array"),
        (b"", b"[]", None, "key"),
        (b"\xff", b"[]", None, "not UTF-8"),
        (b"q", b"[]", "ce_id", "missing headers: ce_id"),
        (b"q", b"[" * 100_000 + b"]" * 100_000, None, "unreadable message"),
        (b"q", b'[{"id": ' + b"9" * 5000 + b', "title": "x"}]', None, "unreadable"),
        (b"q", b'[{"id": true, "title": "x"}]', None, "integer ids"),
    ],
)
def test_malformed_messages_are_rejected_with_the_reason(
    key, value, drop_header, complaint
) -> None:
    headers = [
        (n, v) for n, v in encode(SearchEvent(query="q", books=[])).headers if n != drop_header
    ]

    with pytest.raises(MalformedEvent, match=complaint):
        decode(key, value, headers)


def test_a_header_without_a_value_is_malformed() -> None:
    headers = [*encode(SearchEvent(query="q", books=[])).headers, ("broken", None)]

    with pytest.raises(MalformedEvent, match="unreadable message"):
        decode(b"q", b"[]", headers)


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("ce_time", "2026-01-01T00:00:00", "no time zone"),
        ("ce_id", "x" * 65, "ce_id is longer than 64"),
        ("ce_visitorid", "v" * 65, "ce_visitorid is longer than 64"),
    ],
)
def test_header_values_the_consumers_cannot_store_are_malformed(name, value, complaint) -> None:
    headers = [(n, v) for n, v in encode(SearchEvent(query="q", books=[])).headers if n != name]

    with pytest.raises(MalformedEvent, match=complaint):
        decode(b"q", b"[]", [*headers, (name, value.encode())])


def headers_with(name: str, value: bytes | None) -> list[tuple[str, bytes]]:
    """A valid event's headers with header `name` replaced by `value`, or left out if None."""
    headers = [(n, v) for n, v in encode(SearchEvent(query="q", books=[])).headers if n != name]
    return headers if value is None else [*headers, (name, value)]


@pytest.mark.parametrize("event_type", ["com.example.order.placed", "", EVENT_TYPE.upper()])
def test_an_event_of_another_type_is_malformed(event_type) -> None:
    with pytest.raises(MalformedEvent, match="unexpected ce_type"):
        decode(b"q", b"[]", headers_with("ce_type", event_type.encode()))


@pytest.mark.parametrize("name", ["ce_id", "ce_specversion", "ce_type", "ce_time"])
def test_an_event_without_a_required_header_is_malformed(name) -> None:
    with pytest.raises(MalformedEvent, match=f"missing headers: {name}$"):
        decode(b"q", b"[]", headers_with(name, None))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ce_time", b"yesterday"),
        ("ce_resultoffset", b"five"),
        ("ce_resultoffset", b"1.5"),
    ],
)
def test_header_values_that_do_not_parse_are_malformed(name, value) -> None:
    with pytest.raises(MalformedEvent, match="bad header value"):
        decode(b"q", b"[]", headers_with(name, value))


def test_a_header_value_that_is_not_utf8_is_malformed() -> None:
    with pytest.raises(MalformedEvent, match="not UTF-8"):
        decode(b"q", b"[]", headers_with("ce_visitorid", b"\xff\xfe"))


@pytest.mark.parametrize(
    ("key", "value", "complaint"),
    [
        (b"q", b'[{"id": 1, "title": 7}]', "titles"),
        (b"q", b"[1, 2]", "not a JSON array of books"),
        (b"q", None, "not UTF-8 JSON"),  # a tombstone
        (None, b"[]", "key"),
    ],
)
def test_values_and_keys_that_are_not_a_search_are_malformed(key, value, complaint) -> None:
    with pytest.raises(MalformedEvent, match=complaint):
        decode(key, value, headers_with("none", None))


def test_the_value_is_compact_utf8_json() -> None:
    value = encode(SearchEvent(query="años", books=[BOOK])).value

    assert value.startswith('[{"id":7,"title":"Cien años de soledad",'.encode())


def test_an_event_without_a_result_offset_is_the_first_page() -> None:
    event = decode(b"q", b"[]", headers_with("ce_resultoffset", None))

    assert event.offset == 0


def test_ids_of_the_longest_storable_length_are_accepted() -> None:
    longest_id, longest_visitor = "i" * MAX_ID_LENGTH, "v" * MAX_ID_LENGTH
    headers = [
        *headers_with("ce_id", longest_id.encode()),
        ("ce_visitorid", longest_visitor.encode()),
    ]

    event = decode(b"q", b"[]", headers)

    assert (event.id, event.visitor_id) == (longest_id, longest_visitor)


def test_every_missing_header_is_named() -> None:
    headers = [h for h in headers_with("ce_id", None) if h[0] != "ce_time"]

    with pytest.raises(MalformedEvent, match=r"missing headers: ce_id, ce_time$"):
        decode(b"q", b"[]", headers)
