import datetime
import itertools
import threading

import pytest
from django.db import close_old_connections, transaction

from events.envelope import Event
from events.types.search_performed import search_event
from privacy.services import forget_visitor
from tests.helpers import T0
from trends.models import TrendHour, TrendingQuery, TrendVisitor, UnmetQuery, UnmetSearch
from trends.services import count_searches, normalize_query

BOOK_A = {"id": 1, "title": "A"}
BOOK_B = {"id": 2, "title": "B"}
_other_visitors = itertools.count(1000)


def event(
    query: str, books: list[dict], minutes: int = 0, *, visitor: int | None = None, offset: int = 0
) -> Event:
    """A search by visitor number `visitor` (each event a visitor of its own when not given)
    whose page starts at result `offset`."""
    return search_event(
        query=query,
        books=books,
        visitor_id=f"{next(_other_visitors) if visitor is None else visitor:032x}",
        offset=offset,
        time=T0 + datetime.timedelta(minutes=minutes),
    )


def counts() -> dict[str, int]:
    return dict(TrendingQuery.objects.values_list("query", "count"))


def test_queries_are_trimmed_case_folded_and_whitespace_collapsed() -> None:
    assert normalize_query("  Kafka   The\tGuide ") == "kafka the guide"
    assert normalize_query("STRASSE") == normalize_query("straße")


def test_a_batch_counts_each_normalized_query_and_keeps_its_latest_results(db) -> None:
    count_searches(
        [event("Kafka", [BOOK_A], 2), event(" kafka ", [BOOK_B], 5), event("emma", [BOOK_A], 1)]
    )

    trends = {t.query: t for t in TrendingQuery.objects.all()}
    assert {q: t.count for q, t in trends.items()} == {"kafka": 2, "emma": 1}
    assert trends["kafka"].books == [BOOK_B]
    assert trends["emma"].books == [BOOK_A]


def test_later_batches_add_to_existing_counts(db) -> None:
    count_searches([event("kafka", [BOOK_A], 1)])

    count_searches([event("KAFKA", [BOOK_B], 2), event("kafka", [BOOK_B], 3)])

    trend = TrendingQuery.objects.get()
    assert trend.count == 3
    assert trend.books == [BOOK_B]


def test_a_visitor_counts_once_per_query_and_hour_within_a_batch_and_across_batches(db) -> None:
    count_searches([event("kafka", [BOOK_B], n, visitor=1) for n in range(50)])

    count_searches(
        [event(" KAFKA", [BOOK_A], 59, visitor=1), event("emma", [BOOK_A], 59, visitor=1)]
    )

    assert counts() == {"kafka": 1, "emma": 1}
    assert TrendingQuery.objects.get(query="kafka").books == [BOOK_A]


def test_reloads_next_pages_and_api_repeats_in_one_hour_count_once(db) -> None:
    """The page, its reload, page 2 and 3, and the API asking again: one visitor, one hour."""
    count_searches(
        [
            event("kafka", [BOOK_A], 1, visitor=1),
            event("kafka", [BOOK_A], 2, visitor=1),
            event("kafka", [BOOK_B], 3, visitor=1, offset=20),
            event("Kafka", [BOOK_B], 4, visitor=1, offset=40),
        ]
    )
    count_searches([event("kafka ", [BOOK_A], 30, visitor=1)])

    assert counts() == {"kafka": 1}
    assert TrendHour.objects.get().count == 1


def test_the_same_visitor_counts_again_in_a_new_hour(db) -> None:
    count_searches(
        [event("kafka", [BOOK_A], 0, visitor=1), event("kafka", [BOOK_A], 59, visitor=1)]
    )

    count_searches(
        [event("kafka", [BOOK_A], 60, visitor=1), event("kafka", [BOOK_A], 61, visitor=1)]
    )

    assert counts() == {"kafka": 2}
    assert sorted(TrendHour.objects.values_list("hour", "count")) == [
        (T0, 1),
        (T0 + datetime.timedelta(hours=1), 1),
    ]


def test_a_later_page_counts_but_does_not_replace_the_first_pages_books(db) -> None:
    count_searches([event("kafka", [BOOK_A], 1, visitor=1)])

    count_searches(
        [event("kafka", [BOOK_B], 2, visitor=2, offset=20), event("kafka", [], 3, offset=40)]
    )

    trend = TrendingQuery.objects.get()
    assert (trend.count, trend.books) == (3, [BOOK_A])


