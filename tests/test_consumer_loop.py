"""The shared consumer loop against the real broker: dedupe, dead letters, database outages."""

import pytest
from django.db import DataError, OperationalError
from kafka import KafkaProducer
from kafka.errors import KafkaConnectionError, KafkaTimeoutError

from events.consuming import Consumer
from events.envelope import Event
from events.registry import encode
from events.types.book_changes import book_event
from events.types.book_viewed import BOOK_VIEWED
from events.types.search_performed import SEARCH_PERFORMED, search_event
from tests.helpers import EMMA, header_map, read_topic
from trends.models import TrendingQuery
from trends.services import count_searches as apply_trends


def publish(kafka_bootstrap, topic: str, messages: list[tuple[bytes, bytes, list]]) -> None:
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    for key, value, headers in messages:
        producer.send(topic, key=key, value=value, headers=headers)
    producer.flush()
    producer.close()


def as_tuple(event: Event) -> tuple[bytes, bytes, list]:
    message = encode(event)
    return message.key, message.value, message.headers


class Recorder:
    def __init__(self) -> None:
        self.batches: list[list[Event]] = []

    def __call__(self, events: list[Event]) -> None:
        self.batches.append(events)

    @property
    def queries(self) -> list[str]:
        return [event.subject for batch in self.batches for event in batch]


def test_the_same_event_delivered_twice_is_applied_once(
    db, kafka_bootstrap, topic, consume
) -> None:
    event = search_event(query="kafka", books=[])
    publish(kafka_bootstrap, topic, [as_tuple(event), as_tuple(event)])
    recorder = Recorder()

    stats = consume(recorder, 2)

    assert recorder.queries == ["kafka"]
    assert (stats.applied, stats.duplicates) == (1, 1)


def test_an_event_applied_in_an_earlier_run_is_skipped_when_redelivered(
    db, kafka_bootstrap, topic, consume
) -> None:
    event = search_event(query="emma", books=[])
    publish(kafka_bootstrap, topic, [as_tuple(event)])
    consume(Recorder(), 1, group_id="rerun-group")
    publish(kafka_bootstrap, topic, [as_tuple(event)])  # e.g. the relay sent it again
    recorder = Recorder()

    stats = consume(recorder, 1, group_id="rerun-group")

    assert recorder.queries == []
    assert stats.duplicates == 1


def test_a_malformed_message_goes_to_the_dlq_and_the_next_good_one_is_applied(
    db, kafka_bootstrap, topic, consume
) -> None:
    good = search_event(query="after the bad one", books=[])
    _, _, headers = as_tuple(search_event(query="bad", books=[]))
    publish(kafka_bootstrap, topic, [(b"bad", b"{not json", headers), as_tuple(good)])
    recorder = Recorder()

    stats = consume(recorder, 2)

    assert recorder.queries == ["after the bad one"]
    assert stats.dead_lettered == 1
    [dead] = read_topic(f"{topic}.dlq", 1)
    headers = header_map(dead)
    assert (dead.key, dead.value) == (b"bad", b"{not json")
    assert "not UTF-8 JSON" in headers["dlq_error"]
    assert headers["dlq_source_topic"] == topic
    assert {"dlq_source_partition", "dlq_source_offset", "dlq_consumer_group"} <= set(headers)


def test_a_database_outage_is_waited_out_and_the_batch_applied_not_skipped(
    transactional_db, kafka_bootstrap, topic, consume, monkeypatch
) -> None:
    monkeypatch.setattr("events.consuming.loop.time.sleep", lambda seconds: None)
    publish(kafka_bootstrap, topic, [as_tuple(search_event(query="kept", books=[]))])
    attempts = []

    def flaky(events: list[Event]) -> None:
        attempts.append([e.subject for e in events])
        if len(attempts) < 3:
            raise OperationalError(2006, "MySQL server has gone away")

    stats = consume(flaky, 1)

    assert attempts == [["kept"]] * 3
    assert stats.applied == 1


@pytest.mark.parametrize(
    "error",
    [
        DataError(1406, "Data too long for column"),
        # A handler's own failure on an event it cannot take: not a reason to die on the batch.
        OverflowError("date value out of range"),
    ],
    ids=["database", "handler"],
)
def test_an_event_that_cannot_be_applied_goes_to_the_dlq_and_the_rest_is_applied(
    transactional_db, kafka_bootstrap, topic, consume, monkeypatch, error
) -> None:
    monkeypatch.setattr("events.consuming.loop.time.sleep", lambda seconds: None)
    publish(
        kafka_bootstrap,
        topic,
        [as_tuple(search_event(query=q, books=[])) for q in ("fine", "poison", "also fine")],
    )
    applied: list[str] = []

    def picky(events: list[Event]) -> None:
        if any(event.subject == "poison" for event in events):
            raise error
        applied.extend(event.subject for event in events)

    stats = consume(picky, 3)

    assert sorted(applied) == ["also fine", "fine"]
    assert (stats.applied, stats.dead_lettered) == (2, 1)
    [dead] = read_topic(f"{topic}.dlq", 1)
    assert dead.key == b"poison"
    assert str(error.args[-1]) in header_map(dead)["dlq_error"]


