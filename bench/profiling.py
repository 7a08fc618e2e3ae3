"""Where the time goes: pyinstrument profiles of the hot paths, summarised for the report.

- search: a few hundred API searches through Django's test Client in this process, in outbox
  mode (middleware, view, FULLTEXT query, serialisation, the outbox INSERT; no WSGI server);
- relay: the Relay class publishing a few thousand outbox rows;
- consumers: each consumer's batch loop over those events.

Each summary gives the share of wall time by layer (the database driver's frames hold the time
spent waiting for MariaDB; the stdlib and C functions count for the library that called them),
the share of a few key calls, and the frames with the most self time. The full interactive
profiles are written next to the run's logs as HTML.
"""

import contextlib
import importlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from bench.config import REPO
from bench.processes import BenchError, step

INTERVAL_SECONDS = 0.0005
TOP_FRAMES = 12

# The first matching rule names a frame's layer, by its file's path.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("MariaDB round trips (MySQLdb)", ("/MySQLdb/",)),
    ("Django ORM (SQL compiling, model rows)", ("/django/db/",)),
    ("Kafka client (kafka-python)", ("/kafka/",)),
    ("templates", ("/django/template/", "/templatetags/")),
    ("API layer (django-ninja, pydantic)", ("/ninja/", "/pydantic/", "/pydantic_core/")),
    ("events app (registry, outbox, relay, consumer loop)", ("events/",)),
    ("books / trends / recommendations app code", ("books/", "trends/", "recommendations/")),
    ("Django request handling, middleware, signals", ("/django/",)),
    ("JSON", ("/json/",)),
)

# Calls whose whole time (children included) the summary reports: (label, file, function).
FOCUS: tuple[tuple[str, str, str], ...] = (
    ("search_books(): SQL and model rows", "books/selectors.py", "search_books"),
    ("announce(): build + deliver", "events/receivers.py", "announce"),
    ("encode()", "events/registry.py", "encode"),
    ("write_to_outbox(): INSERT + commit", "events/delivery.py", "write_to_outbox"),
    ("KafkaProducer.send()", "kafka/producer/kafka.py", "send"),
    ("KafkaProducer.flush(): waiting for acks", "kafka/producer/kafka.py", "flush"),
    ("Consumer.poll()", "events/consuming/loop.py", "poll"),
    ("decode()", "events/registry.py", "decode"),
    ("apply_once(): dedupe + apply in one transaction", "events/consuming/dedupe.py", "apply_once"),
    ("count_searches(): the trends batch's SQL", "trends/services.py", "count_searches"),
    ("add_interests(): the recommendations batch", "recommendations/services.py", "add_interests"),
    ("add_counts(): the batch's upsert", "bookstore_site/upsert.py", "add_counts"),
    ("QuerySet.bulk_create(): ce_id records", "django/db/models/query.py", "bulk_create"),
    ("consumer.commit() (offsets)", "kafka/consumer/group.py", "commit"),
)
BUILTIN = "<built-in>"


@dataclass(frozen=True)
class ProfileSummary:
    name: str
    what: str
    seconds: float
    units: int  # requests or events profiled
    layers: list[tuple[str, float]]  # (layer, share of total time)
    top_frames: list[tuple[str, str, float]]  # (function, where, share of self time)
    focus: list[tuple[str, float]]  # (FOCUS label, share of total time, children included)
    html: Path

    @property
    def ms_per_unit(self) -> float:
        return self.seconds * 1000 / self.units if self.units else float("nan")


OTHER = "other (Python stdlib, interpreter)"


def _layer(path: str) -> str:
    for name, parts in LAYERS:
        if any(part in path for part in parts):
            return name
    return OTHER


def _where(frame) -> str:
    path = frame.file_path or "?"
    with contextlib.suppress(ValueError):
        path = str(Path(path).relative_to(REPO))
    path = path.split("site-packages/", 1)[-1]
    if "/lib/python3" in path:  # the stdlib: python3.11/threading.py
        path = "python3" + path.split("/lib/python3", 1)[1]
    return f"{path}:{frame.line_no}"


def _is_builtin(frame) -> bool:
    return not frame.file_path or frame.file_path == BUILTIN


def _walk(frame, layer: str = OTHER, where: str = "") -> Iterator[tuple[object, str, str]]:
    """Each frame with its layer and location. A C function (socket.send, the MySQLdb
    driver's query) has no file: it is shown as called from its caller. C functions and the
    stdlib (threading's waits, copy, socket) count for the layer of the library or app code
    that called them: a lock waited on inside KafkaProducer.flush() is time in Kafka."""
    if _is_builtin(frame):
        where = f"{BUILTIN}, called from {where}"
    else:
        where = _where(frame)
        own = _layer(frame.file_path)
        if own != OTHER or layer == OTHER:
            layer = own
    yield frame, layer, where
    for child in frame.children:
        if not child.is_synthetic:
            yield from _walk(child, layer, where)


