"""The results of a run, and the report: the context that bench/templates/benchmarks.md renders
into docs/benchmarks.md, and a summary on the terminal. Prose lives in the template."""

import contextlib
import datetime
import math
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.config import REPO, Plan
from bench.consumers import ConsumerResult
from bench.delivery import DeliveryResult
from bench.http_load import CONNECTION_MODES, VISITORS, LoadResult
from bench.machine import MachineInfo
from bench.memory import MemoryResult
from bench.profiling import ProfileSummary
from bench.queries import CJK_QUERIES, api_paths
from bench.relay import OutboxHealth, RelayResult
from bench.search_scale import Growth, InProcess

# Written as names: ruff (RUF001) flags these look-alike characters in string literals.
NA = "\N{EN DASH}"
TIMES = "\N{MULTIPLICATION SIGN}"
ONE_MILLION = 1_000_000
TEMPLATES = REPO / "bench" / "templates"


@dataclass
class SizeResult:
    size: int
    growth: Growth
    in_process: InProcess | None = None
    http: LoadResult | None = None


@dataclass
class BenchResults:
    plan: Plan
    run_id: str
    command: str
    workdir: Path
    started: datetime.datetime
    machine: MachineInfo | None = None
    finished: datetime.datetime | None = None
    load_after: tuple[float, float, float] | None = None
    scale: list[SizeResult] = field(default_factory=list)
    delivery: list[DeliveryResult] = field(default_factory=list)
    memory: MemoryResult | None = None
    memory_size: int | None = None
    relay: RelayResult | None = None
    outbox: OutboxHealth | None = None
    consumers: list[ConsumerResult] = field(default_factory=list)
    profiles: list[ProfileSummary] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def section(self, name: str) -> Iterator[None]:
        """Run one step: its failure is recorded and reported, and the run goes on."""
        started = time.monotonic()
        try:
            yield
        except Exception as exc:
            self.errors[name] = f"{type(exc).__name__}: {exc}"
            with (self.workdir / "errors.log").open("a") as log:
                log.write(f"== {name}\n{traceback.format_exc()}\n")
            print(f"!!  {name} failed: {self.errors[name]}", flush=True)
        finally:
            self.timings[name] = time.monotonic() - started

    @property
    def seconds(self) -> float:
        end = self.finished or datetime.datetime.now()
        return (end - self.started).total_seconds()


# --- formatting -------------------------------------------------------------------------------


def ms(value: float) -> str:
    if math.isnan(value):
        return NA
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def per_second(value: float) -> str:
    if math.isnan(value):
        return NA
    return f"{value:,.0f}/s" if value >= 100 else f"{value:.1f}/s"


def times(value: float) -> str:
    return NA if math.isnan(value) else f"{TIMES}{value:.2f}"


def share(value: float) -> str:
    return f"{value * 100:.0f} %"


def books(size: int) -> str:
    if size >= ONE_MILLION and size % ONE_MILLION == 0:
        return f"{size // ONE_MILLION}M"
    return f"{size // 1000}k" if size % 1000 == 0 else f"{size:,}"


def ratio(value: float, reference: float) -> str:
    return times(value / reference) if reference and not math.isnan(reference) else NA


def latencies(p50: float, p99: float) -> str:
    return f"{ms(p50)} / {ms(p99)}"


# --- the report's context ---------------------------------------------------------------------


def _machine_rows(results: BenchResults) -> list[list[str]]:
    info = results.machine
    if not info:
        return []
    load_after = results.load_after or (math.nan,) * 3
    pkgs = ", ".join(f"{name} {version}" for name, version in info.packages.items())
    plan = results.plan
    return [
        ["CPU", f"{info.cpu_model}, {info.cpus} cores (`nproc`)"],
        ["RAM", f"{info.memory_gb:.1f} GB"],
        ["Kernel", info.kernel],
        [
            "Load average (1/5/15 min)",
            f"before {'/'.join(f'{v:.2f}' for v in info.load_before)}, after "
            f"{'/'.join(f'{v:.2f}' for v in load_after)}",
        ],
        ["Python", f"{info.python}; {pkgs}"],
        ["MariaDB", f"{info.mariadb}, InnoDB buffer pool {info.buffer_pool_mb} MB"],
        ["Kafka", f"{info.kafka}, single-node KRaft"],
        [
            "Web server",
            f"gunicorn (`gunicorn.conf.py`), {plan.workers} workers of {plan.threads} "
            "threads per server",
        ],
        [
            "Load generators",
            f"{info.wrk.split(' Copyright')[0]} (closed loop); `bench.loadgen` (open loop)",
        ],
    ]


