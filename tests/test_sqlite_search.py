"""On SQLite (`make run`'s embedded default) search works as on MariaDB: an FTS5 table kept in
step with books_book by triggers, every word required in any order, the last one a prefix,
ranked by bm25, and nothing typed is FTS5 syntax. Both engines find the same books."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.db import connections

from books.models import Book
from books.search import FTS5_TABLE, fts5_query
from books.selectors import COUNT_LIMIT, best_matches, search_books
from tests.sqlite_search import SQLITE, on_database

BOTH = ["default", SQLITE]
on_sqlite = pytest.mark.django_db(databases=BOTH)
MIGRATION = importlib.import_module("books.migrations.0005_book_search_index")


def found(query: str) -> list[str]:
    return [book.title for book in search_books(query=query, offset=0, limit=COUNT_LIMIT).books]


def add(**fields: object) -> Book:
    fields.setdefault("author", "Anonymous")
    fields.setdefault("published_at", datetime.date(2000, 1, 1))
    return Book.objects.create(**fields)


@pytest.fixture
def sqlite_catalogue() -> None:
    with on_database(SQLITE):
        add(title="Bleak House", author="Charles Dickens", description="Jarndyce and Jarndyce.")
        add(title="Great Expectations", author="Charles Dickens", description="Pip and Estella.")
        add(title="War and Peace", author="Leo Tolstoy", description="Napoleon invades Russia.")
        add(title="Software Tools", author="Brian Kernighan", description="Programs as tools.")
        add(
            title="Edward II", author="Christopher Marlowe", description="A king and his favourite."
        )
        add(title="Zürich Nights", author="Søren Ødegård", description="A café by the lake.")
        yield


def test_the_fts5_query_quotes_every_word_and_leaves_stopwords_out() -> None:
    assert fts5_query("Kafka on the sho") == '"Kafka" "sho"*'
    assert fts5_query("kafka on the") == '"kafka"'
    assert fts5_query("the of") == ""


@on_sqlite
@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("bleak dickens", ["Bleak House"]),
        ("Dickens Bleak", ["Bleak House"]),
        ("dickens expect", ["Great Expectations"]),
        ("war", ["War and Peace"]),
        ("zurich cafe", ["Zürich Nights"]),
        ("ødegård", ["Zürich Nights"]),
        ("war and the pea", ["War and Peace"]),
    ],
)
def test_every_word_is_required_in_any_order_the_last_one_a_prefix(
    sqlite_catalogue, query, titles
) -> None:
    with on_database(SQLITE):
        assert best_matches(query) is not None
        assert found(query) == titles


@on_sqlite
@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"bleak',
        "bleak OR house",
        "bleak NOT house",
        "NEAR(bleak house)",
        "title:bleak",
        "bleak* house^",
        "{title author}: bleak",
        "'; DROP TABLE books_book; --",
        '+-<>()~*"@:^{}' * 20,
        "x" * 300,
    ],
)
def test_nothing_typed_is_fts5_syntax(sqlite_catalogue, query) -> None:
    with on_database(SQLITE):
        page = search_books(query=query, offset=0, limit=10)
        assert Book.objects.count() == 6
    assert page.query == query
    assert [book.title for book in page.books] in ([], ["Bleak House"])


@on_sqlite
def test_operators_are_words_like_any_other(sqlite_catalogue) -> None:
    with on_database(SQLITE):
        assert found("bleak OR edward") == []
        assert found("bleak:house") == ["Bleak House"]


@on_sqlite
def test_the_best_match_comes_first(sqlite_catalogue) -> None:
    with on_database(SQLITE):
        add(title="Notes", description="Some notes on a zebra.")
        add(title="Zebra", description="The zebra, the zebra and the zebra.")
        add(title="More notes", description="A zebra among many other animals of the plain.")

        assert found("zebra")[0] == "Zebra"


@on_sqlite
def test_a_query_without_an_indexed_word_falls_back_to_a_substring(sqlite_catalogue) -> None:
    with on_database(SQLITE):
        assert best_matches("of the") is None
        assert found("by the") == ["Zürich Nights"]


@on_sqlite
def test_every_write_path_keeps_the_index_in_step(sqlite_catalogue) -> None:
    with on_database(SQLITE):
        bleak = Book.objects.get(title="Bleak House")
        bleak.title = "Dombey and Son"
        bleak.save()
        Book.objects.filter(title="War and Peace").update(title="Anna Karenina")
        Book.objects.filter(title="Software Tools").delete()
        Book.objects.bulk_create(
            [
                Book(
                    title="Hard Times",
                    author="Charles Dickens",
                    published_at=datetime.date(1854, 1, 1),
                )
            ]
        )
        with connections[SQLITE].cursor() as cursor:
            cursor.execute(
                "INSERT INTO books_book (title, author, published_at, published_precision, "
                "description, search_grams, created_at, updated_at) VALUES ('Little Dorrit', "
                "'Charles Dickens', '1857-01-01', 'year', '', '', '2020-01-01', '2020-01-01')"
            )
            cursor.execute(f"INSERT INTO {FTS5_TABLE} ({FTS5_TABLE}) VALUES ('integrity-check')")

        assert sorted(found("dickens")) == [
            "Dombey and Son",
            "Great Expectations",
            "Hard Times",
            "Little Dorrit",
        ]
        assert found("bleak") == []
        assert found("karenina") == ["Anna Karenina"]
        assert found("software") == []


class SqliteEditor:
    """The part of a schema editor the migration uses, inside the test's transaction (a real
    one refuses to start there, as it could not turn SQLite's foreign key checks off)."""

    connection = connections[SQLITE]

    def quote_name(self, name: str) -> str:
        return self.connection.ops.quote_name(name)

    def execute(self, sql: str) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql)


