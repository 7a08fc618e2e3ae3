"""Reading a stretch of what topics retain with a group-less reader, up to the end offsets
taken when the read began, so that the read ends while producers go on writing: what
`replay_dlq` and `rebuild_view` read."""

import time
from collections.abc import Iterator
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaTimeoutError

OFFSETS_TIMEOUT_MS = 10_000
# A read that gets nothing this long while records remain below the end offsets gives up
# rather than hang: the broker went away, or the records were deleted under it.
IDLE_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Span:
    """The offsets of one partition to read: from `start` up to `end`, excluded."""

    partition: TopicPartition
    start: int
    end: int

    @property
    def size(self) -> int:
        return max(0, self.end - self.start)


def retained_spans(
    reader: KafkaConsumer,
    *,
    topics: list[str],
    partition: int | None = None,
    from_offset: int | None = None,
    to_offset: int | None = None,
) -> list[Span]:
    """What `topics` retain now, per partition, narrowed to one partition and to offsets
    `from_offset`..`to_offset` (inclusive) when given. The end offsets are today's, so that a
    read of the spans ends even while producers go on writing."""
    partitions = [
        TopicPartition(topic, number)
        for topic in topics
        for number in sorted(reader.partitions_for_topic(topic))
        if partition is None or number == partition
    ]
    if not partitions:
        return []
    beginnings = reader.beginning_offsets(partitions, timeout_ms=OFFSETS_TIMEOUT_MS)
    ends = reader.end_offsets(partitions, timeout_ms=OFFSETS_TIMEOUT_MS)
    return [
        Span(
            partition=tp,
            start=max(beginnings[tp], from_offset or 0),
            end=ends[tp] if to_offset is None else min(ends[tp], to_offset + 1),
        )
        for tp in partitions
    ]


def read_spans(reader: KafkaConsumer, *, spans: list[Span], batch_size: int) -> Iterator[list]:
    """The records of `spans`, a poll's worth at a time, in offset order per partition."""
    remaining = {span.partition: span for span in spans if span.size}
    reader.assign(list(remaining))
    for span in remaining.values():
        reader.seek(span.partition, span.start)
    last_progress = time.monotonic()
    while remaining:
        polled = reader.poll(timeout_ms=500, max_records=batch_size)
        records = [
            record
            for tp, batch in polled.items()
            if tp in remaining
            for record in batch
            if record.offset < remaining[tp].end
        ]
        for tp in list(remaining):
            if reader.position(tp) >= remaining[tp].end:
                del remaining[tp]
                reader.pause(tp)
        if records:
            last_progress = time.monotonic()
            yield records
        elif time.monotonic() - last_progress > IDLE_TIMEOUT_SECONDS:
            raise KafkaTimeoutError(
                f"no records for {IDLE_TIMEOUT_SECONDS} s while {len(remaining)} partition(s) "
                "had some left to read"
            )
