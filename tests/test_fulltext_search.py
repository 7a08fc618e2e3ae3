"""Search through MariaDB's FULLTEXT index finds what a visitor means, whatever they type.

The data is committed (`search_catalogue` is transactional) because InnoDB's FULLTEXT index
only sees committed rows."""

import importlib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from books import selectors
from books.models import Book
from books.search import MAX_WORD_LENGTH, MIN_WORD_LENGTH, STOPWORDS, boolean_mode_query
from books.selectors import COUNT_LIMIT, best_matches, matching_books, search_books


def titles(books) -> list[str]:
    return [book.title for book in books]


def found(query: str) -> list[str]:
    return titles(search_books(query=query, offset=0, limit=COUNT_LIMIT).books)


# --- Turning what was typed into a boolean-mode query ------------------------------------------


def test_every_word_is_required_and_the_last_may_be_unfinished() -> None:
    assert boolean_mode_query("kafka shore") == "+kafka +shore*"


def test_short_words_and_stopwords_are_left_out() -> None:
    assert boolean_mode_query("Kafka on the Shore") == "+Kafka +Shore*"
    assert boolean_mode_query("Go in Action") == "+Action*"


def test_the_last_word_is_a_prefix_only_when_it_was_typed_last() -> None:
    assert boolean_mode_query("kafka on the") == "+kafka"


@pytest.mark.parametrize("query", ["the", "AI", "a an of", "C++", "", "  ", "+-*"])
def test_a_query_without_an_indexed_word_gives_no_boolean_query(query) -> None:
    assert boolean_mode_query(query) == ""


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("años", "+años*"),
        ("an\u0303os", "+años*"),  # "ñ" typed as n + combining tilde
        ("Ærø", "+Ærø*"),
        ("Der Prozeß", "+Der +Prozeß*"),
        ("Ólafsdóttir", "+Ólafsdóttir*"),
    ],
)
def test_non_ascii_words_stay_whole(query, expected) -> None:
    assert boolean_mode_query(query) == expected


@pytest.mark.parametrize(
    "query",
    [
        '+kafka -shore ~cats <boy >man (old) "runaway" @3 kafka*',
        '"' * 200,
        "+-<>()~*\"@'%_\\;:,.!?&|^$#=[]{}" * 6,
        "kafka@shore kafka(shore) kafka\"shore' kafka*shore*",
        "x" * 300,
    ],
)
def test_no_operator_survives_in_the_boolean_query(query) -> None:
    assert re.fullmatch(r"(\+\w+ )*\+\w+\*?|", boolean_mode_query(query))


def test_words_longer_than_the_index_holds_are_left_out() -> None:
    assert boolean_mode_query("kafka " + "x" * (MAX_WORD_LENGTH + 1)) == "+kafka"


@pytest.mark.django_db
def test_the_servers_fulltext_settings_are_the_ones_the_query_builder_assumes() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@innodb_ft_min_token_size, @@innodb_ft_max_token_size")
        assert cursor.fetchone() == (MIN_WORD_LENGTH, MAX_WORD_LENGTH)
        cursor.execute("SELECT value FROM information_schema.INNODB_FT_DEFAULT_STOPWORD")
        assert {word for (word,) in cursor.fetchall()} == STOPWORDS


# --- Searching -----------------------------------------------------------------------------------


