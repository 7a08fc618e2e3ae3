"""Every registered event type, published through the outbox and a relay to the real broker, is
what its schema file under docs/schemas/ says (with formats asserted, unlike the registry's own
lenient check) and a CloudEvent in Kafka's binary content mode by the CloudEvents Python SDK."""

import dataclasses
import datetime
import json
from pathlib import Path

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage as CloudEventsKafkaMessage
from cloudevents.core.bindings.kafka import from_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.protocols import Validator

from books.serializers import book_as_json
from events import registry
from events.delivery import write_to_outbox
from events.envelope import Event, KafkaMessage
from events.registry import SCHEMA_DIR, EventType, schema_registry
from events.types.book_changes import BOOK_ADDED, BOOK_CHANGED, BOOK_REMOVED, book_event
from events.types.book_viewed import BOOK_VIEWED
from events.types.search_performed import SEARCH_PERFORMED, search_event
from tests.helpers import EMMA, T0, read_topic

VISITOR = "cd" * 16


def strict_validator(event_type: EventType) -> Validator:
    """A validator of the type's schema that also asserts formats (date, date-time), which
    JSON Schema 2020-12 only annotates by default; `$ref`s resolve through the registry's."""
    schema = json.loads((SCHEMA_DIR / event_type.schema).read_text())
    cls = validators.validator_for(schema)
    return cls(schema, registry=schema_registry(), format_checker=FormatChecker())


def schema_errors(event_type: EventType, value: bytes) -> list[str]:
    return [
        f"{error.json_path}: {error.message}"
        for error in strict_validator(event_type).iter_errors(json.loads(value))
    ]


