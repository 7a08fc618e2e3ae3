"""Several relays, and a relay killed mid-batch: every event is published, none lost."""

import signal
from collections import Counter

from events.models import OutboxEvent
from tests.helpers import (
    fill_outbox,
    header_map,
    manage_py,
    manage_py_process,
    read_topic,
    wait_until,
)

BACKLOG = 3000  # hundreds of batches: long enough for both relays to be at work


def test_two_relays_draining_one_backlog_publish_every_event_exactly_once(
    topic, manage_py_env
) -> None:
    ids = fill_outbox(BACKLOG)
    env = manage_py_env()

    relays = [
        manage_py_process("relay_events", "--once", "--batch-size", "10", env=env) for _ in range(2)
    ]
    outputs = [relay.communicate(timeout=120) for relay in relays]

    assert [relay.returncode for relay in relays] == [0, 0], outputs
    published = [int(out.split(";")[1].split()[0]) for out, _ in outputs]
    assert all(count > 0 for count in published), "both relays should have taken a share"
    assert sum(published) == BACKLOG
    counts = Counter(header_map(m)["ce_id"] for m in read_topic(topic, BACKLOG))
    assert set(counts) == ids
    assert set(counts.values()) == {1}


def test_relay_killed_mid_batch_loses_nothing_on_restart(topic, manage_py_env) -> None:
    ids = fill_outbox(3000)
    env = manage_py_env()
    relay = manage_py_process("relay_events", "--batch-size", "50", env=env)
    wait_until(OutboxEvent.objects.published().exists, timeout=60)
    relay.send_signal(signal.SIGKILL)
    relay.wait(timeout=10)
    killed_with_work_left = OutboxEvent.objects.pending().exists()

    restarted = manage_py("relay_events", "--once", env=env)

    assert killed_with_work_left
    assert restarted.returncode == 0, restarted.stderr
    assert not OutboxEvent.objects.pending().exists()
    # A batch sent but not yet marked when the relay died is sent again: at least once on the
    # topic, and the consumers drop the repeat by its ce_id.
    assert {header_map(m)["ce_id"] for m in read_topic(topic, 3000)} == ids
