import datetime
import json

import pytest

from events.contract import EVENT_TYPE, MalformedEvent, SearchEvent, decode, encode

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
