"""The events' Prometheus series. Counters and histograms are counted where things happen
(delivery, the relay, the consumer loop); the outbox backlog and the workers' heartbeats are
read from the database when scraped, so that they are right whichever process is asked."""

from collections.abc import Iterator

from django.db import DatabaseError
from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

EVENTS_WRITTEN = Counter(
    "events_written_total",
    "Events handed to delivery by the web process or a command, by type and delivery mode.",
    ["type", "delivery"],
)
RELAY_PUBLISHED = Counter("events_relay_published_total", "Outbox rows Kafka acknowledged.")
RELAY_FAILED = Counter(
    "events_relay_failed_total", "Outbox rows Kafka did not acknowledge (tried again later)."
)
RELAY_BATCH_SECONDS = Histogram(
    "events_relay_batch_seconds",
    "Time to claim, publish and record one relay batch.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CONSUMED = Counter(
    "events_consumed_total",
    "Events a consumer group read, by type and outcome: applied, duplicate (already applied, "
    "by ce_id), skipped (no handler in this group) or dead_lettered.",
    ["group", "type", "outcome"],
)
CONSUMER_BATCH_SECONDS = Histogram(
    "events_consumer_batch_seconds",
    "Time to apply and commit one polled batch.",
    ["group"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
# The latest value any live process set: after a rebalance the partition's new owner reports.
CONSUMER_LAG = Gauge(
    "events_consumer_lag",
    "Records on the partition past the group's committed offset (end offset - committed).",
    ["group", "topic", "partition"],
    multiprocess_mode="livemostrecent",
)
DLQ_MESSAGES = Gauge(
    "events_dlq_messages",
    "Messages retained on a dead-letter topic.",
    ["topic"],
    multiprocess_mode="livemostrecent",
)


class BacklogCollector(Collector):
    """Outbox backlog per event type and the workers' heartbeat ages, read on each scrape."""

    def describe(self) -> list:
        # Nothing to declare up front: registering must not query the database.
        return []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        # Imported here: collectors are registered while apps load, before models may be used.
        from events.heartbeats import worker_states
        from events.selectors import outbox_backlog

        pending = GaugeMetricFamily(
            "events_outbox_pending", "Outbox rows not yet published.", labels=["type"]
        )
        failing = GaugeMetricFamily(
            "events_outbox_failing",
            "Unpublished outbox rows that failed at least once.",
            labels=["type"],
        )
        oldest = GaugeMetricFamily(
            "events_outbox_oldest_pending_seconds",
            "Age of the oldest unpublished outbox row (0 when none).",
            labels=["type"],
        )
        beats = GaugeMetricFamily(
            "events_worker_seconds_since_beat",
            "Seconds since a relay's or consumer's loop last recorded a heartbeat.",
            labels=["kind", "name", "worker"],
        )
        try:
            backlog = outbox_backlog()
            workers = worker_states(stall_seconds=0)
        except DatabaseError:
            # The database's absence shows in /readyz; a scrape still gets the counters.
            return
        for row in backlog:
            pending.add_metric([row.event_type], row.pending)
            failing.add_metric([row.event_type], row.failing)
            oldest.add_metric([row.event_type], row.oldest_pending_seconds or 0)
        for worker in (worker for worker in workers if worker.state != "stopped"):
            beats.add_metric([worker.kind, worker.name, worker.worker], worker.seconds_since_beat)
        yield from (pending, failing, oldest, beats)
