"""A producer that failed to deliver is replaced, wherever it is used: the relay, the direct
sender, the consumers' DLQ. Fake producers script the failures here; tests/test_kafka_outage.py
proves the same against a broker that is really killed."""

import datetime

import pytest
from django.utils import timezone
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError

from events.consuming.dead_letter import DeadLetters
from events.delivery import DirectSender
from events.kafka import ReplaceableProducer
from events.models import OutboxEvent
from events.registry import encode
from events.relay import RETRY_BASE_SECONDS, Relay
from events.types.search_performed import search_event
from tests.helpers import fill_outbox, wait_until


class FakeFuture:
    def __init__(self, error: BaseException | None) -> None:
        self.exception = error

    def succeeded(self) -> bool:
        return self.exception is None

    def get(self, timeout: float) -> None:
        if self.exception is not None:
            raise self.exception

    def add_callback(self, callback) -> None:
        if self.exception is None:
            callback(None)

    def add_errback(self, errback) -> None:
        if self.exception is not None:
            errback(self.exception)


class FakeProducer:
    """Acknowledges every send, or fails every one with `error`."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error
        self.sent: list[bytes] = []
        self.closed_with: float | None = None

    def send(self, topic, *, key, value, headers) -> FakeFuture:
        self.sent.append(key)
        self.headers = headers
        return FakeFuture(self.error)

    def flush(self, timeout: float) -> None:
        pass

    def close(self, timeout: float) -> None:
        self.closed_with = timeout


def producers(*fakes: FakeProducer) -> ReplaceableProducer:
    """A ReplaceableProducer that hands out `fakes` one after another."""
    queue = list(fakes)
    return ReplaceableProducer(lambda: queue.pop(0))


def test_discarding_closes_the_producer_at_once_and_the_next_get_builds_a_new_one() -> None:
    broken, fresh = FakeProducer(), FakeProducer()
    slot = producers(broken, fresh)

    assert slot.get() is broken
    assert slot.get() is broken
    slot.discard(KafkaTimeoutError("no ack"))

    assert broken.closed_with == 0
    assert slot.get() is fresh
    assert slot.replacements == 1


def test_relay_records_unacknowledged_rows_replaces_its_producer_and_publishes_next_time(
    db,
) -> None:
    fill_outbox(3)
    broken, fresh = FakeProducer(KafkaTimeoutError("no ack in time")), FakeProducer()
    relay = Relay(producers(broken, fresh), respect_backoff=False)

    first = relay.publish_batch()

    assert (first.claimed, first.published) == (3, 0)
    rows = list(OutboxEvent.objects.all())
    assert [row.attempts for row in rows] == [1, 1, 1]
    assert all(row.last_error.startswith("KafkaTimeoutError") for row in rows)
    assert broken.closed_with == 0

    second = relay.publish_batch()

    assert (second.claimed, second.published) == (3, 3)
    assert len(fresh.sent) == 3
    assert not OutboxEvent.objects.pending().exists()


def test_a_passing_failure_makes_the_row_due_again_after_the_base_delay(db) -> None:
    fill_outbox(1)
    before = timezone.now()

    Relay(producers(FakeProducer(KafkaTimeoutError("no ack in time")))).publish_batch()

    row = OutboxEvent.objects.get()
    assert row.next_attempt_at >= before + datetime.timedelta(seconds=RETRY_BASE_SECONDS)
    assert row.next_attempt_at < timezone.now() + datetime.timedelta(seconds=2)
    assert not OutboxEvent.objects.due().exists()


def test_a_row_kafka_refuses_backs_off_exponentially(db) -> None:
    fill_outbox(1)
    OutboxEvent.objects.update(attempts=3)
    before = timezone.now()

    Relay(producers(FakeProducer(MessageSizeTooLargeError("too big")))).publish_batch()

    row = OutboxEvent.objects.get()
    assert row.attempts == 4
    assert row.next_attempt_at >= before + datetime.timedelta(seconds=8)


def test_a_stuck_relay_says_so_at_error_and_then_its_recovery(monkeypatch, caplog) -> None:
    relay = Relay(producers())
    clock = iter([0.0, 31.0, 40.0])
    monkeypatch.setattr("events.relay.time.monotonic", lambda: next(clock))

    relay.note_failure(KafkaTimeoutError("no ack"))
    relay.note_failure(KafkaTimeoutError("no ack"))
    relay.note_success()

    assert [(record.levelname, record.getMessage()) for record in caplog.records] == [
        ("WARNING", "Relay cannot publish (KafkaTimeoutError: no ack); retrying"),
        (
            "ERROR",
            "Relay has published nothing for 31 s: KafkaTimeoutError: no ack. Events wait in "
            "the outbox; is Kafka reachable?",
        ),
        ("WARNING", "Relay publishing again after 40 s"),
    ]


def test_direct_sender_replaces_a_producer_whose_send_failed(monkeypatch) -> None:
    broken, fresh = FakeProducer(KafkaTimeoutError("expired")), FakeProducer()
    queue = [broken, fresh]
    monkeypatch.setattr("events.delivery.new_producer", lambda **_: queue.pop(0))
    sender = DirectSender()

    sender.submit(encode(search_event(query="first", books=[])))
    assert wait_until(lambda: broken.sent, timeout=5)
    sender.submit(encode(search_event(query="second", books=[])))
    assert wait_until(lambda: fresh.sent, timeout=5)
    sender.close(timeout=5)

    assert broken.closed_with == 0
    assert fresh.sent == [b"second"]


class Record:
    topic, partition, offset, key, value, headers = "t", 0, 7, b"k", b"v", []


def test_dead_letter_replaces_a_producer_that_did_not_acknowledge_and_fails_the_batch() -> None:
    broken, fresh = FakeProducer(KafkaTimeoutError("no ack")), FakeProducer()
    dead_letters = DeadLetters(group_id="g")
    dead_letters.producer = producers(broken, fresh)

    with pytest.raises(KafkaTimeoutError):
        dead_letters.send([(Record(), ValueError("bad"))])
    dead_letters.send([(Record(), ValueError("bad"))])

    assert broken.closed_with == 0
    assert fresh.sent == [b"k"]


def test_a_record_with_a_header_without_a_value_is_dead_lettered_not_a_crash() -> None:
    producer = FakeProducer()
    dead_letters = DeadLetters(group_id="g")
    dead_letters.producer = producers(producer)
    record = Record()
    record.headers = [("ce_id", None)]

    dead_letters.send([(record, ValueError("unreadable headers"))])

    assert producer.sent == [b"k"]
    assert ("ce_id", b"") in producer.headers
