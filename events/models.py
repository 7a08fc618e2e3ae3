from django.db import models
from django.utils import timezone

from events.envelope import MAX_ID_LENGTH


class OutboxEventQuerySet(models.QuerySet):
    def pending(self) -> "OutboxEventQuerySet":
        return self.filter(published_at__isnull=True)

    def failing(self) -> "OutboxEventQuerySet":
        return self.pending().filter(attempts__gt=0)

    def published(self) -> "OutboxEventQuerySet":
        return self.filter(published_at__isnull=False)

    def due(self) -> "OutboxEventQuerySet":
        return self.pending().filter(next_attempt_at__lte=timezone.now())


class OutboxEvent(models.Model):
    """A message waiting to be published to Kafka, written in the transaction that caused it.

    `manage.py relay_events` publishes due rows and marks them published once Kafka has
    acknowledged them, so an event of a moment when Kafka is down is published when it is back.
    """

    event_type = models.CharField(max_length=200, help_text="Its ce_type (events.registry).")
    topic = models.CharField(max_length=249)
    key = models.BinaryField()
    value = models.BinaryField()
    headers = models.JSONField(help_text="[name, value] pairs, values as UTF-8 text.")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)

    objects = OutboxEventQuerySet.as_manager()

    class Meta:
        verbose_name = "outbox event"
        indexes = [
            # Serves both the relay's claim (unpublished rows in insertion order) and the purge
            # of rows published before the retention cut-off.
            models.Index(fields=["published_at", "id"], name="outbox_claim_idx"),
            # Covers the backlog per type (the pipeline page, /metrics): only the index entries
            # of unpublished rows are read, however many published rows the outbox keeps.
            models.Index(
                fields=["published_at", "event_type", "attempts", "created_at"],
                name="outbox_backlog_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}: {bytes(self.key).decode(errors='replace')}"

    @property
    def status(self) -> str:
        if self.published_at:
            return "published"
        return "failing" if self.attempts else "pending"


class ProcessedEvent(models.Model):
    """An event a consumer group has applied, so that a redelivery is recognised and skipped."""

    consumer_group = models.CharField(max_length=100)
    event_id = models.CharField(max_length=MAX_ID_LENGTH, help_text="The event's ce_id header.")
    processed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["consumer_group", "processed_at"], name="processed_event_purge_idx"
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["consumer_group", "event_id"], name="processed_event_once_per_group"
            )
        ]

    def __str__(self) -> str:
        return f"{self.consumer_group}: {self.event_id}"


class WorkerHeartbeat(models.Model):
    """A relay's or a consumer's latest sign of life, written by its loop every few seconds
    (events/heartbeats.py) and read by `manage.py check_workers`."""

    worker = models.CharField(max_length=255, unique=True, help_text="kind:name@host:pid")
    kind = models.CharField(max_length=20, help_text="relay or consumer")
    name = models.CharField(max_length=100, help_text="The consumer group, or 'relay'.")
    host = models.CharField(max_length=100)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.worker
