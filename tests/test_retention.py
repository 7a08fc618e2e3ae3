"""Retention: published outbox rows and the consumers' ce_id records older than
EVENTS_RETENTION_HOURS are deleted, and nothing the system still needs is.

The clock is frozen at NOW, so that rows exactly at the cut-off can be told apart."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.consuming import Consumer
from events.models import OutboxEvent, ProcessedEvent
from events.registry import encode
from events.relay import purge_published
from events.retention import delete_in_batches, retention_cutoff
from events.types.search_performed import SEARCH_PERFORMED, search_event

NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
RETENTION = datetime.timedelta(hours=24)
PAST_RETENTION = NOW - RETENTION - datetime.timedelta(minutes=1)
AT_CUT_OFF = NOW - RETENTION
WITHIN_RETENTION = NOW - RETENTION + datetime.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _frozen_clock(monkeypatch, settings) -> None:
    settings.EVENTS_RETENTION_HOURS = 24
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def outbox_row(*, created_at: datetime.datetime, published_at: datetime.datetime | None) -> int:
    message = encode(search_event(query="q", books=[]))
    return OutboxEvent.objects.create(
        topic="t",
        key=message.key,
        value=message.value,
        headers=[[name, value.decode()] for name, value in message.headers],
        created_at=created_at,
        published_at=published_at,
    ).pk


def processed(group: str, processed_at: datetime.datetime) -> str:
    event_id = uuid.uuid4().hex
    ProcessedEvent.objects.create(
        consumer_group=group, event_id=event_id, processed_at=processed_at
    )
    return event_id


def test_the_cut_off_is_the_retention_period_before_now() -> None:
    assert retention_cutoff() == NOW - RETENTION


def test_purge_deletes_rows_published_before_the_retention_period_and_nothing_else(db) -> None:
    published_old = outbox_row(created_at=PAST_RETENTION, published_at=PAST_RETENTION)
    published_recent = outbox_row(created_at=PAST_RETENTION, published_at=WITHIN_RETENTION)
    published_at_cut_off = outbox_row(created_at=PAST_RETENTION, published_at=AT_CUT_OFF)
    unpublished_old = outbox_row(created_at=PAST_RETENTION, published_at=None)

    purged = purge_published()

    assert purged == 1
    assert not OutboxEvent.objects.filter(pk=published_old).exists()
    assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {
        published_recent,
        published_at_cut_off,
        unpublished_old,
    }


def test_purge_never_deletes_an_unpublished_row_however_old(db) -> None:
    waiting_for_a_year = outbox_row(
        created_at=NOW - datetime.timedelta(days=365), published_at=None
    )

    assert purge_published() == 0
    assert OutboxEvent.objects.filter(pk=waiting_for_a_year).exists()


def test_consumer_forgets_its_ce_ids_older_than_the_retention_period_only(
    db, kafka_bootstrap, topic
) -> None:
    group = f"retention-{uuid.uuid4().hex[:8]}"
    forgotten = processed(group, PAST_RETENTION)
    kept = {processed(group, AT_CUT_OFF), processed(group, WITHIN_RETENTION)}
    consumer = Consumer(group_id=group, handlers={SEARCH_PERFORMED: lambda events: None})
    try:
        consumer.purge_processed()
    finally:
        consumer.close()

    remaining = set(ProcessedEvent.objects.values_list("event_id", flat=True))
    assert forgotten not in remaining
    assert remaining == kept


def test_delete_in_batches_deletes_every_matching_row_in_statements_of_batch_size(db) -> None:
    old = [processed("g", PAST_RETENTION) for _ in range(5)]
    recent = processed("g", WITHIN_RETENTION)

    with CaptureQueriesContext(connection) as queries:
        deleted = delete_in_batches(
            ProcessedEvent.objects.filter(processed_at__lt=retention_cutoff()), batch_size=2
        )

    assert deleted == len(old)
    assert list(ProcessedEvent.objects.values_list("event_id", flat=True)) == [recent]
    deletes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("DELETE")]
    assert len(deletes) == 3  # 2 + 2 + 1


def test_delete_in_batches_of_nothing_deletes_nothing(db) -> None:
    kept = processed("g", WITHIN_RETENTION)

    assert delete_in_batches(ProcessedEvent.objects.none()) == 0
    assert list(ProcessedEvent.objects.values_list("event_id", flat=True)) == [kept]
