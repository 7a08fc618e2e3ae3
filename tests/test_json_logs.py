"""With LOG_FORMAT=json every log line is a JSON object, and the relay's and the consumers'
one line per batch carries its figures as fields; plain text stays the default."""

import json
import uuid

from tests.helpers import fill_outbox, manage_py


def json_lines(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines() if line.strip()]


def test_the_relay_and_a_consumer_log_one_json_object_per_batch(
    event_topics, manage_py_env
) -> None:
    fill_outbox(3)
    env = manage_py_env(LOG_FORMAT="json")
    group = f"json-logs-{uuid.uuid4().hex[:8]}"

    relay = manage_py("relay_events", "--once", env=env)
    consumer = manage_py("consume_trends", "--group", group, "--max-messages", "3", env=env)

    assert relay.returncode == 0, relay.stderr
    assert consumer.returncode == 0, consumer.stderr
    relay_batches = [line for line in json_lines(relay.stderr) if line.get("batch") == "relay"]
    consumer_batches = [
        line for line in json_lines(consumer.stderr) if line.get("batch") == "consumer"
    ]
    assert sum(line["published"] for line in relay_batches) == 3
    assert all(line["failed"] == 0 and line["duration_ms"] >= 0 for line in relay_batches)
    assert relay_batches[0]["level"] == "INFO"
    assert relay_batches[0]["logger"] == "events.relay"
    assert {"time", "message"} <= relay_batches[0].keys()
    assert sum(line["applied"] for line in consumer_batches) == 3
    assert {line["group"] for line in consumer_batches} == {group}
    assert {"records", "duplicates", "skipped", "dead_lettered", "duration_ms", "lag"} <= (
        consumer_batches[0].keys()
    )


def test_plain_text_is_the_default(event_topics, manage_py_env) -> None:
    fill_outbox(2)

    relay = manage_py("relay_events", "--once", env=manage_py_env())

    assert relay.returncode == 0, relay.stderr
    assert " INFO events.relay: Published 2 of 2 events in " in relay.stderr
