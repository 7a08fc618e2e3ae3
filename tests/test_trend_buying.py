"""Trends one client cannot buy: a query counts once per returning visitor who searched it
(issue 14), and staff can hide a query from the trends."""

import pytest
from django.core.cache import cache
from django.test import Client

from books.signals import search_performed
from events.types.search_performed import search_event
from trends.handlers import CONSUMER_GROUP, GROUP
from trends.models import HiddenQuery, TrendingQuery, TrendVisitor
from trends.services import count_searches

SPAM = "free ebooks at evil.example call +1-555-0100"
BOOK = {"id": 5, "title": "Emma", "author": "Jane Austen"}
CHANGELIST = "/admin/trends/trendingquery/"


def returning_visitor(address: str) -> Client:
    """A browser that was here before: it sends back the `uid` cookie it was given."""
    browser = Client(REMOTE_ADDR=address)
    browser.get("/")
    return browser


def trends_box(client: Client) -> str:
    return client.get("/").text.split('id="trends-heading"')[1].split("</section>")[0]


def test_a_flood_of_cookieless_searches_buys_no_trend_while_real_visitors_count_once_each(
    transactional_db, catalogue, topic, relay, consume
) -> None:
    alice, bob, carol = (returning_visitor(f"198.51.100.{n}") for n in (1, 2, 3))
    # The attacker never sends a cookie back; from many addresses, so that the per-client
    # rate limit (tested on its own) does not stop it before the counting is put to the test.
    spam = [Client(REMOTE_ADDR=f"203.0.113.{n}").get("/", {"q": SPAM}) for n in range(120)]
    for _ in range(50):
        alice.get("/", {"q": "Murakami"})
    bob.get("/", {"q": "murakami "})
    bob.get("/", {"q": "austen"})
    carol.get("/", {"q": "AUSTEN"})
    carol.get("/", {"q": "kafka"})
    assert {response.status_code for response in spam} == {200}
    relay.publish_batch()

    stats = consume(count_searches, 174, group_id=f"{CONSUMER_GROUP}-{topic}")
    cache.clear()  # the boxes the searches' pages cached expire (trends.BOX_CACHE_SECONDS)

    assert stats.applied == 174
    assert dict(TrendingQuery.objects.values_list("query", "count")) == {
        "murakami": 2,
        "austen": 2,
        "kafka": 1,
    }
    api = {trend["query"]: trend["count"] for trend in alice.get("/api/trends").json()}
    assert api == {"murakami": 2, "austen": 2, "kafka": 1}
    box = trends_box(Client())
    assert '>murakami</a> <span class="meta">(2)</span>' in box
    assert "evil.example" not in box


def test_a_visitor_whose_cookie_came_back_is_counted_from_the_next_search_on(client, db) -> None:
    sent: list[str | None] = []

    def record(sender, **kwargs) -> None:
        sent.append(kwargs["visitor_id"])

    search_performed.connect(record, dispatch_uid="test-trend-buying")
    try:
        client.get("/", {"q": "first"})
        client.get("/", {"q": "second"})
    finally:
        search_performed.disconnect(dispatch_uid="test-trend-buying")

    assert sent == [None, client.cookies["uid"].value]


@pytest.fixture
def trends(db) -> dict[str, TrendingQuery]:
    count_searches(
        [
            search_event(query=query, books=[BOOK], visitor_id=f"{visitor:032x}")
            for query, visitors in ((SPAM, 3), ("kafka", 2), ("emma", 1))
            for visitor in range(visitors)
        ]
    )
    return {trend.query: trend for trend in TrendingQuery.objects.all()}


def act(admin_client: Client, action: str, *trends: TrendingQuery):
    """Run an admin action of the trends' changelist on `trends`."""
    return admin_client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [trend.pk for trend in trends]},
        follow=True,
    )


def test_staff_hide_a_query_and_it_vanishes_from_the_api_and_the_home_page(
    admin_client, client, trends
) -> None:
    assert client.get("/api/trends").json()[0]["query"] == SPAM

    response = act(admin_client, "hide_from_trends", trends[SPAM])
    cache.clear()

    assert "Hidden from trends: 1 query(ies)" in response.text
    assert [t["query"] for t in client.get("/api/trends").json()] == ["kafka", "emma"]
    box = trends_box(client)
    assert "evil.example" not in box
    assert ">kafka</a>" in box


def test_a_hidden_query_goes_on_counting_and_can_be_shown_again(
    admin_client, client, trends
) -> None:
    act(admin_client, "hide_from_trends", trends[SPAM])
    count_searches([search_event(query=SPAM, books=[BOOK], visitor_id="f" * 32)])

    act(admin_client, "show_again", trends[SPAM])

    assert client.get("/api/trends").json()[0] == {"query": SPAM, "count": 4, "books": [BOOK]}
    assert not HiddenQuery.objects.exists()


def test_the_changelist_marks_and_filters_hidden_queries(admin_client, trends) -> None:
    act(admin_client, "hide_from_trends", trends[SPAM])

    hidden = admin_client.get(CHANGELIST, {"hidden": "yes"}).context["cl"].result_list
    shown = admin_client.get(CHANGELIST, {"hidden": "no"}).context["cl"].result_list

    assert [(t.query, t.hidden) for t in hidden] == [(SPAM, True)]
    assert [t.query for t in shown] == ["kafka", "emma"]


def test_hiding_is_recorded_in_the_querys_admin_history(admin_client, trends) -> None:
    act(admin_client, "hide_from_trends", trends[SPAM])

    history = admin_client.get(f"{CHANGELIST}{trends[SPAM].pk}/history/").text

    assert "Hidden from trends." in history


def test_staff_without_the_change_permission_cannot_hide(client, django_user_model, trends):
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(
        *viewer.user_permissions.model.objects.filter(codename="view_trendingquery")
    )
    client.force_login(viewer)

    response = act(client, "hide_from_trends", trends[SPAM])

    assert response.status_code == 200
    assert not HiddenQuery.objects.exists()


def test_rebuilding_the_trends_empties_the_visitors_counted_but_keeps_what_staff_hid() -> None:
    [read_model] = [model for model in GROUP.read_models if model.name == "trends"]

    assert TrendVisitor in read_model.models
    assert HiddenQuery not in read_model.models
