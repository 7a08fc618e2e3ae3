"""(d) Consumer throughput: `consume_trends` and `consume_recommendations`, one after the other,
each in a group of its own, over the topic the relay benchmark filled (N events, 5 books and a
visitor each), each run with `--timeout 3` until the topic stays quiet.

Each consumer reads the topic twice, in two groups: first over empty tables (new visitors and
queries: mostly INSERTs), then again (`--max-messages`) over the rows the first pass left, as
for returning visitors (mostly UPDATEs): the state a long-running site is in.

Two figures per run: the wall time minus the 3 s idle timeout (start-up and joining the group
still included), and the steady rate from ProcessedEvent.processed_at, stamped as each batch is
applied: (events - 1) / (last stamp - first stamp), which leaves out start-up and the idle
wait and counts one batch's apply time less (at most 1/(batches) of the total).
"""

import re
import time
from dataclasses import dataclass

from bench.config import RunContext
from bench.memory import ProcessMemory
from bench.processes import manage, step

IDLE_TIMEOUT_SECONDS = 3
COMMANDS = {"trends": "consume_trends", "recommendations": "consume_recommendations"}
PASSES = ("new", "returning")


@dataclass(frozen=True)
class ConsumerResult:
    name: str
    command: str
    visitors: str  # "new" (first pass, empty tables) or "returning" (second pass)
    events: int
    applied: int
    wall_seconds: float  # the command's run time minus its idle timeout
    steady_rate: float
    memory: ProcessMemory

    @property
    def wall_rate(self) -> float:
        return self.applied / self.wall_seconds if self.wall_seconds > 0 else 0.0


def _run_consumer(
    ctx: RunContext, *, name: str, visitors: str, topic: str, events: int
) -> ConsumerResult:
    from django.db.models import Count, Max, Min

    from events.models import ProcessedEvent

    command = COMMANDS[name]
    group = f"bench-{ctx.run_id}-{name}-{visitors}"
    step(f"consumers: {command} --timeout {IDLE_TIMEOUT_SECONDS}, {visitors} ({events:,} events)")
    started, started_at = time.monotonic(), time.time()
    rss: list[tuple[float, float]] = []
    out = manage(
        ctx,
        command,
        "--group",
        group,
        "--timeout",
        str(IDLE_TIMEOUT_SECONDS),
        "--max-messages",
        str(events),
        env=ctx.env(topic=topic),
        timeout=3600,
        rss=rss,
    )
    elapsed = time.monotonic() - started
    match = re.search(r"(\d+) events applied", out)
    applied = int(match[1]) if match else 0
    # Stopping at --max-messages skips the idle wait; only a quiet topic ends with it.
    wall = elapsed - (IDLE_TIMEOUT_SECONDS if applied < events else 0)
    stamps = ProcessedEvent.objects.filter(consumer_group=group).aggregate(
        first=Min("processed_at"), last=Max("processed_at"), n=Count("id")
    )
    span = (stamps["last"] - stamps["first"]).total_seconds() if stamps["n"] > 1 else 0.0
    return ConsumerResult(
        name=name,
        command=command,
        visitors=visitors,
        events=events,
        applied=applied,
        wall_seconds=wall,
        steady_rate=(stamps["n"] - 1) / span if span > 0 else 0.0,
        memory=ProcessMemory(
            f"{name} ({visitors})",
            events=applied,
            samples=rss,
            work=(
                stamps["first"].timestamp() - started_at if stamps["n"] else 0.0,
                stamps["last"].timestamp() - started_at if stamps["n"] else wall,
            ),
        ),
    )


def measure_consumers(
    ctx: RunContext, *, topic: str, events: int, returning_events: int
) -> list[ConsumerResult]:
    return [
        _run_consumer(
            ctx,
            name=name,
            visitors=visitors,
            topic=topic,
            events=events if visitors == "new" else min(events, returning_events),
        )
        for visitors in PASSES
        for name in COMMANDS
    ]
