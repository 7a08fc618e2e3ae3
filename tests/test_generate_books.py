"""`manage.py generate_books` adds exactly the synthetic books asked for, the same ones for the
same seed, and nothing when run again."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from books.generating import (
    COMBINATIONS,
    MAX_BOOKS_PER_SEED,
    MAX_SEED,
    generate_books,
    synthetic_book,
)
from books.models import Book
from books.validators import validate_isbn13

pytestmark = pytest.mark.django_db


def generate(*args: str) -> str:
    out = StringIO()
    call_command("generate_books", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def catalogue_rows() -> set[tuple]:
    return set(Book.objects.values_list("title", "author", "published_at", "description", "isbn"))


def test_generates_the_count_asked_for() -> None:
    out = generate("--count", "250", "--seed", "3", "--batch-size", "100")

    assert "250 books added, 0 already in the catalogue" in out
    assert Book.objects.count() == 250


def test_the_same_seed_gives_the_same_books() -> None:
    generate_books(count=120, seed=3)
    first = catalogue_rows()
    Book.objects.all().delete()

    generate_books(count=120, seed=3)

    assert catalogue_rows() == first


def test_running_again_adds_nothing_and_a_larger_count_adds_only_the_rest() -> None:
    generate("--count", "150", "--seed", "3")

    again = generate("--count", "150", "--seed", "3")
    larger = generate("--count", "200", "--seed", "3")

    assert "0 books added, 150 already in the catalogue" in again
    assert "50 books added, 150 already in the catalogue" in larger
    assert Book.objects.count() == 200


def test_different_seeds_give_different_books() -> None:
    generate_books(count=100, seed=3)

    report = generate_books(count=100, seed=4)

    assert (report.added, report.existing) == (100, 0)


def test_books_are_realistic_and_some_names_are_not_ascii() -> None:
    books = [synthetic_book(seed=0, index=index) for index in range(200)]

    assert all(book.title and book.author and book.description for book in books)
    assert all(len(book.author.split()) == 2 for book in books)
    assert any(not book.author.isascii() for book in books)
    assert len({book.title.split()[1] for book in books}) > 20


def test_every_book_has_a_valid_isbn_and_its_own_title_and_author() -> None:
    books = [synthetic_book(seed=seed, index=n) for seed in (0, 1, MAX_SEED) for n in range(20000)]

    for book in books[::97]:
        validate_isbn13(book.isbn)
    assert len({book.isbn for book in books}) == len(books)
    assert len({(book.title, book.author) for book in books}) == len(books)


def test_there_are_enough_titles_and_authors_for_every_seed_and_count() -> None:
    assert COMBINATIONS >= (MAX_SEED + 1) * MAX_BOOKS_PER_SEED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--count", "-1"], "count must be between 0"),
        (["--count", "10", "--seed", str(MAX_SEED + 1)], "seed must be between 0"),
        (["--count", "10", "--batch-size", "0"], "at least 1"),
    ],
)
def test_impossible_arguments_are_refused(args, message) -> None:
    with pytest.raises(CommandError, match=message):
        generate(*args)
