"""Recommendations from co-occurrence: visitors who found or opened a book also opened…, the
visitor's own opened books left out, each with the reason it is there; the week's most
viewed for a visitor with nothing to recommend; "Forget me" erases the visitor's rows."""

import datetime

import pytest
from django.utils import timezone

from events.consuming.dedupe import apply_once
from events.envelope import Event
from events.types.book_changes import BOOK_CHANGED, BOOK_REMOVED, book_event
from events.types.book_viewed import BOOK_VIEWED
from events.types.search_performed import search_event
from privacy.services import forget_visitor
from recommendations.handlers import CONSUMER_GROUP, HANDLERS
from recommendations.models import SEEDS_PER_VISITOR, CoOccurrence, Interest, OpenedBook
from recommendations.selectors import readers_also_opened, recommended_books
from tests import test_rebuild_view as rebuilding
from tests.helpers import T0
from trends.services import count_views

WELL_FORMED_UID = "5e" * 16

# Fixtures of test_rebuild_view: its catalogue on topics of the test's own, and the consumer
# groups under group ids of the test's own.
catalogue = rebuilding.catalogue
groups = rebuilding.groups

# --- Helpers -----------------------------------------------------------------------------------


def book(book_id: int, title: str | None = None) -> dict:
    return {"id": book_id, "title": title or f"Book {book_id}", "author": "X", "description": ""}


def at(minutes: int) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


def found(visitor: str, query: str, book_ids: list[int], minutes: int = 0) -> Event:
    return search_event(
        query=query, books=[book(i) for i in book_ids], visitor_id=visitor, time=at(minutes)
    )


def opened(visitor: str, book_id: int, minutes: int) -> Event:
    return book_event(BOOK_VIEWED, book(book_id), visitor_id=visitor, time=at(minutes))


def apply(*events: Event) -> None:
    """As the rec-svr consumer applies a poll's events: in one transaction, in order."""
    apply_once(list(events), group_id=CONSUMER_GROUP, handlers=HANDLERS)


def counts() -> dict[tuple[int, int], int]:
    return {(r.seed_book_id, r.book_id): r.visitors for r in CoOccurrence.objects.all()}


def recommended(visitor: str) -> list[tuple[int, int, dict]]:
    return [(b["id"], b["score"], b["reason"]) for b in recommended_books(visitor_id=visitor)]


# --- Counting ----------------------------------------------------------------------------------


def test_an_opening_co_occurs_with_each_book_the_visitor_found_or_opened_before(db) -> None:
    apply(found("w", "dickens", [1, 2], 0), opened("w", 1, 1), opened("w", 3, 2))

    assert counts() == {(2, 1): 1, (1, 3): 1, (2, 3): 1}


def test_a_pair_counts_once_per_visitor_however_often_they_reopen(db) -> None:
    apply(found("w", "dickens", [1], 0), opened("w", 2, 1))
    apply(found("w", "dickens", [1], 2), opened("w", 2, 3), opened("w", 2, 4))
    apply(found("v", "dickens", [1], 0), opened("v", 2, 1))

    assert counts() == {(1, 2): 2}


def test_what_the_visitor_finds_after_an_opening_does_not_co_occur_with_it(db) -> None:
    apply(opened("w", 2, 1), found("w", "later", [1], 2))

    assert counts() == {}


@pytest.mark.parametrize("views_first", [False, True])
def test_the_counts_do_not_depend_on_which_topic_is_read_first(db, views_first) -> None:
    searches = [found("w", "dickens", [1, 2], 0), found("w", "austen", [5], 3)]
    views = [opened("w", 3, 1), opened("w", 4, 2), opened("w", 6, 4)]

    apply(*(views + searches if views_first else searches + views))

    assert counts() == {
        (1, 3): 1,
        (2, 3): 1,
        (1, 4): 1,
        (2, 4): 1,
        (3, 4): 1,
        **{(seed, 6): 1 for seed in (1, 2, 3, 4, 5)},
    }


def test_only_the_visitors_latest_seeds_co_occur_with_an_opening(db) -> None:
    apply(*[found("w", f"q{n}", [n], n) for n in range(SEEDS_PER_VISITOR + 10)])

    apply(opened("w", 1000, 1000))

    assert sorted(seed for seed, _ in counts()) == list(range(10, SEEDS_PER_VISITOR + 10))


@pytest.mark.parametrize("visitors", [1, 8])
def test_a_batch_takes_the_same_few_statements_whatever_its_size(
    db, django_assert_num_queries, visitors
) -> None:
    apply(*[found(f"v{v}", "warm", [1], 0) for v in range(visitors)])
    searches = [found(f"v{v}", "q", [v, v + 1], 1) for v in range(visitors)]
    views = [opened(f"v{v}", 100 + v, 2) for v in range(visitors)]

    # A savepoint and its release, the dedupe's 2; the searches' forgotten check, 2 seed
    # lookups, latest opened, 1 upsert (no pair: nothing was opened after them); the views'
    # forgotten check, 2 lookups, latest opened, latest found, 2 writes.
    with django_assert_num_queries(16):
        apply(*searches, *views)

    assert counts()[(1, 100)] == 1


def test_events_without_a_visitor_count_for_nobody(db) -> None:
    apply(found(None, "dickens", [1], 0), opened(None, 2, 1))

    assert (Interest.objects.count(), OpenedBook.objects.count(), counts()) == (0, 0, {})


# --- Recommending ------------------------------------------------------------------------------