@on_sqlite
def test_the_migration_indexes_the_books_already_there(sqlite_catalogue) -> None:
    MIGRATION.remove_search_index(apps, SqliteEditor())
    with on_database(SQLITE):
        add(title="Our Mutual Friend", author="Charles Dickens")
    MIGRATION.add_search_index(apps, SqliteEditor())

    with on_database(SQLITE):
        assert sorted(found("dickens")) == [
            "Bleak House",
            "Great Expectations",
            "Our Mutual Friend",
        ]


# --- Both engines give the same books --------------------------------------------------------


@pytest.mark.django_db(transaction=True, databases=BOTH)
@pytest.mark.parametrize(
    "query",
    [
        "kafka",
        "Kafka on the sho",
        "Murakami",
        "jane austen",
        "definitive guide",
        "Kleppmann",
        "soledad",
        "años",
        "gabriel garcia marquez",
        "Ærø",
        # Not "Prozeß": MariaDB's collation also finds "Prozess" (ß = ss), FTS5 does not.
        "lighthouse",
        "silent river",
        "Müller",
        "cartog",
        "stream processing",
        "distributed systems",
        "Kraków",
        "Ólafsdóttir",
        "O'Brien",
        "Tim O'Reilly",
        "designing data-inten",
        "+kafka -shore",
        "quantum computing",
        "三部曲",
        "三体",
        "ノルウェイの森",
        "村上",
        "trilogy 三部曲",
    ],
)
def test_mariadb_and_sqlite_find_the_same_books(search_catalogue, make_book, query) -> None:
    make_book(title="三体", author="刘慈欣", description="地球往事三部曲之一。")
    make_book(
        title="The Three-Body Problem",
        author="Liu Cixin",
        description="The first book of a trilogy (地球往事三部曲).",
    )
    make_book(title="ノルウェイの森", author="村上春樹", description="ワタナベの回想。")
    Book.objects.using(SQLITE).bulk_create(Book.objects.all())

    on_mariadb = found(query)
    with on_database(SQLITE):
        on_sqlite = found(query)

    assert sorted(on_sqlite) == sorted(on_mariadb)
