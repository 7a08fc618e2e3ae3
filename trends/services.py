"""Counting searches into trends: the `trend-svr` consumer's batch."""

import hashlib

from events.contract import SearchEvent
from events.upsert import bulk_overwrite
from trends.models import TrendingQuery

CONSUMER_GROUP = "trend-svr"


def normalize_query(query: str) -> str:
    """Searches for "Kafka", " kafka " and "KAFKA" are one trend."""
    return " ".join(query.split()).casefold()


def query_digest(normalized_query: str) -> str:
    return hashlib.sha256(normalized_query.encode()).hexdigest()


def apply_search_events(events: list[SearchEvent]) -> None:
    """Count each query once per event and keep its latest results: one write per query.

    Runs inside the consumer's transaction. The existing rows are locked so that counts from
    consumers of other partitions add up instead of overwriting each other.
    """
    by_query: dict[str, list[SearchEvent]] = {}
    for event in events:
        by_query.setdefault(normalize_query(event.query), []).append(event)
    digests = {query: query_digest(query) for query in by_query}
    # Sorted, so that two consumers lock and insert shared rows in the same order (no deadlock).
    existing = TrendingQuery.objects.select_for_update().in_bulk(
        sorted(digests.values()), field_name="query_digest"
    )
    updated, created = [], []
    for query, query_events in sorted(by_query.items()):
        latest = max(query_events, key=lambda e: e.time)
        trend = existing.get(digests[query])
        if trend is None:
            created.append(
                TrendingQuery(
                    query=query,
                    query_digest=digests[query],
                    count=len(query_events),
                    books=latest.books,
                    last_searched_at=latest.time,
                )
            )
            continue
        trend.count += len(query_events)
        if latest.time >= trend.last_searched_at:
            trend.books, trend.last_searched_at = latest.books, latest.time
        updated.append(trend)
    bulk_overwrite(
        updated,
        unique_fields=["query_digest"],
        update_fields=["count", "books", "last_searched_at"],
    )
    TrendingQuery.objects.bulk_create(created)