def _delivery(run: DeliveryResult, rounds: int) -> dict:
    off = run.servers["off"]
    rows = []
    for name, res in run.servers.items():
        row = [f"`{name}`"]
        for connection in CONNECTION_MODES:
            row += [
                per_second(res.peak(connection)),
                ratio(res.peak(connection), off.peak(connection)),
                ms(res.peak_p99(connection)),
            ]
        paced = res.paced
        row += [latencies(paced.latency.p50, paced.latency.p99) if paced else NA]
        runs = [r for runs in res.peaks.values() for r in runs] + ([paced] if paced else [])
        rows.append([*row, str(sum(r.errors for r in runs))])
    return {
        "size": books(run.size),
        "paced": any(res.paced for res in run.servers.values()),
        "paced_rate": per_second(run.paced_rate),
        "rows": rows,
        "cpu": [
            (name, peak.cpu.describe())
            for name, res in run.servers.items()
            if (peak := res.last_peak()) and peak.cpu
        ],
        "spread": "; ".join(
            f"`{name}` " + ", ".join(f"{r.throughput:.0f}" for r in res.peaks["keep-alive"])
            for name, res in run.servers.items()
        )
        if rounds > 1
        else "",
    }


def _search_rows(results: BenchResults) -> list[list[str]]:
    rows = []
    for entry in results.scale:
        ip, http = entry.in_process, entry.http
        if not ip:
            continue
        rows.append(
            [
                books(entry.size),
                latencies(ip.fulltext.latency.p50, ip.fulltext.latency.p99),
                latencies(ip.cjk.latency.p50, ip.cjk.latency.p99),
                latencies(ip.fallback.latency.p50, ip.fallback.latency.p99),
                f"{share(ip.fulltext.hit_rate)} / {share(ip.cjk.hit_rate)}",
                ", ".join(f"{k} {share(v)}" for k, v in ip.fulltext.time_split.items()),
                f"{per_second(http.throughput)}, {latencies(http.latency.p50, http.latency.p99)}"
                if http
                else NA,
            ]
        )
    return rows


def _growth_rows(results: BenchResults) -> list[list[str]]:
    rows = []
    for entry in results.scale:
        g = entry.growth
        check = "✅" if g.count_after == g.size else f"❌ table has {g.count_after:,}"
        if g.rerun_added is not None:
            check += f"; rerun added {g.rerun_added}"
        rows.append([books(g.size), f"{g.added:,}", f"{g.seconds:.1f} s", check])
    return rows


def _memory_rows(results: BenchResults) -> list[list[str]]:
    rows = []
    if results.memory:
        mem = results.memory
        rows.append(
            [
                f"web worker ({books(results.memory_size or 0)} books)",
                f"{mem.searches:,} searches after a 500-search warm-up",
                f"{mem.baseline_mb:.1f} → {mem.final_mb:.1f} MB (peak {mem.peak_mb:.1f})",
                f"{mem.growth_mb:+.1f} MB",
            ]
        )
    processes = ([results.relay.memory] if results.relay else []) + [
        c.memory for c in results.consumers
    ]
    rows += [
        [
            p.name,
            f"the last {p.measured_events:,} of {p.events:,} events",
            f"{p.start_mb:.1f} → {p.end_mb:.1f} MB",
            f"{p.growth_mb:+.1f} MB",
        ]
        for p in processes
    ]
    return rows


