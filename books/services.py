"""Business operations on the catalogue: the one search, and adding books."""

import datetime

from books.models import Book
from books.selectors import BookPage, search_books


def perform_search(*, query: str, offset: int, limit: int) -> BookPage:
    """The search behind both the page and the API."""
    return search_books(query=query, offset=offset, limit=limit)


def create_book(
    *,
    title: str,
    author: str,
    published_at: datetime.date,
    description: str = "",
    isbn: str | None = None,
) -> Book:
    """Validate and save a new book; raises ValidationError with per-field messages."""
    book = Book(
        title=title,
        author=author,
        published_at=published_at,
        description=description,
        isbn=isbn,
    )
    book.full_clean()
    book.save()
    return book


def upsert_sample_books(*, entries: list[dict]) -> int:
    """Add the entries not yet in the catalogue (same title and author); return how many."""
    created = 0
    for entry in entries:
        if Book.objects.filter(title=entry["title"], author=entry["author"]).exists():
            continue
        create_book(
            title=entry["title"],
            author=entry["author"],
            published_at=datetime.date.fromisoformat(entry["published_at"]),
            description=entry.get("description", ""),
            isbn=entry.get("isbn"),
        )
        created += 1
    return created
