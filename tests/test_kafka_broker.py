"""The local broker that `make services` starts works end to end with kafka-python."""

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic


def test_a_message_produced_to_the_broker_is_consumed_back(kafka_bootstrap, new_topic_name) -> None:
    topic = new_topic_name()
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    producer.send(topic, key=b"kafka", value=b'[{"id": 1}]').get(timeout=30)
    producer.close()

    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=15000,
    )
    message = next(consumer)
    consumer.close()

    assert (message.key, message.value) == (b"kafka", b'[{"id": 1}]')
