import logging

from django import template
from django.db import DatabaseError

from trends.selectors import top_trends

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
