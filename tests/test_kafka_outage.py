"""Kafka down is normal operation: searches answer, events wait in the outbox, and a relay left
running publishes them within seconds of Kafka's return, however long it was away. The broker
here is the test's own, really SIGKILLed and restarted."""

import signal
import time

from django.test import Client

from events.models import OutboxEvent
from tests.helpers import header_map, manage_py, manage_py_process, read_topic, wait_until

# Longer than the producer's delivery_timeout_ms (30 s): the outage after which kafka-python's
# idempotent producer, its in-flight batch expired, never delivered again.
OUTAGE_SECONDS = 40
RECOVERY_SECONDS = 30


def search(client: Client, queries: list[str]) -> list[int]:
    return [client.get("/", {"q": query}).status_code for query in queries]


def test_running_relay_publishes_the_backlog_within_seconds_after_a_long_outage(
    catalogue, private_kafka, manage_py_env
) -> None:
    client = Client()
    relay = manage_py_process("relay_events", env=manage_py_env())
    try:
        assert search(client, [f"before {n}" for n in range(5)]) == [200] * 5
        assert wait_until(lambda: not OutboxEvent.objects.pending().exists(), timeout=30)

        private_kafka.kill_kafka()
        during = [f"during {n}" for n in range(20)]
        assert search(client, during) == [200] * 20
        time.sleep(OUTAGE_SECONDS)
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
    finally:
        relay.send_signal(signal.SIGTERM)
        _, stderr = relay.communicate(timeout=60)

    assert relay.returncode == 0, stderr
    # Stuck is visible at the default log level while it lasts.
    assert "ERROR events.relay: Relay has published nothing for" in stderr
    assert "Relay publishing again" in stderr
    messages = read_topic(private_kafka.topic, 30)
    assert {m.key.decode() for m in messages} >= {f"during {n}" for n in range(20)}
    assert len({header_map(m)["ce_id"] for m in messages}) == 30


def test_relay_once_fails_clearly_while_kafka_is_down_and_keeps_the_events(
    catalogue, private_kafka, manage_py_env
) -> None:
    private_kafka.kill_kafka()
    assert search(Client(), ["kafka"]) == [200]

    down = manage_py("relay_events", "--once", env=manage_py_env(), timeout=60)

    assert down.returncode != 0
    assert "Kafka is not reachable" in down.stderr
    assert OutboxEvent.objects.pending().count() == 1
