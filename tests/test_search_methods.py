"""Only GET searches: HEAD answers like GET without searching, OPTIONS and TRACE run nothing,
on the page and the API alike; so none of them writes a search event."""

import pytest
from prometheus_client import REGISTRY

from events.models import OutboxEvent
from events.types.search_performed import SEARCH_PERFORMED

SEARCH_PAGE = "/?q=kafka"
SEARCH_API = "/api/books?q=kafka"


def search_events() -> int:
    return OutboxEvent.objects.filter(event_type=SEARCH_PERFORMED).count()


def searches_run() -> float:
    return sum(
        REGISTRY.get_sample_value("bookstore_searches_total", {"found": found}) or 0
        for found in ("yes", "no")
    )


@pytest.mark.parametrize("url", [SEARCH_PAGE, SEARCH_API])
def test_a_get_search_writes_its_event(client, db, url) -> None:
    response = client.get(url)

    assert response.status_code == 200
    assert search_events() == 1


@pytest.mark.parametrize(
    ("url", "content_type"),
    [(SEARCH_PAGE, "text/html; charset=utf-8"), (SEARCH_API, "application/json; charset=utf-8")],
)
def test_head_answers_like_get_without_searching(client, db, url, content_type) -> None:
    before = searches_run()

    response = client.head(url)

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response.getvalue() == b""
    # Only the length of GET's body could be sent, and that needs the search (RFC 9110, 8.6).
    assert not response.has_header("Content-Length")
    assert searches_run() == before
    assert search_events() == 0


@pytest.mark.parametrize("url", ["/?q=kafka%00python", "/api/books?q=kafka%00python"])
def test_head_refuses_what_get_refuses(client, db, url) -> None:
    assert client.head(url).status_code == client.get(url).status_code == 400


@pytest.mark.parametrize("method", ["options", "trace"])
def test_options_and_trace_on_the_page_are_405_and_search_nothing(client, db, method) -> None:
    before = searches_run()

    response = getattr(client, method)(SEARCH_PAGE)

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert searches_run() == before
    assert search_events() == 0


@pytest.mark.parametrize("method", ["options", "trace"])
def test_options_and_trace_on_the_api_are_405_and_search_nothing(client, db, method) -> None:
    before = searches_run()

    response = getattr(client, method)(SEARCH_API)

    assert response.status_code == 405
    assert set(response["Allow"].split(", ")) == {"GET", "HEAD", "POST"}
    assert searches_run() == before
    assert search_events() == 0


def test_a_book_page_answers_only_get_and_head(client, make_book) -> None:
    book = make_book(title="Emma")

    assert client.options(f"/books/{book.pk}/").status_code == 405
    assert client.head(f"/books/{book.pk}/").status_code == 200
