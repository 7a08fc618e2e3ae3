import datetime

import pytest
from django.core.exceptions import ValidationError

from books.models import Book
from books.services import create_book


@pytest.mark.django_db
def test_create_book_stores_isbn_without_hyphens() -> None:
    book = create_book(
        title="Emma",
        author="Jane Austen",
        published_at=datetime.date(1815, 12, 23),
        isbn="978-0-14-143958-7",
    )

    assert Book.objects.get(pk=book.pk).isbn == "9780141439587"


@pytest.mark.django_db
def test_blank_isbn_is_stored_as_null_so_many_books_can_lack_one() -> None:
    for title in ("One", "Two"):
        create_book(title=title, author="A", published_at=datetime.date(2000, 1, 1), isbn="")

    assert Book.objects.filter(isbn__isnull=True).count() == 2


@pytest.mark.django_db
def test_isbn_with_wrong_check_digit_is_rejected_with_a_clear_message() -> None:
    with pytest.raises(ValidationError) as excinfo:
        create_book(
            title="X", author="Y", published_at=datetime.date(2000, 1, 1), isbn="9780141439588"
        )

    assert "check digit" in excinfo.value.message_dict["isbn"][0]


@pytest.mark.django_db
def test_duplicate_isbn_is_rejected() -> None:
    create_book(title="A", author="B", published_at=datetime.date(2000, 1, 1), isbn="9780141439587")

    with pytest.raises(ValidationError) as excinfo:
        create_book(
            title="C", author="D", published_at=datetime.date(2001, 1, 1), isbn="9780141439587"
        )

    assert "already exists" in excinfo.value.message_dict["isbn"][0]


@pytest.mark.django_db
def test_missing_title_and_date_are_reported_per_field() -> None:
    with pytest.raises(ValidationError) as excinfo:
        create_book(title="", author="Someone", published_at=None)

    assert set(excinfo.value.message_dict) == {"title", "published_at"}


def test_books_list_newest_first(make_book) -> None:
    older = make_book(title="Older")
    newer = make_book(title="Newer")

    assert list(Book.objects.all()) == [newer, older]


def test_book_reads_as_title_by_author(make_book) -> None:
    assert str(make_book(title="Emma", author="Jane Austen")) == "Emma by Jane Austen"
