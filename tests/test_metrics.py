"""Prometheus metrics: who may read them, and that the outbox, relay and consumer series move
as a search walks through the real MariaDB and Kafka."""

import socket
import urllib.error
import urllib.request

import pytest
from kafka import KafkaProducer
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from bookstore_site.metrics import access_allowed
from events.consuming import Consumer
from events.types.search_performed import SEARCH_PERFORMED
from tests.helpers import fill_outbox, manage_py, manage_py_process, wait_until
from trends.handlers import HANDLERS as TREND_HANDLERS


def series(name: str, **labels: str) -> tuple[str, frozenset]:
    return name, frozenset(labels.items())


def scrape(client, **headers) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200
    return parse(response.content.decode())


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize(
    ("remote_addr", "authorization", "allowed"),
    [
        ("127.0.0.1", "", True),
        ("::1", "", True),
        ("203.0.113.9", "", False),
        ("203.0.113.9", "Bearer s3cret", True),
        ("203.0.113.9", "Bearer wrong", False),
        ("203.0.113.9", "Bearer ", False),
        ("203.0.113.9", "s3cret", False),
    ],
)
def test_metrics_answer_allowed_addresses_and_the_bearer_token_only(
    settings, remote_addr, authorization, allowed
) -> None:
    settings.METRICS_TOKEN = "s3cret"

    assert access_allowed(remote_addr=remote_addr, authorization=authorization) is allowed


def test_without_a_token_set_no_bearer_header_opens_the_metrics(settings) -> None:
    settings.METRICS_TOKEN = ""

    assert not access_allowed(remote_addr="203.0.113.9", authorization="Bearer ")


@pytest.mark.parametrize("header", ["HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP"])
def test_a_request_through_a_proxy_needs_the_token_even_from_loopback(
    client, db, settings, header
) -> None:
    settings.METRICS_TOKEN = "s3cret"
    proxied = {"REMOTE_ADDR": "127.0.0.1", header: "203.0.113.9"}

    assert client.get("/metrics", **proxied).status_code == 404
    assert client.get("/metrics", **proxied, HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200


def test_metrics_are_not_found_from_a_public_address(client, db, settings) -> None:
    settings.METRICS_TOKEN = "s3cret"

    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
    assert (
        client.get(
            "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret"
        ).status_code
        == 200
    )


def test_a_search_moves_the_written_pending_and_relay_series(
    client, event_topics, relay, transactional_db
) -> None:
    written = series("events_written_total", type=SEARCH_PERFORMED, delivery="outbox")
    pending = series("events_outbox_pending", type=SEARCH_PERFORMED)
    before = scrape(client)
    published_before = value("events_relay_published_total")

    assert client.get("/", {"q": "metrics"}).status_code == 200
    after_search = scrape(client)
    relay.drain()
    after_relay = scrape(client)

    assert after_search[written] == before.get(written, 0) + 1
    assert after_search[series("bookstore_searches_total", found="no")] >= 1
    assert after_search[pending] == 1
    assert after_search[series("events_outbox_oldest_pending_seconds", type=SEARCH_PERFORMED)] >= 0
    assert after_relay[pending] == 0
    assert value("events_relay_published_total") == published_before + 1
    assert value("events_relay_batch_seconds_count") >= 1


def test_the_consumer_counts_outcomes_per_type_and_reports_its_lag_and_dead_letters(
    client, event_topics, relay, kafka_bootstrap, transactional_db
) -> None:
    group = "metrics-trends"
    client.get("/", {"q": "lag"})
    client.get("/", {"q": "lag again"})
    relay.drain()
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    producer.send(event_topics["KAFKA_TOPIC"], key=b"x", value=b"not an event")
    producer.flush()
    producer.close()

    consumer = Consumer(group_id=group, handlers=TREND_HANDLERS)
    try:
        consumer.run(max_messages=3, idle_timeout=30)
        consumer.report_lag()
    finally:
        consumer.close()

    searches = event_topics["KAFKA_TOPIC"]
    assert (
        value("events_consumed_total", group=group, type=SEARCH_PERFORMED, outcome="applied") == 2
    )
    assert value("events_consumed_total", group=group, type="unknown", outcome="dead_lettered") == 1
    assert value("events_consumer_batch_seconds_count", group=group) >= 1
    lags = [
        value("events_consumer_lag", group=group, topic=searches, partition=str(n))
        for n in range(3)
    ]
    assert lags == [0, 0, 0]
    assert value("events_dlq_messages", topic=f"{searches}.dlq") == 1
    assert consumer.lag == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, **headers: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except OSError:  # not listening yet
        return 0, ""


def test_a_worker_serves_its_own_metrics_on_its_port_to_the_token_only(
    event_topics, manage_py_env, tmp_path
) -> None:
    port = free_port()
    env = manage_py_env(
        METRICS_ALLOWED_IPS="192.0.2.1",
        METRICS_TOKEN="s3cret",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
    )
    relay = manage_py_process("relay_events", "--metrics-port", str(port), env=env)
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        assert wait_until(lambda: fetch(url)[0] == 404, timeout=30, interval=0.2)
        status, text = fetch(url, Authorization="Bearer s3cret")
    finally:
        relay.terminate()
        relay.communicate(timeout=30)

    assert status == 200
    assert "events_relay_published_total" in text
    assert relay.returncode == 0


def test_a_busy_metrics_port_is_a_clear_error(event_topics, manage_py_env) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        relay = manage_py_process(
            "relay_events", "--once", "--metrics-port", str(port), env=manage_py_env()
        )
        _, stderr = relay.communicate(timeout=60)

    assert relay.returncode == 1
    assert f"Cannot serve metrics on 127.0.0.1:{port}" in stderr


def test_the_sites_metrics_sum_the_series_the_relay_process_wrote_to_the_shared_folder(
    client, event_topics, manage_py_env, tmp_path, monkeypatch
) -> None:
    fill_outbox(2)

    relay = manage_py(
        "relay_events", "--once", env=manage_py_env(PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    )
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape(client)

    assert relay.returncode == 0, relay.stderr
    assert samples[series("events_relay_published_total")] == 2
    assert samples[series("events_outbox_pending", type=SEARCH_PERFORMED)] == 0
