"""`manage.py replay_dlq`: dead letters go back to their source topics once the bug that put
them in the DLQ is fixed, and each is applied once per group however often it is replayed."""

import io
import uuid
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from events.consuming import Consumer, ConsumerStats
from events.consuming.dead_letter import DeadLetters
from events.consuming.replay import DeadLetter, LetterFilter, dead_letter_topics
from events.delivery import write_to_outbox
from events.envelope import Event
from events.registry import encode, get
from events.types.book_changes import book_event
from events.types.book_viewed import BOOK_VIEWED
from events.types.search_performed import SEARCH_PERFORMED, search_event
from tests.helpers import EMMA, header_map, read_topic
from trends.models import TrendingQuery
from trends.services import count_searches

# --- Helpers -----------------------------------------------------------------------------------


def replay(*args: str) -> str:
    out = io.StringIO()
    call_command("replay_dlq", *args, stdout=out)
    return out.getvalue()


def run_consumer(handler, count: int, *, group_id: str) -> ConsumerStats:
    consumer = Consumer(group_id=group_id, handlers={SEARCH_PERFORMED: handler})
    try:
        return consumer.run(max_messages=count, idle_timeout=20)
    finally:
        consumer.close()


def buggy_count_searches(events: list[Event]) -> None:
    """The handler as it was before the fix: it fails on every query with a digit."""
    if any(any(c.isdigit() for c in event.subject) for event in events):
        raise ValueError("handler bug: digits not supported")
    count_searches(events)


def counts() -> dict[str, int]:
    return dict(TrendingQuery.objects.values_list("query", "count"))


def letter(
    event: Event, *, error: str, group: str = "g", topic: str = "t", ce_type: str | None = None
) -> tuple[SimpleNamespace, Exception]:
    """A (record, error) pair as the consumer loop hands DeadLetters, `ce_type` overridden."""
    message = encode(event)
    headers = [
        (n, ce_type.encode() if n == "ce_type" and ce_type else v) for n, v in message.headers
    ]
    record = SimpleNamespace(
        topic=topic, partition=1, offset=42, key=message.key, value=message.value, headers=headers
    )
    return record, ValueError(error)


def dead_letter(event: Event, **kwargs) -> DeadLetter:
    """The DLQ record DeadLetters writes for `event`, read back."""
    record, error = letter(event, **kwargs)
    headers = [
        *record.headers,
        ("dlq_error", str(error).encode()),
        ("dlq_source_topic", record.topic.encode()),
        ("dlq_source_partition", b"1"),
        ("dlq_source_offset", b"42"),
        ("dlq_consumer_group", b"g"),
    ]
    return DeadLetter(
        topic="t.dlq", partition=0, offset=7, key=record.key, value=record.value, headers=headers
    )


# --- The filters and the letter, without Kafka --------------------------------------------------


def test_a_letter_filter_matches_on_the_type_by_any_of_its_names_and_on_the_error_text() -> None:
    search = dead_letter(search_event(query="q", books=[]), error="handler bug: boom")
    old_name = dead_letter(
        search_event(query="q", books=[]),
        error="DataError: too long",
        ce_type="com.event-books.search.performed",
    )
    unknown = dead_letter(
        search_event(query="q", books=[]), error="boom", ce_type="com.example.nope.v1"
    )
    searches = LetterFilter(event_type=get(SEARCH_PERFORMED))

    assert [searches.matches(x) for x in (search, old_name, unknown)] == [True, True, False]
    assert LetterFilter(error="boom").matches(search)
    assert not LetterFilter(error="Boom").matches(search)  # a substring, as written
    assert not LetterFilter(event_type=get(SEARCH_PERFORMED), error="boom").matches(old_name)
    assert LetterFilter().matches(unknown)


def test_a_replayed_letter_keeps_the_original_headers_without_the_dlq_ones() -> None:
    event = search_event(query="q", books=[], visitor_id="v1")
    dead = dead_letter(event, error="boom", topic="lr-book-searches")

    assert dead.source_topic == "lr-book-searches"
    assert dead.replay_headers == encode(event).headers
    assert dead.header("ce_id") == event.id


def test_without_a_source_topic_header_the_source_is_the_dlq_name_without_dlq() -> None:
    bare = DeadLetter(topic="books.dlq", partition=0, offset=0, key=None, value=b"", headers=[])

    assert bare.source_topic == "books"
    assert bare.header("dlq_error") == ""


def test_the_dlqs_read_are_every_registered_topics_unless_named(settings) -> None:
    assert sorted(dead_letter_topics()) == sorted(
        [
            f"{settings.KAFKA_TOPIC}.dlq",
            f"{settings.KAFKA_BOOK_CHANGES_TOPIC}.dlq",
            f"{settings.KAFKA_BOOK_VIEWS_TOPIC}.dlq",
        ]
    )
    assert dead_letter_topics(["a", "b.dlq"]) == ["a.dlq", "b.dlq"]


# --- End to end against the broker -------------------------------------------------------------


