"""The seed's JSON shape of a book, shared by the API and the search events."""

import datetime
from typing import TypedDict

from books.models import Book


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
        "published_at": book.published_at.isoformat(),
        "description": book.description,
        "created_at": rfc3339(book.created_at),
    }


def rfc3339(moment: datetime.datetime) -> str:
    """RFC 3339 in UTC to the second, e.g. 2026-12-03T07:44:56Z: what Go's time.Time reads (the
    seed's Go consumers), and what JavaScript and Python's fromisoformat() read too."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
