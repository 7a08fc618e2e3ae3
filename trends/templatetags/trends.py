import logging

from django import template
from django.db import DatabaseError

from trends.selectors import most_viewed, top_trends

register = template.Library()
logger = logging.getLogger(__name__)


@register.inclusion_tag("trends/trending_searches.html")
def trending_searches() -> dict:
    """The Trends box; empty, never an error, when nothing was counted or the table is away."""
    try:
        trends = top_trends()
    except DatabaseError:
        logger.exception("Trends unavailable")
        trends = []
    return {"trends": trends}


@register.inclusion_tag("trends/most_viewed.html")
def most_viewed_books() -> dict:
    """The "Most viewed this week" box; empty, never an error, like the Trends box."""
    try:
        books = most_viewed()
    except DatabaseError:
        logger.exception("Most viewed books unavailable")
        books = []
    return {"books": books}
