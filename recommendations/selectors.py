from django.db.models import Max, Sum

from catalogue.selectors import current_books, removed_book_ids
from recommendations.models import SEEDS_PER_VISITOR, CoOccurrence, Interest, OpenedBook

RECOMMENDATIONS = 10
READERS_ALSO_OPENED = 5


def readers_also_opened(*, book_id: int, limit: int = READERS_ALSO_OPENED) -> list[dict]:
    """The books most visitors opened after finding or opening `book_id`, each as it is now
    (removed ones left out) with `visitors`, how many did. Two queries."""
    rows = (
        CoOccurrence.objects.filter(seed_book_id=book_id)
        .exclude(book_id__in=removed_book_ids())
        .order_by("-visitors", "-updated_at", "book_id")[:limit]
    )
    return current_books([{**row.book, "visitors": row.visitors} for row in rows])


def recommended_books(*, visitor_id: str | None, limit: int = RECOMMENDATIONS) -> list[dict]:
    """What visitors who found or opened the visitor's latest seeds went on to open, most
    visitors first (summed over the seeds), leaving out what the visitor opened already and
    removed books; each as it is now, with its `score` and a `reason`, the seed that
    contributed most: {"searched": query} or {"opened": title}."""
    reasons = _seed_reasons(visitor_id) if visitor_id else {}
    if not reasons:
        return []
    candidates = (
        CoOccurrence.objects.filter(seed_book_id__in=reasons)
        .exclude(book_id__in=OpenedBook.objects.filter(visitor_id=visitor_id).values("book_id"))
        .exclude(book_id__in=removed_book_ids())
    )
    top = list(
        candidates.values("book_id")
        .annotate(score=Sum("visitors"), last=Max("updated_at"))
        .order_by("-score", "-last", "book_id")[:limit]
    )
    strongest: dict[int, CoOccurrence] = {}
    # Ascending, so that the strongest seed wins, and among equals the more recent row.
    for row in candidates.filter(book_id__in=[t["book_id"] for t in top]).order_by(
        "visitors", "updated_at"
    ):
        strongest[row.book_id] = row
    books = current_books([strongest[t["book_id"]].book for t in top])
    scores = {t["book_id"]: t["score"] for t in top}
    return [
        {
            **book,
            "score": scores[book["id"]],
            "reason": reasons[strongest[book["id"]].seed_book_id],
        }
        for book in books
    ]


def _seed_reasons(visitor_id: str) -> dict[int, dict]:
    """The visitor's latest seeds, each with why it is one: a book they opened (its title as
    it is now), else the latest search that found it."""
    reasons = {
        book_id: {"searched": query}
        for book_id, query in Interest.objects.filter(visitor_id=visitor_id)
        .order_by("-updated_at")
        .values_list("book_id", "query")[:SEEDS_PER_VISITOR]
    }
    # Rows from before the views carried the book ({}) have no title to give.
    opened = [
        {"id": row.book_id, **row.book}
        for row in OpenedBook.objects.filter(visitor_id=visitor_id).order_by("-opened_at")[
            :SEEDS_PER_VISITOR
        ]
    ]
    # A removed book the visitor opened still explains what its readers opened next.
    titles = {book["id"]: book.get("title") for book in opened}
    titles.update({book["id"]: book.get("title") for book in current_books(opened)})
    for book_id, title in titles.items():
        reasons[book_id] = {"opened": title} if title else reasons.get(book_id, {})
    return reasons
