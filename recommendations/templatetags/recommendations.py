import logging

from django import template
from django.db import DatabaseError

from recommendations.selectors import recommended_books

register = template.Library()
logger = logging.getLogger(__name__)


@register.inclusion_tag("recommendations/recommended_for_you.html", takes_context=True)
def recommended_for_you(context) -> dict:
    """The visitor's "Recommended for you" box, from their own uid cookie."""
    request = context["request"]
    # None for a visitor whose cookie was only just issued: no searches yet, no query to run.
    visitor_id = getattr(request, "visitor_id", None)
    try:
        books = recommended_books(visitor_id=visitor_id) if visitor_id else []
    except DatabaseError:
        logger.exception("Recommendations unavailable")
        books = []
    return {"books": books}
