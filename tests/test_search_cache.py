"""Searches are served from memory while the catalogue is unchanged, and never after it changed:
every write of books, whichever way it comes, gives the catalogue a new version in its own
transaction (books/cache.py). The data is committed, as InnoDB's FULLTEXT index sees only that."""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from books.cache import page_key
from books.loading import add_new_books
from books.models import Book
from books.selectors import search_books
from books.tokens import issue_api_token

NEW_BOOK = {
    "title": "Kafka Streams in Action",
    "author": "Bill Bejeck",
    "published_at": "2018-08-29",
    "description": "Real-time apps and microservices.",
}


def titles(query: str) -> list[str]:
    # A catalogue without a version caches nothing, and the tests below would prove nothing.
    assert page_key(query=query, offset=0, limit=20) is not None
    return [book.title for book in search_books(query=query, offset=0, limit=20).books]


def test_a_repeated_search_reads_no_index(catalogue) -> None:
    first = search_books(query="kafka", offset=0, limit=5)
    with CaptureQueriesContext(connection) as queries:
        again = search_books(query="kafka", offset=0, limit=5)

    assert (again.books, again.total, again.total_is_lower_bound) == (
        first.books,
        first.total,
        first.total_is_lower_bound,
    )
    assert not [query for query in queries.captured_queries if "MATCH" in query["sql"]]


def test_each_query_and_page_is_cached_apart(catalogue) -> None:
    first = search_books(query="kafka", offset=0, limit=2).books
    second = search_books(query="kafka", offset=2, limit=2).books

    assert len(first) == len(second) == 2
    assert not set(first) & set(second)
    assert titles("austen") == ["Emma"]


@pytest.fixture
def api_client(client, admin_user):
    token = issue_api_token(user=admin_user, name="cache test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def test_a_search_sees_a_book_added_through_the_api(api_client, catalogue) -> None:
    assert titles("bejeck") == []

    response = api_client.post("/api/books", NEW_BOOK, content_type="application/json")

    assert response.status_code == 201

    assert titles("bejeck") == ["Kafka Streams in Action"]


def test_a_search_sees_a_book_changed_through_the_api(api_client, catalogue) -> None:
    emma = catalogue["emma"]
    assert titles("austen") == ["Emma"]

    response = api_client.put(
        f"/api/books/{emma.pk}",
        {"title": "Emma", "author": "Anne Brontë", "published_at": "1815-12-23"},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert titles("austen") == []
    assert api_client.get("/api/books", {"q": "austen"}).json() == []


def test_a_search_sees_a_book_removed_through_the_api(api_client, catalogue) -> None:
    assert titles("austen") == ["Emma"]

    response = api_client.delete(f"/api/books/{catalogue['emma'].pk}")

    assert response.status_code == 204
    assert titles("austen") == []
    assert api_client.get("/api/books", {"q": "austen"})["X-Total-Count"] == "0"


def test_a_search_sees_a_book_changed_in_the_admin(admin_client, catalogue) -> None:
    emma = catalogue["emma"]
    assert "Emma" in admin_client.get("/", {"q": "austen"}).text

    response = admin_client.post(
        f"/admin/books/book/{emma.pk}/change/",
        {
            "title": "Mansfield Park",
            "author": "Anne Brontë",
            "published_at": "1814-07-01",
            "published_precision": "day",
            "description": "",
            "isbn": "",
        },
    )

    assert response.status_code == 302
    # Found by its new author only: the page cached for its old one is not served again.
    assert "Mansfield Park" not in admin_client.get("/", {"q": "austen"}).text
    assert "Mansfield Park" in admin_client.get("/", {"q": "brontë"}).text


def test_a_search_sees_books_loaded_in_bulk(catalogue) -> None:
    assert titles("bejeck") == []

    add_new_books([Book(**{**NEW_BOOK, "published_at": datetime.date(2018, 8, 29)})])

    assert titles("bejeck") == ["Kafka Streams in Action"]


def test_a_rolled_back_write_leaves_no_page_behind(catalogue, make_book) -> None:
    # A version counted up would give the next write the rolled-back one's number, and with
    # it the page this search cached meanwhile.
    with transaction.atomic():
        make_book(title="Zebra Crossing")
        assert titles("zebra") == []  # uncommitted: not yet in the FULLTEXT index
        transaction.set_rollback(True)

    make_book(title="Zebra Finch")

    assert titles("zebra") == ["Zebra Finch"]
