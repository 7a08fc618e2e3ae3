"""Kafka as a managed service runs it: SASL (PLAIN, SCRAM-SHA-256/512) over TLS with a CA file and
optionally a client certificate. The relay and a consumer run through the SASL_SSL listener of a
broker of the test's own; a wrong password is a clear error within seconds."""

import time

from django.test import Client

from events.models import OutboxEvent
from tests.helpers import manage_py, manage_py_process
from trends.models import TrendingQuery


def sasl_env(private_kafka, manage_py_env, *, mechanism: str, password: str = "bookstore-secret"):
    return manage_py_env(
        KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{private_kafka.sasl_port}",
        KAFKA_SECURITY_PROTOCOL="SASL_SSL",
        KAFKA_SASL_MECHANISM=mechanism,
        KAFKA_SASL_USERNAME="bookstore",
        KAFKA_SASL_PASSWORD=password,
        KAFKA_SSL_CAFILE=str(private_kafka.tls_dir / "ca.pem"),
    )


def test_relay_and_consumer_work_through_sasl_ssl_with_every_mechanism(
    catalogue, make_book, private_kafka, manage_py_env
) -> None:
    # Each search finds it: a search that found nothing does not trend.
    make_book(title="Kafka security", description="SASL: PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512.")
    client = Client()
    client.get("/")  # a returning visitor: trends count its searches
    for mechanism in ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"):
        assert client.get("/", {"q": f"sasl {mechanism}"}).status_code == 200
        env = sasl_env(private_kafka, manage_py_env, mechanism=mechanism)
        relayed = manage_py("relay_events", "--once", env=env, timeout=60)
        assert relayed.returncode == 0, relayed.stderr
        assert not OutboxEvent.objects.pending().exists()

    mutual_tls = sasl_env(private_kafka, manage_py_env, mechanism="SCRAM-SHA-512") | {
        "KAFKA_SSL_CERTFILE": str(private_kafka.tls_dir / "client.pem"),
        "KAFKA_SSL_KEYFILE": str(private_kafka.tls_dir / "client.key"),
    }
    consumed = manage_py("consume_trends", "--max-messages", "3", env=mutual_tls, timeout=90)

    assert consumed.returncode == 0, consumed.stderr
    assert sorted(TrendingQuery.objects.values_list("query", "count")) == [
        ("sasl plain", 1),
        ("sasl scram-sha-256", 1),
        ("sasl scram-sha-512", 1),
    ]


def test_a_wrong_password_stops_a_relay_within_seconds_naming_the_settings(
    transactional_db, private_kafka, manage_py_env
) -> None:
    env = sasl_env(private_kafka, manage_py_env, mechanism="SCRAM-SHA-512", password="wrong")
    started = time.monotonic()
    relay = manage_py_process("relay_events", env=env)
    try:
        _, stderr = relay.communicate(timeout=30)
    finally:
        relay.kill()

    assert relay.returncode != 0
    assert "answers but refused the SASL_SSL connection" in stderr
    assert "KAFKA_SASL_PASSWORD" in stderr
    # The client's own bootstrap timeout (5 s), then the diagnosis: no waiting for a broker.
    assert time.monotonic() - started < 25
