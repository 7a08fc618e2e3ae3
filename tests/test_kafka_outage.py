"""Kafka down is normal operation: searches answer, events wait in the outbox, and a relay left
running publishes them within seconds of Kafka's return, however long it was away. The broker
here is the test's own, really SIGKILLed and restarted."""

import signal
import time

from django.test import Client

from events.delivery import DirectSender
from events.models import OutboxEvent
from events.registry import encode
from events.types.search_performed import search_event
from tests.helpers import header_map, manage_py, manage_py_process, read_topic, wait_until

# Longer than the producer's delivery_timeout_ms (30 s): the outage after which kafka-python's
# idempotent producer, its in-flight batch expired, never delivered again.
OUTAGE_SECONDS = 40
RECOVERY_SECONDS = 30


def search(client: Client, queries: list[str]) -> list[int]:
    return [client.get("/", {"q": query}).status_code for query in queries]


def direct(sender: DirectSender, query: str) -> None:
    sender.submit(encode(search_event(query=query, books=[])))


def test_running_relay_publishes_the_backlog_within_seconds_after_a_long_outage(
    catalogue, private_kafka, manage_py_env
) -> None:
    client = Client()
    relay = manage_py_process("relay_events", env=manage_py_env())
    # The direct sender lives through the same outage: what it is given while Kafka is away
    # may be lost (that is direct mode), but it must deliver again once Kafka is back.
    sender = DirectSender()
    try:
        assert search(client, [f"before {n}" for n in range(5)]) == [200] * 5
        direct(sender, "direct before")
        assert wait_until(lambda: not OutboxEvent.objects.pending().exists(), timeout=30)

        private_kafka.kill_kafka()
        during = [f"during {n}" for n in range(20)]
        assert search(client, during) == [200] * 20
        for n in range(OUTAGE_SECONDS):
            direct(sender, f"direct during {n}")
            time.sleep(1)
        assert OutboxEvent.objects.pending().count() == 20
        private_kafka.run("start", "kafka")
        back_at = time.monotonic()

        cleared = wait_until(
            lambda: not OutboxEvent.objects.pending().exists(), timeout=RECOVERY_SECONDS
        )
        assert cleared, (
            f"{OutboxEvent.objects.pending().count()} events still pending "
            f"{time.monotonic() - back_at:.0f} s after Kafka returned"
        )
        assert search(client, [f"after {n}" for n in range(5)]) == [200] * 5
        assert wait_until(lambda: not OutboxEvent.objects.pending().exists(), timeout=15)
        for n in range(10):
            direct(sender, f"direct after {n}")
            time.sleep(1)
    finally:
        sender.close(timeout=10)
        relay.send_signal(signal.SIGTERM)
        _, stderr = relay.communicate(timeout=60)

    assert relay.returncode == 0, stderr
    # Stuck is visible at the default log level while it lasts.
    assert "ERROR events.relay: Relay has published nothing for" in stderr
    assert "Relay publishing again" in stderr
    messages = read_topic(private_kafka.topic, 41)
    keys = {m.key.decode() for m in messages}
    assert keys >= {f"during {n}" for n in range(20)}
    assert len({header_map(m)["ce_id"] for m in messages if m.key.startswith(b"during ")}) == 20
    # The direct sender may lose its first tries after the outage, never all of them.
    assert keys >= {f"direct after {n}" for n in range(5, 10)}


def test_relay_once_fails_clearly_while_kafka_is_down_and_keeps_the_events(
    catalogue, private_kafka, manage_py_env
) -> None:
    private_kafka.kill_kafka()
    assert search(Client(), ["kafka"]) == [200]

    down = manage_py("relay_events", "--once", env=manage_py_env(), timeout=60)

    assert down.returncode != 0
    assert "Kafka is not reachable" in down.stderr
    # The search's row, and the catalogue's book.added rows written before it.
    assert OutboxEvent.objects.pending().count() == len(catalogue) + 1
