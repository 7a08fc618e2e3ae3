"""Business operations on the catalogue: the one search, and adding books."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.dispatch import Signal

from books.importing import parse_published_at
from books.metrics import SEARCHES
from books.models import Book
from books.selectors import BookPage, search_books
from books.serializers import book_as_json
from books.signals import book_viewed, search_performed
from bookstore_site.errors import is_database_unavailable


def perform_search(*, query: str, offset: int, limit: int, visitor_id: str | None) -> BookPage:
    """The search behind both the page and the API; announces every non-empty search."""
    query = query.strip()
    page = search_books(query=query, offset=offset, limit=limit)
    SEARCHES.labels("yes" if page.total else "no").inc()
    if query:
        _announce(
            search_performed,
            query=query,
            offset=offset,
            limit=limit,
            results=[book_as_json(book) for book in page.books],
            total=page.total,
            visitor_id=visitor_id,
        )
    return page


def record_view(*, book: Book, visitor_id: str | None) -> None:
    """Announce that a visitor opened `book`'s page."""
    _announce(book_viewed, book=book_as_json(book), visitor_id=visitor_id)


def _announce(signal: Signal, **arguments: object) -> None:
    """Send `signal` robustly (a failing receiver is logged, the request goes on), except that
    a database outage fails the request, answered 503, rather than let it succeed without the
    event it owes: the database went away between the search and its outbox row."""
    for _receiver, outcome in signal.send_robust(sender=Book, **arguments):
        if isinstance(outcome, Exception) and is_database_unavailable(outcome):
            raise outcome


def create_book(
    *,
    title: str,
    author: str,
    published_at: datetime.date,
    published_precision: Book.Precision = Book.Precision.DAY,
    description: str = "",
    isbn: str | None = None,
) -> Book:
    """Validate and save a new book; raises ValidationError with per-field messages. Its
    book.added event is written in the same transaction (books/receivers.py)."""
    book = Book(
        title=title,
        author=author,
        published_at=published_at,
        published_precision=published_precision,
        description=description,
        isbn=isbn,
    )
    return _save(book)


def update_book(
    *,
    book: Book,
    title: str,
    author: str,
    published_at: datetime.date,
    description: str = "",
    isbn: str | None = None,
) -> Book:
    """Validate and save new values for `book` (its book.changed event with it); raises
    Book.DoesNotExist if it was deleted meanwhile, rather than adding it again."""
    book.title, book.author, book.published_at = title, author, published_at
    book.description, book.isbn = description, isbn
    return _save(book, update=True)


def delete_book(*, book: Book) -> None:
    """Delete `book`; its book.removed event is written in the deleting transaction."""
    book.delete()


def _save(book: Book, *, update: bool = False) -> Book:
    book.full_clean()
    try:
        with transaction.atomic():
            if update and not Book.objects.select_for_update().filter(pk=book.pk).exists():
                raise Book.DoesNotExist(f"Book {book.pk} was deleted.")
            book.save(force_update=update)
    except IntegrityError as exc:
        # Another request saved the same ISBN between full_clean() and save().
        raise ValidationError({"isbn": ["Book with this ISBN-13 already exists."]}) from exc
    return book


def upsert_sample_books(*, entries: list[dict]) -> int:
    """Add the entries not yet in the catalogue (same title and author, or the same ISBN: a
    sample book edited since, in the admin say, is not added again); return how many. Dates
    are "YYYY-MM-DD", or "YYYY-MM" and "YYYY" where only the month or the year is known."""
    created = 0
    for entry in entries:
        same = Q(title=entry["title"], author=entry["author"])
        if entry.get("isbn"):
            same |= Q(isbn=entry["isbn"])
        if Book.objects.filter(same).exists():
            continue
        published_at, precision = parse_published_at(entry["published_at"])
        create_book(
            title=entry["title"],
            author=entry["author"],
            published_at=published_at,
            published_precision=precision,
            description=entry.get("description", ""),
            isbn=entry.get("isbn"),
        )
        created += 1
    return created
