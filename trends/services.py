"""Counting searches into trends: the `trend-svr` consumer's batch."""

import hashlib

from events.contract import SearchEvent
from events.upsert import add_counts
from trends.models import TrendingQuery

CONSUMER_GROUP = "trend-svr"


def normalize_query(query: str) -> str:
    """Searches for "Kafka", " kafka " and "KAFKA" are one trend."""
    return " ".join(query.split()).casefold()


def query_digest(normalized_query: str) -> str:
    return hashlib.sha256(normalized_query.encode()).hexdigest()


def apply_search_events(events: list[SearchEvent]) -> None:
    """Count each query once per event and keep its latest results: one statement per batch.

    Runs inside the consumer's transaction.
    """
    by_query: dict[str, list[SearchEvent]] = {}
    for event in events:
        by_query.setdefault(normalize_query(event.query), []).append(event)
    rows = []
    for query, query_events in by_query.items():
        latest = max(query_events, key=lambda e: e.time)
        rows.append(
            TrendingQuery(
                query=query,
                query_digest=query_digest(query),
                count=len(query_events),
                books=latest.books,
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
