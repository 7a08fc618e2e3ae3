"""The seed's JSON shape of a book, shared by the API and the search events."""

from typing import TypedDict

from books.models import Book
from bookstore_site.timestamps import rfc3339

# A shell may have saved a date given as text: read the value as the field does.
PUBLISHED_AT = Book._meta.get_field("published_at")


class BookJSON(TypedDict):
    id: int
    title: str
    author: str
    published_at: str
    description: str
    created_at: str


def book_as_json(book: Book) -> BookJSON:
    return {
        "id": book.pk,
        "title": book.title,
        "author": book.author,
        # A shell may have saved a date given as text: read it as the field does.
        "published_at": Book._meta.get_field("published_at")
        .to_python(book.published_at)
        .isoformat(),
        "description": book.description,
        "created_at": rfc3339(book.created_at, timespec="seconds"),
    }
