import pytest

from events.checks import check_kafka_settings


def error_ids(settings) -> list[str]:
    return [error.id for error in check_kafka_settings(None)]


def test_default_kafka_settings_pass(settings) -> None:
    assert error_ids(settings) == []


@pytest.mark.parametrize("servers", [[], ["localhost"], ["localhost:notaport"], ["host:70000"]])
def test_bad_bootstrap_servers_are_rejected(settings, servers) -> None:
    settings.KAFKA_BOOTSTRAP_SERVERS = servers

    assert error_ids(settings) == ["events.E001"]


@pytest.mark.parametrize("topic", ["", "has space", "x" * 250, "..", "ümlaut"])
def test_bad_topic_names_are_rejected(settings, topic) -> None:
    settings.KAFKA_TOPIC = topic

    assert error_ids(settings) == ["events.E002"]


def test_unknown_delivery_mode_is_rejected(settings) -> None:
    settings.EVENTS_DELIVERY = "carrier-pigeon"

    assert error_ids(settings) == ["events.E003"]


def test_retention_below_an_hour_is_rejected(settings) -> None:
    settings.EVENTS_RETENTION_HOURS = 0

    assert error_ids(settings) == ["events.E004"]
