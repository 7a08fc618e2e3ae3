from dataclasses import dataclass

from django.db.models import Count, Min, Q
from django.utils import timezone

from events.models import OutboxEvent
from events.registry import event_types


@dataclass(frozen=True)
class OutboxSummary:
    pending: int
    failing: int
    oldest_pending_seconds: float | None
    last_error: str


def outbox_summary() -> OutboxSummary:
    """The backlog over every type. Published rows are not counted: the outbox may keep
    millions of them, and counting them read every one on each view of the outbox list."""
    backlog = outbox_backlog()
    ages = [t.oldest_pending_seconds for t in backlog if t.oldest_pending_seconds is not None]
    last_error = (
        OutboxEvent.objects.failing()
        .order_by("-next_attempt_at")
        .values_list("last_error", flat=True)
        .first()
    )
    return OutboxSummary(
        pending=sum(t.pending for t in backlog),
        failing=sum(t.failing for t in backlog),
        oldest_pending_seconds=max(ages, default=None),
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
