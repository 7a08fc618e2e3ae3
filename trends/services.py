"""Counting searches into trends and views into "Most viewed": the `trend-svr` consumer's
handlers, each run inside the consumer's transaction with a few statements per batch however
many events it holds; staff hiding queries from the trends; and erasing a forgotten visitor."""

import datetime
import hashlib
from collections import Counter
from collections.abc import Iterable

from bookstore_site.upsert import add_counts
from events.envelope import Event
from privacy.selectors import forgotten_visitors
from trends.models import (
    BookViews,
    HiddenQuery,
    TrendHour,
    TrendingQuery,
    TrendVisitor,
    UnmetQuery,
    UnmetSearch,
)
from trends.windows import start_of_hour


def normalize_query(query: str) -> str:
    """Searches for "Kafka", " kafka " and "KAFKA" are one trend."""
    return " ".join(query.split()).casefold()


def query_digest(normalized_query: str) -> str:
    return hashlib.sha256(normalized_query.encode()).hexdigest()


def _first_page(event: Event) -> bool:
    return int(event.extensions.get("resultoffset", "0")) == 0


def found_nothing(event: Event) -> bool:
    """A search whose first page is empty. An empty page further on is a visitor paging past
    the end of results that exist."""
    return not event.data and _first_page(event)


def count_searches(events: list[Event]) -> None:
    """Count each query once per visitor per UTC hour in which they searched it, and keep its
    latest results; searches that found nothing go to the unmet-demand report instead.

    Searches without a visitor (one who never sent the `uid` cookie back: see
    books.visitors) count for nothing, so that a client cannot buy a trend by repeating a
    query, with or without a cookie; nor do searches of visitors who asked to be forgotten,
    so that a late event or a rebuild does not store their id again."""
    forgotten = forgotten_visitors(visitor_ids=[event.visitor_id for event in events])
    searches = [e for e in events if e.visitor_id and e.visitor_id not in forgotten]
    _count_trends([e for e in searches if not found_nothing(e)])
    _record_unmet([e for e in searches if found_nothing(e)])


def _count_trends(events: list[Event]) -> None:
    by_digest: dict[str, list[Event]] = {}
    for event in events:
        by_digest.setdefault(query_digest(normalize_query(event.subject)), []).append(event)
    first_searches: dict[tuple[str, str, datetime.datetime], Event] = {}
    for digest, query_events in by_digest.items():
        for event in query_events:
            hour = start_of_hour(event.time)
            first_searches.setdefault((digest, event.visitor_id, hour), event)
    # A visitor-hour another transaction holds already is skipped: its searches are counted by
    # whoever inserted it, the one whose event id it carries (each ce_id is applied once).
    # Sorted, as add_counts does, so that two consumers rarely wait on each other in a cycle.
    TrendVisitor.objects.bulk_create(
        [
            TrendVisitor(query_digest=digest, visitor_id=visitor_id, hour=hour, event_id=event.id)
            for (digest, visitor_id, hour), event in sorted(first_searches.items())
        ],
        ignore_conflicts=True,
    )
    new_visitors = Counter(
        TrendVisitor.objects.filter(
            query_digest__in=list(by_digest),
            event_id__in=[event.id for event in first_searches.values()],
        ).values_list("query_digest", "hour")
    )
    hours: dict[tuple[str, datetime.datetime], TrendHour] = {}
    for (digest, _, hour), event in first_searches.items():
        row = hours.setdefault(
            (digest, hour),
            TrendHour(
                query_digest=digest,
                hour=hour,
                count=new_visitors[(digest, hour)],
                last_searched_at=event.time,
            ),
        )
        row.last_searched_at = max(row.last_searched_at, event.time)
    add_counts(
        list(hours.values()),
        unique_fields=["query_digest", "hour"],
        count_field="count",
        time_field="last_searched_at",
        latest_fields=[],
    )
    all_time = Counter[str]()
    for (digest, _), visitors in new_visitors.items():
        all_time[digest] += visitors
    _add_to_all_time(by_digest, counts=all_time)


def _add_to_all_time(by_digest: dict[str, list[Event]], *, counts: Counter[str]) -> None:
    """Add to each query's all-time count; its books are those of its latest first page, so
    that a later page (or an empty one past the end) does not stand for what it finds."""
    with_first_page: list[TrendingQuery] = []
    later_pages_only: list[TrendingQuery] = []
    for digest, query_events in by_digest.items():
        first_pages = [event for event in query_events if _first_page(event)]
        latest = max(first_pages or query_events, key=lambda event: event.time)
        (with_first_page if first_pages else later_pages_only).append(
            TrendingQuery(
                query=normalize_query(latest.subject),
                query_digest=digest,
                count=counts[digest],
                books=latest.data,
                last_searched_at=latest.time,
            )
        )
    for rows, latest_fields in ((with_first_page, ["books"]), (later_pages_only, [])):
        add_counts(
            rows,
            unique_fields=["query_digest"],
            count_field="count",
            time_field="last_searched_at",
            latest_fields=latest_fields,
        )


def _record_unmet(events: list[Event]) -> None:
    """Record who searched what and found nothing, once per visitor per hour."""
    queries: dict[str, UnmetQuery] = {}
    searches: set[tuple[str, str, datetime.datetime]] = set()
    for event in events:
        query = normalize_query(event.subject)
        digest = query_digest(query)
        row = queries.setdefault(
            digest, UnmetQuery(query=query, query_digest=digest, last_searched_at=event.time)
        )
        row.last_searched_at = max(row.last_searched_at, event.time)
        searches.add((digest, event.visitor_id, start_of_hour(event.time)))
    add_counts(
        list(queries.values()),
        unique_fields=["query_digest"],
        count_field=None,
        time_field="last_searched_at",
        latest_fields=[],
    )
    UnmetSearch.objects.bulk_create(
        [
            UnmetSearch(query_id=digest, visitor_id=visitor_id, hour=hour)
            for digest, visitor_id, hour in sorted(searches)
        ],
        ignore_conflicts=True,
    )


def count_views(events: list[Event]) -> None:
    """Add each book.viewed event to its book's count for the day (UTC) it happened."""
    add_counts(
        [
            BookViews(
                book_id=event.data["id"],
                day=event.time.astimezone(datetime.UTC).date(),
                views=1,
                book=event.data,
                last_viewed_at=event.time,
            )
            for event in events
        ],
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


def forget_visitor_searches(*, visitor_id: str) -> None:
    """Erase which queries the visitor searched in which hours. The counts they added carry no
    id and stay."""
    TrendVisitor.objects.filter(visitor_id=visitor_id).delete()
    UnmetSearch.objects.filter(visitor_id=visitor_id).delete()
