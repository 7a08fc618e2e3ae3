import logging

from django import template
from django.db import DatabaseError

from recommendations.selectors import RECOMMENDATIONS, recommended_books
from trends.selectors import most_viewed

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
        popular = [] if books else most_viewed(limit=RECOMMENDATIONS, days=POPULAR_DAYS)
    except DatabaseError:
        logger.exception("Recommendations unavailable")
        books, popular = [], []
    return {"books": books or popular, "popular": bool(popular)}
