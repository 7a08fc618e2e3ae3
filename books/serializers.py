"""The seed's JSON shape of a book, shared by the API and the search events."""

from typing import TypedDict

from django.utils import timezone

from books.models import Book

CREATED_AT_FORMAT = "%Y-%m-%d %H:%M:%S"


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
        "created_at": timezone.localtime(book.created_at).strftime(CREATED_AT_FORMAT),
    }
