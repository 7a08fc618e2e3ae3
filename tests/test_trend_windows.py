"""Trends over a window: `/api/trends?window=hour|day|week|all` and the home page's box count
each visitor once per query per UTC hour, over the hours the window reaches (issue 15)."""

import datetime

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.utils import timezone

from events.types.search_performed import search_event
from trends.models import HiddenQuery
from trends.services import count_searches, normalize_query, query_digest
from trends.windows import window_start

BOOK = {"id": 5, "title": "Emma", "author": "Jane Austen"}
NOW = timezone.now()


def searched(query: str, *, visitors: range, ago: datetime.timedelta) -> list:
    return [
        search_event(query=query, books=[BOOK], visitor_id=f"{v:032x}", time=NOW - ago)
        for v in visitors
    ]


@pytest.fixture
def searches(db) -> None:
    """Applied as the consumer applies a batch: in one transaction."""
    with transaction.atomic():
        count_searches(
            [
                *searched("recent", visitors=range(1), ago=datetime.timedelta(minutes=30)),
                *searched("today", visitors=range(2), ago=datetime.timedelta(hours=3)),
                # the same two visitors again, in another hour: they count again
                *searched("today", visitors=range(2), ago=datetime.timedelta(hours=5)),
                *searched("this week", visitors=range(5), ago=datetime.timedelta(days=2)),
                *searched("long ago", visitors=range(7), ago=datetime.timedelta(days=30)),
            ]
        )


def trends(client: Client, **params: str) -> list[tuple[str, int]]:
    response = client.get("/api/trends", params)
    assert response.status_code == 200
    return [(trend["query"], trend["count"]) for trend in response.json()]


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("hour", [("recent", 1)]),
        ("day", [("today", 4), ("recent", 1)]),
        ("week", [("this week", 5), ("today", 4), ("recent", 1)]),
        ("all", [("long ago", 7), ("this week", 5), ("today", 4), ("recent", 1)]),
    ],
)
def test_each_window_counts_the_visitor_hours_it_reaches(
    client, searches, window, expected
) -> None:
    assert trends(client, window=window) == expected


def test_the_default_window_is_the_last_day(client, searches) -> None:
    assert trends(client) == trends(client, window="day")


@pytest.mark.parametrize("window", ["hour", "day", "week", "all"])
def test_a_hidden_query_is_hidden_in_every_window(client, searches, window) -> None:
    HiddenQuery.objects.create(query_digest=query_digest(normalize_query("recent")), query="recent")

    assert "recent" not in dict(trends(client, window=window))


@pytest.mark.parametrize("window", ["month", "", "DAY", "1"])
def test_an_unknown_window_is_a_400_naming_the_windows(client, db, window) -> None:
    response = client.get("/api/trends", {"window": window})

    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["window"]
    assert "'hour', 'day', 'week' or 'all'" in body["detail"]


def test_the_home_page_box_says_its_window_is_today(client, searches) -> None:
    cache.clear()

    box = client.get("/").text.split('id="trends-heading"')[1].split("</section>")[0]

    assert box.startswith(">Trending today</h2>")
    assert '>today</a> <span class="meta">(4)</span>' in box
    assert "long ago" not in box


@pytest.mark.parametrize(
    ("window", "now", "start"),
    [
        # just after the hour turned, the last hour's searches are still in "hour"
        ("hour", "2026-03-01T14:05:00+00:00", "2026-03-01T13:00:00+00:00"),
        ("day", "2026-03-01T14:05:00+00:00", "2026-02-28T14:00:00+00:00"),
        ("week", "2026-03-01T00:00:00+00:00", "2026-02-22T00:00:00+00:00"),
        # a time in another zone falls in its UTC hour
        ("hour", "2026-03-01T16:59:59+02:00", "2026-03-01T13:00:00+00:00"),
        ("all", "2026-03-01T14:05:00+00:00", None),
    ],
)
def test_a_window_starts_at_the_utc_hour_its_length_ago_falls_in(window, now, start) -> None:
    expected = start and datetime.datetime.fromisoformat(start)

    assert window_start(window, now=datetime.datetime.fromisoformat(now)) == expected
