"""Kafka down is normal operation: searches answer, events wait in the outbox, and arrive once
Kafka is back. This test really stops and restarts the local broker."""

import subprocess

import pytest
from django.test import Client

from events.models import OutboxEvent
from tests.helpers import REPO, header_map, manage_py, read_topic

SEARCHES = 20


def broker(action: str) -> None:
    subprocess.run([REPO / "scripts" / "services.sh", action, "kafka"], check=True, timeout=180)


@pytest.fixture
def stopped_broker(topic):
    broker("stop")
    try:
        yield
    finally:
        broker("start")


def test_searches_made_while_kafka_is_down_arrive_once_after_it_returns(
    catalogue, topic, manage_py_env, stopped_broker
) -> None:
    client = Client()
    statuses = [client.get("/", {"q": f"kafka {n}"}).status_code for n in range(SEARCHES)]

    assert statuses == [200] * SEARCHES
    assert OutboxEvent.objects.pending().count() == SEARCHES

    down = manage_py("relay_events", "--once", env=manage_py_env())
    assert down.returncode != 0
    assert "Kafka is not reachable" in down.stderr
    assert OutboxEvent.objects.pending().count() == SEARCHES

    broker("start")
    up = manage_py("relay_events", "--once", env=manage_py_env())

    assert up.returncode == 0, up.stderr
    messages = read_topic(topic, SEARCHES)
    assert sorted(m.key.decode() for m in messages) == sorted(f"kafka {n}" for n in range(SEARCHES))
    assert len({header_map(m)["ce_id"] for m in messages}) == SEARCHES
    assert not OutboxEvent.objects.pending().exists()