def as_cloudevent(key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> CloudEvent:
    """The message read by the SDK's Kafka binding, binary content mode, validated as v1.0."""
    names = [name for name, _ in headers]
    # The SDK takes headers as a dict: a repeated header would hide one of its values.
    assert len(names) == len(set(names)), names
    message = CloudEventsKafkaMessage(headers=dict(headers), key=key, value=value)
    return from_binary(message, JSONFormat(), CloudEvent)


@pytest.fixture
def published(db, make_book, event_topics, relay, settings) -> list[tuple[Event, object]]:
    """One event of every registered type, written to the outbox and relayed; each paired with
    the message read back from its topic."""
    # Saving a book announces it: off while the books are made, so only the events below go out.
    settings.EVENTS_DELIVERY = "off"
    book = book_as_json(
        make_book(
            title="Cien años de soledad",
            author="Gabriel García Márquez",
            published_at=datetime.date(1967, 5, 30),
            # Longer than events carry: the producers cut it to what the schema allows.
            description="Macondo. " * 200,
        )
    )
    other = book_as_json(make_book(title="Emma", author="Jane Austen"))
    settings.EVENTS_DELIVERY = "outbox"
    # The search as the producer builds it from the page's books.
    [search] = registry.get(SEARCH_PERFORMED).build(
        query="años", offset=10, results=[book, other], visitor_id=VISITOR
    )
    events = [
        dataclasses.replace(search, time=T0),
        book_event(BOOK_ADDED, book, time=T0 + datetime.timedelta(seconds=1)),
        book_event(BOOK_CHANGED, book, time=T0 + datetime.timedelta(seconds=2, microseconds=5)),
        book_event(BOOK_REMOVED, other, time=T0 + datetime.timedelta(seconds=3)),
        book_event(BOOK_VIEWED, book, visitor_id=VISITOR, time=T0 + datetime.timedelta(hours=1)),
    ]
    # Every registered type once: a new type fails here until it is given an event above.
    assert sorted(event.type for event in events) == sorted(
        event_type.name for event_type in registry.event_types()
    )
    write_to_outbox(events)

    result = relay.drain()

    assert (result.claimed, result.published) == (len(events), len(events))
    by_id = {}
    for setting, name in event_topics.items():
        expected = sum(registry.get(e.type).topic_setting == setting for e in events)
        messages = read_topic(name, expected)
        assert len(messages) == expected, setting
        by_id |= {dict(m.headers)["ce_id"].decode(): m for m in messages}
    return [(event, by_id[event.id]) for event in events]


def test_the_format_checker_asserts_dates_and_times() -> None:
    # Without rfc3339-validator installed, FormatChecker passes any date-time silently and the
    # schema tests below would prove nothing about created_at.
    checker = FormatChecker()

    assert not checker.conforms("2026-12-03 07:44:56", "date-time")
    assert not checker.conforms("2026-13-03T07:44:56Z", "date-time")
    assert checker.conforms("2026-12-03T07:44:56Z", "date-time")
    assert not checker.conforms("1967-02-30", "date")


@pytest.mark.parametrize("event_type", registry.event_types(), ids=lambda t: t.name)
def test_every_registered_type_has_a_schema_file_that_is_a_valid_draft_2020_12_schema(
    event_type: EventType,
) -> None:
    path: Path = SCHEMA_DIR / event_type.schema

    assert path.is_file(), f"{event_type.name}: no schema at {path}"
    schema = json.loads(path.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert validators.validator_for(schema) is Draft202012Validator
    Draft202012Validator.check_schema(schema)
    # Its $id ends in its file name, so that others can $ref it by that name.
    assert schema["$id"].endswith(f"/{event_type.schema}")


def test_every_published_value_matches_its_types_schema_with_formats_asserted(
    published,
) -> None:
    assert len(published) == 5
    for event, message in published:
        event_type = registry.get(event.type)
        assert message.topic == event_type.topic
        assert json.loads(message.value) == event.data
        assert schema_errors(event_type, message.value) == [], event.type


def test_every_published_message_is_a_binary_mode_cloudevent_for_the_sdk(published) -> None:
    for event, message in published:
        event_type = registry.get(event.type)

        cloudevent = as_cloudevent(message.key, message.value, message.headers)

        assert cloudevent.get_specversion() == "1.0"
        assert cloudevent.get_type() == event.type
        assert cloudevent.get_source() == event_type.source
        assert cloudevent.get_id() == event.id
        assert cloudevent.get_subject() == event.subject
        assert cloudevent.get_time() == event.time
        # As written, for Go's time.RFC3339 too: UTC with a "Z", which the SDK would not insist on.
        ce_time = dict(message.headers)["ce_time"].decode()
        assert ce_time.endswith("Z"), ce_time
        assert FormatChecker().conforms(ce_time, "date-time"), ce_time
        assert cloudevent.get_datacontenttype() == "application/json"
        assert cloudevent.get_data() == event.data
        assert cloudevent.get_extension("visitorid") == event.visitor_id
        # The type's own extensions, e.g. the search's resultoffset, are CloudEvents extensions.
        for name, text in event.extensions.items():
            assert cloudevent.get_extension(name) == text
        assert cloudevent.get_extension("resultoffset") == event.extensions.get("resultoffset")
        assert cloudevent.get_extension("partitionkey") == message.key.decode()


@pytest.mark.parametrize(
    ("broken", "complaint"),
    [
        ({key: value for key, value in EMMA.items() if key != "title"}, "'title' is a required"),
        ({**EMMA, "id": "7"}, "'7' is not of type 'integer'"),
        ({**EMMA, "created_at": "2026-12-03 07:44:56"}, "is not a 'date-time'"),
        ({**EMMA, "created_at": "2026-12-33T07:44:56Z"}, "is not a 'date-time'"),
        ({**EMMA, "published_at": "1815-02-30"}, "is not a 'date'"),
    ],
)
@pytest.mark.parametrize("type_name", [BOOK_ADDED, BOOK_VIEWED, SEARCH_PERFORMED])
def test_a_value_the_encoder_writes_but_the_schema_forbids_is_caught(
    type_name: str, broken: dict, complaint: str
) -> None:
    # The encoder does not validate: this check is what notices an encoder and a schema that
    # disagree. The good book passes, so the complaint is about the broken field alone.
    def encode(book: dict) -> KafkaMessage:
        if type_name == SEARCH_PERFORMED:
            return registry.encode(search_event(query="q", books=[book]))
        return registry.encode(book_event(type_name, book))

    event_type = registry.get(type_name)

    assert schema_errors(event_type, encode(EMMA).value) == []
    [error] = schema_errors(event_type, encode(broken).value)
    assert complaint in error
