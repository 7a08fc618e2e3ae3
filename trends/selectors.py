import datetime

from django.db.models import Max, Sum
from django.utils import timezone

from catalogue.selectors import current_books, removed_book_ids
from trends.models import BookViews, HiddenQuery, TrendingQuery

DEFAULT_TRENDS = 10
MAX_TRENDS = 100
MOST_VIEWED = 5
MOST_VIEWED_DAYS = 7


def top_trends(*, limit: int = DEFAULT_TRENDS) -> list[TrendingQuery]:
    """The queries the most visitors searched, each with its latest results as the books are
    now; queries staff hid are left out."""
    shown = TrendingQuery.objects.exclude(
        query_digest__in=HiddenQuery.objects.values("query_digest")
    )
    trends = list(shown.order_by("-count", "-last_searched_at")[:limit])
    books = {book["id"]: book for book in current_books([b for t in trends for b in t.books])}
    for trend in trends:
        trend.books = [books[book["id"]] for book in trend.books if book["id"] in books]
    return trends


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
