"""How events leave the web process: by `EVENTS_DELIVERY`, and always through the outbox for
the types that record a write (`EventType.lossless`)."""

import atexit
import logging
import os
import queue
import threading
import time

from django.conf import settings
from django.db import transaction
from kafka.errors import KafkaConnectionError, KafkaError

from events.envelope import Event, KafkaMessage
from events.kafka import ReplaceableProducer, new_producer
from events.metrics import EVENTS_WRITTEN
from events.models import OutboxEvent
from events.registry import EventType, encode

logger = logging.getLogger(__name__)

DELIVERY_MODES = ("outbox", "direct", "off")
# While Kafka cannot be reached, the direct sender fails events at once for this long instead
# of waiting out a connection attempt for each.
RECONNECT_PAUSE_SECONDS = 5
# Rows per INSERT of a bulk import's events: well under max_allowed_packet for long descriptions.
OUTBOX_INSERT_SIZE = 500


def deliver(event_type: EventType, events: list[Event]) -> None:
    mode = settings.EVENTS_DELIVERY
    if mode == "off" or not events:
        return
    if mode == "outbox" or event_type.lossless:
        # In the caller's transaction: the write and its events commit together, or neither.
        write_to_outbox(events)
        mode = "outbox"
    else:
        messages = [encode(event) for event in events]
        # Only what the database kept is announced; a rolled-back request sends nothing.
        transaction.on_commit(lambda: [direct_sender().submit(message) for message in messages])
    # Counted once the transaction commits: a rolled-back write wrote no event.
    written = EVENTS_WRITTEN.labels(event_type.name, mode)
    transaction.on_commit(lambda: written.inc(len(events)))


def outbox_row(event: Event) -> OutboxEvent:
    """The unsaved outbox row that publishes `event` to its type's topic."""
    message = encode(event)
    return OutboxEvent(
        event_type=event.type,
        topic=message.topic,
        key=message.key,
        value=message.value,
        headers=[[name, raw.decode()] for name, raw in message.headers],
    )


def write_to_outbox(events: list[Event]) -> list[OutboxEvent]:
    """One INSERT for all of `events` (a bulk import's batch: one per 500)."""
    rows = [outbox_row(event) for event in events]
    if len(rows) == 1:
        # A search's one row: a plain INSERT, without the BEGIN and COMMIT bulk_create adds.
        rows[0].save(force_insert=True)
        return rows
    return OutboxEvent.objects.bulk_create(rows, batch_size=OUTBOX_INSERT_SIZE)


class DirectSender:
    """Sends from a background thread so that a request never waits on Kafka.

    The queue is bounded: while Kafka is away the newest events are dropped and logged
    rather than piling up in memory. That loss is what the `outbox` mode exists to avoid.
    """

    def __init__(self, *, max_queued: int = 10_000) -> None:
        self._queue: queue.Queue[KafkaMessage] = queue.Queue(maxsize=max_queued)
        self._closing = threading.Event()
        self._undelivered = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kafka-direct-sender", daemon=True)
        self._thread.start()

    def submit(self, message: KafkaMessage) -> None:
        try:
            self._queue.put_nowait(message)
        except queue.Full:
            logger.warning("Event dropped: %d events already wait for Kafka", self._queue.qsize())

    def close(self, timeout: float = 5.0) -> None:
        """Send what is queued within `timeout`; the rest is dropped (direct mode may lose)."""
        self._closing.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        producer = ReplaceableProducer(lambda: new_producer(max_block_ms=5000))
        reconnect_at = 0.0
        while not (self._closing.is_set() and self._queue.empty()):
            try:
                message = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if self._undelivered.is_set():
                # A send failed since the last message: this producer may never deliver again.
                self._undelivered.clear()
                producer.discard("a direct event was not acknowledged")
            try:
                if time.monotonic() < reconnect_at:
                    raise KafkaConnectionError("Kafka was unreachable moments ago")
                try:
                    kafka = producer.get()
                except KafkaError:
                    reconnect_at = time.monotonic() + RECONNECT_PAUSE_SECONDS
                    raise
                future = kafka.send(
                    message.topic,
                    key=message.key,
                    value=message.value,
                    headers=message.headers,
                )
                future.add_errback(self._on_error)
            except Exception as exc:  # the broker's absence must not end the thread
                self._on_error(exc)
        producer.close(timeout=5)

    def _on_error(self, exc: BaseException) -> None:
        # Called on the producer's own thread for a failed send: only flag it here.
        self._undelivered.set()
        logger.warning("Event lost, Kafka did not take it: %s", exc)


_sender: DirectSender | None = None
_sender_pid: int | None = None
_sender_lock = threading.Lock()


def direct_sender() -> DirectSender:
    """This process's sender, started on first use, so pre-fork servers get one per worker."""
    global _sender, _sender_pid
    with _sender_lock:
        if _sender is None or _sender_pid != os.getpid():
            _sender, _sender_pid = DirectSender(), os.getpid()
            atexit.register(_sender.close)
        return _sender
