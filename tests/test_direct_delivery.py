"""EVENTS_DELIVERY=direct: the web process sends in the background through its own producer."""

import time

import pytest
from django.test import Client

from events import delivery
from events.models import OutboxEvent
from events.types.search_performed import SEARCH_PERFORMED
from tests.helpers import header_map, read_topic, wait_until


@pytest.fixture
def direct_mode(settings, monkeypatch):
    """Direct delivery with a sender of the test's own, closed afterwards."""
    settings.EVENTS_DELIVERY = "direct"
    monkeypatch.setattr(delivery, "_sender", None)
    yield
    if delivery._sender is not None:
        delivery._sender.close(timeout=15)  # outlive a pending connection attempt


def test_direct_mode_delivers_while_kafka_is_up(transactional_db, catalogue, topic, direct_mode):
    client = Client()

    client.get("/")  # the first visit only sets the cookie: a returning visitor is named
    client.get("/", {"q": "austen"})

    [message] = read_topic(topic, 1)
    assert message.key == b"austen"
    assert header_map(message)["ce_visitorid"] == client.cookies["uid"].value
    assert not OutboxEvent.objects.filter(event_type=SEARCH_PERFORMED).exists()


def test_direct_mode_does_not_block_requests_while_kafka_is_down(
    transactional_db, catalogue, topic, settings, direct_mode, caplog
) -> None:
    settings.KAFKA_BOOTSTRAP_SERVERS = ["127.0.0.1:1"]  # nothing listens there
    client = Client()

    started = time.monotonic()
    statuses = [client.get("/", {"q": f"emma {n}"}).status_code for n in range(10)]
    elapsed = time.monotonic() - started

    # Far below the producer's own 5 s bootstrap timeout: no request waited on Kafka.
    assert statuses == [200] * 10
    assert elapsed < 3
    assert wait_until(lambda: "Event lost, Kafka did not take it" in caplog.text, timeout=30)


def test_direct_sender_drops_and_logs_when_its_queue_is_full(caplog) -> None:
    sender = delivery.DirectSender.__new__(delivery.DirectSender)
    sender._queue = delivery.queue.Queue(maxsize=1)
    sender._queue.put_nowait(None)

    sender.submit(object())

    assert sender._queue.qsize() == 1
    assert "Event dropped: 1 events already wait for Kafka" in caplog.text


def test_each_process_gets_its_own_sender(direct_mode, monkeypatch) -> None:
    first = delivery.direct_sender()
    assert delivery.direct_sender() is first

    monkeypatch.setattr(delivery.os, "getpid", lambda: -1)  # as in a forked worker

    assert delivery.direct_sender() is not first
    first.close()
