"""Copying the records a consumer cannot apply to their topic's dead-letter topic."""

import logging

from kafka.errors import KafkaError

from events.kafka import ReplaceableProducer, dead_letter_topic

logger = logging.getLogger(__name__)


class DeadLetters:
    def __init__(self, *, group_id: str) -> None:
        self.group_id = group_id
        self.producer = ReplaceableProducer()

    def send(self, rejected: list) -> None:
        """Copy (record, error) pairs to the DLQ, waiting for Kafka's ack before going on. A
        producer that failed to deliver is replaced, and the caller retries the batch."""
        producer = self.producer.get()
        futures = []
        for record, error in rejected:
            logger.warning(
                "Event at %s/%d@%d sent to the DLQ: %s",
                record.topic,
                record.partition,
                record.offset,
                error,
            )
            headers = [
                # A header without a value (one reason to be here) cannot be sent as None.
                *((name, value or b"") for name, value in record.headers or ()),
                ("dlq_error", str(error).encode()),
                ("dlq_source_topic", record.topic.encode()),
                ("dlq_source_partition", str(record.partition).encode()),
                ("dlq_source_offset", str(record.offset).encode()),
                ("dlq_consumer_group", self.group_id.encode()),
            ]
            futures.append(
                producer.send(
                    dead_letter_topic(record.topic),
                    key=record.key,
                    value=record.value,
                    headers=headers,
                )
            )
        try:
            for future in futures:
                future.get(timeout=30)
        except KafkaError as exc:
            self.producer.discard(exc)
            raise

    def close(self) -> None:
        self.producer.close(timeout=10)
