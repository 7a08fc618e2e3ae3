from books.models import Book

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
            "isbn": "978-1-491-98387-4",
            "description": "The what, where, when and how of large-scale data processing.",
        },
    )

    assert response.status_code == 302
    book = Book.objects.get(title="Streaming Systems")
    assert book.isbn == "9781491983874"
    assert "Streaming Systems" in admin_client.get("/", {"q": "akidau"}).text


def test_admin_shows_field_errors_for_an_invalid_book(admin_client) -> None:
    response = admin_client.post(
        ADD_URL, {"title": "", "author": "X", "published_at": "someday", "isbn": "9781491983875"}
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
    assert changelist.date_hierarchy == "published_at"
    assert [spec.title for spec in changelist.filter_specs] == ["published at", "created at"]


def test_non_staff_cannot_reach_the_admin(client, django_user_model) -> None:
    client.force_login(django_user_model.objects.create_user("visitor", password="x"))

    assert client.get(ADD_URL).status_code == 302
