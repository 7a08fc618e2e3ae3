"""How far each consumer group is behind, and how full the dead-letter topics are, as Kafka
tells it: for the consumers' own metrics, `check_workers` and the pipeline page."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kafka import KafkaAdminClient, TopicPartition
from kafka.admin import OffsetSpec

from events.kafka import dead_letter_topic


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    end: int
    # None while the group has committed nothing there: it will start from the earliest record.
    committed: int | None
    lag: int


@dataclass(frozen=True)
class KafkaState:
    # Per group, per partition of the topics it reads.
    lags: dict[str, list[PartitionLag]]
    # Messages retained per dead-letter topic.
    dead_letters: dict[str, int]


def read_kafka_state(
    admin: KafkaAdminClient, *, topics_by_group: Mapping[str, Sequence[str]]
) -> KafkaState:
    """Lag per partition of each group, and the size of their topics' DLQs; raises KafkaError
    when Kafka does not answer within the admin client's timeout."""
    topics = sorted({topic for group_topics in topics_by_group.values() for topic in group_topics})
    dlqs = [dead_letter_topic(topic) for topic in topics]
    partitions = _partitions(admin, [*topics, *dlqs])
    ends = _offsets(admin, partitions, OffsetSpec.LATEST)
    starts = _offsets(admin, partitions, OffsetSpec.EARLIEST)
    committed = admin.list_group_offsets(dict.fromkeys(topics_by_group))
    lags = {
        group: [
            partition_lag(tp, end=ends[tp], start=starts[tp], committed=committed[group].get(tp))
            for tp in partitions
            if tp.topic in group_topics
        ]
        for group, group_topics in topics_by_group.items()
    }
    dead_letters = {
        dlq: sum(ends[tp] - starts[tp] for tp in partitions if tp.topic == dlq) for dlq in dlqs
    }
    return KafkaState(lags=lags, dead_letters=dead_letters)


def partition_lag(tp: TopicPartition, *, end: int, start: int, committed) -> PartitionLag:
    """`committed` is the group's OffsetAndMetadata, or None; Kafka says -1 for "none"."""
    offset = committed.offset if committed is not None and committed.offset >= 0 else None
    # Records before `start` are gone (retention): a group cannot be behind by those.
    lag = end - max(offset if offset is not None else start, start)
    return PartitionLag(tp.topic, tp.partition, end, offset, max(lag, 0))


def _partitions(admin: KafkaAdminClient, topics: list[str]) -> list[TopicPartition]:
    # A topic not created yet has no partitions (and no lag): not an error here.
    return sorted(
        TopicPartition(topic["name"], partition["partition_index"])
        for topic in admin.describe_topics(topics)
        if not topic["error_code"]
        for partition in topic["partitions"]
    )


def _offsets(
    admin: KafkaAdminClient, partitions: list[TopicPartition], spec: OffsetSpec
) -> dict[TopicPartition, int]:
    if not partitions:
        return {}
    answers = admin.list_partition_offsets(dict.fromkeys(partitions, spec))
    return {tp: answer.offset for tp, answer in answers.items()}
