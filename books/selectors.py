"""Reads of the catalogue. Nothing here writes or sends anything."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from books.models import Book


@dataclass(frozen=True)
class BookPage:
    """One page of a search: the books on it and where it sits in the whole result."""

    query: str
    books: list[Book]
    total: int
    offset: int
    limit: int

    @property
    def has_previous(self) -> bool:
        return self.offset > 0

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.books) < self.total


def matching_books(query: str) -> QuerySet[Book]:
    """Books whose title, author or description contain the query, case-insensitively.

    The seed's `LIKE '%q%'` semantics: the whole query is one substring. An empty query
    matches every book, newest first.
    """
    books = Book.objects.all()
    if query:
        books = books.filter(
            Q(title__icontains=query) | Q(author__icontains=query) | Q(description__icontains=query)
        )
    return books


def search_books(*, query: str, offset: int, limit: int) -> BookPage:
    books = matching_books(query)
    return BookPage(
        query=query,
        books=list(books[offset : offset + limit]),
        total=books.count(),
        offset=offset,
        limit=limit,
    )
