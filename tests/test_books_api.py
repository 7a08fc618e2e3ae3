import datetime
import json
import re

import pytest
from django.test import Client

from books.models import Book
from books.tokens import issue_api_token
from events.models import OutboxEvent
from events.types.book_changes import BOOK_CHANGED, BOOK_REMOVED

NEW_BOOK = {
    "title": "The Log",
    "author": "Jay Kreps",
    "published_at": "2014-10-01",
    "description": "What every software engineer should know about logs.",
}


def test_api_search_returns_books_with_the_seeds_field_names(client, catalogue) -> None:
    response = client.get("/api/books", {"q": "austen"})

    assert response.status_code == 200
    [book] = response.json()
    emma = catalogue["emma"]
    assert book == {
        "id": emma.pk,
        "title": "Emma",
        "author": "Jane Austen",
        "published_at": "1815-12-23",
        "description": "A young matchmaker misjudges her friends.",
        "created_at": emma.created_at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert response["X-Total-Count"] == "1"


def test_api_says_when_the_total_is_only_a_lower_bound(
    client, catalogue, monkeypatch, settings
) -> None:
    settings.PAGE_SIZE = 2
    monkeypatch.setattr("books.selectors.COUNT_LIMIT", 3)

    capped = client.get("/api/books", {"q": "kafka"})
    exact = client.get("/api/books", {"q": "austen"})

    assert (capped["X-Total-Count"], capped["X-Total-Is-Lower-Bound"]) == ("3", "true")
    assert (exact["X-Total-Count"], exact["X-Total-Is-Lower-Bound"]) == ("1", "false")


@pytest.mark.parametrize("offset_name", ["offset", "o"])
def test_api_search_skips_offset_books(client, catalogue, settings, offset_name) -> None:
    settings.PAGE_SIZE = 2
    everything = [b["title"] for b in client.get("/api/books", {"q": "kafka"}).json()]

    rest = client.get("/api/books", {"q": "kafka", offset_name: 2}).json()

    assert len(everything) == 2
    assert len(rest) == 2
    assert not {b["title"] for b in rest} & set(everything)


@pytest.mark.parametrize("offset", ["-1", "abc", "1e3", "99999999999999999999"])
def test_api_rejects_a_bad_offset_with_400_json(client, db, offset) -> None:
    response = client.get("/api/books", {"offset": offset})

    assert response.status_code == 400
    assert "offset" in response.json()["errors"]


def test_api_rejects_a_query_over_200_characters(client, db) -> None:
    response = client.get("/api/books", {"q": "x" * 201})

    assert response.status_code == 400
    assert "200 characters" in response.json()["detail"]


def test_api_returns_one_book(client, catalogue) -> None:
    book = catalogue["ddia"]

    response = client.get(f"/api/books/{book.pk}")

    assert response.status_code == 200
    assert response.json()["title"] == "Designing Data-Intensive Applications"


def test_api_unknown_book_is_404_json(client, db) -> None:
    response = client.get("/api/books/424242")

    assert response.status_code == 404
    assert response.json() == {"detail": "There is no book with id 424242."}


def test_anonymous_post_is_401(client, db) -> None:
    response = client.post("/api/books", NEW_BOOK, content_type="application/json")

    assert response.status_code == 401
    assert not Book.objects.exists()


def test_staff_session_can_add_a_book(admin_client) -> None:
    response = admin_client.post("/api/books", NEW_BOOK, content_type="application/json")

    assert response.status_code == 201
    body = response.json()
    assert body["title"] == "The Log"
    assert Book.objects.get(pk=body["id"]).published_at == datetime.date(2014, 10, 1)


def test_token_client_can_add_a_book(client, admin_user) -> None:
    token = issue_api_token(user=admin_user, name="importer")

    response = client.post(
        "/api/books",
        NEW_BOOK,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 201
    assert Book.objects.filter(title="The Log").exists()


def test_wrong_token_is_401(client, db) -> None:
    response = client.post(
        "/api/books", NEW_BOOK, content_type="application/json", HTTP_AUTHORIZATION="Bearer nope"
    )

    assert response.status_code == 401


def test_user_without_add_permission_is_403(client, django_user_model) -> None:
    user = django_user_model.objects.create_user("reader", password="x", is_staff=True)
    token = issue_api_token(user=user, name="reader")

    response = client.post(
        "/api/books",
        NEW_BOOK,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW_BOOK, "title": ""}, "title"),
        ({**NEW_BOOK, "published_at": "not a date"}, "published_at"),
        ({key: value for key, value in NEW_BOOK.items() if key != "author"}, "author"),
        ({**NEW_BOOK, "isbn": "12345"}, "isbn"),
    ],
)
def test_invalid_post_body_is_400_with_field_errors(admin_client, body, field) -> None:
    response = admin_client.post("/api/books", body, content_type="application/json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Book.objects.exists()


def test_malformed_json_body_is_400(admin_client) -> None:
    response = admin_client.post("/api/books", "{not json", content_type="application/json")

    assert response.status_code == 400


def test_openapi_schema_is_generated_from_the_code(client, db) -> None:
    response = client.get("/api/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/books", "/api/books/{book_id}"} <= set(schema["paths"])
    assert "post" in schema["paths"]["/api/books"]


def outbox_events(event_type: str) -> list[dict]:
    rows = OutboxEvent.objects.filter(event_type=event_type).order_by("id")
    return [json.loads(bytes(row.value)) for row in rows]


def test_put_changes_a_book_and_writes_its_changed_event(client, admin_user, make_book) -> None:
    book = make_book(title="The Logg", author="Jay Kreps")
    token = issue_api_token(user=admin_user, name="editor")

    response = client.put(
        f"/api/books/{book.pk}",
        NEW_BOOK,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 200
    assert response.json()["title"] == "The Log"
    book.refresh_from_db()
    assert book.title == "The Log"
    [changed] = outbox_events(BOOK_CHANGED)
    assert (changed["id"], changed["title"]) == (book.pk, "The Log")


def test_delete_removes_a_book_and_writes_its_removed_event(client, admin_user, make_book) -> None:
    book = make_book(title="Gone Girl")
    token = issue_api_token(user=admin_user, name="editor")

    response = client.delete(f"/api/books/{book.pk}", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 204
    assert not Book.objects.filter(pk=book.pk).exists()
    assert [(e["id"], e["title"]) for e in outbox_events(BOOK_REMOVED)] == [(book.pk, "Gone Girl")]


@pytest.mark.parametrize("method", ["put", "delete"])
def test_changing_or_deleting_without_the_permission_is_403_and_writes_nothing(
    client, django_user_model, make_book, method
) -> None:
    book = make_book(title="Kept")
    user = django_user_model.objects.create_user("adder", password="x", is_staff=True)
    token = issue_api_token(user=user, name="adder")

    response = getattr(client, method)(
        f"/api/books/{book.pk}",
        NEW_BOOK,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 403
    assert Book.objects.get(pk=book.pk).title == "Kept"
    assert not outbox_events(BOOK_CHANGED) + outbox_events(BOOK_REMOVED)


@pytest.mark.parametrize("method", ["put", "delete"])
def test_changing_or_deleting_a_missing_book_is_404(admin_client, method) -> None:
    response = getattr(admin_client, method)(
        "/api/books/999999", NEW_BOOK, content_type="application/json"
    )

    assert response.status_code == 404
    assert response.json()["detail"] == "There is no book with id 999999."


def test_changing_a_book_deleted_meanwhile_is_404_and_does_not_add_it_again(
    admin_client, make_book, monkeypatch
) -> None:
    book = make_book(title="Going")
    book_id = book.pk
    stale = Book.objects.get(pk=book_id)
    book.delete()
    # As if the book was read before another request deleted it.
    monkeypatch.setattr("books.api.book_or_404", lambda book_id: stale)

    response = admin_client.put(f"/api/books/{book_id}", NEW_BOOK, content_type="application/json")

    assert response.status_code == 404
    assert not Book.objects.filter(pk=book_id).exists()
    assert not outbox_events(BOOK_CHANGED)


@pytest.fixture
def csrf_client(db):
    """A client that is CSRF-checked, as a browser is (the default test client is not)."""
    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize("authorization", [None, "Bearer nope", "Basic Zm9vOmJhcg=="])
def test_missing_or_wrong_credentials_are_401_with_a_bearer_challenge(
    csrf_client, authorization
) -> None:
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = csrf_client.post("/api/books", NEW_BOOK, content_type="application/json", **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert not Book.objects.exists()


def test_a_token_is_never_csrf_checked_even_beside_a_session(csrf_client, admin_user) -> None:
    csrf_client.force_login(admin_user)
    token = issue_api_token(user=admin_user, name="importer")

    response = csrf_client.post(
        "/api/books",
        NEW_BOOK,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 201


def test_a_wrong_token_beside_a_session_is_401_not_a_csrf_403(csrf_client, admin_user) -> None:
    csrf_client.force_login(admin_user)

    response = csrf_client.post(
        "/api/books", NEW_BOOK, content_type="application/json", HTTP_AUTHORIZATION="Bearer nope"
    )

    assert response.status_code == 401
    assert not Book.objects.exists()


def test_a_session_request_without_its_csrf_token_is_403(csrf_client, admin_user) -> None:
    csrf_client.force_login(admin_user)

    response = csrf_client.post("/api/books", NEW_BOOK, content_type="application/json")

    assert response.status_code == 403
    assert not Book.objects.exists()


def test_a_session_request_with_its_csrf_token_adds_a_book(csrf_client, admin_user) -> None:
    csrf_client.force_login(admin_user)
    csrf_client.get("/admin/")  # sets the csrftoken cookie

    response = csrf_client.post(
        "/api/books",
        NEW_BOOK,
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf_client.cookies["csrftoken"].value,
    )

    assert response.status_code == 201


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f", "\x85"])
@pytest.mark.parametrize(
    ("url", "parameter"), [("/api/books", "q"), ("/api/recommendations", "uid")]
)
def test_control_characters_in_a_query_parameter_are_400(
    client, db, url, parameter, character
) -> None:
    response = client.get(url, {parameter: f"kafka{character}python"})

    assert response.status_code == 400
    assert parameter in response.json()["errors"]
    assert not OutboxEvent.objects.exists()


@pytest.mark.parametrize("field", ["title", "author", "description"])
def test_control_characters_in_a_body_text_field_are_400(admin_client, field) -> None:
    response = admin_client.post(
        "/api/books", {**NEW_BOOK, field: "The\x00Log"}, content_type="application/json"
    )

    assert response.status_code == 400
    assert "Control characters" in response.json()["errors"][field][0]
    assert not Book.objects.exists()


def test_a_description_keeps_its_line_breaks_and_tabs(admin_client) -> None:
    body = {**NEW_BOOK, "description": "Logs.\r\n\tAnd more logs."}

    response = admin_client.post("/api/books", body, content_type="application/json")

    assert response.status_code == 201
    assert Book.objects.get().description == "Logs.\r\n\tAnd more logs."


@pytest.mark.parametrize(
    "published_at", [0, 1412121600, "2024-1-1", "2024-01-01T00:00:00", "20240101", "2024-W01-1"]
)
def test_published_at_must_be_an_iso_date(admin_client, published_at) -> None:
    response = admin_client.post(
        "/api/books", {**NEW_BOOK, "published_at": published_at}, content_type="application/json"
    )

    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.json()["errors"]["published_at"][0]
    assert not Book.objects.exists()


@pytest.mark.parametrize("isbn", ["978-0-14-143951-8", "978 0 14 143951 8", "9780141439518"])
def test_an_isbn_in_the_schemas_format_is_accepted(admin_client, isbn) -> None:
    response = admin_client.post(
        "/api/books", {**NEW_BOOK, "isbn": isbn}, content_type="application/json"
    )

    assert response.status_code == 201
    assert Book.objects.get().isbn == "9780141439518"


@pytest.mark.parametrize(
    "isbn", ["978--0141439518", "-9780141439518", "978014143951", "٩٧٨٠١٤١٤٣٩٥١٨"]
)
def test_an_isbn_outside_the_schemas_format_is_400(admin_client, isbn) -> None:
    response = admin_client.post(
        "/api/books", {**NEW_BOOK, "isbn": isbn}, content_type="application/json"
    )

    assert response.status_code == 400
    assert "Enter an ISBN-13" in response.json()["errors"]["isbn"][0]


def test_the_isbn_format_is_a_pattern_in_the_schema(client, db) -> None:
    schema = client.get("/api/openapi.json").json()
    isbn = schema["components"]["schemas"]["BookIn"]["properties"]["isbn"]

    [pattern] = [option["pattern"] for option in isbn["anyOf"] if "pattern" in option]

    assert re.fullmatch(pattern, "978-0-14-143951-8")
    assert not re.fullmatch(pattern, "978--0141439518")


def test_a_non_integer_book_id_is_a_declared_400(client, db) -> None:
    response = client.get("/api/books/abc")
    schema = client.get("/api/openapi.json").json()

    assert response.status_code == 400
    assert "book_id" in response.json()["errors"]
    assert "400" in schema["paths"]["/api/books/{book_id}"]["get"]["responses"]


def test_every_operation_declares_the_servers_414_and_its_400s(client, db) -> None:
    schema = client.get("/api/openapi.json").json()

    operations = {
        (method.upper(), path): operation["responses"]
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }

    assert all("414" in responses for responses in operations.values())
    assert all("400" in responses for responses in operations.values())
