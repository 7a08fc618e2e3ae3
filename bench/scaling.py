"""Scaling out on one machine: relays, then consumer instances, added one by one over a topic of
12 partitions, each step's throughput and each instance's share, until the cores run out; and,
with --memory, the RSS of one relay and one consumer of each group over a long run.

    .venv/bin/python -m bench.scaling                      # 1..4 instances, 10k events a step
    .venv/bin/python -m bench.scaling --instances 3 --events 20000 --memory 300000

Standalone (stdlib and the project): its own database (dropped and recreated; the name must
contain "scaling"), its own topic (deleted at the end). The events are search events as the
site emits them (a query, a page of 5 books, one of 1,000 visitors), written straight to the
outbox as `write_to_outbox()` writes them. Figures come from the rows' own stamps:
`OutboxEvent.published_at` for the relays, `ProcessedEvent.processed_at` for the consumers
(each step's group is new, so it reads the whole topic), start-up left out. Every instance
runs `manage.py` as deployed; CPU seconds per instance come from its rusage at exit, the
machine's busy share from /proc/stat. docs/scaling.md turns these figures into deployments.
"""

import argparse
import contextlib
import datetime
import itertools
import os
import random
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
MANAGE = str(REPO / "manage.py")
DEFAULT_DATABASE_URL = "mysql://bookstore:bookstore@127.0.0.1:3306/event_books_scaling"
PARTITIONS = 12
VISITORS = 1000
QUERIES = 55
PAGE = 5
INSERT_BATCH = 2000
IDLE_TIMEOUT_SECONDS = 3
CONSUMERS = {"trends": "consume_trends", "recommendations": "consume_recommendations"}
RSS_INTERVAL_SECONDS = 0.5


@dataclass(frozen=True)
class Step:
    role: str  # "relay" or a consumer's name
    instances: int
    events: int
    rate: float  # events/s over all instances, from the stamps
    cpu_seconds: list[float]  # per instance (user + system)
    busy: float  # the machine's busy share of its cores meanwhile, 0..1

    @property
    def per_instance(self) -> float:
        return self.rate / self.instances

    @property
    def per_core(self) -> float:
        """Events per CPU-second of the instances themselves (MariaDB and Kafka not counted)."""
        cpu = sum(self.cpu_seconds)
        return self.events / cpu if cpu else 0.0


def say(message: str) -> None:
    print(f"--> {message}", flush=True)


