import datetime

from events.envelope import Event
from events.types.search_performed import search_event
from tests.helpers import T0
from trends.models import TrendingQuery
from trends.services import count_searches, normalize_query

BOOK_A = {"id": 1, "title": "A"}
BOOK_B = {"id": 2, "title": "B"}


def event(query: str, books: list[dict], minutes: int = 0) -> Event:
    return search_event(query=query, books=books, time=T0 + datetime.timedelta(minutes=minutes))


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


def test_an_older_event_arriving_late_does_not_replace_newer_results(db) -> None:
    count_searches([event("kafka", [BOOK_B], 10)])

    count_searches([event("kafka", [BOOK_A], 1)])

    trend = TrendingQuery.objects.get()
    assert (trend.count, trend.books) == (2, [BOOK_B])


def test_a_batch_writes_once_however_many_events_it_holds(
    db, django_assert_max_num_queries
) -> None:
    count_searches([event("seed", [])])
    events = [event(f"q{n % 10}", [BOOK_A], n) for n in range(500)] + [event("seed", [])]

    # one INSERT … ON DUPLICATE KEY UPDATE for new and existing trends alike
    with django_assert_max_num_queries(1):
        count_searches(events)

    assert TrendingQuery.objects.get(query="q3").count == 50


def test_queries_a_mysql_collation_would_fold_together_are_separate_trends(db) -> None:
    count_searches([event("café", [], 1), event("cafe", [], 2), event("CAFÉ", [], 3)])

    assert {t.query: t.count for t in TrendingQuery.objects.all()} == {"café": 2, "cafe": 1}


def test_a_query_that_grows_when_case_folded_is_still_counted(db) -> None:
    count_searches([event("ß" * 200, [])])

    assert TrendingQuery.objects.get().query == "ss" * 200
