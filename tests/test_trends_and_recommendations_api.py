import datetime

import pytest
from django.utils import timezone

from events.envelope import Event
from events.types.book_changes import book_event
from events.types.book_viewed import BOOK_VIEWED
from events.types.search_performed import search_event
from recommendations.services import add_interests as apply_interests
from recommendations.services import record_opened
from tests.helpers import T0
from trends.services import count_searches as apply_trends

BOOK = {"id": 5, "title": "Emma", "author": "Jane Austen"}
OPENED = {"id": 6, "title": "Persuasion", "author": "Jane Austen", "description": ""}
VISITOR = "5e" * 16  # a well-formed uid cookie


@pytest.fixture
def counted(db) -> None:
    """Query n searched by n + 1 visitors, VISITOR among them each time."""
    events = searches(time=T0)
    apply_trends(events)
    apply_interests(events)


@pytest.fixture
def trending(db) -> None:
    """`counted`'s searches in today's trends."""
    apply_trends(searches(time=timezone.now()))


def searches(*, time: datetime.datetime) -> list[Event]:
    """Query n searched by n + 1 visitors, VISITOR among them each time."""
    return [
        search_event(
            query=f"query {n}",
            books=[BOOK],
            visitor_id=f"{v:032x}" if v else VISITOR,
            time=time,
        )
        for n in range(12)
        for v in range(n + 1)
    ]


def test_trends_api_returns_the_top_ten_by_count(client, trending) -> None:
    response = client.get("/api/trends")

    trends = response.json()
    assert len(trends) == 10
    assert trends[0] == {"query": "query 11", "count": 12, "books": [BOOK]}


def test_trends_api_takes_a_page_size(client, trending) -> None:
    assert [t["count"] for t in client.get("/api/trends", {"ps": 3}).json()] == [12, 11, 10]


@pytest.mark.parametrize("ps", ["0", "-1", "abc", "101"])
def test_trends_api_rejects_a_bad_page_size(client, trending, ps) -> None:
    response = client.get("/api/trends", {"ps": ps})

    assert response.status_code == 400
    assert "ps" in response.json()["errors"]


@pytest.fixture
def opened_by_another(counted) -> None:
    """Another visitor who found BOOK went on to open OPENED."""
    opening = book_event(
        BOOK_VIEWED, OPENED, visitor_id=f"{1:032x}", time=T0 + datetime.timedelta(minutes=1)
    )
    record_opened([opening])


def test_recommendations_api_returns_what_visitors_who_found_the_same_opened(
    client, opened_by_another
) -> None:
    response = client.get("/api/recommendations", {"uid": VISITOR})

    assert response.json() == [{**OPENED, "score": 1, "reason": {"searched": "query 11"}}]


def test_recommendations_api_for_an_unknown_visitor_is_empty(client, counted) -> None:
    assert client.get("/api/recommendations", {"uid": "nobody"}).json() == []


def test_recommendations_api_without_uid_is_400(client, db) -> None:
    response = client.get("/api/recommendations")

    assert response.status_code == 400
    assert "uid" in response.json()["errors"]


def test_home_page_shows_trends_linking_to_their_search(client, trending) -> None:
    response = client.get("/")

    assert '<a href="/?q=query%2011">query 11</a>' in response.text


def test_home_page_shows_the_visitors_own_recommendations(client, opened_by_another) -> None:
    client.cookies["uid"] = VISITOR

    response = client.get("/")

    assert "Recommended for you" in response.text
    assert f'<a href="/books/{OPENED["id"]}/">Persuasion</a>' in response.text
    assert "because you searched <em>query 11</em>" in response.text


def test_home_page_with_nothing_counted_yet_still_answers(client, db) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert "No searches counted yet." in response.text
    assert "Search for books you like" in response.text
