"""What a scenario did to its events, read back from the outbox, the topic and both consumers'
tables. Needs Django set up against the run's own database and cluster."""

import json
import time
from dataclasses import dataclass

from django.db import DatabaseError, close_old_connections
from django.db.models import Max
from kafka import TopicPartition

from bench.stats import percentile
from chaos.load import Sent
from events.kafka import new_consumer
from events.models import OutboxEvent, ProcessedEvent
from recommendations.handlers import CONSUMER_GROUP as REC_GROUP
from recommendations.models import Interest
from trends.handlers import CONSUMER_GROUP as TREND_GROUP
from trends.models import TrendingQuery
from trends.services import normalize_query, query_digest

BACKLOG_TARGET_SECONDS = 30
TOPIC_READ_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Event:
    """One search event, as its outbox row holds it."""

    id: int
    query: str
    ce_id: str
    visitor: str
    books: int
    published: bool


def last_outbox_id() -> int:
    return OutboxEvent.objects.aggregate(last=Max("id"))["last"] or 0


def outbox_events(after_id: int, prefix: str) -> list[Event]:
    events = []
    rows = OutboxEvent.objects.filter(id__gt=after_id).values_list(
        "id", "key", "value", "headers", "published_at"
    )
    for pk, key, value, headers, published_at in rows:
        query = bytes(key).decode()
        if query.startswith(prefix):
            names = dict(headers)
            books = len(json.loads(bytes(value)))
            visitor = names.get("ce_visitorid", "")
            events.append(
                Event(pk, query, names["ce_id"], visitor, books, published_at is not None)
            )
    return events


def drained(events: list[Event]) -> bool:
    """Every event published and applied by both consumer groups; False while the database is
    away (a scenario may have stopped it)."""
    if not all(event.published for event in events):
        return False
    ce_ids = {event.ce_id for event in events}
    try:
        return all(
            ProcessedEvent.objects.filter(consumer_group=group, event_id__in=ce_ids).count()
            == len(ce_ids)
            for group in (TREND_GROUP, REC_GROUP)
        )
    except DatabaseError:
        close_old_connections()
        return False


def topic_messages(topic: str, prefix: str) -> list[tuple[str, str]]:
    """(query, ce_id) of every message on the topic whose key starts with `prefix`."""
    consumer = new_consumer(group_id=None, client_id="chaos-reader")
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        end = consumer.end_offsets(partitions)
        found = []
        deadline = time.monotonic() + TOPIC_READ_TIMEOUT_SECONDS
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {topic} to its end")
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    query = record.key.decode()
                    if query.startswith(prefix):
                        found.append((query, dict(record.headers)["ce_id"].decode()))
        return found
    finally:
        consumer.close()


@dataclass(frozen=True)
class Outcome:
    scenario: str
    sent: int
    intended_503: int  # while the scenario kept the database down
    other_errors: int
    events: int  # outbox rows written
    on_topic: int
    distinct_on_topic: int
    lost: dict[str, int]  # topic, trends, recommendations
    twice: dict[str, int]  # trends, recommendations
    p99_ms: dict[str, float]  # before, during, after
    backlog_seconds: float | None  # None: not cleared within the wait
    exited: list[str]  # workers that died during the scenario

    def misses(self) -> list[str]:
        found = list(self.exited)
        if self.other_errors:
            found.append(f"{self.other_errors} searches failed")
        found += [f"{n} lost ({where})" for where, n in self.lost.items() if n]
        found += [f"{n} counted twice ({where})" for where, n in self.twice.items() if n]
        if self.backlog_seconds is None or self.backlog_seconds > BACKLOG_TARGET_SECONDS:
            found.append(f"backlog not cleared within {BACKLOG_TARGET_SECONDS} s of recovery")
        return found


def measure(
    scenario: str,
    topic: str,
    prefix: str,
    sent: list[Sent],
    events: list[Event],
    *,
    backlog_seconds: float | None,
    db_fault: bool,
    exited: list[str],
) -> Outcome:
    close_old_connections()
    answered = [s for s in sent if 200 <= s.status < 300]
    intended = [s for s in sent if db_fault and s.phase == "during" and s.status == 503]
    # Every search answered 2xx must have made an event; a search that failed may have too.
    by_query = {event.query: event for event in events}
    expected = {s.query for s in answered} | set(by_query)
    messages = topic_messages(topic, prefix)

    digests = {query_digest(normalize_query(query)): query for query in expected}
    counts = dict(
        TrendingQuery.objects.filter(query_digest__in=digests).values_list("query_digest", "count")
    )
    trend_counts = [counts.get(digest, 0) for digest in digests]

    # Each search has a visitor of its own: its interests are one row per book found, score 1.
    scores: dict[str, list[int]] = {}
    for visitor, score in Interest.objects.filter(
        visitor_id__in=[e.visitor for e in events]
    ).values_list("visitor_id", "score"):
        scores.setdefault(visitor, []).append(score)
    applied = set(
        ProcessedEvent.objects.filter(
            consumer_group=REC_GROUP, event_id__in=[e.ce_id for e in events]
        ).values_list("event_id", flat=True)
    )
    rec_lost = sum(
        1
        for query in expected
        if (event := by_query.get(query)) is None
        or event.ce_id not in applied
        or len(scores.get(event.visitor, [])) < event.books
    )
    return Outcome(
        scenario=scenario,
        sent=len(sent),
        intended_503=len(intended),
        other_errors=len(sent) - len(answered) - len(intended),
        events=len(events),
        on_topic=len(messages),
        distinct_on_topic=len({ce_id for _, ce_id in messages}),
        lost={
            "topic": len(expected - {query for query, _ in messages}),
            "trends": trend_counts.count(0),
            "recommendations": rec_lost,
        },
        twice={
            "trends": sum(1 for count in trend_counts if count > 1),
            "recommendations": sum(1 for v in scores.values() if max(v) > 1),
        },
        p99_ms={
            phase: percentile(sorted(s.latency_ms for s in sent if s.phase == phase), 99)
            for phase in ("before", "during", "after")
        },
        backlog_seconds=backlog_seconds,
        exited=exited,
    )
