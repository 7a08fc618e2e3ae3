"""The registry of event types: one declaration per type, and everything else works off it.

Delivery, the relay, the consumers, `create_topic`, `watch_topic`, the outbox admin and the
system checks know event types only through this registry. A type is declared once, in its own
module under `events/types/`, and registered when `events.types` is imported (by the app's
`ready()`); the receiver that turns its signal into events is connected there too.
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from django.conf import settings
from django.dispatch import Signal
from jsonschema import validators
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource

from events.envelope import (
    Event,
    KafkaMessage,
    MalformedEvent,
    check_ids,
    check_size,
    from_message,
    read_headers,
    to_message,
)

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "docs" / "schemas"


@dataclass(frozen=True, eq=False)
class EventType:
    """How one event type is built, keyed, published and checked.

    - `name`: the CloudEvents type, ending in its version, e.g. "com.event-books.book.added.v1".
      A change that old consumers cannot read is a new type (….v2), published beside v1 until
      every consumer handles v2 (see the README).
    - `topic_setting`: the setting that names its topic (one topic may carry several types).
    - `signal` and `build`: `build(**the signal's arguments)` gives the events to publish.
    - `schema`: the file under docs/schemas/ with the JSON Schema of its value.
    - `lossless`: always written to the outbox (unless EVENTS_DELIVERY=off), even when
      EVENTS_DELIVERY=direct, because the event records a write that must not go unannounced.
    - `key`: the Kafka key; the subject by default, so that one subject's events stay in order.
    - `check`: rules beyond the schema; raises MalformedEvent.
    - `adopt`: reads a message without CloudEvents headers on its topic (the seed's), when
      EVENTS_ACCEPT_SEED_EVENTS is on.
    - `aliases`: earlier names of the same contract, still read as this type.
    """

    name: str
    topic_setting: str
    signal: Signal
    build: Callable[..., Iterable[Event]]
    schema: str
    source: str
    lossless: bool = False
    key: Callable[[Event], str] = lambda event: event.subject
    check: Callable[[Event], None] = lambda event: None
    adopt: Callable[[Any], Event] | None = None
    aliases: tuple[str, ...] = ()

    @property
    def topic(self) -> str:
        return getattr(settings, self.topic_setting)

    @cached_property
    def validator(self) -> Any:
        schema = json.loads((SCHEMA_DIR / self.schema).read_text())
        base = validators.validator_for(schema)
        # JSON Schema calls 5.0 an integer; a book id of 5.0 would reach the templates' URLs.
        strict = validators.extend(
            base,
            type_checker=base.TYPE_CHECKER.redefine(
                "integer", lambda checker, instance: type(instance) is int
            ),
        )
        return strict(schema, registry=schema_registry())

    def validate(self, event: Event) -> None:
        check_ids(event)
        error = best_match(self.validator.iter_errors(event.data))
        if error is not None:
            raise MalformedEvent(f"value {error.json_path}: {_complaint(error)}")
        self.check(event)


# jsonschema says only "'…' is too long", quoting the whole string or array: say by how much.
_UNITS = {"maxLength": "characters", "maxItems": "items"}


def _complaint(error: ValidationError) -> str:
    if error.validator in _UNITS:
        unit = _UNITS[error.validator]
        return f"{len(error.instance)} {unit}, more than the {error.validator_value} allowed"
    return error.message[:300]


def schema_registry() -> Registry:
    """Every schema under docs/schemas/, so that one can refer to another by file name."""
    resources = [
        Resource.from_contents(json.loads(path.read_text()))
        for path in sorted(SCHEMA_DIR.glob("*.schema.json"))
    ]
    return Registry().with_resources((resource.id(), resource) for resource in resources)


_types: dict[str, EventType] = {}
_names: dict[str, EventType] = {}


def register(event_type: EventType) -> EventType:
    for name in (event_type.name, *event_type.aliases):
        if name in _names:
            raise ValueError(f"Event type {name!r} is registered twice.")
    _types[event_type.name] = event_type
    _names.update(dict.fromkeys((event_type.name, *event_type.aliases), event_type))
    return event_type


def event_types() -> list[EventType]:
    return list(_types.values())


def get(name: str) -> EventType:
    """The registered type called `name` (or formerly so); KeyError when there is none."""
    return _names[name]


def topics() -> list[str]:
    """Every registered type's topic, once each, in the order the types were registered."""
    return list(dict.fromkeys(event_type.topic for event_type in _types.values()))


def encode(event: Event) -> KafkaMessage:
    event_type = get(event.type)
    return to_message(
        event, topic=event_type.topic, key=event_type.key(event), source=event_type.source
    )


def type_of(record: Any) -> EventType | None:
    """The registered type of a consumed record: by its ce_type header, or for a message
    without one, the type adopting such messages on its topic. None for a type this
    registry does not know. Raises MalformedEvent for unreadable headers."""
    name = read_headers(record.headers).get("ce_type")
    if name == "":
        raise MalformedEvent("ce_type is empty")
    if name is not None:
        return _names.get(name)
    if settings.EVENTS_ACCEPT_SEED_EVENTS:
        for event_type in _types.values():
            if event_type.adopt is not None and event_type.topic == record.topic:
                return event_type
    raise MalformedEvent("missing headers: no ce_type (not a CloudEvent)")


def decode(record: Any, event_type: EventType) -> Event:
    """The event in `record`, checked against its type's contract; raises MalformedEvent
    saying what is wrong with it. Every consumer group decodes so, and dead-letters what this
    refuses without retrying it: one rule for odd events, whichever group reads them."""
    try:
        check_size(record.key, record.value)
        attributes = read_headers(record.headers)
        if "ce_type" in attributes:
            event = from_message(attributes, record.key, record.value, type_name=event_type.name)
        elif event_type.adopt is not None:
            event = event_type.adopt(record)
        else:
            raise MalformedEvent("missing headers: no ce_type (not a CloudEvent)")
        event_type.validate(event)
        return event
    except MalformedEvent:
        raise
    except Exception as exc:  # e.g. a 5000-digit number, JSON nested too deep
        raise MalformedEvent(f"unreadable message: {type(exc).__name__}: {exc}") from exc
