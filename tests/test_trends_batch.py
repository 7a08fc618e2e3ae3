import datetime
import itertools
import threading

import pytest
from django.db import close_old_connections, transaction

from events.envelope import Event
from events.types.search_performed import search_event
from tests.helpers import T0
from trends.models import TrendingQuery, TrendVisitor
from trends.services import count_searches, normalize_query

BOOK_A = {"id": 1, "title": "A"}
BOOK_B = {"id": 2, "title": "B"}
_other_visitors = itertools.count(1000)


def event(query: str, books: list[dict], minutes: int = 0, *, visitor: int | None = None) -> Event:
    """A search by visitor number `visitor` (each event a visitor of its own when not given)."""
    return search_event(
        query=query,
        books=books,
        visitor_id=f"{next(_other_visitors) if visitor is None else visitor:032x}",
        time=T0 + datetime.timedelta(minutes=minutes),
    )


def counts() -> dict[str, int]:
    return dict(TrendingQuery.objects.values_list("query", "count"))


def test_queries_are_trimmed_case_folded_and_whitespace_collapsed() -> None:
    assert normalize_query("  Kafka   The\tGuide ") == "kafka the guide"
    assert normalize_query("STRASSE") == normalize_query("straße")


def test_a_batch_counts_each_normalized_query_and_keeps_its_latest_results(db) -> None:
    count_searches(
        [event("Kafka", [BOOK_A], 2), event(" kafka ", [BOOK_B], 5), event("emma", [], 1)]
    )

    trends = {t.query: t for t in TrendingQuery.objects.all()}
    assert {q: t.count for q, t in trends.items()} == {"kafka": 2, "emma": 1}
    assert trends["kafka"].books == [BOOK_B]
    assert trends["emma"].books == []


def test_later_batches_add_to_existing_counts(db) -> None:
    count_searches([event("kafka", [BOOK_A], 1)])

    count_searches([event("KAFKA", [BOOK_B], 2), event("kafka", [BOOK_B], 3)])

    trend = TrendingQuery.objects.get()
    assert trend.count == 3
    assert trend.books == [BOOK_B]


def test_a_visitor_counts_once_per_query_within_a_batch_and_across_batches(db) -> None:
    count_searches([event("kafka", [], n, visitor=1) for n in range(50)])

    count_searches([event(" KAFKA", [BOOK_A], 60, visitor=1), event("emma", [], 61, visitor=1)])

    assert counts() == {"kafka": 1, "emma": 1}
    assert TrendingQuery.objects.get(query="kafka").books == [BOOK_A]


def test_searches_without_a_visitor_count_for_nothing(db) -> None:
    count_searches([search_event(query="spam", books=[], time=T0) for _ in range(120)])

    assert counts() == {}
    assert not TrendVisitor.objects.exists()


def test_an_older_event_arriving_late_does_not_replace_newer_results(db) -> None:
    count_searches([event("kafka", [BOOK_B], 10)])

    count_searches([event("kafka", [BOOK_A], 1)])

    trend = TrendingQuery.objects.get()
    assert (trend.count, trend.books) == (2, [BOOK_B])


def test_a_batch_writes_in_three_statements_however_many_events_it_holds(
    db, django_assert_max_num_queries
) -> None:
    count_searches([event("seed", [])])
    events = [event(f"q{n % 10}", [BOOK_A], n) for n in range(500)] + [event("seed", [])]

    # the visitors (INSERT IGNORE), which of them are new (SELECT), and one
    # INSERT … ON DUPLICATE KEY UPDATE for new and existing trends alike
    with django_assert_max_num_queries(3):
        count_searches(events)

    assert TrendingQuery.objects.get(query="q3").count == 50


def test_queries_a_mysql_collation_would_fold_together_are_separate_trends(db) -> None:
    count_searches([event("café", [], 1), event("cafe", [], 2), event("CAFÉ", [], 3)])

    assert counts() == {"café": 2, "cafe": 1}


def test_a_query_that_grows_when_case_folded_is_still_counted(db) -> None:
    count_searches([event("ß" * 200, [])])

    assert TrendingQuery.objects.get().query == "ss" * 200


@pytest.mark.django_db(transaction=True)
def test_one_visitor_counted_by_two_consumers_at_once_counts_once() -> None:
    """Two consumers (partitions "Kafka" and "kafka", say) apply the same visitor's search of
    one query at the same time: the second waits on the first's row, then finds it counted."""
    first_inserted, first_may_commit = threading.Event(), threading.Event()

    def first() -> None:
        try:
            with transaction.atomic():
                count_searches([event("Kafka", [], 1, visitor=1)])
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
        count_searches([event("kafka", [], 2, visitor=1), event("kafka", [], 3, visitor=2)])
    thread.join(timeout=10)

    assert counts() == {"kafka": 2}
