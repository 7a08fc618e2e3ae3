import time
import uuid

import pytest
from django.core.management import CommandError, call_command
from kafka.admin import KafkaAdminClient


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("create_topic", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def new_topic_name(kafka_bootstrap, settings) -> str:
    settings.KAFKA_TOPIC = f"test-create-{uuid.uuid4().hex[:10]}"
    return settings.KAFKA_TOPIC


def test_create_topic_twice_succeeds_and_says_it_exists(new_topic_name, kafka_bootstrap) -> None:
    first = run("--partitions", "2", "--config", "retention.ms=3600000")
    second = run()

    assert f"Created topic {new_topic_name} with 2 partitions" in first
    assert f"Created topic {new_topic_name}.dlq" in first
    assert f"Topic {new_topic_name} already exists" in second
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    [description] = admin.describe_topics([new_topic_name])
    admin.close()
    assert len(description["partitions"]) == 2


def test_describe_shows_partitions_and_configs(new_topic_name) -> None:
    run("--config", "retention.ms=3600000")

    described = run("--describe")

    assert f"{new_topic_name}: 3 partitions" in described
    assert "'retention.ms': '3600000'" in described


def test_bad_config_pair_is_a_clear_error(new_topic_name) -> None:
    with pytest.raises(CommandError, match="KEY=VALUE"):
        run("--config", "retention.ms")


def test_unreachable_broker_fails_fast_naming_the_servers(settings) -> None:
    settings.KAFKA_BOOTSTRAP_SERVERS = ["127.0.0.1:1"]

    started = time.monotonic()
    with pytest.raises(CommandError, match=r"Cannot reach Kafka at 127\.0\.0\.1:1"):
        run("--timeout", "2")

    assert time.monotonic() - started < 15
