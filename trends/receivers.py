"""What trends do when another app announces something."""

from trends.services import forget_visitor_searches


def forget_visitor(sender: object, *, visitor_id: str, **kwargs: object) -> None:
    """privacy.signals.visitor_forgotten: erase the visitor's per-visitor trend rows."""
    forget_visitor_searches(visitor_id=visitor_id)
