"""The consumer commands as processes: killed mid-batch, and two members of one group."""

import re
import signal
import time

from django.conf import settings
from kafka.admin import KafkaAdminClient

from events.models import OutboxEvent
from tests.helpers import fill_outbox, manage_py, manage_py_process, wait_until
from trends.models import TrendingQuery

EVENTS = 1500


def wait_for_stable_group(group: str, *, members: int, timeout: float = 60) -> None:
    admin = KafkaAdminClient(bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            description = admin.describe_groups([group])[group]
            if description["group_state"] == "Stable" and len(description["members"]) == members:
                return
            time.sleep(0.2)
    finally:
        admin.close()
    raise AssertionError(f"group {group} did not settle with {members} members: {description}")


def counted() -> int:
    return sum(TrendingQuery.objects.values_list("count", flat=True))


# Both on topics of their own for every type (event_topics), so that no other test's
# book.changed event on a shared topic is applied among theirs.
def test_consumer_killed_mid_batch_and_restarted_neither_loses_nor_double_counts(
    event_topics, manage_py_env
) -> None:
    topic = event_topics["KAFKA_TOPIC"]
    env = manage_py_env()
    fill_outbox(EVENTS)
    assert manage_py("relay_events", "--once", env=env).returncode == 0
    group = f"kill-{topic}"

    consumer = manage_py_process("consume_trends", "--group", group, "--batch-size", "20", env=env)
    wait_until(lambda: counted() != 0, timeout=60)
    consumer.send_signal(signal.SIGKILL)
    consumer.wait(timeout=10)
    partly = counted()
    restarted = manage_py("consume_trends", "--group", group, "--timeout", "5", env=env)

    assert 0 < partly < EVENTS
    assert restarted.returncode == 0, restarted.stderr
    assert counted() == EVENTS, restarted.stdout + restarted.stderr
    assert TrendingQuery.objects.count() == EVENTS  # fill_outbox's queries are all different


def test_two_consumers_in_one_group_split_the_partitions_and_count_every_event_once(
    event_topics, manage_py_env
) -> None:
    topic = event_topics["KAFKA_TOPIC"]
    env = manage_py_env()
    group = f"pair-{topic}"
    consumers = [
        manage_py_process("consume_trends", "--group", group, "--timeout", "12", env=env)
        for _ in range(2)
    ]
    wait_for_stable_group(group, members=2)  # both have partitions before there is work
    fill_outbox(600)
    assert manage_py("relay_events", "--once", env=env).returncode == 0

    outputs = [consumer.communicate(timeout=120)[0] for consumer in consumers]

    assert [c.returncode for c in consumers] == [0, 0], outputs
    applied = [int(re.search(r"(\d+) events applied", out).group(1)) for out in outputs]
    partitions = [
        set(re.search(r"partitions (.+)\.$", out, re.MULTILINE).group(1).split(", "))
        for out in outputs
    ]
    assert all(applied), outputs
    assert sum(applied) == 600, outputs
    assert not partitions[0] & partitions[1]
    assert counted() == 600
    assert not OutboxEvent.objects.pending().exists()
