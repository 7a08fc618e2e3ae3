"""The one receiver behind every registered event type: signal arguments in, events delivered."""

import logging
from collections.abc import Callable
from dataclasses import replace

from bookstore_site.errors import is_database_unavailable
from bookstore_site.tracing import current_traceparent
from events.delivery import deliver
from events.registry import EventType, event_types

logger = logging.getLogger(__name__)


def announce(event_type: EventType, sender: object, **arguments: object) -> None:
    """Build the type's events from its signal's arguments and hand them to delivery.

    A lossless type's failure propagates, so that the write it records rolls back with it; so
    does a database outage (the caller answers 503 rather than succeed without its event). Any
    other failure is logged and the request goes on: a search must not fail for its event."""
    try:
        events = list(event_type.build(**arguments))
        if trace_context := current_traceparent():
            # CloudEvents' distributed-tracing extension: the context the event was created
            # in, so that the relay's and the consumers' spans join the request's trace.
            events = [replace(e, extensions={**e.extensions, **trace_context}) for e in events]
        deliver(event_type, events)
    except Exception as exc:
        if event_type.lossless or is_database_unavailable(exc):
            raise
        logger.exception("Could not hand a %s event to delivery", event_type.name)


def receiver_for(event_type: EventType) -> Callable[..., None]:
    def receive(sender: object, **arguments: object) -> None:
        announce(event_type, sender, **arguments)

    # send_robust names a failing receiver by its __qualname__ (a partial has none).
    receive.__qualname__ = f"announce[{event_type.name}]"
    return receive


def connect_event_types() -> None:
    for event_type in event_types():
        event_type.signal.connect(
            receiver_for(event_type),
            weak=False,
            dispatch_uid=f"events.announce:{event_type.name}",
        )
