"""The faults, and the frame each runs in: load before, during and after the fault, then a wait
for the backlog to clear, then the measurements."""

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.db import DatabaseError, close_old_connections, connections

from chaos.cluster import App, Services, log
from chaos.load import Load, query_prefix
from chaos.measure import Event, Outcome, drained, last_outbox_id, measure, outbox_events
from events.kafka import new_admin

POLL_SECONDS = 0.5


@dataclass(frozen=True)
class Timing:
    rate: float  # searches per second
    before: float  # seconds of load before the fault
    after: float  # seconds of load after recovery
    wait: float  # seconds after recovery to wait for the backlog; above the 30 s target
    outage: float  # the whole cluster down; above the producer's delivery_timeout_ms (30 s)
    broker_down: float
    freeze: float
    db_down: float
    kill_every: float  # between the kills of a relay or of the consumers
    two_relays: float


FULL = Timing(
    rate=30, before=10, after=20, wait=60, outage=60, broker_down=15, freeze=30, db_down=20,
    kill_every=8, two_relays=30,
)  # fmt: skip
# Fewer searches, and a wait just past the target: a backlog still there then fails anyway.
SHORT = replace(FULL, rate=10, before=5, after=10, wait=35, outage=40, broker_down=10)


@dataclass(frozen=True)
class Run:
    """What a fault acts on."""

    services: Services
    app: App
    topic: str
    timing: Timing


def partition_leader(topic: str, partition: int = 0) -> int:
    admin = new_admin()
    try:
        (description,) = admin.describe_topics([topic])
    finally:
        admin.close()
    return next(
        p["leader_id"] for p in description["partitions"] if p["partition_index"] == partition
    )


def leader_kill(run: Run) -> None:
    node = partition_leader(run.topic)
    log(f"SIGKILL node {node}, the leader of partition 0; back in {run.timing.broker_down:.0f} s")
    run.services.signal_node(node, signal.SIGKILL)
    time.sleep(run.timing.broker_down)
    run.services.start("kafka")


def cluster_outage(run: Run) -> None:
    log(f"SIGKILL all {run.services.nodes} nodes, back in {run.timing.outage:.0f} s; relay runs")
    for node in range(run.services.nodes):
        run.services.signal_node(node, signal.SIGKILL)
    time.sleep(run.timing.outage)
    run.services.start("kafka")


def broker_freeze(run: Run) -> None:
    node = partition_leader(run.topic)
    log(f"SIGSTOP node {node}, the leader of partition 0, for {run.timing.freeze:.0f} s")
    run.services.signal_node(node, signal.SIGSTOP)
    time.sleep(run.timing.freeze)
    run.services.signal_node(node, signal.SIGCONT)


def relay_kill(run: Run) -> None:
    for n in range(1, 4):
        time.sleep(run.timing.kill_every)
        log(f"SIGKILL the relay ({n}/3) and start it again")
        run.app.kill_worker("relay")
        run.app.start_worker("relay")


def two_relays(run: Run) -> None:
    log(f"a second relay for {run.timing.two_relays:.0f} s")
    run.app.start_worker("relay2")
    time.sleep(run.timing.two_relays)
    run.app.stop_worker("relay2")


def consumer_kill(run: Run) -> None:
    for n in range(1, 4):
        time.sleep(run.timing.kill_every)
        log(f"SIGKILL both consumers ({n}/3) and start them again")
        for name in ("trends", "recommendations"):
            run.app.kill_worker(name)
            run.app.start_worker(name)


def db_outage(run: Run) -> None:
    log(f"stop MariaDB for {run.timing.db_down:.0f} s")
    run.services.sh("stop", "mariadb")
    time.sleep(run.timing.db_down)
    run.services.start("mariadb")


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    fault: Callable[[Run], None]
    db_fault: bool = False  # 503s are intended while the database is down


# In this order: the whole-cluster outage last, as what it breaks (a relay that never publishes
# again, a consumer that exits) would otherwise fail the scenarios after it too.
SCENARIOS = {
    s.name: s
    for s in (
        Scenario("leader_kill", "SIGKILL of partition 0's leader broker", leader_kill),
        Scenario("broker_freeze", "partition 0's leader frozen (SIGSTOP)", broker_freeze),
        Scenario("relay_kill", "relay SIGKILL x3", relay_kill),
        Scenario("two_relays", "two relays at once", two_relays),
        Scenario("consumer_kill", "both consumers SIGKILL x3", consumer_kill),
        Scenario("db_outage", "MariaDB stopped", db_outage, db_fault=True),
        Scenario("cluster_outage", "whole cluster SIGKILLed, relay running", cluster_outage),
    )
}
SHORT_SCENARIOS = ("leader_kill", "cluster_outage")


def _events(first_id: int, prefix: str) -> list[Event] | None:
    """The scenario's events, or None while the database is away."""
    try:
        return outbox_events(first_id, prefix)
    except DatabaseError:
        close_old_connections()
        return None


def run_scenario(run: Run, scenario: Scenario) -> Outcome:
    log(f"scenario {scenario.name}: {scenario.title}")
    timing, prefix = run.timing, query_prefix(scenario.name)
    first_id = last_outbox_id()
    load = Load(
        run.app.web.port,
        scenario.name,
        rate=timing.rate,
        max_seconds=timing.before + 300 + timing.after,  # bounds a fault that hangs
    ).start()
    time.sleep(timing.before)
    load.phase = "during"
    scenario.fault(run)
    recovered = time.monotonic()
    load.phase = "after"
    log("recovered")
    connections.close_all()  # the fault may have broken this process's own connection
    backlog_upto = last_outbox_id()  # the backlog: what was written until recovery
    backlog_seconds = None
    sent = None
    while (elapsed := time.monotonic() - recovered) < timing.wait:
        if sent is None and elapsed >= timing.after:
            sent = load.stop()
        events = _events(first_id, prefix)
        if events is not None:
            if backlog_seconds is None and drained([e for e in events if e.id <= backlog_upto]):
                backlog_seconds = elapsed
                log(f"backlog cleared {elapsed:.1f} s after recovery")
            if sent is not None and drained(events):
                log(f"all {len(events)} events applied {elapsed:.1f} s after recovery")
                break
        time.sleep(POLL_SECONDS)
    else:
        log(f"gave up waiting {timing.wait:.0f} s after recovery")
    if sent is None:
        sent = load.stop()
    events = _events(first_id, prefix) or []
    return measure(
        scenario.name,
        run.topic,
        prefix,
        sent,
        events,
        backlog_seconds=backlog_seconds,
        db_fault=scenario.db_fault,
        exited=run.app.revive(),
    )
