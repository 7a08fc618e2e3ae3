"""Turning searches into interests and views into opened books: the `rec-svr` consumer's
handlers, each run inside the consumer's transaction with one statement per batch. Events
without a visitor id count for nobody."""

from bookstore_site.upsert import add_counts
from events.envelope import Event
from recommendations.models import Interest, OpenedBook


def add_interests(events: list[Event]) -> None:
    """Add 1 to a visitor's interest in each book a search.performed event of theirs found."""
    rows: dict[tuple[str, int], Interest] = {}
    for event in events:
        if not event.visitor_id:
            continue
        for book in event.data:
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


def record_opened(events: list[Event]) -> None:
    """Remember which books each visitor opened (book.viewed), the first time they did."""
    OpenedBook.objects.bulk_create(
        [
            OpenedBook(visitor_id=event.visitor_id, book_id=event.data["id"], opened_at=event.time)
            for event in events
            if event.visitor_id
        ],
        ignore_conflicts=True,
    )
