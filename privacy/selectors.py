from collections.abc import Iterable

from privacy.models import ForgottenVisitor


def forgotten_visitors(*, visitor_ids: Iterable[str | None]) -> set[str]:
    """Which of `visitor_ids` asked to be forgotten: handlers drop their events. One query."""
    wanted = {visitor_id for visitor_id in visitor_ids if visitor_id}
    if not wanted:
        return set()
    return set(
        ForgottenVisitor.objects.filter(visitor_id__in=wanted).values_list("visitor_id", flat=True)
    )
