"""A search on the page or the API lands on the real topic once, exactly as the contract says."""

import json

from books.serializers import book_as_json
from events.models import OutboxEvent
from events.types.search_performed import SEARCH_PERFORMED
from tests.helpers import header_map, read_topic


def test_page_search_lands_on_the_topic_once_with_key_value_and_headers(
    client, catalogue, topic, relay
) -> None:
    client.get("/")  # the first visit only sets the cookie: a returning visitor is named
    client.get("/", {"q": "Austen"})
    relay.publish_batch()

    [message] = read_topic(topic, 1)
    assert message.key == b"Austen"
    assert json.loads(message.value) == [book_as_json(catalogue["emma"])]
    headers = header_map(message)
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_type"] == SEARCH_PERFORMED
    assert headers["ce_source"] == "/event-books/search"
    assert headers["content-type"] == "application/json"
    assert headers["ce_visitorid"] == client.cookies["uid"].value
    assert headers["ce_resultoffset"] == "0"
    assert len(headers["ce_id"]) == 32
    assert headers["ce_time"].endswith("Z")


def test_api_search_lands_on_the_topic_once_with_its_offset(
    client, catalogue, topic, relay
) -> None:
    client.get("/api/books", {"q": "kafka", "o": 1})
    relay.publish_batch()

    [message] = read_topic(topic, 1)
    assert message.key == b"kafka"
    assert len(json.loads(message.value)) == 3
    assert header_map(message)["ce_resultoffset"] == "1"


def test_search_without_results_sends_an_empty_array(client, catalogue, topic, relay) -> None:
    client.get("/", {"q": "no such book anywhere"})
    relay.publish_batch()

    [message] = read_topic(topic, 1)
    assert message.value == b"[]"


def test_empty_search_sends_nothing(client, catalogue, topic, relay) -> None:
    client.get("/")
    client.get("/api/books")
    client.get("/", {"q": "emma"})  # a marker, so that the read below has something to wait for
    relay.publish_batch()

    assert [m.key for m in read_topic(topic, 1, settle=2)] == [b"emma"]


def test_published_rows_are_marked_only_after_kafka_acknowledged(
    client, catalogue, topic, relay
) -> None:
    client.get("/", {"q": "emma"})
    row = OutboxEvent.objects.get(event_type=SEARCH_PERFORMED)
    assert row.status == "pending"

    result = relay.publish_batch()

    row.refresh_from_db()
    # The search's row, and the catalogue's book.added rows written before it.
    assert result.claimed == result.published == OutboxEvent.objects.count()
    assert row.status == "published"
    assert relay.publish_batch().claimed == 0
