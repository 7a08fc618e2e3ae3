from django.db.models import QuerySet

from catalogue.models import BookRevision


def current_books(books: list[dict]) -> list[dict]:
    """`books` (as some event carried them) as they are now: a changed book in its latest
    version, a removed one left out. One query."""
    revisions = BookRevision.objects.in_bulk([book["id"] for book in books], field_name="book_id")
    current = []
    for book in books:
        revision = revisions.get(book["id"])
        if revision is None:
            current.append(book)
        elif not revision.removed:
            current.append({**book, **revision.book})
    return current


def removed_book_ids() -> QuerySet:
    """The ids of removed books, as a subquery."""
    return BookRevision.objects.filter(removed=True).values("book_id")
