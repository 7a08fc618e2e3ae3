"""Turning searches into interests: the `rec-svr` consumer's batch."""

from events.contract import SearchEvent
from events.upsert import add_counts
from recommendations.models import Interest

CONSUMER_GROUP = "rec-svr"


def apply_search_events(events: list[SearchEvent]) -> None:
    """Add 1 to a visitor's interest in each book a search of theirs found.

    Runs inside the consumer's transaction; one statement per batch.
    Events without a visitor id count for nobody.
    """
    deltas: dict[tuple[str, int], int] = {}
    latest: dict[tuple[str, int], tuple] = {}
    for event in events:
        if not event.visitor_id:
            continue
        for book in event.books:
            pair = (event.visitor_id, book["id"])
            deltas[pair] = deltas.get(pair, 0) + 1
            if pair not in latest or event.time >= latest[pair][0]:
                latest[pair] = (event.time, book)
    rows = []
    for (visitor, book_id), delta in deltas.items():
        time, book = latest[(visitor, book_id)]
        rows.append(
            Interest(visitor_id=visitor, book_id=book_id, score=delta, book=book, updated_at=time)
        )
    add_counts(
        rows,
        unique_fields=["visitor_id", "book_id"],
        count_field="score",
        time_field="updated_at",
        latest_fields=["book"],
    )