def _profile(p: ProfileSummary) -> dict:
    per = (
        f"{ms(p.ms_per_unit)} per request"
        if p.name.startswith("search")
        else per_second(p.units / p.seconds)
    )
    return {
        "what": p.what,
        "summary": f"{p.units:,} in {p.seconds:.1f} s, {per}",
        "html": p.html.relative_to(REPO),
        "layers": ", ".join(f"{name} {share(part)}" for name, part in p.layers[:7]),
        "calls": ", ".join(f"{name} {share(v)}" for name, v in p.focus),
        "frames": [[share(part), f"`{fn}`", f"`{where}`"] for fn, where, part in p.top_frames[:8]],
    }


def context(results: BenchResults, targets: list, charts: dict[str, str]) -> dict:
    plan = results.plan
    relay = results.relay
    return {
        "r": results,
        "plan": plan,
        "minutes": f"{results.seconds / 60:.1f}",
        "started": f"{results.started:%Y-%m-%d %H:%M}",
        # Formatted here: Django's number and date filters need its settings.
        "seconds": {
            "peak": f"{plan.peak_seconds:.0f}",
            "inprocess": f"{plan.inprocess_budget_seconds:.0f}",
            "http": f"{plan.scale_http_seconds:.0f}",
        },
        "machine": _machine_rows(results),
        "targets": targets,
        "missed": [t for t in targets if t.passed is False],
        "urls": len(api_paths()),
        "cjk": len(CJK_QUERIES),
        "visitors": f"{VISITORS:,}",
        "paced_share": share(plan.paced_fraction),
        "delivery": [_delivery(run, plan.rounds) for run in results.delivery],
        "outbox": {
            "rows": f"{results.outbox.rows:,}",
            "retried": f"{results.outbox.retried:,}",
            "pending": f"{results.outbox.pending:,}",
            "last_error": results.outbox.last_error,
        }
        if results.outbox
        else None,
        "growth": _growth_rows(results),
        "search": _search_rows(results),
        "relay": [
            f"{relay.events:,}",
            f"{relay.on_topic:,}",
            f"{relay.wall_seconds:.1f} s",
            per_second(relay.steady_rate),
            per_second(relay.wall_rate),
        ]
        if relay
        else None,
        "consumers": [
            [
                f"`{c.command}`",
                c.visitors,
                f"{c.applied:,} / {c.events:,}",
                per_second(c.steady_rate),
                per_second(c.wall_rate),
            ]
            for c in results.consumers
        ],
        "memory": _memory_rows(results),
        "trajectory": ", ".join(f"{n:,}: {mb:.1f}" for n, mb in results.memory.trajectory)
        if results.memory
        else "",
        "profiles": [_profile(p) for p in results.profiles],
        "timings": [[k, f"{v:.0f} s"] for k, v in results.timings.items()],
        "charts": charts,
    }


def render_markdown(results: BenchResults, targets: list, charts: dict[str, str]) -> str:
    from django.conf import settings
    from django.template import Context, Engine

    if not settings.configured:
        # --report-from: no site, no database; the engine only needs Django's defaults.
        settings.configure(USE_I18N=False)
    engine = Engine(dirs=[str(TEMPLATES)], autoescape=False)
    template = engine.get_template("benchmarks.md")
    # Numbers as Python prints them, not localised: the report is in one plain format.
    values = Context(context(results, targets, charts), autoescape=False, use_l10n=False)
    text = template.render(values)
    return text.strip() + "\n"


def render_console(results: BenchResults, targets: list) -> str:
    width = max(len(t.name) for t in targets)
    status_width = max(len(t.status) for t in targets)
    lines = ["", f"event-books benchmark ({results.plan.name}, {results.seconds / 60:.1f} min)"]
    lines += [f"{t.name:<{width}}  {t.status:<{status_width}}  {t.measured}" for t in targets]
    if results.errors:
        lines += ["", "FAILED steps: " + ", ".join(results.errors)]
    return "\n".join(lines)
