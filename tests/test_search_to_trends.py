"""The whole walk: a search on the page or the API → outbox → relay → Kafka → the consumers →
the page."""

from django.core.cache import cache
from django.test import Client

from trends.handlers import CONSUMER_GROUP as TREND_GROUP
from trends.models import UnmetQuery
from trends.services import count_searches as apply_trends


def test_searches_show_up_in_trends_counted_once_per_visitor(
    transactional_db, catalogue, topic, relay, consume
) -> None:
    searcher, other = Client(), Client()
    # Returning visitors: the first request of a browser that has no cookie yet counts nothing.
    searcher.get("/")
    other.get("/")
    searcher.get("/", {"q": "Murakami"})
    searcher.get("/", {"q": "murakami "})  # the same visitor again: trends count it once
    other.get("/", {"q": "MURAKAMI"})
    other.get("/", {"q": "austen"})
    relay.publish_batch()

    consume(apply_trends, 4, group_id=f"{TREND_GROUP}-{topic}")
    cache.clear()  # the boxes the searches' pages cached expire (trends.BOX_CACHE_SECONDS)

    # (What the searches recommend, through views: tests/test_cooccurrence.py, test_book_views.py.)
    page = searcher.get("/").text
    trends = page.split('id="trends-heading"')[1].split("</section>")[0]
    assert trends.index("murakami") < trends.index("austen")
    assert '>murakami</a> <span class="meta">(2)</span>' in trends
    assert '>austen</a> <span class="meta">(1)</span>' in trends


def test_a_reload_the_next_page_and_the_api_asking_again_count_once(
    transactional_db, catalogue, topic, relay, consume
) -> None:
    reader = Client()
    reader.get("/")
    reader.get("/", {"q": "kafka"})
    reader.get("/", {"q": "kafka"})  # reload
    reader.get("/api/books", {"q": "Kafka", "offset": 1})  # the next page
    reader.get("/api/books", {"q": "kafka "})  # the same query through the API
    reader.get("/api/books", {"q": "kafka", "offset": 100})  # a page past the end
    relay.publish_batch()

    consume(apply_trends, 5, group_id=f"{TREND_GROUP}-{topic}")

    assert [(t["query"], t["count"]) for t in reader.get("/api/trends").json()] == [("kafka", 1)]
    assert not UnmetQuery.objects.exists()
