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
    rows: dict[tuple[str, int], Interest] = {}
    for event in events:
        if not event.visitor_id:
            continue
        for book in event.books:
            row = rows.get((event.visitor_id, book["id"]))
            if row is None:
                rows[(event.visitor_id, book["id"])] = Interest(
                    visitor_id=event.visitor_id,
                    book_id=book["id"],
                    score=1,
                    book=book,
                    updated_at=event.time,
                )
                continue
            row.score += 1
            if event.time >= row.updated_at:
                row.book, row.updated_at = book, event.time
    add_counts(
        list(rows.values()),
        unique_fields=["visitor_id", "book_id"],
        count_field="score",
        time_field="updated_at",
        latest_fields=["book"],
    )
