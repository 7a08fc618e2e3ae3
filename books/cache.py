"""Search pages kept in memory for as long as the catalogue they were found in.

At a million books a search reads thousands of index postings per common word (tens of
milliseconds), while a bookshop's traffic is mostly the same few hundred searches. So each page
found (its books' ids and the total) is kept under the catalogue's version token, which every
write of books replaces inside its own transaction (books/receivers.py, on the signals that also
write the book.added/changed/removed events). A search reads the token before anything else and
looks only under it: a change is seen by the very next search, in every process, once it
commits, and a page found before it is never served again.

The pages live in Django's "search" cache (settings.CACHES): per process by default, bounded
by SEARCH_CACHE_ENTRIES. Only ids are kept; the page's books are read fresh by primary key.
"""

import hashlib
import secrets
from typing import NamedTuple

from django.core.cache import caches
from django.db import connections

from books.models import Book, CatalogueVersion

SEARCH_CACHE = "search"


class CachedPage(NamedTuple):
    ids: tuple[int, ...]
    total: int
    total_is_lower_bound: bool


def catalogue_version() -> int | None:
    """The catalogue's current token; None where its row is missing (a flushed test database
    before its first write), and then nothing is cached."""
    # Raw SQL: this runs before every search, and building it with the ORM took longer than
    # MariaDB takes to answer it.
    with connections[CatalogueVersion.objects.db].cursor() as cursor:
        cursor.execute(f"SELECT token FROM {CatalogueVersion._meta.db_table} WHERE id = 1")
        row = cursor.fetchone()
    return None if row is None else row[0]


def bump_catalogue_version() -> None:
    """Give the catalogue a new token, in the caller's transaction: every page cached so far
    describes an older catalogue from the moment it commits."""
    token = secrets.randbits(63)
    if not CatalogueVersion.objects.filter(pk=1).update(token=token):
        # A flushed test database: the row comes back with the first write.
        CatalogueVersion.objects.update_or_create(pk=1, defaults={"token": token})


def page_key(*, query: str, offset: int, limit: int) -> str | None:
    """Where the page of this search is cached in today's catalogue; None when uncacheable.

    The query is taken exactly as searched (already stripped): case, accents and spacing can
    change what the LIKE path finds. Hashed, as a cache key must be short and free of spaces."""
    version = catalogue_version()
    if version is None:
        return None
    digest = hashlib.blake2b(query.encode(), digest_size=16).hexdigest()
    # The database too: tests search SQLite and MariaDB from one process.
    return f"{Book.objects.db}:{version}:{offset}:{limit}:{digest}"


def cached_page(key: str | None) -> CachedPage | None:
    return None if key is None else caches[SEARCH_CACHE].get(key)


def cache_page(key: str | None, page: CachedPage) -> None:
    if key is not None:
        # No expiry: a new catalogue means new keys, and the oldest pages go first when full.
        caches[SEARCH_CACHE].set(key, page, timeout=None)
