"""`manage.py watch_topic` prints every registered type's events, and says which are malformed."""

import signal
from io import StringIO

import pytest
from django.core.management import call_command
from kafka import KafkaProducer

from events.registry import encode
from events.types.book_changes import BOOK_CHANGED, book_event
from events.types.search_performed import search_event
from tests.helpers import EMMA


@pytest.fixture(autouse=True)
def _default_signal_handlers():
    """watch_topic installs SIGTERM/SIGINT handlers; later tests get the defaults back."""
    saved = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGTERM, saved[0])
    signal.signal(signal.SIGINT, saved[1])


def test_watch_topic_prints_events_of_every_registered_topic_and_flags_the_malformed(
    kafka_bootstrap, event_topics
) -> None:
    search = encode(search_event(query="kafka", books=[EMMA], visitor_id="v1"))
    changed = encode(book_event(BOOK_CHANGED, EMMA))
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    for message in (search, changed):
        producer.send(message.topic, key=message.key, value=message.value, headers=message.headers)
    producer.send(event_topics["KAFKA_TOPIC"], key=b"bad", value=b"{not json")
    producer.flush()
    producer.close()
    out = StringIO()

    call_command("watch_topic", "--from-beginning", "--max-messages", "3", stdout=out)

    lines = sorted(out.getvalue().splitlines())
    assert len(lines) == 3, lines
    [changed_line] = [line for line in lines if BOOK_CHANGED in line]
    assert "key='7'" in changed_line
    assert '"title": "Emma"' in changed_line
    [search_line] = [line for line in lines if "search.performed.v1" in line]
    assert "subject='kafka'" in search_line
    assert "visitor=v1" in search_line
    assert "resultoffset=0" in search_line
    [bad_line] = [line for line in lines if "malformed" in line]
    assert "no ce_type" in bad_line
