"""Counting searches into trends and views into "Most viewed": the `trend-svr` consumer's
handlers, each run inside the consumer's transaction with one statement per batch."""

import datetime
import hashlib

from bookstore_site.upsert import add_counts
from events.envelope import Event
from trends.models import BookViews, TrendingQuery


def normalize_query(query: str) -> str:
    """Searches for "Kafka", " kafka " and "KAFKA" are one trend."""
    return " ".join(query.split()).casefold()


def query_digest(normalized_query: str) -> str:
    return hashlib.sha256(normalized_query.encode()).hexdigest()


def count_searches(events: list[Event]) -> None:
    """Count each query once per search.performed event and keep its latest results."""
    by_query: dict[str, list[Event]] = {}
    for event in events:
        by_query.setdefault(normalize_query(event.subject), []).append(event)
    rows = []
    for query, query_events in by_query.items():
        latest = max(query_events, key=lambda e: e.time)
        rows.append(
            TrendingQuery(
                query=query,
                query_digest=query_digest(query),
                count=len(query_events),
                books=latest.data,
                last_searched_at=latest.time,
            )
        )
    add_counts(
        rows,
        unique_fields=["query_digest"],
        count_field="count",
        time_field="last_searched_at",
        latest_fields=["books"],
    )


def count_views(events: list[Event]) -> None:
    """Add each book.viewed event to its book's count for the day (UTC) it happened."""
    rows: dict[tuple[int, datetime.date], BookViews] = {}
    for event in events:
        day = event.time.astimezone(datetime.UTC).date()
        row = rows.get((event.data["id"], day))
        if row is None:
            rows[(event.data["id"], day)] = BookViews(
                book_id=event.data["id"],
                day=day,
                views=1,
                book=event.data,
                last_viewed_at=event.time,
            )
            continue
        row.views += 1
        if event.time >= row.last_viewed_at:
            row.book, row.last_viewed_at = event.data, event.time
    add_counts(
        list(rows.values()),
        unique_fields=["book_id", "day"],
        count_field="views",
        time_field="last_viewed_at",
        latest_fields=["book"],
    )