def environment(database_url: str, topic: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_TOPIC": topic,
        "DEBUG": "false",
        "EVENTS_DELIVERY": "outbox",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or uuid.uuid4().hex * 2,
    }


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, MANAGE, *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def busy_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the machine so far, from /proc/stat."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_instances(
    env: dict[str, str], argv: list[str], *, count: int, rss: list | None = None
) -> tuple[list[float], float]:
    """Start `count` copies of a manage.py command at once and wait for them all; each one's
    CPU seconds and the machine's busy share meanwhile. With `rss`, (seconds, MB) samples of
    the first copy."""
    before = busy_jiffies()
    procs = [
        subprocess.Popen(
            [sys.executable, MANAGE, *argv],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    cpu: dict[int, float] = {}
    started = time.monotonic()
    while len(cpu) < count:
        for proc in procs:
            if proc.pid in cpu:
                continue
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                if proc.returncode:
                    raise RuntimeError(f"manage.py {' '.join(argv)} exited {proc.returncode}")
                cpu[proc.pid] = usage.ru_utime + usage.ru_stime
        if rss is not None and procs[0].pid not in cpu:
            sample = rss_mb(procs[0].pid)
            if sample is not None:
                rss.append((time.monotonic() - started, sample))
        time.sleep(RSS_INTERVAL_SECONDS if rss is not None else 0.05)
    after = busy_jiffies()
    busy = (after[0] - before[0]) / max(1, after[1] - before[1])
    return [cpu[proc.pid] for proc in procs], busy


def search_events(count: int, *, seed: int = 2):
    """Search events as the site emits them, over a synthetic catalogue of 10k books."""
    from events.types.search_performed import search_event

    rng = random.Random(seed)
    pages = [
        (
            f"query {n}",
            [
                {
                    "id": rng.randint(1, 10_000),
                    "title": f"Title {rng.randint(1, 10_000)}",
                    "author": "A. Writer",
                    "published_at": "1999-01-01",
                    "description": "words " * 40,
                    "created_at": "2026-01-01T00:00:00Z",
                }
                for _ in range(PAGE)
            ],
        )
        for n in range(QUERIES)
    ]
    visitors = [uuid.UUID(int=rng.getrandbits(128)).hex for _ in range(VISITORS)]
    for _ in range(count):
        query, books = rng.choice(pages)
        yield search_event(query=query, books=books, visitor_id=rng.choice(visitors))


def fill_outbox(topic: str, count: int) -> None:
    from django.db import connection
    from django.test import override_settings

    from events.delivery import outbox_row
    from events.models import OutboxEvent

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE TABLE {connection.ops.quote_name(OutboxEvent._meta.db_table)}")
    events = search_events(count)
    with override_settings(KAFKA_TOPIC=topic):
        while batch := list(itertools.islice(events, INSERT_BATCH)):
            OutboxEvent.objects.bulk_create([outbox_row(event) for event in batch])


def stamped_rate(stamps) -> float:
    """(n - 1) / (last - first) of a queryset's stamp column aggregated as first, last, n."""
    span = (stamps["last"] - stamps["first"]).total_seconds() if stamps["n"] > 1 else 0.0
    return (stamps["n"] - 1) / span if span > 0 else 0.0


def relay_step(
    env: dict[str, str], *, topic: str, instances: int, events: int, rss: list | None = None
) -> Step:
    from django.db.models import Count, Max, Min

    from events.models import OutboxEvent

    fill_outbox(topic, events)
    say(f"relay x {instances}: {events:,} outbox rows")
    cpu, busy = run_instances(
        env, ["relay_events", "--once", "--batch-size", "500"], count=instances, rss=rss
    )
    stamps = OutboxEvent.objects.filter(published_at__isnull=False).aggregate(
        first=Min("published_at"), last=Max("published_at"), n=Count("id")
    )
    if stamps["n"] != events:
        raise RuntimeError(f"{stamps['n']} of {events} rows published")
    return Step("relay", instances, events, stamped_rate(stamps), cpu, busy)


def consumer_step(
    env: dict[str, str],
    *,
    name: str,
    instances: int,
    events: int,
    run_id: str,
    rss: list | None = None,
) -> Step:
    from django.db.models import Count, Max, Min

    from events.models import ProcessedEvent

    group = f"scaling-{run_id}-{name}-{instances}"
    say(f"{CONSUMERS[name]} x {instances}: {events:,} events, group {group}")
    argv = [CONSUMERS[name], "--group", group, "--timeout", str(IDLE_TIMEOUT_SECONDS)]
    cpu, busy = run_instances(env, argv, count=instances, rss=rss)
    stamps = ProcessedEvent.objects.filter(consumer_group=group).aggregate(
        first=Min("processed_at"), last=Max("processed_at"), n=Count("id")
    )
    if stamps["n"] < events:
        raise RuntimeError(f"group {group} applied {stamps['n']} of {events} events")
    return Step(name, instances, stamps["n"], stamped_rate(stamps), cpu, busy)


def print_steps(steps: list[Step]) -> None:
    print(
        "\n| role | instances | events | events/s | per instance | per CPU-second "
        "(instances only) | machine busy |"
    )
    print("|---|---|---|---|---|---|---|")
    for s in steps:
        print(
            f"| {s.role} | {s.instances} | {s.events:,} | {s.rate:,.0f} | {s.per_instance:,.0f} "
            f"| {s.per_core:,.0f} | {s.busy:.0%} |"
        )


def print_rss(role: str, samples: list[tuple[float, float]], events: int) -> None:
    if not samples:
        return
    tenth = max(1, len(samples) // 10)
    points = ", ".join(f"{mb:.0f}" for _, mb in samples[::tenth])
    # Over the second half: the first holds Django's start-up and the caches filling.
    growth = samples[-1][1] - samples[len(samples) // 2][1]
    print(
        f"{role}: RSS (MB) every tenth of its {samples[-1][0]:.0f} s over {events:,} events: "
        f"{points}; last {samples[-1][1]:.0f}, max {max(mb for _, mb in samples):.0f}; "
        f"growth over the second half {growth:+.1f} MB"
    )


def setup_database(database_url: str) -> None:
    import MySQLdb

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if "scaling" not in name:
        raise SystemExit("--database-url must name a database containing 'scaling'")
    with MySQLdb.connect(
        host=parts.hostname, port=parts.port or 3306, user=parts.username, passwd=parts.password
    ) as db:
        db.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        db.cursor().execute(
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__)
    parser.add_argument("--instances", type=int, default=4, help="Up to this many (4).")
    parser.add_argument("--events", type=int, default=10_000, help="Outbox rows a relay step.")
    parser.add_argument(
        "--consumers", default="trends,recommendations", help="Groups to scale (both)."
    )
    parser.add_argument(
        "--memory", type=int, default=0, help="Also: RSS of 1 relay and 1 consumer over N events."
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    options = parser.parse_args(argv)
    run_id = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d%H%M%S")
    topic = f"scaling-{run_id}"
    env = environment(options.database_url, topic)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "KAFKA_TOPIC", "DEBUG", "SECRET_KEY")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bookstore_site.settings")
    sys.path.insert(0, str(REPO))
    say(f"database {urlsplit(options.database_url).path.lstrip('/')}, topic {topic}")
    setup_database(options.database_url)
    manage(env, "migrate", "-v0")
    manage(env, "create_topic", "--partitions", str(PARTITIONS))  # KAFKA_TOPIC's
    import django

    django.setup()
    steps: list[Step] = []
    try:
        for instances in range(1, options.instances + 1):
            steps.append(relay_step(env, topic=topic, instances=instances, events=options.events))
        on_topic = options.events * options.instances
        for name in options.consumers.split(","):
            for instances in range(1, options.instances + 1):
                steps.append(
                    consumer_step(
                        env, name=name, instances=instances, events=on_topic, run_id=run_id
                    )
                )
        print_steps(steps)
        if options.memory:
            memory(env, topic=f"{topic}-memory", events=options.memory, run_id=run_id)
    finally:
        delete_topics(env, [topic, f"{topic}-memory"])
    return 0


def memory(env: dict[str, str], *, topic: str, events: int, run_id: str) -> None:
    env = {**env, "KAFKA_TOPIC": topic}
    manage(env, "create_topic", "--partitions", str(PARTITIONS))
    samples: dict[str, list] = {"relay": []}
    steps = [relay_step(env, topic=topic, instances=1, events=events, rss=samples["relay"])]
    for name in CONSUMERS:
        samples[name] = []
        steps.append(
            consumer_step(
                env,
                name=name,
                instances=1,
                events=events,
                run_id=f"{run_id}-memory",
                rss=samples[name],
            )
        )
    print_steps(steps)
    for role, role_samples in samples.items():
        print_rss(role, role_samples, events)


def delete_topics(env: dict[str, str], topics: list[str]) -> None:
    from kafka.errors import UnknownTopicOrPartitionError

    from events.kafka import dead_letter_topic, new_admin

    admin = new_admin()
    try:
        for topic in topics:
            for name in (topic, dead_letter_topic(topic)):
                with contextlib.suppress(UnknownTopicOrPartitionError):
                    admin.delete_topics([name])
    finally:
        admin.close()


if __name__ == "__main__":
    raise SystemExit(main())
