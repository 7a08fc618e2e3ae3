import dataclasses

import pytest

from events import registry
from events.checks import check_event_types, check_kafka_settings


def error_ids(settings) -> list[str]:
    return [error.id for error in check_kafka_settings(None)]


def test_default_kafka_settings_pass(settings) -> None:
    assert error_ids(settings) == []


@pytest.mark.parametrize("servers", [[], ["localhost"], ["localhost:notaport"], ["host:70000"]])
def test_bad_bootstrap_servers_are_rejected(settings, servers) -> None:
    settings.KAFKA_BOOTSTRAP_SERVERS = servers

    assert error_ids(settings) == ["events.E001"]


@pytest.mark.parametrize("setting", ["KAFKA_TOPIC", "KAFKA_BOOK_CHANGES_TOPIC"])
@pytest.mark.parametrize("topic", ["", "has space", "x" * 246, "..", "ümlaut"])
def test_bad_topic_names_are_rejected(settings, setting, topic) -> None:
    setattr(settings, setting, topic)

    assert error_ids(settings) == ["events.E002"]


def test_every_registered_schema_is_usable() -> None:
    assert check_event_types(None) == []


def test_an_event_type_whose_schema_is_missing_is_rejected(monkeypatch) -> None:
    viewed = registry.get("com.event-books.book.viewed.v1")
    broken = dataclasses.replace(viewed, name="com.example.broken.v1", schema="gone.schema.json")
    monkeypatch.setitem(registry._types, broken.name, broken)

    [error] = check_event_types(None)

    assert error.id == "events.E009"
    assert "com.example.broken.v1" in error.msg
    assert "gone.schema.json" in error.msg


def test_unknown_delivery_mode_is_rejected(settings) -> None:
    settings.EVENTS_DELIVERY = "carrier-pigeon"

    assert error_ids(settings) == ["events.E003"]


def test_retention_below_an_hour_is_rejected(settings) -> None:
    settings.EVENTS_RETENTION_HOURS = 0

    assert error_ids(settings) == ["events.E004"]
