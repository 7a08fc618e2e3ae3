import pytest

from events.models import OutboxEvent


def titles_on(response) -> list[str]:
    return [book.title for book in response.context["result"].books]


def test_home_page_lists_the_newest_books(client, catalogue) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert "Newest books" in response.text
    assert titles_on(response)[0] == "Emma"


def test_search_matches_title_author_and_description_case_insensitively(client, catalogue) -> None:
    response = client.get("/", {"q": "KAFKA"})

    assert response.status_code == 200
    assert sorted(titles_on(response)) == [
        "Der Prozess",
        "Designing Data-Intensive Applications",
        "Kafka on the Shore",
        "Kafka: The Definitive Guide",
    ]
    assert "4 books found" in response.text


def test_search_with_more_matches_than_counted_says_so(
    client, catalogue, monkeypatch, settings
) -> None:
    settings.PAGE_SIZE = 2
    monkeypatch.setattr("books.selectors.COUNT_LIMIT", 3)

    response = client.get("/", {"q": "kafka"})

    assert "3+ books found, showing 1\N{EN DASH}2." in response.text
    assert "Page 1 of 2+" in response.text  # the pages, a lower bound too


def test_search_without_matches_says_so(client, catalogue) -> None:
    response = client.get("/", {"q": "zzzz"})

    assert "No books match" in response.text


def test_query_is_echoed_back_escaped(client, catalogue) -> None:
    response = client.get("/", {"q": "<script>alert(1)</script>"})

    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


@pytest.mark.parametrize("page", ["abc", "-1", "0", "1.5", "99999999999"])
def test_bad_page_number_gets_a_friendly_400_page_leading_back_to_the_query(
    client, catalogue, page
) -> None:
    response = client.get("/", {"q": "kafka", "page": page})

    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert '<a href="/?q=kafka">Show the results for “kafka”</a>' in response.text


def test_query_over_200_characters_gets_a_400_with_a_message(client, catalogue) -> None:
    response = client.get("/", {"q": "x" * 201})

    assert response.status_code == 400
    assert "at most 200 characters" in response.text
    assert '<a href="/">Start a new search</a>' in response.text


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f"])
def test_a_query_with_control_characters_gets_a_400_and_publishes_nothing(
    client, db, character
) -> None:
    response = client.get("/", {"q": f"kafka{character}python"})

    assert response.status_code == 400
    assert "Control characters" in response.text
    assert not OutboxEvent.objects.exists()


def test_book_page_shows_the_book(client, catalogue) -> None:
    book = catalogue["trial"]

    response = client.get(f"/books/{book.pk}/")

    assert response.status_code == 200
    assert "Der Prozess" in response.text
    assert "Franz Kafka" in response.text


def test_unknown_book_page_is_404(client, db) -> None:
    assert client.get("/books/999999/").status_code == 404


def test_stylesheet_is_served_by_the_app(client, db) -> None:
    response = client.get("/static/books/site.css")

    assert response.status_code == 200
    assert b"--accent" in b"".join(response.streaming_content)
