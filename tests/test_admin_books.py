from django.db import connection
from django.test.utils import CaptureQueriesContext

from books.models import Book
from bookstore_site import paginators

ADD_URL = "/admin/books/book/add/"


def test_staff_adds_a_book_through_the_admin_and_search_finds_it(
    transactional_db, admin_client
) -> None:
    # Committed, because the FULLTEXT search only sees committed books.
    response = admin_client.post(
        ADD_URL,
        {
            "title": "Streaming Systems",
            "author": "Tyler Akidau",
            "published_at": "2018-08-01",
            "published_precision": "month",
            "isbn": "978-1-491-98387-4",
            "description": "The what, where, when and how of large-scale data processing.",
        },
    )

    assert response.status_code == 302
    book = Book.objects.get(title="Streaming Systems")
    assert book.isbn == "9781491983874"
    assert book.published_precision == Book.Precision.MONTH
    assert "Streaming Systems" in admin_client.get("/", {"q": "akidau"}).text


def test_admin_shows_field_errors_for_an_invalid_book(admin_client) -> None:
    response = admin_client.post(
        ADD_URL,
        {
            "title": "",
            "author": "X",
            "published_at": "someday",
            "published_precision": "day",
            "isbn": "9781491983875",
        },
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"title", "published_at", "isbn"}
    assert "check digit" in errors["isbn"][0]


def test_admin_changelist_searches_and_filters(admin_client, catalogue) -> None:
    response = admin_client.get("/admin/books/book/", {"q": "murakami"})

    assert response.status_code == 200
    assert [b.title for b in response.context["cl"].result_list] == ["Kafka on the Shore"]
    changelist = response.context["cl"]
    assert changelist.date_hierarchy is None  # no wall of year links over a million books
    assert [spec.title for spec in changelist.filter_specs] == ["published at", "created at"]


def test_admin_search_finds_every_word_in_any_order_and_an_exact_isbn(
    admin_client, catalogue, make_book
) -> None:
    make_book(title="Streaming Systems", isbn="9781491983874")

    def titles(term: str) -> list[str]:
        response = admin_client.get("/admin/books/book/", {"q": term})
        return [b.title for b in response.context["cl"].result_list]

    assert titles("shore kafka") == ["Kafka on the Shore"]
    assert titles("978-1491983874") == ["Streaming Systems"]


def test_the_book_list_counts_no_further_than_its_cap(admin_client, make_book, monkeypatch) -> None:
    monkeypatch.setattr(paginators, "COUNT_CAP", 3)
    for n in range(5):
        make_book(title=f"Volume {n}")

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get("/admin/books/book/")

    assert "3+ books" in response.text
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts, "the list counts its rows"
    # Every count is of a LIMITed subquery: none reads the whole table.
    assert all("LIMIT 4" in sql for sql in counts), counts


def test_non_staff_cannot_reach_the_admin(client, django_user_model) -> None:
    client.force_login(django_user_model.objects.create_user("visitor", password="x"))

    assert client.get(ADD_URL).status_code == 302
