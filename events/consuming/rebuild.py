"""Rebuilding a read model from the events its group's topics retain.

In one transaction: the view's tables are emptied, the events its handlers take are read from
the topics' beginnings up to the end offsets of that moment and applied, and their ce_ids are
recorded as the group's, so that the live consumer, which goes on from its committed offsets,
skips those it has yet to reach. Readers see the old view until the commit.
"""

import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.db import connection, transaction
from kafka import KafkaConsumer
from kafka.errors import UnknownTopicOrPartitionError

from events import registry
from events.consuming.dedupe import Handler
from events.consuming.groups import ConsumerGroup, ReadModel, read_models
from events.consuming.reading import read_spans, retained_spans
from events.envelope import Event, MalformedEvent
from events.models import ProcessedEvent


@dataclass
class RebuildStats:
    deleted: int = 0
    read: int = 0
    applied: int = 0
    duplicates: int = 0
    # Records of types the view's handlers do not take.
    skipped: int = 0
    malformed: int = 0
    seconds: float = 0.0


def rebuild_view(
    *,
    name: str,
    reader: KafkaConsumer,
    batch_size: int = 500,
    on_total: Callable[[int], None] = lambda records: None,
    on_progress: Callable[[int], None] = lambda records: None,
) -> RebuildStats:
    """Rebuild the read model `name` (a key of `read_models()`) with `reader`, a group-less
    consumer; nothing changes unless it all succeeds. `on_total` is told how many records
    will be read, `on_progress` how many were read after each batch."""
    group, read_model = read_models()[name]
    handlers = _view_handlers(group, read_model)
    topics = sorted({registry.get(type_name).topic for type_name in handlers})
    _require_topics(reader, topics=topics)
    started = time.monotonic()
    stats = RebuildStats()
    seen: set[str] = set()
    with transaction.atomic(durable=True):
        _lock_out_concurrent_inserts()
        for model in read_model.models:
            stats.deleted += model.objects.all().delete()[0]
        # After the delete: whatever the live consumer applied before it lies below these.
        spans = retained_spans(reader, topics=topics)
        on_total(sum(span.size for span in spans))
        for records in read_spans(reader, spans=spans, batch_size=batch_size):
            events = _new_events(records, handlers=handlers, seen=seen, stats=stats)
            _apply(events, group_id=group.group_id, handlers=handlers)
            stats.read += len(records)
            stats.applied += len(events)
            on_progress(len(records))
    stats.seconds = time.monotonic() - started
    return stats


def _view_handlers(group: ConsumerGroup, read_model: ReadModel) -> dict[str, Handler]:
    """The view's handlers by their types' current names. Each must be the group's whole
    handler for its type: recording an event as the group's would otherwise make the live
    consumer skip the group's other work on it."""
    group_handlers = {registry.get(name).name: handler for name, handler in group.handlers.items()}
    handlers = {registry.get(name).name: handler for name, handler in read_model.handlers.items()}
    for type_name, handler in handlers.items():
        if group_handlers.get(type_name) is not handler:
            raise ValueError(
                f"{read_model.name}: its handler for {type_name} is not {group.group_id}'s, "
                "so it cannot be rebuilt without the group losing work."
            )
    return handlers


def _require_topics(reader: KafkaConsumer, *, topics: list[str]) -> None:
    """A topic missing (a wrong topic setting, say) would rebuild the view empty."""
    missing = [topic for topic in topics if not reader.partitions_for_topic(topic)]
    if missing:
        raise UnknownTopicOrPartitionError(f"no topic {', '.join(missing)}")


def _lock_out_concurrent_inserts() -> None:
    """Django runs MySQL/MariaDB at READ COMMITTED, where deleting every row locks only the
    rows there are: a live consumer could insert a new row (a new query, say) and commit it
    mid-rebuild, and the rebuild would then apply that event a second time. At REPEATABLE
    READ the delete also locks the gaps, so the consumer's writes wait for the commit and
    then find the rebuild's ce_ids. (SQLite's writers queue for the whole file anyway.)"""
    if connection.vendor == "mysql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def _new_events(
    records: list, *, handlers: Mapping[str, Handler], seen: set[str], stats: RebuildStats
) -> list[Event]:
    """The events of `records` the view takes, each ce_id once per rebuild."""
    events = []
    for record in records:
        try:
            event_type = registry.type_of(record)
            if event_type is None or event_type.name not in handlers:
                stats.skipped += 1
                continue
            event = registry.decode(record, event_type)
        except MalformedEvent:
            stats.malformed += 1
            continue
        if event.id in seen:
            stats.duplicates += 1
            continue
        seen.add(event.id)
        events.append(event)
    return events


def _apply(events: list[Event], *, group_id: str, handlers: Mapping[str, Handler]) -> None:
    """Apply `events` as the live consumer would, but whether or not the group did before:
    the view was emptied. Consecutive events of one type go to their handler together."""
    ProcessedEvent.objects.bulk_create(
        [ProcessedEvent(consumer_group=group_id, event_id=event.id) for event in events],
        ignore_conflicts=True,
    )
    for type_name, run in itertools.groupby(events, key=lambda event: event.type):
        handlers[type_name](list(run))
