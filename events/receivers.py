"""The one receiver behind every registered event type: signal arguments in, events delivered."""

import logging
from functools import partial

from events.delivery import deliver
from events.registry import EventType, event_types

logger = logging.getLogger(__name__)


def announce(event_type: EventType, sender: object, **arguments: object) -> None:
    """Build the type's events from its signal's arguments and hand them to delivery.

    A lossless type's failure propagates, so that the write it records rolls back with it; any
    other type's is logged and the request goes on (a search must not fail for its event)."""
    try:
        deliver(event_type, list(event_type.build(**arguments)))
    except Exception:
        if event_type.lossless:
            raise
        logger.exception("Could not hand a %s event to delivery", event_type.name)


def connect_event_types() -> None:
    for event_type in event_types():
        event_type.signal.connect(
            partial(announce, event_type),
            weak=False,
            dispatch_uid=f"events.announce:{event_type.name}",
        )
