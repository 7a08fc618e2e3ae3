"""Replaying dead letters to the topics they came from, once the bug that put them there is fixed.

A replayed message is the original one (key, value, CloudEvents headers, so its ce_id too): a
group that did apply it skips it by ce_id, the groups that dead-lettered it apply it now.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

from events import registry
from events.consuming.reading import read_spans, retained_spans
from events.kafka import DEAD_LETTER_SUFFIX, dead_letter_topic
from events.registry import EventType

DLQ_HEADER_PREFIX = "dlq_"
ACK_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class DeadLetter:
    """A record of a dead-letter topic, as `events.consuming.dead_letter` wrote it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]

    @classmethod
    def from_record(cls, record) -> "DeadLetter":
        return cls(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value,
            headers=[(name, value or b"") for name, value in record.headers or ()],
        )

    def header(self, name: str) -> str:
        # Lenient: a message may be here because its headers were not UTF-8.
        return next((raw.decode(errors="replace") for key, raw in self.headers if key == name), "")

    @property
    def source_topic(self) -> str:
        return self.header("dlq_source_topic") or self.topic.removesuffix(DEAD_LETTER_SUFFIX)

    @property
    def replay_headers(self) -> list[tuple[str, bytes]]:
        """The original message's headers: those the dead-lettering added are dropped."""
        return [(name, raw) for name, raw in self.headers if not name.startswith(DLQ_HEADER_PREFIX)]


@dataclass(frozen=True)
class LetterFilter:
    """Which dead letters to replay: of one event type (any of its names), and/or whose
    dlq_error contains `error`."""

    event_type: EventType | None = None
    error: str | None = None

    def matches(self, letter: DeadLetter) -> bool:
        if self.error is not None and self.error not in letter.header("dlq_error"):
            return False
        return self.event_type is None or _type_named(letter.header("ce_type")) is self.event_type


def _type_named(name: str) -> EventType | None:
    try:
        return registry.get(name)
    except KeyError:
        return None


def dead_letter_topics(topics: list[str] | None = None) -> list[str]:
    """The DLQs of `topics` (source or DLQ names), by default of every registered type's topic."""
    return [
        topic if topic.endswith(DEAD_LETTER_SUFFIX) else dead_letter_topic(topic)
        for topic in topics or registry.topics()
    ]


@dataclass
class ReplayResult:
    read: int = 0
    matched: int = 0
    # Replayed messages acknowledged by Kafka, by the topic they went back to.
    replayed: Counter = field(default_factory=Counter)


class ReplayFailed(Exception):
    """Kafka did not acknowledge a replayed message; `result` says what was replayed before."""

    def __init__(self, error: KafkaError, result: ReplayResult) -> None:
        super().__init__(str(error))
        self.result = result


def replay_dead_letters(
    *,
    reader: KafkaConsumer,
    producer: KafkaProducer | None,
    topics: list[str],
    letter_filter: LetterFilter,
    partition: int | None = None,
    from_offset: int | None = None,
    to_offset: int | None = None,
    batch_size: int = 500,
    on_match: Callable[[DeadLetter], None] = lambda letter: None,
) -> ReplayResult:
    """Publish the dead letters of the DLQ `topics` that pass `letter_filter` (and lie in the
    given partition and offsets) back to their source topics, waiting for Kafka's acks after
    each batch; with no `producer` (a dry run) only report them to `on_match`. Reads up to
    the end offsets taken at the start, so what a consumer dead-letters again meanwhile waits
    for the next run."""
    spans = retained_spans(
        reader, topics=topics, partition=partition, from_offset=from_offset, to_offset=to_offset
    )
    result = ReplayResult()
    for records in read_spans(reader, spans=spans, batch_size=batch_size):
        letters = [DeadLetter.from_record(record) for record in records]
        matching = [letter for letter in letters if letter_filter.matches(letter)]
        result.read += len(letters)
        result.matched += len(matching)
        for letter in matching:
            on_match(letter)
        if producer is not None:
            _republish(producer, matching, result)
    return result


def _republish(producer: KafkaProducer, letters: list[DeadLetter], result: ReplayResult) -> None:
    try:
        sent = [
            (
                letter,
                producer.send(
                    letter.source_topic,
                    key=letter.key,
                    value=letter.value,
                    headers=letter.replay_headers,
                ),
            )
            for letter in letters
        ]
        for letter, future in sent:
            future.get(timeout=ACK_TIMEOUT_SECONDS)
            result.replayed[letter.source_topic] += 1
    except KafkaError as exc:
        raise ReplayFailed(exc, result) from exc
