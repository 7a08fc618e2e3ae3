"""Helpers the tests call: reading a topic back, running `manage.py` in a subprocess."""

import datetime
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from kafka import KafkaConsumer, TopicPartition

from events.delivery import write_to_outbox
from events.types.search_performed import search_event

REPO = Path(__file__).resolve().parent.parent

# A book as events carry it (books.serializers.book_as_json), for tests that need no database.
EMMA = {
    "id": 7,
    "title": "Emma",
    "author": "Jane Austen",
    "published_at": "1815-12-23",
    "description": "",
    "created_at": "2026-12-03T07:44:56Z",
}

# A fixed event time, so that tests comparing timestamps or ordering events by time don't
# depend on the clock.
T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def read_topic(topic: str, count: int, *, timeout: float = 30, settle: float = 1.0) -> list:
    """Read the topic from the start until `count` messages arrived, then `settle` seconds more
    so that an unexpected extra message is seen too."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS, enable_auto_commit=False
    )
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    messages: list = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=200).values():
            messages.extend(batch)
        if len(messages) >= count:
            deadline = min(deadline, time.monotonic() + settle)
    consumer.close()
    return messages


def header_map(message) -> dict[str, str]:
    return {name: raw.decode() for name, raw in message.headers}


def manage_py(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def fill_outbox(count: int) -> set[str]:
    # Each by a visitor of its own (trends count searches of returning visitors only), each
    # finding a book (a search that found nothing does not trend).
    events = [
        search_event(query=f"query {n}", books=[EMMA], visitor_id=f"{n:032x}") for n in range(count)
    ]
    for event in events:
        write_to_outbox([event])[0]
    return {event.id for event in events}


def manage_py_process(*args: str, env: dict[str, str]) -> subprocess.Popen:
    """A long-running `manage.py` command, e.g. a relay or a consumer to kill mid-batch."""
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(condition: Callable[[], bool], *, timeout: float, interval: float = 0.01) -> bool:
    """Poll `condition` every `interval` seconds until it holds or `timeout` seconds passed.

    Tests that watch a subprocess (a relay, a consumer) work can only see its progress in the
    database, so they poll; a deadline keeps a stuck process from hanging the suite. Returns
    whether the condition held, so the caller's own assertion afterwards says what went wrong.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True
