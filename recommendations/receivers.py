from recommendations.services import forget_visitor_rows


def forget_visitor(sender: object, *, visitor_id: str, **kwargs: object) -> None:
    """privacy.signals.visitor_forgotten: erase what recommendations keep about the visitor."""
    forget_visitor_rows(visitor_id=visitor_id)
