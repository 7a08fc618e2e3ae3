from catalogue.selectors import current_books, removed_book_ids
from recommendations.models import Interest, OpenedBook

RECOMMENDATIONS = 10


def recommended_books(*, visitor_id: str, limit: int = RECOMMENDATIONS) -> list[dict]:
    """The visitor's most interesting books that they have not opened yet, each as it is now
    (a changed title shows, a removed book does not) plus its score."""
    interests = (
        Interest.objects.filter(visitor_id=visitor_id)
        .exclude(book_id__in=OpenedBook.objects.filter(visitor_id=visitor_id).values("book_id"))
        .exclude(book_id__in=removed_book_ids())
        .order_by("-score", "-updated_at")
    )
    return current_books([{**i.book, "score": i.score} for i in interests[:limit]])
