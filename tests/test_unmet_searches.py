"""Searches that found nothing do not trend; staff see them in the admin's "Searches that found
nothing", the shop's unmet demand: top queries by visitors over the last 7 days (issue 15)."""

import datetime

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from events.envelope import Event
from events.types.search_performed import search_event
from trends.models import TrendingQuery, UnmetQuery, UnmetSearch
from trends.services import count_searches

BOOK = {"id": 5, "title": "Emma", "author": "Jane Austen"}
NOW = timezone.now()
REPORT = "/admin/trends/unmetquery/"


def search(
    query: str, books: list[dict], *, visitor: int, ago: datetime.timedelta, offset: int = 0
) -> Event:
    return search_event(
        query=query, books=books, visitor_id=f"{visitor:032x}", offset=offset, time=NOW - ago
    )


def apply(events: list[Event]) -> None:
    """As the consumer applies a batch: in one transaction."""
    with transaction.atomic():
        count_searches(events)


def report(client: Client) -> list[tuple[str, int]]:
    response = client.get(REPORT)
    assert response.status_code == 200
    return [(row.query, row.visitors) for row in response.context["cl"].result_list]


@pytest.fixture
def unmet(db) -> None:
    hour, day = datetime.timedelta(hours=1), datetime.timedelta(days=1)
    apply(
        [
            # one visitor, again and again, over two days: one visitor
            *(search("xyzzy", [], visitor=1, ago=n * hour) for n in range(48)),
            *(search("Three-Body", [], visitor=v, ago=2 * day) for v in range(3)),
            search("three-body ", [], visitor=3, ago=6 * day),
            *(search("the", [], visitor=v, ago=day) for v in range(2)),
            # older than the report's week: not counted
            *(search("the", [], visitor=v, ago=8 * day) for v in range(2, 10)),
            *(search("forgotten fad", [], visitor=v, ago=9 * day) for v in range(5)),
            search("emma", [BOOK], visitor=1, ago=hour),
        ]
    )


def test_queries_that_found_nothing_do_not_trend(client, unmet) -> None:
    for window in ("hour", "day", "week", "all"):
        trends = client.get("/api/trends", {"window": window}).json()
        assert [trend["query"] for trend in trends] == ["emma"]
    assert list(TrendingQuery.objects.values_list("query", flat=True)) == ["emma"]


def test_the_report_ranks_the_weeks_unmet_queries_by_distinct_visitors(admin_client, unmet):
    assert report(admin_client) == [("three-body", 4), ("the", 2), ("xyzzy", 1)]


def test_the_report_is_read_only(admin_client, unmet) -> None:
    response = admin_client.get(REPORT)

    assert "Searches that found nothing" in response.text
    assert response.context["cl"].model_admin.get_actions(response.wsgi_request) == {}
    assert admin_client.get(f"{REPORT}add/").status_code == 403


def test_the_report_is_for_staff_only(client, django_user_model, unmet) -> None:
    assert client.get(REPORT).status_code == 302  # to the login page
    client.force_login(django_user_model.objects.create_user("visitor", password="x"))
    assert client.get(REPORT).status_code == 302
    staff = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    client.force_login(staff)
    assert client.get(REPORT).status_code == 403  # staff without the view permission
    staff.user_permissions.add(
        *staff.user_permissions.model.objects.filter(codename="view_unmetquery")
    )
    assert report(client)[0] == ("three-body", 4)


def test_an_empty_page_past_the_end_is_not_a_search_that_found_nothing(client, db) -> None:
    apply(
        [
            search("emma", [BOOK], visitor=1, ago=datetime.timedelta(minutes=3)),
            search("emma", [], visitor=2, ago=datetime.timedelta(minutes=2), offset=20),
        ]
    )

    assert not UnmetQuery.objects.exists()
    assert not UnmetSearch.objects.exists()
    [trend] = client.get("/api/trends").json()
    assert trend == {"query": "emma", "count": 2, "books": [BOOK]}


def test_a_query_that_finds_books_later_trends_from_then_on(client, db) -> None:
    apply([search("new book", [], visitor=1, ago=datetime.timedelta(minutes=30))])

    apply([search("new book", [BOOK], visitor=2, ago=datetime.timedelta(minutes=10))])

    assert [t["count"] for t in client.get("/api/trends").json()] == [1]
    assert UnmetQuery.objects.get().query == "new book"
