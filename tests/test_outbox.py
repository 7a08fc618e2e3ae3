"""In outbox mode a search's only delivery work is one INSERT, and its failure is contained."""

import json

from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from events.models import OutboxEvent
from events.types.search_performed import SEARCH_PERFORMED


def test_search_writes_one_outbox_row_with_the_message(client, catalogue, settings) -> None:
    client.get("/")  # the first visit only sets the cookie: a returning visitor is named
    client.get("/", {"q": "murakami"})

    row = OutboxEvent.objects.get(event_type=SEARCH_PERFORMED)
    assert row.topic == settings.KAFKA_TOPIC
    assert bytes(row.key) == b"murakami"
    assert [book["title"] for book in json.loads(bytes(row.value))] == ["Kafka on the Shore"]
    assert dict(row.headers)["ce_visitorid"] == client.cookies["uid"].value
    assert (row.attempts, row.published_at, row.last_error) == (0, None, "")


def test_outbox_delivery_is_a_single_insert(client, catalogue) -> None:
    client.get("/")  # the first visit only sets the cookie
    with CaptureQueriesContext(connection) as queries:
        client.get("/", {"q": "emma"})

    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(writes) == 1
    assert writes[0].upper().startswith("INSERT INTO `EVENTS_OUTBOXEVENT`")


def test_events_off_writes_nothing(client, catalogue, settings) -> None:
    settings.EVENTS_DELIVERY = "off"

    client.get("/", {"q": "emma"})

    assert not OutboxEvent.objects.filter(event_type=SEARCH_PERFORMED).exists()


def test_delivery_failure_is_logged_and_the_search_answers(
    client, catalogue, monkeypatch, caplog
) -> None:
    def broken(event_type, events) -> None:
        raise ConnectionError("outbox unavailable")

    monkeypatch.setattr("events.receivers.deliver", broken)

    response = client.get("/", {"q": "emma"})

    assert response.status_code == 200
    assert "Emma" in response.text
    assert "Could not hand a com.event-books.search.performed.v1 event to delivery" in caplog.text


def test_a_search_whose_event_cannot_be_written_for_a_database_outage_answers_503(
    client, catalogue, monkeypatch
) -> None:
    """The database went away between the search's query and its outbox row: the visitor is
    told to retry rather than shown results whose event is lost."""

    def outage(events) -> None:
        raise OperationalError(2013, "Lost connection to MySQL server during query")

    monkeypatch.setattr("events.delivery.write_to_outbox", outage)

    page = client.get("/", {"q": "emma"})
    api = client.get("/api/books", {"q": "emma"})

    assert (page.status_code, api.status_code) == (503, 503)
    assert page["Retry-After"] == api["Retry-After"] == "5"
