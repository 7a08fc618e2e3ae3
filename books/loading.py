"""Adding many books at once, for the file import (books/importing.py) and the synthetic
catalogue (books/generating.py).

Both insert in batches, one transaction and one multi-row INSERT per batch, and skip every book
whose ISBN or whose (title, author) the catalogue already has, so running them again adds
nothing and a run that was interrupted can simply be started again. Each batch's books are
announced (books_added) in its transaction: for a million-book import, a million book.added
events written 2,000 at a time with their books, so that the outbox never holds an event for a
book that was rolled back, nor misses one for a book that was kept.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction

from books.models import Book
from books.serializers import book_as_json
from books.signals import books_added

BATCH_SIZE = 2000
# Rows per INSERT statement: a batch of long descriptions must stay under max_allowed_packet.
INSERT_SIZE = 500
MAX_LISTED_PROBLEMS = 20


Progress = Callable[[int], object]


@dataclass
class LoadReport:
    """What a load did. `problems` lists the first MAX_LISTED_PROBLEMS rejected rows."""

    added: int = 0
    existing: int = 0
    rejected: int = 0
    problems: list[str] = field(default_factory=list)

    def reject(self, line: int, problem: str) -> None:
        self.rejected += 1
        if len(self.problems) < MAX_LISTED_PROBLEMS:
            self.problems.append(f"line {line}: {problem}")


def add_new_books(books: list[Book]) -> int:
    """Insert those of `books` whose ISBN and (title, author) are not in the catalogue yet, nor
    earlier in `books`; return how many were inserted. One transaction, two lookups; the
    books_added signal announces the inserted books inside it (their events are written to
    the outbox in the same transaction, a few statements per batch)."""
    with transaction.atomic():
        isbns = set(
            Book.objects.filter(isbn__in={b.isbn for b in books if b.isbn}).values_list(
                "isbn", flat=True
            )
        )
        # The title index finds the candidates; comparing in Python keeps "exists" an exact match
        # even where the database collation would call "Emma" and "EMMA" equal.
        pairs = set(
            Book.objects.filter(title__in={b.title for b in books}).values_list("title", "author")
        )
        new = []
        for book in books:
            if book.isbn in isbns or (book.title, book.author) in pairs:
                continue
            if book.isbn:
                isbns.add(book.isbn)
            pairs.add((book.title, book.author))
            new.append(book)
        Book.objects.bulk_create(new, batch_size=INSERT_SIZE)
        if new:
            _fill_ids(new)
            books_added.send(sender=Book, books=[book_as_json(book) for book in new])
    return len(new)


def _fill_ids(books: list[Book]) -> None:
    """Set the ids MySQL's bulk INSERT does not return (MariaDB and SQLite return them)."""
    if all(book.pk for book in books):
        return
    saved = Book.objects.filter(title__in={book.title for book in books})
    ids = {(title, author): pk for title, author, pk in saved.values_list("title", "author", "pk")}
    for book in books:
        book.pk = ids[(book.title, book.author)]


def load(books: Iterable[Book], report: LoadReport, batch_size: int) -> None:
    batch: list[Book] = []
    for book in books:
        batch.append(book)
        if len(batch) == batch_size:
            store(batch, report)
            batch = []
    store(batch, report)


def store(batch: list[Book], report: LoadReport) -> None:
    if batch:
        added = add_new_books(batch)
        report.added += added
        report.existing += len(batch) - added
