"""(c) End-to-end latency: search → topic → trends, with the real long-running processes.

gunicorn (outbox mode), `relay_events` and `consume_trends` run as they do in production; the
web server and the consumer on a topic of their own. bench.loadgen sends searches at a modest
fixed rate, each with a fresh `uid` cookie, which the event carries as its ce_visitorid header:
that finds each request's event.

- search → topic: from the request's scheduled send time to the moment a separate consumer
  (a thread here, assigned all partitions, reading from the end) received the event;
- search → trends: to ProcessedEvent.processed_at of the event's ce_id in the trends group,
  stamped when the consumer applies the batch (its commit follows within milliseconds).

The event's ce_time (when the search ran) and its Kafka timestamp (when the relay's producer
sent it) split the first figure into search, outbox wait and Kafka delivery.
"""

import datetime
import subprocess
import threading
import time
from dataclasses import dataclass

from bench.config import Plan, RunContext
from bench.cpu import service_groups
from bench.http_load import LoadResult, run_paced
from bench.processes import BenchError, Supervisor, start_manage, start_web, step, tail
from bench.stats import Latency

WARMUP_SECONDS = 2
WARMUP_RATE = 5
# A new consumer group on a new topic needs a few seconds to get its partitions.
JOIN_TIMEOUT_SECONDS = 90
ARRIVAL_TIMEOUT_SECONDS = 60
# Process names, which also name their logs in the run's directory.
TRENDS_NAME = "e2e-trends"
WEB_NAME = "e2e-web"


@dataclass(frozen=True)
class Arrival:
    event_id: str
    received: float  # epoch seconds, when this process's consumer got it
    sent_by_relay: float  # the record's Kafka timestamp (CreateTime, set by the producer)
    search_ran: float  # ce_time


@dataclass(frozen=True)
class EndToEndResult:
    rate: float
    searches: int
    http: LoadResult
    to_topic: Latency
    to_trends: Latency
    # p50 / p99 of each leg of search → topic, in ms.
    legs: dict[str, Latency]
    missing_on_topic: int
    missing_in_trends: int


class TopicWatcher(threading.Thread):
    """Records when each search's event becomes visible to a consumer of the topic."""

    def __init__(self, topic: str) -> None:
        from kafka import TopicPartition

        from events.kafka import new_consumer

        super().__init__(name="bench-topic-watcher", daemon=True)
        self.arrivals: dict[str, Arrival] = {}
        self._stop_event = threading.Event()
        self._consumer = new_consumer(group_id=None, auto_offset_reset="latest")
        partitions = [
            TopicPartition(topic, p) for p in sorted(self._consumer.partitions_for_topic(topic))
        ]
        self._consumer.assign(partitions)
        self._consumer.seek_to_end()
        for partition in partitions:
            self._consumer.position(partition)  # resolve "end" now, before any search is sent

    def run(self) -> None:
        try:
            while not self._stop_event.is_set():
                batches = self._consumer.poll(timeout_ms=100)
                received = time.time()
                for records in batches.values():
                    for record in records:
                        self._record(record, received)
        finally:
            self._consumer.close()

    def _record(self, record, received: float) -> None:
        headers = {name: raw.decode(errors="replace") for name, raw in record.headers}
        uid = headers.get("ce_visitorid")
        if not uid or "ce_time" not in headers:
            return
        self.arrivals[uid] = Arrival(
            event_id=headers.get("ce_id", ""),
            received=received,
            sent_by_relay=record.timestamp / 1000,
            search_ran=datetime.datetime.fromisoformat(headers["ce_time"]).timestamp(),
        )

    def stop(self) -> None:
        self._stop_event.set()
        self.join(10)


def _wait(condition, *, timeout: float, what: str, sup: Supervisor, procs: list) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        for proc in procs:
            sup.check_alive(proc)
        if time.monotonic() > deadline:
            logs = "\n".join(
                f"{name}.log:\n{tail(sup.log_path(name), 5)}" for name in (TRENDS_NAME, WEB_NAME)
            )
            raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}\n{logs}")
        time.sleep(0.1)


