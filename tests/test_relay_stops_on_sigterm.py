import signal
import time

from events.models import OutboxEvent
from tests.helpers import fill_outbox, manage_py_process, read_topic


def test_long_running_relay_publishes_new_events_and_stops_cleanly_on_sigterm(
    topic, manage_py_env
) -> None:
    relay = manage_py_process("relay_events", env=manage_py_env())
    time.sleep(2)  # let it connect and go idle
    ids = fill_outbox(5)
    deadline = time.monotonic() + 30
    while OutboxEvent.objects.pending().exists() and time.monotonic() < deadline:
        time.sleep(0.05)

    relay.send_signal(signal.SIGTERM)
    stdout, stderr = relay.communicate(timeout=30)

    assert relay.returncode == 0, stderr
    assert "5 events published" in stdout
    assert len(read_topic(topic, 5)) == 5
    assert not OutboxEvent.objects.pending().exists()
    assert len(ids) == 5
