"""Consumers add their batches' counts in the database, so none overwrites another's."""

import datetime
import json
import os
import threading
import time

from django.db import connection, transaction

from events.types.book_changes import book_event
from events.types.book_viewed import BOOK_VIEWED
from events.types.search_performed import search_event
from tests.helpers import EMMA, T0, manage_py
from trends.models import BookViews, TrendingQuery
from trends.services import count_searches, count_views


def test_rows_of_one_key_in_one_batch_add_up_and_the_newest_details_win(db) -> None:
    def viewed(title: str, minutes: int):
        return book_event(
            BOOK_VIEWED, {**EMMA, "title": title}, time=T0 + datetime.timedelta(minutes=minutes)
        )

    count_views([viewed("Emma (2nd)", 2), viewed("Emma (3rd)", 3), viewed("Emma", 1)])

    row = BookViews.objects.get()
    assert (row.views, row.book["title"]) == (3, "Emma (3rd)")


def test_two_consumers_adding_to_the_same_new_trend_at_once_both_count(transactional_db) -> None:
    first_inserted, errors = threading.Event(), []

    def first_consumer() -> None:
        try:
            with transaction.atomic():
                count_searches(
                    [search_event(query="kafka", books=[{"id": 1}], visitor_id="a" * 32, time=T0)]
                )
                first_inserted.set()
                # Holds the new row while the other consumer tries to insert it too.
                time.sleep(0.5)
        except Exception as exc:
            errors.append(exc)
        finally:
            first_inserted.set()
            connection.close()

    thread = threading.Thread(target=first_consumer)
    thread.start()
    first_inserted.wait(10)
    with transaction.atomic():
        count_searches(
            [search_event(query="KAFKA", books=[{"id": 1}], visitor_id="b" * 32, time=T0)]
        )
    thread.join()

    assert errors == []
    trend = TrendingQuery.objects.get()
    assert (trend.count, trend.books) == (2, [{"id": 1}])


SQLITE_BATCHES = """
import datetime, json
from django.db import transaction
from events.types.search_performed import search_event
from recommendations.models import Interest
from recommendations.services import add_interests
from trends.models import TrendingQuery
from trends.services import count_searches as add_trends
# Within one hour: trends count a visitor's query once per hour.
t0 = datetime.datetime(2026, 1, 1, 0, 30, tzinfo=datetime.UTC)
newer = search_event(query="Kafka", books=[{"id": 1, "v": "new"}], visitor_id="v", time=t0)
older = search_event(
    query="kafka", books=[{"id": 1, "v": "old"}], visitor_id="v",
    time=t0 - datetime.timedelta(minutes=20),
)
for batch in ([newer], [older, older]):
    with transaction.atomic():
        add_trends(batch)
        add_interests(batch)
trend, interest = TrendingQuery.objects.get(), Interest.objects.get()
# More rows than SQLite takes parameters for in one statement.
crowd = [search_event(query="q", books=[{"id": n} for n in range(5)], visitor_id=f"c{v}")
         for v in range(300)]
with transaction.atomic():
    add_interests(crowd + crowd)
doubled = Interest.objects.filter(visitor_id__startswith="c", score=2).count()
print(json.dumps([trend.count, trend.books, interest.score, interest.book, doubled]))
"""


def test_sqlite_adds_counts_and_keeps_the_newest_results_too(tmp_path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    assert manage_py("migrate", env=env).returncode == 0

    result = manage_py("shell", "-c", SQLITE_BATCHES, env=env)

    assert result.returncode == 0, result.stderr
    newest = [{"id": 1, "v": "new"}]
    # One visitor: the query trends once, the book interests them three times.
    assert json.loads(result.stdout.splitlines()[-1]) == [1, newest, 3, newest[0], 1500]
