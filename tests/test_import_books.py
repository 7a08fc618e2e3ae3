"""`manage.py import_books` adds the books of a CSV or JSON Lines file, reports bad rows by line
number while keeping the good ones, and adds nothing when run again."""

import datetime
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from books.models import Book

pytestmark = pytest.mark.django_db

HEADER = "title,author,published_at,description,isbn\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(*records: object) -> str:
    return "".join(
        (record if isinstance(record, str) else json.dumps(record, ensure_ascii=False)) + "\n"
        for record in records
    )


def import_books(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_books", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def rejected(path: Path, *args: str) -> tuple[str, str]:
    """The summary and the error of an import that rejected rows."""
    out = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_books", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue(), str(excinfo.value)


def test_csv_rows_become_books(tmp_path) -> None:
    path = write(
        tmp_path,
        "books.csv",
        HEADER
        + '"Kafka: The Definitive Guide",Gwen Shapira,2017-07-07,"Real-time data, at scale.",'
        "978-1-491-93616-0\n"
        "Der Prozeß,Franz Kafka,1925,,\n",
    )

    out = import_books(path)

    assert "2 books added, 0 skipped as already in the catalogue, 0 rejected." in out
    guide = Book.objects.get(author="Gwen Shapira")
    assert (guide.title, guide.isbn) == ("Kafka: The Definitive Guide", "9781491936160")
    assert guide.description == "Real-time data, at scale."
    trial = Book.objects.get(title="Der Prozeß")
    assert (trial.published_at, trial.isbn, trial.description) == (
        datetime.date(1925, 1, 1),
        None,
        "",
    )


def test_jsonl_lines_become_books(tmp_path) -> None:
    path = write(
        tmp_path,
        "books.jsonl",
        jsonl(
            {
                "title": "Cien años de soledad",
                "author": "Gabriel García Márquez",
                "published_at": "1967-05-30",
                "description": "Macondo.",
            },
            "",
            {
                "title": "Ærø",
                "author": "Kirsten Hvid",
                "published_at": 2011,
                "isbn": "9780141439587",
            },
        ),
    )

    out = import_books(path)

    assert "2 books added" in out
    assert Book.objects.get(title="Cien años de soledad").description == "Macondo."
    aero = Book.objects.get(title="Ærø")
    assert (aero.published_at, aero.isbn) == (datetime.date(2011, 1, 1), "9780141439587")


@pytest.mark.parametrize(
    ("published_at", "stored", "precision"),
    [
        ("1951", datetime.date(1951, 1, 1), Book.Precision.YEAR),
        (1951, datetime.date(1951, 1, 1), Book.Precision.YEAR),
        ("1987-09", datetime.date(1987, 9, 1), Book.Precision.MONTH),
        ("1815-12-23", datetime.date(1815, 12, 23), Book.Precision.DAY),
        ("2000-01-01", datetime.date(2000, 1, 1), Book.Precision.DAY),
    ],
)
def test_a_date_keeps_how_much_of_it_is_known(tmp_path, published_at, stored, precision) -> None:
    record = {"title": "Dated", "author": "Someone", "published_at": published_at}
    import_books(write(tmp_path, "books.jsonl", jsonl(record)))

    book = Book.objects.get(title="Dated")

    assert (book.published_at, book.published_precision) == (stored, precision)


@pytest.mark.parametrize("published_at", ["1987-13", "1987-9", "87", "1987-09-", "1987-02-30"])
def test_a_date_that_is_not_a_year_month_or_day_is_rejected(tmp_path, published_at) -> None:
    record = {"title": "Dated", "author": "Someone", "published_at": published_at}

    _, error = rejected(write(tmp_path, "books.jsonl", jsonl(record)))

    assert f"published_at '{published_at}' is not a date" in error
    assert not Book.objects.exists()


def test_malformed_csv_rows_are_reported_by_line_and_the_good_rows_kept(tmp_path) -> None:
    path = write(
        tmp_path,
        "books.csv",
        HEADER
        + "Emma,Jane Austen,1815-12-23,,\n"  # line 2
        + "Persuasion,Jane Austen,yesterday,,\n"
        + ",Nobody,2000-01-01,,\n"
        + "Sanditon,Jane Austen,1817-02-30,,\n"
        + "Lady Susan,Jane Austen,1871,,978-0-14-143958-8\n"
        + "Too,Many,2000-01-01,values,,here\n"
        + f"{'x' * 256},Someone,2000-01-01,,\n"
        + "Mansfield Park,Jane Austen,1814-07-01,,\n",  # line 9
    )

    summary, error = rejected(path)

    assert "2 books added, 0 skipped as already in the catalogue, 6 rejected." in summary
    assert sorted(Book.objects.values_list("title", flat=True)) == ["Emma", "Mansfield Park"]
    assert error.splitlines() == [
        "6 rows were rejected:",
        "line 3: published_at 'yesterday' is not a date (use YYYY-MM-DD, YYYY-MM or YYYY)",
        "line 4: title is missing",
        "line 5: published_at '1817-02-30' is not a date (use YYYY-MM-DD, YYYY-MM or YYYY)",
        "line 6: isbn '978-0-14-143958-8': This ISBN-13's check digit is wrong; please check "
        "the number for a typo.",
        "line 7: 6 values, but the header has 5",
        f"line 8: title '{'x' * 39}…': Ensure this value has at most 255 characters (it has 256).",
    ]


def test_malformed_jsonl_lines_are_reported_by_line_and_the_good_rows_kept(tmp_path) -> None:
    path = write(
        tmp_path,
        "books.jsonl",
        jsonl(
            {"title": "Emma", "author": "Jane Austen", "published_at": "1815-12-23"},
            '{"title": "Persuasion", "author": "Jane Austen"',
            '["Sanditon", "Jane Austen"]',
            {"title": "Lady Susan", "author": "Jane Austen", "published": "1871"},
            {"title": ["Northanger", "Abbey"], "author": "Jane Austen", "published_at": "1817"},
            {"author": "Jane Austen", "published_at": ""},
        ),
    )

    summary, error = rejected(path)

    assert "1 books added, 0 skipped as already in the catalogue, 5 rejected." in summary
    assert list(Book.objects.values_list("title", flat=True)) == ["Emma"]
    assert error.splitlines()[1:] == [
        "line 2: not valid JSON (Expecting ',' delimiter at column 48)",
        "line 3: expected a JSON object with the keys title, author, published_at, "
        "description, isbn",
        "line 4: unknown key 'published' (use title, author, published_at, description, isbn)",
        "line 5: title must be text, not list",
        "line 6: title is missing; published_at is missing",
    ]


def test_running_the_same_file_again_adds_nothing(tmp_path) -> None:
    path = write(
        tmp_path,
        "books.csv",
        HEADER + "".join(f"Book {n},Author {n},2000-01-01,,\n" for n in range(7)),
    )

    first = import_books(path, "--batch-size", "3")
    again = import_books(path, "--batch-size", "3")

    assert "7 books added" in first
    assert "0 books added, 7 skipped as already in the catalogue, 0 rejected." in again
    assert Book.objects.count() == 7


def test_books_already_known_by_isbn_or_title_and_author_are_skipped(make_book, tmp_path):
    make_book(title="Emma", author="Jane Austen")
    make_book(title="Kafka: The Definitive Guide", author="Gwen Shapira", isbn="9781491936160")
    path = write(
        tmp_path,
        "books.csv",
        HEADER
        + "Emma,Jane Austen,1815-12-23,Another edition,\n"
        + "Kafka: Definitive,Neha Narkhede,2017-07-07,,9781491936160\n"
        + "Persuasion,Jane Austen,1817-12-20,,\n"
        + "Persuasion,Jane Austen,1817-12-20,The same row twice,\n"
        + "EMMA,Jane Austen,1815-12-23,Not the same title,\n",
    )

    out = import_books(path)

    assert "2 books added, 3 skipped as already in the catalogue, 0 rejected." in out
    assert Book.objects.filter(title="Persuasion").count() == 1
    assert Book.objects.count() == 4


def test_at_most_twenty_problems_are_listed(tmp_path) -> None:
    path = write(
        tmp_path, "books.csv", HEADER + "".join(f"Book {n},Author,someday,,\n" for n in range(25))
    )

    _, error = rejected(path)

    lines = error.splitlines()
    assert lines[0] == "25 rows were rejected (the first 20 are listed):"
    assert len(lines) == 21
    assert lines[-1].startswith("line 21: published_at 'someday'")


def test_a_csv_header_without_the_required_columns_is_refused(tmp_path) -> None:
    path = write(tmp_path, "books.csv", "titel,author,date\nEmma,Jane Austen,1815\n")

    with pytest.raises(CommandError) as excinfo:
        import_books(path)

    assert str(excinfo.value).startswith(
        "line 1: no column 'title', no column 'published_at', unknown column 'titel', "
        "unknown column 'date'"
    )
    assert not Book.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("books.xlsx", b"", "use a .csv or .jsonl file"),
        ("books.csv", HEADER.encode() + b"Emma,Jane Austen,1815,\xff,\n", "is not UTF-8 text"),
    ],
)
def test_an_unreadable_file_is_refused_with_a_reason(tmp_path, name, content, message) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(CommandError, match=message):
        import_books(path)


def test_a_missing_file_is_refused(tmp_path) -> None:
    with pytest.raises(CommandError, match="There is no file"):
        import_books(tmp_path / "nothing.csv")
