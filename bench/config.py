"""What a run measures (its Plan) and where it runs (its RunContext: database, topics, files)."""

import datetime
import os
import runpy
import secrets
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
MANAGE = REPO / "manage.py"
RESULTS_DIR = REPO / "bench" / "results"  # git-ignored: logs, Lua scripts, profiles of each run
DEFAULT_DATABASE_URL = "mysql://bookstore:bookstore@127.0.0.1:3306/event_books_bench"
KAFKA_BOOTSTRAP = "127.0.0.1:9092"
DELIVERY_MODES = ("off", "outbox", "direct")
GUNICORN_CONF = REPO / "gunicorn.conf.py"
BENCH_SECRET_KEY = secrets.token_urlsafe(50)
GUNICORN_SETTINGS = runpy.run_path(str(GUNICORN_CONF))


@dataclass(frozen=True)
class Plan:
    """How big and how long each measurement is. QUICK is CI-smoke sized, FULL is the report."""

    name: str
    sizes: tuple[int, ...]
    # (a) delivery modes side by side: `rounds` alternations of one wrk run per mode.
    rounds: int
    peak_seconds: float
    paced_seconds: float
    # (b) search at each catalogue size: wrk for this long, and in-process each query
    # `inprocess_repeats` times within a time budget (the LIKE fallback at a million books
    # takes seconds per query).
    scale_http_seconds: float
    inprocess_repeats: int
    inprocess_budget_seconds: float
    # (c), (d) outbox rows pre-filled for the relay, then consumed by both consumers.
    outbox_events: int
    # (e) searches against a single worker between the two RSS readings.
    memory_searches: int
    profile_requests: int
    profile_budget_seconds: float
    # Events the relay and each consumer are profiled on; the returning-visitor pass of the
    # consumer benchmark reads this many too (the recommendations one is the slow one).
    profile_events: int
    # gunicorn.conf.py's, as the site is deployed: threaded workers, one per core.
    workers: int = GUNICORN_SETTINGS["workers"]
    threads: int = GUNICORN_SETTINGS["threads"]
    # Fraction of the measured peak offered by the open-loop generator.
    paced_fraction: float = 0.7
    seed: int = 0
    # The revision whose code a 4th gunicorn (outbox) runs from a git worktree, side by side:
    # today's code before the performance work. None: no baseline.
    baseline: str | None = "perf-baseline"

    @property
    def connections(self) -> int:
        # A connection per thread keeps every thread busy, which is what "peak" means; more
        # only lengthens the queue.
        return self.workers * self.threads


QUICK = Plan(
    name="quick",
    sizes=(10_000, 50_000),
    rounds=1,
    peak_seconds=3,
    paced_seconds=5,
    scale_http_seconds=4,
    inprocess_repeats=2,
    inprocess_budget_seconds=6,
    outbox_events=5_000,
    memory_searches=10_000,
    profile_requests=200,
    profile_budget_seconds=10,
    profile_events=1_000,
)
FULL = Plan(
    name="full",
    sizes=(10_000, 100_000, 1_000_000),
    rounds=3,
    peak_seconds=10,
    paced_seconds=30,
    scale_http_seconds=15,
    inprocess_repeats=5,
    inprocess_budget_seconds=60,
    outbox_events=50_000,
    memory_searches=100_000,
    profile_requests=400,
    profile_budget_seconds=30,
    profile_events=5_000,
)


def make_plan(
    *, quick: bool, sizes: tuple[int, ...] | None, workers: int | None, baseline: str
) -> Plan:
    plan = replace(QUICK if quick else FULL, baseline=baseline or None)
    if sizes:
        plan = replace(plan, sizes=tuple(sorted(sizes)))
    if workers:
        plan = replace(plan, workers=workers)
    return plan


@dataclass(frozen=True)
class RunContext:
    """One run's own database, topics and working directory, and the environment of the
    Django processes it starts (settings read the environment once, at start-up)."""

    run_id: str
    database_url: str
    workdir: Path
    bootstrap: str = KAFKA_BOOTSTRAP
    python: str = field(default=sys.executable)

    @classmethod
    def create(cls, *, database_url: str) -> "RunContext":
        run_id = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        workdir = RESULTS_DIR / run_id
        workdir.mkdir(parents=True, exist_ok=True)
        return cls(run_id=run_id, database_url=database_url, workdir=workdir)

    @property
    def database_name(self) -> str:
        return urlsplit(self.database_url).path.lstrip("/")

    def topic(self, purpose: str) -> str:
        return f"bench-{self.run_id}-{purpose}"

    @property
    def http_topic(self) -> str:
        return self.topic("http")

    @property
    def relay_topic(self) -> str:
        return self.topic("relay")

    @property
    def topics(self) -> list[str]:
        return [self.http_topic, self.relay_topic]

    def env(self, *, topic: str | None = None, delivery: str = "off") -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bookstore_site.settings",
            "DATABASE_URL": self.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "KAFKA_TOPIC": topic or self.http_topic,
            "EVENTS_DELIVERY": delivery,
            # DEBUG keeps every SQL query in memory: it would falsify both latency and RSS.
            "DEBUG": "false",
            # With DEBUG off the site refuses to start without a real key; a run's own will do.
            "SECRET_KEY": os.environ.get("SECRET_KEY") or BENCH_SECRET_KEY,
            # wrk and the load generator are one address sending thousands of searches a second.
            "SEARCH_RATE_LIMIT": "1000000/s",
            "LOG_LEVEL": "WARNING",
            "KAFKA_LOG_LEVEL": "CRITICAL",
            "PYTHONUNBUFFERED": "1",
        }
