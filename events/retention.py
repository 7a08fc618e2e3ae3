"""How long event bookkeeping is kept: published outbox rows and consumers' ce_id records."""

import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

# How often the long-running relay and consumers purge what retention no longer keeps.
PURGE_EVERY_SECONDS = 600


def retention_cutoff() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=settings.EVENTS_RETENTION_HOURS)


def delete_in_batches(rows: QuerySet, *, batch_size: int = 5000) -> int:
    """Delete `rows` in short statements, so that no DELETE holds locks for long."""
    deleted = 0
    while ids := list(rows.values_list("pk", flat=True)[:batch_size]):
        deleted += rows.model.objects.filter(pk__in=ids).delete()[0]
    return deleted
