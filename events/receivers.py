import logging

from events import metrics
from events.contract import SearchEvent, encode
from events.delivery import deliver

logger = logging.getLogger(__name__)


def on_search_performed(
    sender, *, query: str, offset: int, results: list[dict], visitor_id: str | None, **kwargs
) -> None:
    """Turn a search into an event for Kafka; a failure is logged and the search goes on."""
    try:
        deliver(
            encode(SearchEvent(query=query, books=results, visitor_id=visitor_id, offset=offset))
        )
    except Exception:
        metrics.increment("delivery_failed")
        logger.exception("Could not hand the search event for %r to delivery", query)