def test_letters_of_a_fixed_bug_are_replayed_and_applied_once_however_often_replayed(
    transactional_db, event_topics, relay, monkeypatch
) -> None:
    monkeypatch.setattr("events.consuming.loop.time.sleep", lambda seconds: None)
    group = f"test-replay-{uuid.uuid4().hex[:8]}"
    events = [
        search_event(query=q, books=[EMMA], visitor_id="5e" * 16)
        for q in ("kafka", "route 66", "catch 22")
    ]
    write_to_outbox(events)
    assert relay.drain().published == 3

    before_fix = run_consumer(buggy_count_searches, 3, group_id=group)

    assert (before_fix.applied, before_fix.dead_lettered) == (1, 2)
    assert counts() == {"kafka": 1}
    topic = event_topics["KAFKA_TOPIC"]

    output = replay()  # the fix landed: replay, then the group's consumer runs again

    assert f"2 replayed to {topic}" in output
    after_fix = run_consumer(count_searches, 2, group_id=group)
    assert (after_fix.applied, after_fix.duplicates) == (2, 0)
    assert counts() == {"kafka": 1, "route 66": 1, "catch 22": 1}
    replayed = read_topic(topic, 5)
    ids = sorted(header_map(m)["ce_id"] for m in replayed)
    assert ids == sorted([e.id for e in events] + [events[1].id, events[2].id])
    assert not any(name.startswith("dlq_") for m in replayed for name, _ in m.headers)

    assert f"2 replayed to {topic}" in replay()  # replayed twice by mistake
    again = run_consumer(count_searches, 2, group_id=group)

    assert (again.applied, again.duplicates) == (0, 2)
    assert counts() == {"kafka": 1, "route 66": 1, "catch 22": 1}


@pytest.fixture
def letters(transactional_db, event_topics) -> dict[str, Event]:
    """Dead letters written as the consumer loop writes them: two searches (one under the
    type's old name) and a book view, from two groups, with different errors."""
    searches, views = event_topics["KAFKA_TOPIC"], event_topics["KAFKA_BOOK_VIEWS_TOPIC"]
    events = {
        "bug": search_event(query="bug", books=[]),
        "too long": search_event(query="too long", books=[]),
        "viewed": book_event(BOOK_VIEWED, EMMA, visitor_id="v1"),
    }
    writers = [DeadLetters(group_id="trend-test"), DeadLetters(group_id="rec-test")]
    try:
        writers[0].send([letter(events["bug"], error="handler bug: boom", topic=searches)])
        writers[1].send(
            [
                letter(
                    events["too long"],
                    error="DataError: too long",
                    topic=searches,
                    ce_type="com.event-books.search.performed",
                ),
                letter(events["viewed"], error="handler bug: boom", topic=views),
            ]
        )
    finally:
        for writer in writers:
            writer.close()
    return events


def test_a_dry_run_lists_the_matching_letters_and_publishes_nothing(letters, event_topics) -> None:
    output = replay("--dry-run", "--type", SEARCH_PERFORMED)

    lines = output.splitlines()
    assert len(lines) == 3
    assert "2 of 3 dead letters match; nothing published (dry run)." in lines[-1]
    bug = next(line for line in lines if letters["bug"].id in line)
    assert f"{event_topics['KAFKA_TOPIC']}.dlq/" in bug
    assert SEARCH_PERFORMED in bug
    assert f"from {event_topics['KAFKA_TOPIC']}/1@42 group=trend-test: handler bug: boom" in bug
    assert any("com.event-books.search.performed " in line for line in lines)
    assert read_topic(event_topics["KAFKA_TOPIC"], 0, timeout=2) == []


def test_the_error_filter_replays_across_topics_and_the_type_filter_narrows_it(
    letters, event_topics
) -> None:
    searches, views = event_topics["KAFKA_TOPIC"], event_topics["KAFKA_BOOK_VIEWS_TOPIC"]

    output = replay("--error", "handler bug", "--type", BOOK_VIEWED)

    assert f"1 replayed to {views}" in output
    assert "(1 of 3 dead letters matched)" in output
    [view] = read_topic(views, 1)
    assert header_map(view)["ce_id"] == letters["viewed"].id
    assert read_topic(searches, 0, timeout=1) == []


def test_the_topic_partition_and_offset_filters_pick_single_letters(letters, event_topics) -> None:
    dlq = f"{event_topics['KAFKA_TOPIC']}.dlq"
    [first, *_] = sorted(read_topic(dlq, 2), key=lambda m: (m.partition, m.offset))
    where = ["--partition", str(first.partition), "--from-offset", str(first.offset)]

    only = replay(
        "--dry-run",
        "--topic",
        event_topics["KAFKA_TOPIC"],
        *where,
        "--to-offset",
        str(first.offset),
    )
    later = replay("--dry-run", "--topic", dlq, *where[:2], "--from-offset", str(first.offset + 1))

    assert header_map(first)["ce_id"] in only
    assert "1 of 1 dead letters match" in only
    assert header_map(first)["ce_id"] not in later


def test_an_unknown_type_and_bad_offsets_are_refused(letters) -> None:
    with pytest.raises(CommandError, match=r"Unknown event type 'com\.example\.nope'"):
        replay("--type", "com.example.nope")
    with pytest.raises(CommandError, match="after --to-offset"):
        replay("--from-offset", "5", "--to-offset", "4")


def test_an_unreachable_kafka_is_a_command_error(settings) -> None:
    settings.KAFKA_BOOTSTRAP_SERVERS = ["127.0.0.1:1"]  # nothing listens there

    with pytest.raises(CommandError, match=r"Kafka is not reachable at 127\.0\.0\.1:1"):
        replay("--dry-run")
