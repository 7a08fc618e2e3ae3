"""Turning searches into interests: the `rec-svr` consumer's batch."""

from events.contract import SearchEvent
from events.upsert import bulk_overwrite
from recommendations.models import Interest

CONSUMER_GROUP = "rec-svr"


def apply_search_events(events: list[SearchEvent]) -> None:
    """Add 1 to a visitor's interest in each book a search of theirs found.

    Runs inside the consumer's transaction; one read and at most two writes per batch.
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
    if not deltas:
        return
    visitors = {visitor for visitor, _ in deltas}
    book_ids = {book_id for _, book_id in deltas}
    existing = {
        (interest.visitor_id, interest.book_id): interest
        for interest in Interest.objects.select_for_update().filter(
            visitor_id__in=visitors, book_id__in=book_ids
        )
    }
    updated, created = [], []
    # Sorted, so that two consumers insert shared rows in the same order (no deadlock).
    for pair, delta in sorted(deltas.items()):
        time, book = latest[pair]
        interest = existing.get(pair)
        if interest is None:
            created.append(
                Interest(
                    visitor_id=pair[0], book_id=pair[1], score=delta, book=book, updated_at=time
                )
            )
            continue
        interest.score += delta
        if time >= interest.updated_at:
            interest.book, interest.updated_at = book, time
        updated.append(interest)
    bulk_overwrite(
        updated,
        unique_fields=["visitor_id", "book_id"],
        update_fields=["score", "book", "updated_at"],
    )
    Interest.objects.bulk_create(created)
