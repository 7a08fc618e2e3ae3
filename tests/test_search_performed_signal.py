"""Which searches announce themselves. A recording receiver is enough here; what reaches Kafka
is tested against the real broker in test_search_events_reach_kafka.py."""

import pytest

from books.signals import search_performed


@pytest.fixture
def sent(db) -> list[dict]:
    calls: list[dict] = []

    def record(sender, **kwargs) -> None:
        calls.append(kwargs)

    search_performed.connect(record, dispatch_uid="test-recorder")
    yield calls
    search_performed.disconnect(dispatch_uid="test-recorder")


def test_page_search_sends_the_signal_once_with_its_results(client, catalogue, sent) -> None:
    client.get("/")  # a returning visitor: one without the cookie yet searches as None
    client.get("/", {"q": "  austen "})

    [call] = sent
    assert call["query"] == "austen"
    assert [book["title"] for book in call["results"]] == ["Emma"]
    assert call["total"] == 1
    assert call["offset"] == 0
    assert call["visitor_id"] == client.cookies["uid"].value


def test_api_search_sends_the_signal_with_its_offset(client, catalogue, sent) -> None:
    client.get("/api/books", {"q": "kafka", "offset": 2})

    [call] = sent
    assert call["query"] == "kafka"
    assert call["offset"] == 2


@pytest.mark.parametrize("query", ["", "   "])
def test_search_with_empty_query_sends_no_event(client, catalogue, sent, query) -> None:
    client.get("/", {"q": query})
    client.get("/api/books", {"q": query})

    assert sent == []


def test_rejected_search_sends_no_event(client, catalogue, sent) -> None:
    client.get("/", {"q": "kafka", "page": "-1"})
    client.get("/api/books", {"q": "kafka", "offset": "x"})

    assert sent == []


def test_a_failing_receiver_does_not_break_the_search(client, catalogue, sent) -> None:
    def explode(sender, **kwargs) -> None:
        raise RuntimeError("receiver bug")

    search_performed.connect(explode, dispatch_uid="test-explode")
    try:
        response = client.get("/", {"q": "emma"})
    finally:
        search_performed.disconnect(dispatch_uid="test-explode")

    assert response.status_code == 200
    assert len(sent) == 1
