"""Recording book changes: a handler any consumer group may use for book.changed.v1 and
book.removed.v1 (the trends and the recommendations consumers both do, so that each stays
right alone). Idempotent and order-proof: the newest change by ce_time wins."""

from bookstore_site.upsert import add_counts
from catalogue.models import BookRevision
from events.envelope import Event
from events.types.book_changes import BOOK_REMOVED


def record_book_changes(events: list[Event]) -> None:
    """Runs inside the consumer's transaction; one statement per batch."""
    add_counts(
        [
            BookRevision(
                book_id=event.data["id"],
                book=event.data,
                removed=event.type == BOOK_REMOVED,
                changed_at=event.time,
            )
            for event in events
        ],
        unique_fields=["book_id"],
        count_field=None,
        time_field="changed_at",
        latest_fields=["book", "removed"],
    )
