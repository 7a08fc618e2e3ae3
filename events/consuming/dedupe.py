"""Applying each event once per consumer group, by its ce_id."""

import itertools
import logging
from collections.abc import Callable, Mapping
from contextlib import ExitStack

from django.db import transaction

from bookstore_site.tracing import consumer_span
from events import registry
from events.envelope import Event
from events.models import ProcessedEvent
from events.retention import delete_in_batches, retention_cutoff

logger = logging.getLogger(__name__)

Handler = Callable[[list[Event]], None]


def apply_once(
    events: list[Event], *, group_id: str, handlers: Mapping[str, Handler]
) -> list[Event]:
    """Apply, in one transaction, the events `group_id` has not applied before, each by its
    type's handler; returns those (the rest of `events` it had applied already).

    Runs of consecutive events of one type go to their handler together, in the order they came,
    so that a batch applies as its events happened."""
    unique = list({event.id: event for event in events}.values())
    with transaction.atomic():
        seen = set(
            ProcessedEvent.objects.filter(
                consumer_group=group_id, event_id__in=[e.id for e in unique]
            ).values_list("event_id", flat=True)
        )
        fresh = [event for event in unique if event.id not in seen]
        # A concurrent insert of the same ids fails the transaction: retried, then skipped.
        ProcessedEvent.objects.bulk_create(
            [ProcessedEvent(consumer_group=group_id, event_id=e.id) for e in fresh]
        )
        for type_name, run in itertools.groupby(fresh, key=lambda event: event.type):
            batch, topic = list(run), registry.get(type_name).topic
            # A span per traced event of the run, each a child of its own creator's context,
            # open while the handler applies them together.
            with ExitStack() as spans:
                for event in batch:
                    spans.enter_context(consumer_span(event, group_id=group_id, destination=topic))
                handlers[type_name](batch)
    return fresh


def forget_applied(*, group_id: str) -> int:
    """Forget applied ce_ids past the retention period: redeliveries come long before."""
    return delete_in_batches(
        ProcessedEvent.objects.filter(consumer_group=group_id, processed_at__lt=retention_cutoff())
    )