def _applied_at(group: str, event_ids: list[str]) -> dict[str, float]:
    from events.models import ProcessedEvent

    rows = ProcessedEvent.objects.filter(consumer_group=group, event_id__in=event_ids)
    return {
        event_id: at.timestamp() for event_id, at in rows.values_list("event_id", "processed_at")
    }


def measure_end_to_end(
    sup: Supervisor, ctx: RunContext, plan: Plan, *, relay: subprocess.Popen
) -> EndToEndResult:
    """`relay` is the running `relay_events`: exactly one, as in production (a second relay
    would halve the outbox wait). It publishes each row to the row's own topic."""
    topic = ctx.e2e_topic
    group = f"bench-{ctx.run_id}-e2e-trends"
    env = ctx.env(topic=topic, delivery="outbox")
    step("end to end: starting consume_trends and gunicorn (outbox) on a topic of their own")
    trends = start_manage(sup, ctx, TRENDS_NAME, "consume_trends", "--group", group, env=env)
    web = start_web(sup, ctx, name=WEB_NAME, mode="outbox", workers=plan.workers, topic=topic)
    watcher = TopicWatcher(topic)
    watcher.start()
    procs = [relay, trends, web.proc]
    try:
        # A few searches through the whole pipeline first: once trends applied them, the
        # consumer has its partitions and every process is warm.
        warm = run_paced(
            web.port, ctx.workdir, rate=WARMUP_RATE, seconds=WARMUP_SECONDS, unique_visitors=True
        )
        warm_uids = [uid for uid, _ in warm.sent]
        _wait(
            lambda: (
                all(uid in watcher.arrivals for uid in warm_uids)
                and len(_applied_at(group, [watcher.arrivals[u].event_id for u in warm_uids]))
                == len(warm_uids)
            ),
            timeout=JOIN_TIMEOUT_SECONDS,
            what="the warm-up searches to reach trends",
            sup=sup,
            procs=procs,
        )
        step(f"end to end: {plan.e2e_rate:.0f} searches/s for {plan.e2e_seconds:.0f} s")
        cpu = {"web": web.pids, "relay": lambda: [relay.pid], "trends": lambda: [trends.pid]}
        run = run_paced(
            web.port,
            ctx.workdir,
            rate=plan.e2e_rate,
            seconds=plan.e2e_seconds,
            unique_visitors=True,
            cpu={**cpu, **service_groups()},
        )
        uids = [uid for uid, _ in run.sent]
        deadline = time.monotonic() + ARRIVAL_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not all(u in watcher.arrivals for u in uids):
            time.sleep(0.2)
        arrived = {u: watcher.arrivals[u] for u in uids if u in watcher.arrivals}
        ids = [a.event_id for a in arrived.values()]
        applied: dict[str, float] = {}
        while time.monotonic() < deadline and len(applied := _applied_at(group, ids)) < len(ids):
            time.sleep(0.2)
    finally:
        watcher.stop()
        for proc in (web.proc, trends):
            sup.stop(proc)
    sent_at = dict(run.sent)
    legs: dict[str, list[float]] = {"search": [], "outbox wait": [], "Kafka": []}
    to_topic, to_trends = [], []
    for uid, arrival in arrived.items():
        to_topic.append((arrival.received - sent_at[uid]) * 1000)
        legs["search"].append((arrival.search_ran - sent_at[uid]) * 1000)
        legs["outbox wait"].append((arrival.sent_by_relay - arrival.search_ran) * 1000)
        legs["Kafka"].append((arrival.received - arrival.sent_by_relay) * 1000)
        if arrival.event_id in applied:
            to_trends.append((applied[arrival.event_id] - sent_at[uid]) * 1000)
    return EndToEndResult(
        rate=plan.e2e_rate,
        searches=len(uids),
        http=run.result,
        to_topic=Latency.of(to_topic),
        to_trends=Latency.of(to_trends),
        legs={name: Latency.of(values) for name, values in legs.items()},
        missing_on_topic=len(uids) - len(arrived),
        missing_in_trends=len(arrived) - len(to_trends),
    )