def _focus_times(frame, inside: frozenset[str] = frozenset()) -> dict[str, float]:
    """Total time per FOCUS label, a call nested in another of the same label counted once."""
    times: dict[str, float] = defaultdict(float)
    path = frame.file_path or ""
    for label, file, function in FOCUS:
        if label not in inside and frame.function == function and path.endswith(file):
            times[label] += frame.time
            inside = inside | {label}
    for child in frame.children:
        if not child.is_synthetic:
            for label, seconds in _focus_times(child, inside).items():
                times[label] += seconds
    return times


def summarise(session, *, name: str, what: str, units: int, html: Path) -> ProfileSummary:
    root = session.root_frame()
    if root is None:
        raise BenchError(f"the {name} profile recorded nothing")
    total = root.time or 1e-9
    by_layer: dict[str, float] = defaultdict(float)
    by_frame: dict[tuple[str, str], float] = defaultdict(float)
    for frame, layer, where in _walk(root):
        own = frame.total_self_time
        if own > 0:
            by_layer[layer] += own
            by_frame[(frame.function, where)] += own
    top = sorted(by_frame.items(), key=lambda item: -item[1])[:TOP_FRAMES]
    focus = _focus_times(root)
    return ProfileSummary(
        name=name,
        what=what,
        seconds=session.duration,
        units=units,
        layers=sorted(((k, v / total) for k, v in by_layer.items()), key=lambda kv: -kv[1]),
        top_frames=[(function, where, own / total) for (function, where), own in top],
        focus=[(label, focus[label] / total) for label, _, _ in FOCUS if label in focus],
        html=html,
    )


def profile(
    workdir: Path, name: str, what: str, units: int, work: Callable[[], None]
) -> ProfileSummary:
    from pyinstrument import Profiler

    step(f"profile: {what}")
    profiler = Profiler(interval=INTERVAL_SECONDS)
    profiler.start()
    try:
        work()
    finally:
        profiler.stop()
    html = workdir / f"profile-{name}.html"
    html.write_text(profiler.output_html())
    return summarise(profiler.last_session, name=name, what=what, units=units, html=html)


def profile_search(workdir: Path, *, requests: int, budget: float, size: int) -> ProfileSummary:
    """Up to `requests` API searches, or as many as fit in `budget` seconds."""
    from django.test import Client, override_settings

    from bench.queries import api_paths, visitor_ids

    paths = api_paths()
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies["uid"] = visitor_ids(1)[0]
    done = 0

    def searches(count: int, seconds: float) -> None:
        nonlocal done
        deadline = time.monotonic() + seconds
        for index in range(count):
            if index and time.monotonic() > deadline:
                break
            response = client.get(paths[index % len(paths)])
            if response.status_code != 200:
                raise BenchError(f"{paths[index % len(paths)]} answered {response.status_code}")
            done = index + 1

    with override_settings(EVENTS_DELIVERY="outbox"):
        searches(len(paths), budget)  # warm-up: imports, URL resolver, buffer pool
        summary = profile(
            workdir,
            f"search-{size}",
            f"API searches, outbox mode, {size:,} books (Django test Client)",
            requests,
            lambda: searches(requests, budget),
        )
    return replace(summary, units=done)


def profile_relay(workdir: Path, *, topic: str, events: int) -> ProfileSummary:
    """The Relay class draining `events` fresh outbox rows, as `relay_events --once` does."""
    from bench.relay import prefill_outbox
    from events.kafka import ReplaceableProducer
    from events.relay import Relay

    prefill_outbox(topic, events)
    producer = ReplaceableProducer()
    relay = Relay(producer, respect_backoff=False)

    def drain() -> None:
        relay.drain()

    try:
        return profile(workdir, "relay", f"Relay publishing {events:,} outbox rows", events, drain)
    finally:
        producer.close(timeout=10)


def profile_consumer(
    workdir: Path, *, name: str, topic: str, group: str, events: int
) -> ProfileSummary:
    """One consumer, in a group of its own, applying the first `events` events of the topic:
    by now its tables hold these events' rows already, so this is the returning-visitor case."""
    from django.test import override_settings

    from events.consuming import Consumer

    module = importlib.import_module(f"{name}.handlers")
    with override_settings(KAFKA_TOPIC=topic):
        consumer = Consumer(group_id=group, handlers=module.HANDLERS)
    try:
        return profile(
            workdir,
            f"consumer-{name}",
            f"{name} consumer applying {events:,} events",
            events,
            lambda: consumer.run(max_messages=events, idle_timeout=10),
        )
    finally:
        consumer.close()