def test_searches_without_a_visitor_count_for_nothing(db) -> None:
    count_searches([search_event(query="spam", books=[BOOK_A], time=T0) for _ in range(60)])
    count_searches([search_event(query="nothing", books=[], time=T0) for _ in range(60)])

    assert counts() == {}
    assert not TrendVisitor.objects.exists()
    assert not UnmetQuery.objects.exists()


def test_an_older_event_arriving_late_does_not_replace_newer_results(db) -> None:
    count_searches([event("kafka", [BOOK_B], 10)])

    count_searches([event("kafka", [BOOK_A], 1)])

    trend = TrendingQuery.objects.get()
    assert (trend.count, trend.books) == (2, [BOOK_B])


def test_a_batch_writes_in_eight_statements_however_many_events_it_holds(
    db, django_assert_max_num_queries
) -> None:
    count_searches([event("seed", [BOOK_A])])
    events = [
        *(event(f"q{n % 10}", [BOOK_A], n % 60) for n in range(500)),
        *(event(f"page {n % 10}", [BOOK_A], n % 60, offset=20) for n in range(100)),
        *(event(f"nothing {n % 10}", [], n % 60) for n in range(100)),
        event("seed", [BOOK_B]),
    ]

    # forgotten visitors (SELECT); the visitor-hours (INSERT IGNORE) and which of them are new
    # (SELECT); one INSERT … ON DUPLICATE KEY UPDATE for the hours, one for trends with a
    # first page, one for those with later pages only; the queries that found nothing
    # (INSERT … ON DUPLICATE KEY UPDATE) and their visitor-hours (INSERT IGNORE)
    with django_assert_max_num_queries(8):
        count_searches(events)

    assert TrendingQuery.objects.get(query="q3").count == 50
    assert TrendingQuery.objects.get(query="page 3").count == 10
    assert TrendingQuery.objects.get(query="seed").count == 2


def test_queries_a_mysql_collation_would_fold_together_are_separate_trends(db) -> None:
    count_searches(
        [event("café", [BOOK_A], 1), event("cafe", [BOOK_A], 2), event("CAFÉ", [BOOK_A], 3)]
    )

    assert counts() == {"café": 2, "cafe": 1}


def test_a_query_that_grows_when_case_folded_is_still_counted(db) -> None:
    count_searches([event("ß" * 200, [BOOK_A])])

    assert TrendingQuery.objects.get().query == "ss" * 200


@pytest.mark.django_db(transaction=True)
def test_one_visitor_counted_by_two_consumers_at_once_counts_once() -> None:
    """Two consumers (partitions "Kafka" and "kafka", say) apply the same visitor's search of
    one query at the same time: the second waits on the first's row, then finds it counted."""
    first_inserted, first_may_commit = threading.Event(), threading.Event()

    def first() -> None:
        try:
            with transaction.atomic():
                count_searches([event("Kafka", [BOOK_A], 1, visitor=1)])
                first_inserted.set()
                first_may_commit.wait(timeout=10)
        finally:
            close_old_connections()

    thread = threading.Thread(target=first)
    thread.start()
    assert first_inserted.wait(timeout=10)
    # Let the first commit while the second is blocked on the visitor row it inserted.
    threading.Timer(1.0, first_may_commit.set).start()
    with transaction.atomic():
        count_searches(
            [event("kafka", [BOOK_A], 2, visitor=1), event("kafka", [BOOK_A], 3, visitor=2)]
        )
    thread.join(timeout=10)

    assert counts() == {"kafka": 2}


def test_forgetting_a_visitor_erases_their_rows_and_skips_their_later_searches(db) -> None:
    count_searches(
        [
            event("kafka", [BOOK_A], 1, visitor=1),
            event("kafka", [BOOK_A], 2, visitor=2),
            event("xyzzy", [], 3, visitor=1),
            event("xyzzy", [], 4, visitor=2),
        ]
    )

    forget_visitor(visitor_id=f"{1:032x}")
    # late: the same hour, and another hour, of the forgotten visitor
    count_searches([event("kafka", [BOOK_A], 5, visitor=1), event("emma", [BOOK_A], 70, visitor=1)])
    count_searches([event("xyzzy", [], 71, visitor=1)])

    remaining = {f"{2:032x}"}
    assert set(TrendVisitor.objects.values_list("visitor_id", flat=True)) == remaining
    assert set(UnmetSearch.objects.values_list("visitor_id", flat=True)) == remaining
    # what they had added stays: it carries no id
    assert counts() == {"kafka": 2}