@pytest.fixture
def dickens_readers(db) -> None:
    """Two visitors searched dickens and opened 3; the second also opened 4."""
    apply(
        found("v1", "dickens", [1, 2], 0),
        opened("v1", 3, 1),
        found("v2", "dickens", [1, 2], 0),
        opened("v2", 3, 1),
        opened("v2", 4, 2),
    )


def test_recommends_what_visitors_who_found_the_same_books_opened_with_the_search(
    dickens_readers,
) -> None:
    apply(found("w", "dickens", [1, 2], 10))

    # 3: two visitors for each of the seeds 1 and 2; 4: one for each.
    assert recommended("w") == [
        (3, 4, {"searched": "dickens"}),
        (4, 2, {"searched": "dickens"}),
    ]
    assert recommended_books(visitor_id="w")[0]["title"] == "Book 3"


def test_leaves_out_the_books_the_visitor_opened(dickens_readers) -> None:
    apply(found("w", "dickens", [1, 2], 10), opened("w", 3, 11))

    # 4 through the seeds 1, 2 and 3 (opened), one visitor each; 3 itself is left out.
    assert [(book_id, score) for book_id, score, _ in recommended("w")] == [(4, 3)]


def test_the_reason_is_the_seed_that_contributed_most(dickens_readers) -> None:
    apply(opened("v3", 3, 5), opened("v3", 4, 6))
    apply(found("w", "dickens", [1], 10), opened("w", 3, 11))

    # For 4, seed 3 (opened, by v2 and v3) counts more than seed 1 (found, by v2).
    assert recommended("w") == [(4, 3, {"opened": "Book 3"})]


def test_books_are_shown_as_they_are_now_and_removed_ones_left_out(dickens_readers) -> None:
    apply(
        found("w", "dickens", [1, 2], 10),
        book_event(BOOK_CHANGED, book(3, "Bleak House"), time=at(11)),
        book_event(BOOK_REMOVED, book(4), time=at(11)),
    )

    assert [b["title"] for b in recommended_books(visitor_id="w")] == ["Bleak House"]


def test_nothing_is_recommended_without_history(dickens_readers) -> None:
    assert recommended_books(visitor_id=None) == []
    assert recommended_books(visitor_id="stranger") == []


def test_readers_also_opened_the_books_most_co_opened_as_they_are_now(dickens_readers) -> None:
    apply(book_event(BOOK_CHANGED, book(3, "Bleak House"), time=at(5)))

    also = readers_also_opened(book_id=1)

    assert [(b["id"], b["title"], b["visitors"]) for b in also] == [
        (3, "Bleak House", 2),
        (4, "Book 4", 1),
    ]
    apply(book_event(BOOK_REMOVED, book(3), time=at(6)))
    assert [b["id"] for b in readers_also_opened(book_id=1, limit=1)] == [4]


# --- The box on the page -----------------------------------------------------------------------


def test_the_box_gives_the_reason_of_each_recommendation(client, dickens_readers) -> None:
    apply(found(WELL_FORMED_UID, "dickens", [1, 2], 10))
    client.cookies["uid"] = WELL_FORMED_UID

    page = client.get("/").text

    assert '<h2 id="recommendations-heading">Recommended for you</h2>' in page
    assert "because you searched <em>dickens</em>" in page


def test_a_visitor_with_nothing_to_recommend_sees_the_weeks_most_viewed(client, db) -> None:
    count_views([book_event(BOOK_VIEWED, book(9, "Popular"), time=timezone.now())])

    page = client.get("/").text

    assert '<h2 id="recommendations-heading">Popular this week</h2>' in page
    assert '<a href="/books/9/">Popular</a>' in page
    assert "Recommended for you" not in page


# --- Forgetting --------------------------------------------------------------------------------


def test_forget_me_erases_the_visitors_rows_and_their_later_events_are_skipped(
    dickens_readers,
) -> None:
    before = counts()

    forget_visitor(visitor_id="v2")
    apply(found("v2", "dickens", [1], 20), opened("v2", 5, 21))

    assert not Interest.objects.filter(visitor_id="v2").exists()
    assert not OpenedBook.objects.filter(visitor_id="v2").exists()
    assert Interest.objects.filter(visitor_id="v1").exists()
    assert counts() == before  # aggregates without the id stay, and nothing was added


# --- Through Kafka -----------------------------------------------------------------------------


def recommendations_view() -> tuple:
    return (
        {
            (r.visitor_id, r.book_id): (r.score, r.book, r.query, r.found_at, r.updated_at)
            for r in Interest.objects.all()
        },
        {(r.visitor_id, r.book_id): (r.book, r.opened_at) for r in OpenedBook.objects.all()},
        {
            (r.seed_book_id, r.book_id): (r.visitors, r.book, r.updated_at)
            for r in CoOccurrence.objects.all()
        },
    )


def test_a_rebuild_from_the_topics_equals_what_the_live_consumer_built(
    transactional_db, catalogue, relay, groups
) -> None:
    rebuilding.browse(catalogue, relay)
    rebuilding.live(groups["recommendations"], rebuilding.RECORDS)
    built = recommendations_view()
    # The reader found the kafka books, then opened Kafka on the Shore.
    shore = catalogue["shore"].pk
    assert counts()[(catalogue["kafka_guide"].pk, shore)] == 1
    CoOccurrence.objects.update(visitors=0)
    Interest.objects.all().delete()

    rebuilding.rebuild("recommendations")

    assert recommendations_view() == built
