"""The per-client search rate limit (SEARCH_RATE_LIMIT, by IP address): the page and the API
draw on one allowance; past it a search is answered 429 with Retry-After and publishes
nothing, while other clients and plain browsing go on."""

import types

import pytest

from events.models import OutboxEvent
from events.types.search_performed import SEARCH_PERFORMED


@pytest.fixture(autouse=True)
def _one_minute(settings, monkeypatch) -> None:
    settings.SEARCH_RATE_LIMIT = "60/m"
    # A still clock for django-ratelimit, so that the minute cannot roll over mid-test.
    monkeypatch.setattr("django_ratelimit.core.time", types.SimpleNamespace(time=lambda: 1e9))


def search_events() -> int:
    return OutboxEvent.objects.filter(event_type=SEARCH_PERFORMED).count()


def search_sixty_times(client) -> None:
    for n in range(30):
        assert client.get("/", {"q": f"page {n}"}).status_code == 200
        assert client.get("/api/books", {"q": f"api {n}"}).status_code == 200


def test_the_61st_api_search_in_a_minute_is_429_with_retry_after(client, db) -> None:
    search_sixty_times(client)

    response = client.get("/api/books", {"q": "one more"})

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Too many searches" in response.json()["detail"]
    assert search_events() == 60


def test_the_61st_page_search_in_a_minute_is_429_with_a_message(client, db) -> None:
    search_sixty_times(client)

    response = client.get("/", {"q": "one more"})

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Too many searches from your address" in response.text
    assert search_events() == 60


def test_another_address_can_still_search(client, db) -> None:
    search_sixty_times(client)

    response = client.get("/api/books", {"q": "kafka"}, REMOTE_ADDR="192.0.2.7")

    assert response.status_code == 200
    assert search_events() == 61


def test_browsing_without_a_query_is_not_limited(client, db) -> None:
    search_sixty_times(client)

    assert client.get("/").status_code == 200
    assert client.get("/api/books").status_code == 200


def test_the_limit_is_a_setting(client, db, settings) -> None:
    settings.SEARCH_RATE_LIMIT = "2/m"

    statuses = [client.get("/api/books", {"q": "kafka"}).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_the_429_is_in_the_api_schema(client, db) -> None:
    schema = client.get("/api/openapi.json").json()

    too_many = schema["paths"]["/api/books"]["get"]["responses"]["429"]

    assert "Retry-After" in too_many["headers"]


def test_requests_without_an_address_share_one_allowance_instead_of_failing(client, db) -> None:
    answers = [
        client.get("/api/books", {"q": f"socket {n}"}, REMOTE_ADDR="").status_code
        for n in range(61)
    ]

    assert answers == [200] * 60 + [429]
