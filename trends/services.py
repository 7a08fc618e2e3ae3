"""Counting searches into trends and views into "Most viewed": the `trend-svr` consumer's
handlers, each run inside the consumer's transaction with a few statements per batch however
many events it holds; and staff hiding queries from the trends."""

import datetime
import hashlib
from collections import Counter
from collections.abc import Iterable

from bookstore_site.upsert import add_counts
from events.envelope import Event
from trends.models import BookViews, HiddenQuery, TrendingQuery, TrendVisitor


def normalize_query(query: str) -> str:
    """Searches for "Kafka", " kafka " and "KAFKA" are one trend."""
    return " ".join(query.split()).casefold()


def query_digest(normalized_query: str) -> str:
    return hashlib.sha256(normalized_query.encode()).hexdigest()


def count_searches(events: list[Event]) -> None:
    """Count each query once per visitor who searched it and keep its latest results.

    Searches without a visitor (one who never sent the `uid` cookie back: see
    books.visitors) count for nothing, so that a client cannot buy a trend by repeating a
    query, with or without a cookie."""
    by_query: dict[str, list[Event]] = {}
    for event in events:
        if event.visitor_id:
            by_query.setdefault(normalize_query(event.subject), []).append(event)
    digests = {query: query_digest(query) for query in by_query}
    first_searches: dict[tuple[str, str], Event] = {}
    for query, query_events in by_query.items():
        for event in query_events:
            first_searches.setdefault((digests[query], event.visitor_id), event)
    # A pair another transaction holds already is skipped: its searches are counted by
    # whoever inserted it, the one whose event id it carries (each ce_id is applied once).
    # Sorted, as add_counts does, so that two consumers rarely wait on each other in a cycle.
    TrendVisitor.objects.bulk_create(
        [
            TrendVisitor(query_digest=digest, visitor_id=visitor_id, event_id=event.id)
            for (digest, visitor_id), event in sorted(first_searches.items())
        ],
        ignore_conflicts=True,
    )
    new_visitors = Counter(
        TrendVisitor.objects.filter(
            query_digest__in=digests.values(),
            event_id__in=[event.id for event in first_searches.values()],
        ).values_list("query_digest", flat=True)
    )
    rows = []
    for query, query_events in by_query.items():
        latest = max(query_events, key=lambda e: e.time)
        rows.append(
            TrendingQuery(
                query=query,
                query_digest=digests[query],
                count=new_visitors[digests[query]],
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


def hide_queries(*, trends: Iterable[TrendingQuery]) -> None:
    """Take these queries out of the trends, for as long as staff want: the count goes on."""
    HiddenQuery.objects.bulk_create(
        [HiddenQuery(query_digest=trend.query_digest, query=trend.query) for trend in trends],
        ignore_conflicts=True,
    )


def show_queries(*, trends: Iterable[TrendingQuery]) -> None:
    """Let hidden queries trend again."""
    HiddenQuery.objects.filter(query_digest__in=[trend.query_digest for trend in trends]).delete()
