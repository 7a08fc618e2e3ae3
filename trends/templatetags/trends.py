import logging
from collections.abc import Callable

from django import template
from django.core.cache import cache
from django.db import DatabaseError

from trends.selectors import most_viewed, top_trends
from trends.windows import DEFAULT_WINDOW, HEADINGS, Window

register = template.Library()
logger = logging.getLogger(__name__)

# Both boxes are the same for every visitor and fed by consumers seconds behind anyway: each web
# process reads them at most this often instead of on every page (a search page's queries are
# what the web's CPU goes on; docs/reliability.md).
BOX_CACHE_SECONDS = 5


def _cached(name: str, read: Callable[[], list]) -> list:
    """`read()`, from this process's cache when recent; empty, never an error, when the table
    is away (and not cached, so that it shows again as soon as the database is back)."""
    try:
        return cache.get_or_set(f"trends.box.{name}", read, BOX_CACHE_SECONDS)
    except DatabaseError:
        logger.exception("The %s box is unavailable", name)
        return []


@register.inclusion_tag("trends/trending_searches.html")
def trending_searches(window: Window = DEFAULT_WINDOW) -> dict:
    """The Trends box, headed with its window ("Trending today")."""
    return {
        "trends": _cached(f"trends.{window}", lambda: top_trends(window=window)),
        "heading": HEADINGS[window],
    }


@register.inclusion_tag("trends/most_viewed.html")
def most_viewed_books() -> dict:
    """The "Most viewed this week" box."""
    return {"books": _cached("most_viewed", most_viewed)}
