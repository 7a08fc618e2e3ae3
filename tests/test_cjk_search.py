"""Text without spaces (Chinese, Japanese) is found by any substring of it, on MariaDB and on
SQLite, through the index: each book's runs of such text are indexed as characters and pairs
of characters (books/search.py), and a longer query run is checked as a substring."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from books.loading import add_new_books
from books.models import Book
from books.search import boolean_mode_query, parse_query, search_grams
from books.selectors import COUNT_LIMIT, search_books
from books.services import update_book
from tests.sqlite_search import SQLITE, on_database

ENGINES = ["default", SQLITE]


def found(query: str) -> list[str]:
    return [book.title for book in search_books(query=query, offset=0, limit=COUNT_LIMIT).books]


def add(title: str, author: str, description: str = "") -> Book:
    return Book.objects.create(
        title=title,
        author=author,
        description=description,
        published_at=datetime.date(2000, 1, 1),
    )


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    """Each test on MariaDB, then on SQLite; committed, as InnoDB's FULLTEXT only sees
    committed rows."""
    request.getfixturevalue("transactional_db")
    with on_database(request.param):
        add("三体", "刘慈欣", "地球往事三部曲之一。人类与三体文明的第一次接触。")
        add("活着", "余华", "福贵的一生。")
        add("ノルウェイの森", "村上春樹", "ワタナベの学生時代の回想。")
        add("The Three-Body Problem", "Liu Cixin", "Book one of a trilogy, 三部曲之一.")
        add("Bleak House", "Charles Dickens", "Jarndyce and Jarndyce.")
        # Both pairs of 三部曲, apart: not the word itself.
        add("Apart", "Nobody", "三部 and 部曲")
        yield request.param


pytestmark = pytest.mark.django_db(transaction=True, databases=["default", SQLITE])


def test_a_run_is_indexed_as_its_characters_and_pairs() -> None:
    assert search_grams("三体", "Liu") == "cjk04e09 cjk04f53 cjk04e0904f53"


def test_a_query_run_requires_its_pairs_and_a_longer_one_is_checked_whole() -> None:
    query = parse_query("dickens 三部曲")

    assert query.terms == ("dickens", "cjk04e09090e8", "cjk090e8066f2")
    assert (query.prefix, query.substrings) == (False, ("三部曲",))
    assert boolean_mode_query("三") == "+cjk04e09"
    assert boolean_mode_query("三体 dick") == "+cjk04e0904f53 +dick*"


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("三部曲", ["The Three-Body Problem", "三体"]),
        ("三体", ["三体"]),
        ("三", ["Apart", "The Three-Body Problem", "三体"]),
        ("刘慈欣", ["三体"]),
        ("ノルウェイの森", ["ノルウェイの森"]),
        ("村上", ["ノルウェイの森"]),
        ("学生時代", ["ノルウェイの森"]),
        ("trilogy 三部曲", ["The Three-Body Problem"]),
        ("三部曲 Liu", ["The Three-Body Problem"]),
        ("四部曲", []),
        ("体三", []),
        ("三部曲 dickens", []),
    ],
)
def test_any_substring_finds_its_books(engine, query, titles) -> None:
    with on_database(engine):
        assert sorted(found(query)) == titles


def test_edits_and_bulk_adds_keep_the_grams_in_step(engine) -> None:
    with on_database(engine):
        book = Book.objects.get(title="活着")
        update_book(
            book=book,
            title="许三观卖血记",
            author=book.author,
            published_at=book.published_at,
            description="卖血的故事。",
        )
        add_new_books([Book(title="围城", author="钱钟书", published_at=datetime.date(1947, 1, 1))])

        assert found("卖血") == ["许三观卖血记"]
        assert found("福贵") == []
        assert found("钱钟书") == ["围城"]


def test_saving_some_fields_saves_the_grams_with_them(engine) -> None:
    with on_database(engine):
        book = Book.objects.get(title="活着")
        book.description = "一个农民的一生。"
        book.save(update_fields=["description"])

        assert found("农民") == ["活着"]


# MariaDB's query plan: on MariaDB only (SQLite's FTS5 table is an index by construction).
@pytest.mark.parametrize("engine", ["default"], indirect=True)
def test_a_chinese_query_on_mariadb_reads_the_fulltext_index_not_the_table(engine) -> None:
    with CaptureQueriesContext(connection) as queries:
        search_books(query="三部曲", offset=0, limit=5)
    with connection.cursor() as cursor:
        [matching_sql] = [
            query["sql"] for query in queries.captured_queries if "MATCH" in query["sql"]
        ]
        cursor.execute(f"EXPLAIN {matching_sql}")
        columns = [column[0] for column in cursor.description]
        plan = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    assert [(step["type"], step["key"]) for step in plan] == [("fulltext", "book_fulltext_idx")]
