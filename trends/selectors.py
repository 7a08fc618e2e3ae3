import datetime

from django.db.models import Count, Max, QuerySet, Sum
from django.utils import timezone

from catalogue.selectors import current_books, removed_book_ids
from trends.models import BookViews, HiddenQuery, TrendHour, TrendingQuery, UnmetQuery
from trends.windows import DEFAULT_WINDOW, Window, start_of_hour, window_start

DEFAULT_TRENDS = 10
MAX_TRENDS = 100
MOST_VIEWED = 5
MOST_VIEWED_DAYS = 7
UNMET_DAYS = 7


def top_trends(
    *, window: Window = DEFAULT_WINDOW, limit: int = DEFAULT_TRENDS
) -> list[TrendingQuery]:
    """The queries the most visitors searched in the window (each visitor once per query per
    hour), each with its latest results as the books are now; queries staff hid are left
    out. A trend's `count` is the window's."""
    hidden = HiddenQuery.objects.values("query_digest")
    since = window_start(window, now=timezone.now())
    if since is None:
        shown = TrendingQuery.objects.exclude(query_digest__in=hidden)
        trends = list(shown.order_by("-count", "-last_searched_at")[:limit])
    else:
        top = list(
            TrendHour.objects.filter(hour__gte=since)
            .exclude(query_digest__in=hidden)
            .values("query_digest")
            .annotate(total=Sum("count"), last=Max("last_searched_at"))
            .order_by("-total", "-last", "query_digest")[:limit]
        )
        queries = TrendingQuery.objects.in_bulk(
            [row["query_digest"] for row in top], field_name="query_digest"
        )
        trends = [queries[row["query_digest"]] for row in top]
        for trend, row in zip(trends, top, strict=True):
            trend.count = row["total"]
    books = {book["id"]: book for book in current_books([b for t in trends for b in t.books])}
    for trend in trends:
        trend.books = [books[book["id"]] for book in trend.books if book["id"] in books]
    return trends


def unmet_queries(*, days: int = UNMET_DAYS) -> QuerySet[UnmetQuery]:
    """The queries that found nothing in the last `days` days, the most visitors first, each
    with `visitors`: how many different visitors searched it (and found nothing)."""
    since = start_of_hour(timezone.now() - datetime.timedelta(days=days))
    # Filtered before annotating, so that the count is over the window's searches only.
    return (
        UnmetQuery.objects.filter(searches__hour__gte=since)
        .annotate(visitors=Count("searches__visitor_id", distinct=True))
        .order_by("-visitors", "-last_searched_at")
    )


def most_viewed(*, limit: int = MOST_VIEWED, days: int = MOST_VIEWED_DAYS) -> list[dict]:
    """The books opened most often in the last `days` days (today included, UTC), each with
    its `views`; removed books are left out."""
    since = timezone.now().astimezone(datetime.UTC).date() - datetime.timedelta(days=days - 1)
    recent = BookViews.objects.filter(day__gte=since).exclude(book_id__in=removed_book_ids())
    top = list(
        recent.values("book_id")
        .annotate(total=Sum("views"), last=Max("last_viewed_at"))
        .order_by("-total", "-last", "book_id")[:limit]
    )
    latest = {
        row.book_id: row.book
        for row in recent.filter(book_id__in=[t["book_id"] for t in top]).order_by("last_viewed_at")
    }
    views = {t["book_id"]: t["total"] for t in top}
    books = current_books([latest[t["book_id"]] for t in top])
    return [{**book, "views": views[book["id"]]} for book in books]