def test_search_uses_the_fulltext_index_without_sorting_every_match(search_catalogue) -> None:
    with CaptureQueriesContext(connection) as queries:
        search_books(query="kafka", offset=0, limit=5)
    # The first query reads the catalogue's version for the search cache (books/cache.py).
    [matching_sql] = [query["sql"] for query in queries.captured_queries if "MATCH" in query["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {matching_sql}")
        columns = [column[0] for column in cursor.description]
        plan = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    assert "MATCH" in matching_sql
    assert [(step["type"], step["key"]) for step in plan] == [("fulltext", "book_fulltext_idx")]
    assert "filesort" not in str(plan)


def test_exact_words_find_the_books_containing_all_of_them(search_catalogue) -> None:
    assert found("kafka shore") == ["Kafka on the Shore"]
    assert sorted(found("kafka data")) == [
        "Designing Data-Intensive Applications",
        "Kafka: The Definitive Guide",
    ]


def test_title_author_and_description_all_count_case_insensitively(search_catalogue) -> None:
    assert sorted(found("KAFKA")) == [
        "Der Prozess",
        "Der Prozeß",
        "Designing Data-Intensive Applications",
        "Kafka on the Shore",
        "Kafka: The Definitive Guide",
    ]


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("kafka on the sho", "Kafka on the Shore"),
        ("Murak", "Kafka on the Shore"),
        ("designing data-inten", "Designing Data-Intensive Applications"),
    ],
)
def test_the_last_word_matches_while_it_is_still_being_typed(search_catalogue, query, title):
    assert found(query) == [title]


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("Kleppmann", "Designing Data-Intensive Applications"),
        ("jane austen", "Emma"),
        ("Gabriel García Márquez", "Cien años de soledad"),
        ("gabriel garcia marquez", "Cien años de soledad"),
        ("Tim O'Reilly", "Tim O'Reilly's Field Notes"),
    ],
)
def test_author_names_find_their_books(search_catalogue, query, title) -> None:
    assert found(query) == [title]


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("Kafka: The Definitive Guide!", "Kafka: The Definitive Guide"),
        ("data-intensive, applications.", "Designing Data-Intensive Applications"),
        ("(emma)", "Emma"),
    ],
)
def test_punctuation_is_ignored(search_catalogue, query, title) -> None:
    assert found(query) == [title]


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("años", "Cien años de soledad"),
        ("soledad", "Cien años de soledad"),
        ("Ærø island", "Ærø: An Island Year"),
        ("Der Prozeß", "Der Prozeß"),
    ],
)
def test_non_ascii_titles_are_found(search_catalogue, query, title) -> None:
    assert title in found(query)


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("on the", "Kafka on the Shore"),
        ("Go", "The Go Programming Language"),
        ("the", "Kafka: The Definitive Guide"),
    ],
)
def test_stopword_and_short_queries_fall_back_to_a_substring_search(search_catalogue, query, title):
    page = search_books(query=query, offset=0, limit=1000)

    assert title in titles(page.books)
    assert titles(page.books) == titles(matching_books(query)[:1000])


@pytest.mark.parametrize(
    "query",
    [
        "+kafka -shore",
        '"kafka shore"',
        "kafka* shore*",
        "(kafka) (shore)",
        "~kafka <shore",
        ">kafka @8 shore",
        "'kafka' 'shore'",
        "kafka%shore",
        "KAFKA; SHORE",
    ],
)
def test_operators_in_a_query_are_words_apart_not_syntax(search_catalogue, query) -> None:
    assert found(query) == ["Kafka on the Shore"]


@pytest.mark.parametrize(
    "query",
    [
        "*",
        "@",
        "(",
        '"',
        '+-<>()~*"@' * 20,
        "x" * 300,
        "'; DROP TABLE books_book; --",
        "%",
        "_",
        "\\",
        "kafka " + "x" * 300,
    ],
)
def test_hostile_queries_neither_fail_nor_escape(search_catalogue, query) -> None:
    page = search_books(query=query, offset=0, limit=10)

    assert page.query == query
    assert Book.objects.count() == len(search_catalogue) + 300


@pytest.mark.parametrize(
    "query",
    [
        "kafka",
        "Murakami",
        "jane austen",
        "definitive guide",
        "Kleppmann",
        "soledad",
        "Ærø",
        "García Márquez",
        "stream processing",
        "lighthouse",
        "Kraków",
        "Ólafsdóttir",
        "O'Brien",
    ],
)
def test_fulltext_and_like_find_the_same_books_for_everyday_queries(search_catalogue, query):
    # Whole words and names: LIKE also matches inside words, so "años" finds "Castellanos" too
    # (the collation equates ñ and n), which no visitor expects and FULLTEXT rightly skips.
    assert set(found(query)) == set(titles(matching_books(query)))


def test_more_relevant_books_come_first_then_in_the_order_they_were_added(
    catalogue, make_book
) -> None:
    older = make_book(title="Zebra Notes", author="Ann Lee")
    newer = make_book(title="Zebra Notes", author="Bob Ray")
    most_relevant = make_book(
        title="Zebra", author="Cy Ode", description="The zebra, the zebra and the zebra."
    )

    assert search_books(query="zebra", offset=0, limit=5).books == [most_relevant, older, newer]


