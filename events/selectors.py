from dataclasses import dataclass

from django.db.models import Count, Min, Q
from django.utils import timezone

from events.models import OutboxEvent


@dataclass(frozen=True)
class OutboxSummary:
    pending: int
    failing: int
    published: int
    oldest_pending_seconds: float | None
    last_error: str


def outbox_summary() -> OutboxSummary:
    unpublished = Q(published_at__isnull=True)
    counts = OutboxEvent.objects.aggregate(
        pending=Count("pk", filter=unpublished),
        failing=Count("pk", filter=unpublished & Q(attempts__gt=0)),
        published=Count("pk", filter=~unpublished),
        oldest=Min("created_at", filter=unpublished),
    )
    last_error = (
        OutboxEvent.objects.failing()
        .order_by("-next_attempt_at")
        .values_list("last_error", flat=True)
        .first()
    )
    oldest = counts["oldest"]
    return OutboxSummary(
        pending=counts["pending"],
        failing=counts["failing"],
        published=counts["published"],
        oldest_pending_seconds=(timezone.now() - oldest).total_seconds() if oldest else None,
        last_error=last_error or "",
    )
