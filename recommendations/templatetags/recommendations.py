import logging

from django import template
from django.core.cache import cache
from django.db import DatabaseError

from recommendations.selectors import RECOMMENDATIONS, recommended_books
from trends.selectors import most_viewed
from trends.templatetags.trends import BOX_CACHE_SECONDS

register = template.Library()
logger = logging.getLogger(__name__)

POPULAR_DAYS = 7


@register.inclusion_tag("recommendations/recommended_for_you.html", takes_context=True)
def recommended_for_you(context) -> dict:
    """The visitor's "Recommended for you" box, from their own uid cookie; a visitor with
    nothing to recommend yet (no history, or only books nobody else opened) sees the week's
    most viewed books instead, under a heading that says so."""
    request = context["request"]
    # None for a visitor whose cookie was only just issued: no history yet.
    visitor_id = getattr(request, "visitor_id", None)
    try:
        books = recommended_books(visitor_id=visitor_id)
        # The same for every visitor without history: read at most every few seconds per
        # process, as the trends boxes are, not on each new visitor's page.
        popular = (
            []
            if books
            else cache.get_or_set(
                "recommendations.popular",
                lambda: most_viewed(limit=RECOMMENDATIONS, days=POPULAR_DAYS),
                BOX_CACHE_SECONDS,
            )
        )
    except DatabaseError:
        logger.exception("Recommendations unavailable")
        books, popular = [], []
    return {"books": books or popular, "popular": bool(popular)}