def test_a_search_with_more_matches_than_it_ranks_shows_the_most_relevant(
    catalogue, make_book, monkeypatch
) -> None:
    # Relevance unrelated to age, so that the index's own order cannot pass for the ranking.
    for stripes in (2, 7, 1, 5, 8, 3, 6, 4):
        make_book(title=f"Zebra {stripes}", description=" ".join(["zebra"] * stripes))
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 3)

    page = search_books(query="zebra", offset=0, limit=5)

    assert titles(page.books) == ["Zebra 8", "Zebra 7", "Zebra 6"]
    assert (page.total, page.total_is_lower_bound, page.has_next) == (3, True, False)


def test_equally_relevant_books_past_the_ranking_limit_are_the_latest_added(
    catalogue, make_book, monkeypatch
) -> None:
    for n in range(5):
        make_book(title=f"Okapi {n}")
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 3)

    page = search_books(query="okapi", offset=0, limit=5)

    assert titles(page.books) == ["Okapi 0", "Okapi 1", "Okapi 2"]


def test_a_page_past_the_ranking_limit_is_empty(search_catalogue, monkeypatch) -> None:
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 3)

    page = search_books(query="kafka", offset=3, limit=5)

    assert (page.books, page.total, page.total_is_lower_bound) == ([], 3, True)


def test_a_book_deleted_after_it_was_found_leaves_the_page_and_the_total(
    search_catalogue, monkeypatch
) -> None:
    emma, deleted_id = search_catalogue["emma"], 10**9
    monkeypatch.setattr(selectors, "best_matches", lambda query: [emma.pk, deleted_id])

    page = search_books(query="emma", offset=0, limit=5)

    assert (page.books, page.total, page.has_next) == ([emma], 1, False)


def test_other_databases_search_with_like_semantics(search_catalogue, monkeypatch) -> None:
    monkeypatch.setattr(connection, "vendor", "postgresql")

    assert best_matches("Kafka on the") is None
    assert found("Kafka on the") == ["Kafka on the Shore"]


def test_the_fulltext_migration_does_nothing_on_sqlite() -> None:
    migration = importlib.import_module("books.migrations.0002_book_fulltext_index")

    class SqliteEditor:
        class connection:
            vendor = "sqlite"

        def execute(self, sql: str) -> None:
            raise AssertionError(f"ran {sql}")

    migration.add_fulltext_index(None, SqliteEditor())
    migration.drop_fulltext_index(None, SqliteEditor())


# --- Paging without counting every match -------------------------------------------------------


def test_a_page_holding_the_last_match_knows_the_exact_total(search_catalogue) -> None:
    page = search_books(query="kafka", offset=3, limit=10)

    assert (page.total, page.total_is_lower_bound, page.has_next) == (5, False, False)


def test_counting_stops_at_the_limit_and_says_the_total_is_a_lower_bound(
    search_catalogue, monkeypatch
) -> None:
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 20)

    page = search_books(query="", offset=0, limit=5)

    assert (page.total, page.total_is_lower_bound, page.has_next) == (20, True, True)
    assert titles(page.books) == titles(Book.objects.all()[:5])


def test_a_page_past_the_count_limit_still_offers_the_next_one(search_catalogue, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 20)

    page = search_books(query="", offset=100, limit=5)

    assert len(page.books) == 5
    assert page.total_is_lower_bound
    assert page.total == 106  # the books up to the one after this page
    assert page.has_next


def test_a_page_under_the_count_limit_gets_the_exact_total(search_catalogue) -> None:
    page = search_books(query="kafka", offset=0, limit=2)

    assert (page.total, page.total_is_lower_bound, page.has_next) == (5, False, True)


def test_a_page_past_the_last_match_is_empty_with_the_exact_total(search_catalogue) -> None:
    page = search_books(query="kafka", offset=50, limit=5)

    assert (page.books, page.total, page.has_next) == ([], 5, False)


def test_the_empty_query_lists_the_newest_books_and_their_total(
    search_catalogue, monkeypatch
) -> None:
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 1000)

    page = search_books(query="", offset=0, limit=5)

    assert page.total == Book.objects.count()
    assert titles(page.books) == titles(Book.objects.order_by("-created_at", "-id")[:5])
