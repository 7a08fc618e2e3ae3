import time

import pytest
from django.core.management import CommandError, call_command
from kafka.admin import KafkaAdminClient

from events.management.commands.create_topic import min_insync_replicas


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("create_topic", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def topic_to_create(new_topic_name, settings) -> str:
    settings.KAFKA_TOPIC = new_topic_name()
    return settings.KAFKA_TOPIC


def test_create_topic_twice_succeeds_and_says_it_exists(topic_to_create, kafka_bootstrap) -> None:
    first = run("--partitions", "2", "--config", "retention.ms=3600000")
    second = run()

    assert f"Created topic {topic_to_create} with 2 partitions" in first
    assert f"Created topic {topic_to_create}.dlq" in first
    assert f"Topic {topic_to_create} already exists" in second
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    [description] = admin.describe_topics([topic_to_create])
    admin.close()
    assert len(description["partitions"]) == 2


def test_replication_follows_the_cluster_size_and_min_insync_leaves_one_replica_spare(
    topic_to_create,
) -> None:
    created = run()

    # The shared broker is a single node: RF 1; the fault suite creates RF 3 on its cluster.
    assert "replication factor 1, min.insync.replicas 1" in created


@pytest.mark.parametrize(("factor", "min_insync"), [(1, 1), (2, 1), (3, 2), (5, 4)])
def test_min_insync_replicas_is_one_less_than_the_replication_factor(factor, min_insync) -> None:
    assert min_insync_replicas(factor) == min_insync


def test_describe_shows_partitions_and_configs(topic_to_create) -> None:
    run("--config", "retention.ms=3600000")

    described = run("--describe")

    assert f"{topic_to_create}: 3 partitions" in described
    assert "'retention.ms': '3600000'" in described


def test_bad_config_pair_is_a_clear_error(topic_to_create) -> None:
    with pytest.raises(CommandError, match="KEY=VALUE"):
        run("--config", "retention.ms")


def test_unreachable_broker_fails_fast_naming_the_servers(settings) -> None:
    settings.KAFKA_BOOTSTRAP_SERVERS = ["127.0.0.1:1"]

    started = time.monotonic()
    with pytest.raises(CommandError, match=r"Cannot reach Kafka at 127\.0\.0\.1:1"):
        run("--timeout", "2")

    assert time.monotonic() - started < 15
