"""The whole walk: a search on the page → outbox → relay → Kafka → both consumers → the page."""

from django.core.cache import cache
from django.test import Client

from recommendations.handlers import CONSUMER_GROUP as REC_GROUP
from recommendations.services import add_interests as apply_interests
from trends.handlers import CONSUMER_GROUP as TREND_GROUP
from trends.services import count_searches as apply_trends


def test_a_search_shows_up_in_trends_and_in_the_searchers_recommendations(
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
    consume(apply_interests, 4, group_id=f"{REC_GROUP}-{topic}")
    cache.clear()  # the boxes the searches' pages cached expire (trends.BOX_CACHE_SECONDS)

    page = searcher.get("/").text
    trends = page.split('id="trends-heading"')[1].split("</section>")[0]
    recommended = page.split('id="recommendations-heading"')[1].split("</section>")[0]
    assert trends.index("murakami") < trends.index("austen")
    assert '>murakami</a> <span class="meta">(2)</span>' in trends
    assert '>austen</a> <span class="meta">(1)</span>' in trends
    assert "Kafka on the Shore" in recommended
    assert "Emma" not in recommended
    assert "Emma" in other.get("/").text.split('id="recommendations-heading"')[1]