def test_a_consumer_dying_after_its_transaction_but_before_its_offset_commit_counts_once(
    transactional_db, kafka_bootstrap, topic, consume
) -> None:
    searched = search_event(query="kafka", books=[EMMA], visitor_id="5e" * 16)
    publish(kafka_bootstrap, topic, [as_tuple(searched)])
    group = f"crash-{topic}"
    first = Consumer(group_id=group, handlers={SEARCH_PERFORMED: apply_trends})

    def crash() -> None:
        raise SystemExit("killed between the database commit and the offset commit")

    first.consumer.commit = crash
    with pytest.raises(SystemExit):
        first.run(max_messages=1, idle_timeout=30)
    first.close()
    stats = consume(apply_trends, 1, group_id=group)

    assert (stats.applied, stats.duplicates) == (0, 1)
    assert TrendingQuery.objects.get().count == 1


def test_a_consumer_that_gets_nothing_while_events_wait_rebuilds_its_client(
    db, kafka_bootstrap, topic, monkeypatch
) -> None:
    monkeypatch.setattr("events.consuming.loop.STALL_SECONDS", 1)
    events = [search_event(query=f"stuck {n}", books=[]) for n in range(3)]
    publish(kafka_bootstrap, topic, [as_tuple(event) for event in events])
    recorder = Recorder()
    consumer = Consumer(group_id=f"stall-{topic}", handlers={SEARCH_PERFORMED: recorder})
    # What a broken group membership looks like from the loop: polls that bring nothing.
    consumer.consumer.subscribe([f"{topic}.dlq"])
    try:
        assert consumer.stalled()

        consumer.run(max_messages=3, idle_timeout=30)

        assert consumer.rebuilds == 1
        assert sorted(recorder.queries) == ["stuck 0", "stuck 1", "stuck 2"]
        assert not consumer.stalled()
    finally:
        consumer.close()


class UnreachableKafka:
    """A Kafka client during a whole-cluster outage: every question fails."""

    def partitions_for_topic(self, topic):
        raise KafkaTimeoutError("no metadata")

    def close(self, **kwargs) -> None:
        raise AssertionError("the only client must not be closed while none can replace it")


def test_during_an_outage_the_stall_check_neither_crashes_nor_drops_the_client(
    monkeypatch, settings
) -> None:
    consumer = Consumer.__new__(Consumer)
    consumer.group_id, consumer.rebuilds, consumer.topics = "g", 0, ["t"]
    consumer.consumer = old = UnreachableKafka()

    def no_broker():
        raise KafkaTimeoutError("Unable to bootstrap")

    monkeypatch.setattr(consumer, "subscribe", no_broker)

    assert consumer.stalled()
    consumer.rebuild()

    assert consumer.consumer is old
    assert consumer.rebuilds == 0


class ClusterDown:
    def poll(self, **kwargs):
        raise KafkaConnectionError("111 ECONNREFUSED")


def test_a_poll_that_cannot_reach_kafka_returns_nothing_instead_of_ending_the_consumer(
    monkeypatch,
) -> None:
    consumer = Consumer.__new__(Consumer)
    consumer.group_id, consumer.batch_size, consumer.consumer = "g", 10, ClusterDown()
    pauses: list[float] = []
    monkeypatch.setattr("events.consuming.loop.time.sleep", pauses.append)

    assert consumer.poll() == []
    assert pauses == [1]


def test_events_of_types_without_a_handler_are_skipped_and_committed_not_dead_lettered(
    db, kafka_bootstrap, topic, consume
) -> None:
    search = search_event(query="handled", books=[])
    viewed = encode(book_event(BOOK_VIEWED, {**EMMA, "id": 3}))
    _, value, headers = as_tuple(search_event(query="from the future", books=[]))
    unknown = [(n, b"com.example.order.placed.v2" if n == "ce_type" else v) for n, v in headers]
    publish(
        kafka_bootstrap,
        topic,
        [(viewed.key, viewed.value, viewed.headers), (b"x", value, unknown), as_tuple(search)],
    )
    recorder = Recorder()

    stats = consume(recorder, 3, group_id="skipping-group")

    assert recorder.queries == ["handled"]
    assert (stats.applied, stats.skipped, stats.dead_lettered) == (1, 2, 0)
    assert read_topic(f"{topic}.dlq", 0, timeout=2) == []
    # Committed past: the group's next run finds nothing left to read.
    again = Consumer(group_id="skipping-group", handlers={SEARCH_PERFORMED: Recorder()})
    try:
        assert again.run(max_messages=1, idle_timeout=3).seen == 0
    finally:
        again.close()
