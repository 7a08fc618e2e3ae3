"""Reads of the catalogue. Nothing here writes or sends anything (but for the in-memory search
cache, books/cache.py)."""

from dataclasses import dataclass
from functools import partial

from django.db import connections
from django.db.models import Q, QuerySet

from books.cache import CachedPage, cache_page, cached_page, page_key
from books.models import Book
from books.search import (
    FTS5_TABLE,
    FULLTEXT_COLUMNS,
    Match,
    SearchQuery,
    boolean_mode_query,
    fts5_query,
    parse_query,
)

# Searches count their matches only this far, and FULLTEXT searches rank only this many: every
# match counted is a row read, so an exact count over a million books costs far more than the
# page itself, and "200+" tells a visitor all they need (40 pages of 5 to browse).
COUNT_LIMIT = 200


@dataclass(frozen=True)
class BookPage:
    """One page of a search: the books on it and where it sits in the whole result."""

    query: str
    books: list[Book]
    total: int
    offset: int
    limit: int
    # True when more than `total` books match and counting stopped at `total`.
    total_is_lower_bound: bool = False

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


def more_by_author(*, book: Book, limit: int = 5) -> list[Book]:
    """Other books by `book`'s author, the most recently published first (book_author_idx)."""
    return list(
        Book.objects.filter(author=book.author)
        .exclude(pk=book.pk)
        .order_by("-published_at", "-id")[:limit]
    )


def best_matches(query: str) -> list[int] | None:
    """The ids of the books a full-text search finds, most relevant first, at most
    COUNT_LIMIT + 1 of them; None where no index can serve the query.

    The index (MySQL/MariaDB's FULLTEXT, SQLite's FTS5) finds the books containing every word
    of the query (the last one as a prefix) and every run of text without spaces in it. A LIKE
    over a million rows reads them all, so matching_books() serves only queries without a word
    the index holds (such as "the" or "AI") and other databases.
    """
    parsed = parse_query(query)
    if not parsed.terms:
        return None
    vendor = connections[Book.objects.db].vendor
    if vendor == "mysql":
        return _fulltext_matches(query, parsed)
    if vendor == "sqlite":
        return _fts5_matches(query, parsed)
    return None


def _fulltext_matches(query: str, parsed: SearchQuery) -> list[int]:
    # No ORDER BY: an ORDER BY reads every match's row to sort them, ~30,000 rows for a common
    # word in a million books, whereas InnoDB's FULLTEXT search already hands its matches out
    # most relevant first, equally relevant ones in index order (oldest first), so the first
    # rows are the best ones. A search therefore ranks only its COUNT_LIMIT best books; among
    # many equally relevant ones, books added later fall past that limit.
    books = Book.objects.annotate(
        relevance=Match(*FULLTEXT_COLUMNS, against=boolean_mode_query(query))
    ).filter(relevance__gt=0)
    for substring in parsed.substrings:
        # Only the index's candidates are read; `contains` is LIKE BINARY there, exact.
        books = books.filter(
            Q(title__contains=substring)
            | Q(author__contains=substring)
            | Q(description__contains=substring)
        )
    matches = list(books.order_by().values_list("pk", "relevance")[: COUNT_LIMIT + 1])
    # The same order again, made explicit (a stable sort keeps the index order of ties), so
    # that a server handing matches out unranked still shows the best of those it found first.
    matches.sort(key=lambda match: -match[1])
    return [pk for pk, _ in matches]


def _fts5_matches(query: str, parsed: SearchQuery) -> list[int]:
    table = Book._meta.db_table
    substring_filter = "".join(
        " AND (b.title LIKE %s OR b.author LIKE %s OR b.description LIKE %s)"
        for _ in parsed.substrings
    )
    # Runs without spaces hold no LIKE wildcard (% and _ are not among their characters).
    params = [f"%{substring}%" for substring in parsed.substrings for _ in range(3)]
    # FTS5's rank is bm25(): the best matches first, the oldest first among equals as on MySQL.
    sql = (
        f"SELECT b.id FROM {FTS5_TABLE} JOIN {table} b ON b.id = {FTS5_TABLE}.rowid "
        f"WHERE {FTS5_TABLE} MATCH %s{substring_filter} ORDER BY {FTS5_TABLE}.rank, b.id LIMIT %s"
    )
    with connections[Book.objects.db].cursor() as cursor:
        cursor.execute(sql, [fts5_query(query), *params, COUNT_LIMIT + 1])
        return [pk for (pk,) in cursor.fetchall()]


def search_books(*, query: str, offset: int, limit: int) -> BookPage:
    """The page of a search from `offset`, with a total that is exact up to COUNT_LIMIT
    matches and a lower bound beyond, so that no search counts a million rows. Served from
    the search cache while the catalogue is unchanged (books/cache.py), filling it otherwise."""
    key = page_key(query=query, offset=offset, limit=limit)
    cached = cached_page(key)
    if cached is None:
        page = _search_books(query=query, offset=offset, limit=limit)
        ids = tuple(book.pk for book in page.books)
        cache_page(key, CachedPage(ids, page.total, page.total_is_lower_bound))
        return page
    found = _books_in_order(cached.ids)
    return BookPage(
        query=query,
        books=found,
        # Only a raw SQL delete, which no signal announces, can have left ids behind.
        total=cached.total - (len(cached.ids) - len(found)),
        offset=offset,
        limit=limit,
        total_is_lower_bound=cached.total_is_lower_bound,
    )


def _books_in_order(ids: list[int] | tuple[int, ...]) -> list[Book]:
    """The books of these ids in this order, without those deleted meanwhile."""
    in_page = Book.objects.in_bulk(ids)
    return [in_page[pk] for pk in ids if pk in in_page]


def _search_books(*, query: str, offset: int, limit: int) -> BookPage:
    page = partial(BookPage, query=query, offset=offset, limit=limit)
    ranked = best_matches(query)
    if ranked is not None:
        # Past COUNT_LIMIT a FULLTEXT search has nothing to show: the page is empty.
        page_ids = ranked[:COUNT_LIMIT][offset : offset + limit]
        # A book deleted since it was found is left out, and out of the total.
        found = _books_in_order(page_ids)
        return page(
            books=found,
            total=min(len(ranked), COUNT_LIMIT) - (len(page_ids) - len(found)),
            total_is_lower_bound=len(ranked) > COUNT_LIMIT,
        )
    books = matching_books(query)
    # The book after the page says whether a next page exists, without counting anything.
    rows = list(books[offset : offset + limit + 1])
    if len(rows) <= limit and (rows or offset == 0):
        # This page holds the last match, so the total is known exactly for free.
        return page(books=rows, total=offset + len(rows))
    counted = books.order_by()[: COUNT_LIMIT + 1].count()
    # The books up to the one after this page exist even if the count ran before they were added.
    seen = offset + len(rows) if rows else 0
    return page(
        books=rows[:limit],
        total=max(min(counted, COUNT_LIMIT), seen),
        total_is_lower_bound=counted > COUNT_LIMIT,
    )
