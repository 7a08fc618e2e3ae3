import signal
import time

from events.models import OutboxEvent
from tests.helpers import fill_outbox, header_map, manage_py_process, read_topic, wait_until


def test_long_running_relay_publishes_new_events_and_stops_cleanly_on_sigterm(
    topic, manage_py_env
) -> None:
    relay = manage_py_process("relay_events", env=manage_py_env())
    time.sleep(2)  # let it connect and go idle
    ids = fill_outbox(5)
    wait_until(lambda: not OutboxEvent.objects.pending().exists(), timeout=30, interval=0.05)

    relay.send_signal(signal.SIGTERM)
    stdout, stderr = relay.communicate(timeout=30)

    assert relay.returncode == 0, stderr
    assert "5 events published" in stdout
    assert {header_map(m)["ce_id"] for m in read_topic(topic, 5)} == ids
    assert not OutboxEvent.objects.pending().exists()


def test_relay_started_while_kafka_is_down_waits_and_still_stops_cleanly(
    topic, manage_py_env
) -> None:
    relay = manage_py_process(
        "relay_events", env=manage_py_env(KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1")
    )
    time.sleep(7)  # past the first failed connection attempt (5 s)

    relay.send_signal(signal.SIGTERM)
    _, stderr = relay.communicate(timeout=30)

    assert relay.returncode == 0, stderr
    assert "Kafka is not reachable at 127.0.0.1:1" in stderr
