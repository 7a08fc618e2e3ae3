from dataclasses import dataclass

from django.db.models import Count, Min, Q
from django.utils import timezone

from events.models import OutboxEvent
from events.registry import event_types


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


@dataclass(frozen=True)
class TypeBacklog:
    event_type: str
    topic: str
    pending: int
    failing: int
    oldest_pending_seconds: float | None


def outbox_backlog() -> list[TypeBacklog]:
    """Unpublished rows per registered event type (a type with none shows zero). Reads only the
    unpublished rows, through an index that covers the query, so that it stays quick however
    many published rows the outbox keeps."""
    counts = {
        row["event_type"]: row
        for row in OutboxEvent.objects.pending()
        .values("event_type")
        .annotate(
            pending=Count("pk"),
            failing=Count("pk", filter=Q(attempts__gt=0)),
            oldest=Min("created_at"),
        )
        .order_by()
    }
    now = timezone.now()
    backlog = []
    for event_type in event_types():
        row = counts.get(event_type.name, {})
        oldest = row.get("oldest")
        backlog.append(
            TypeBacklog(
                event_type=event_type.name,
                topic=event_type.topic,
                pending=row.get("pending", 0),
                failing=row.get("failing", 0),
                oldest_pending_seconds=(now - oldest).total_seconds() if oldest else None,
            )
        )
    return backlog
