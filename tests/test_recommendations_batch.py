import datetime

from events.envelope import Event
from events.types.search_performed import search_event
from recommendations.models import Interest
from recommendations.services import add_interests
from tests.helpers import T0


def book(book_id: int) -> dict:
    return {"id": book_id, "title": f"Book {book_id}", "author": "X"}


def event(visitor: str | None, book_ids: list[int], minutes: int = 0) -> Event:
    return search_event(
        query="q",
        books=[book(i) for i in book_ids],
        visitor_id=visitor,
        time=T0 + datetime.timedelta(minutes=minutes),
    )


def test_each_found_book_adds_one_to_the_visitors_interest(db) -> None:
    add_interests([event("v1", [1, 2]), event("v1", [2, 3]), event("v2", [3])])

    scores = {(i.visitor_id, i.book_id): i.score for i in Interest.objects.all()}
    assert scores == {("v1", 1): 1, ("v1", 2): 2, ("v1", 3): 1, ("v2", 3): 1}


def test_events_without_a_visitor_count_for_nobody(db) -> None:
    add_interests([event(None, [1, 2])])

    assert not Interest.objects.exists()


def test_later_batches_add_up(db) -> None:
    add_interests([event("v1", [1])])

    add_interests([event("v1", [1]), event("v1", [1])])

    assert Interest.objects.get().score == 3


def test_an_older_search_arriving_late_keeps_the_newer_book_details(db) -> None:
    newer = search_event(query="q", books=[{"id": 1, "title": "New"}], visitor_id="v1", time=T0)
    older = search_event(
        query="q",
        books=[{"id": 1, "title": "Old"}],
        visitor_id="v1",
        time=T0 - datetime.timedelta(hours=1),
    )
    add_interests([newer])

    add_interests([older])

    interest = Interest.objects.get()
    assert (interest.score, interest.book["title"], interest.updated_at) == (2, "New", T0)
    assert interest.found_at == older.time


def test_a_newer_search_replaces_the_book_details(db) -> None:
    add_interests([event("v1", [1])])
    renamed = {"id": 1, "title": "Renamed", "author": "X"}

    add_interests(
        [search_event(query="q", books=[renamed], visitor_id="v1", time=T0 + datetime.timedelta(1))]
    )

    assert Interest.objects.get().book == renamed


def test_an_interest_keeps_the_latest_query_that_found_it_and_when_it_was_first_found(
    db,
) -> None:
    later = search_event(
        query="dickens", books=[book(1)], visitor_id="v1", time=T0 + datetime.timedelta(1)
    )
    add_interests([event("v1", [1])])

    add_interests([later])

    interest = Interest.objects.get()
    assert (interest.query, interest.found_at, interest.updated_at) == ("dickens", T0, later.time)
