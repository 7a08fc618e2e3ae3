"""The results of a run, the targets they are held against, and the report: docs/benchmarks.md
and a summary table on the terminal."""

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
from bench.cpu import CpuUsage
from bench.delivery import DeliveryResult
from bench.end_to_end import EndToEndResult
from bench.http_load import VISITORS, LoadResult
from bench.machine import MachineInfo
from bench.memory import MemoryResult
from bench.profiling import ProfileSummary
from bench.queries import QUERIES, api_paths
from bench.relay import OutboxHealth, RelayResult
from bench.search_scale import Growth, InProcess

# Written as names: ruff (RUF001) flags these look-alike characters in string literals.
NA = "\N{EN DASH}"
TIMES = "\N{MULTIPLICATION SIGN}"
ONE_MILLION = 1_000_000
MEMORY_TARGET_SEARCHES = 100_000


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
    e2e: EndToEndResult | None = None
    e2e_size: int | None = None
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


def change(value: float) -> str:
    return NA if math.isnan(value) else f"{(value - 1) * 100:+.1f} %"


def share(value: float) -> str:
    return f"{value * 100:.0f} %"


def books(size: int) -> str:
    if size >= ONE_MILLION and size % ONE_MILLION == 0:
        return f"{size // ONE_MILLION}M"
    return f"{size // 1000}k" if size % 1000 == 0 else f"{size:,}"


def cpu_line(usage: CpuUsage | None) -> str:
    return usage.describe() if usage else NA


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# --- targets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    measured: str
    passed: bool | None  # None: not measured in this run
    gap: str = ""
    limit: str = ""
    # Set when the run measured less than the target names (a quick run): "at 50k".
    scope: str = ""

    @property
    def status(self) -> str:
        status = {True: "✅ pass", False: "❌ miss", None: f"{NA} not measured"}[self.passed]
        return f"{status} ({self.scope})" if self.scope and self.passed is not None else status


def _profile(results: BenchResults, name: str) -> ProfileSummary | None:
    return next((p for p in results.profiles if p.name == name), None)


def _layers(profile: ProfileSummary | None, count: int = 4) -> str:
    if not profile:
        return ""
    top = ", ".join(f"{name} {share(part)}" for name, part in profile.layers[:count])
    return f"profile ({profile.what}): {top}"


def _top_frames(profile: ProfileSummary | None, count: int = 3) -> str:
    if not profile:
        return ""
    top = ", ".join(
        f"`{function}` ({where}) {share(part)}"
        for function, where, part in profile.top_frames[:count]
    )
    return f"top self time: {top}"


def _cpu_bound(usage: CpuUsage | None) -> str:
    """'MariaDB-bound: 1.36 of 1.98 busy cores (…)' for the run's CPU breakdown."""
    if not usage:
        return ""
    name, cores = usage.dominant()
    return f"{name} uses {cores:.2f} of the {usage.machine:.2f} busy cores ({usage.describe()})"


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


def _focus(profile: ProfileSummary | None, label_start: str) -> float | None:
    if not profile:
        return None
    return next((part for label, part in profile.focus if label.startswith(label_start)), None)


def _calls(profile: ProfileSummary | None) -> str:
    if not profile or not profile.focus:
        return ""
    return "calls: " + ", ".join(f"{label} {share(part)}" for label, part in profile.focus)


def _split(results: BenchResults, size: int) -> str:
    entry = next((s for s in results.scale if s.size == size), None)
    if not entry or not entry.in_process:
        return ""
    split = entry.in_process.fulltext.time_split
    parts = ", ".join(f"{kind} {share(part)}" for kind, part in split.items())
    return f"in-process FULLTEXT search at {books(size)} books: {parts}"


def target_event_cost(results: BenchResults) -> Target:
    name = "Emitting events adds ≤ 10 % to search p50 (outbox)"
    rows, worst = [], None
    for run in results.delivery:
        off, outbox = run.modes["off"].paced, run.modes["outbox"].paced
        if not (off and outbox):
            continue
        cost = outbox.latency.p50 / off.latency.p50 - 1
        peak_cost = run.modes["outbox"].peak_p50 / run.modes["off"].peak_p50 - 1
        rows.append(f"{cost * 100:+.1f} % at {books(run.size)} ({peak_cost * 100:+.1f} % at peak)")
        worst = cost if worst is None else max(worst, cost)
    if worst is None:
        return Target(name, NA, None)
    passed = worst <= 0.10
    limit = ""
    if not passed:
        run = results.delivery[0]
        profile = _profile(results, f"search-{run.size}")
        emit = _focus(profile, "on_search_performed")
        insert = _focus(profile, "write_to_outbox")
        peaks = run.modes["outbox"].peaks
        relay = peaks[-1].cpu.cores.get("relay") if peaks and peaks[-1].cpu else None
        limit = _join(
            f"in the profile at {books(run.size)} books, on_search_performed() takes "
            f"{share(emit)} of a request"
            + (f", the outbox INSERT and its commit {share(insert)}" if insert is not None else "")
            if emit is not None
            else "",
            f"the relay publishing those rows uses {relay:.2f} cores at peak, on the same 2 cores"
            if relay is not None
            else "",
            "at 70 % load, a longer service time also lengthens the queue before each request",
        )
    return Target(
        name,
        "; ".join(rows),
        passed,
        gap=""
        if passed
        else f"worst case {worst * 100:+.1f} %, {(worst - 0.10) * 100:.1f} points over",
        limit=limit,
    )


def target_p99_at_scale(results: BenchResults) -> Target:
    name = "Search p99 ≤ 50 ms at 1M books, at 70 % of peak load (outbox)"
    run = max(results.delivery, key=lambda r: r.size, default=None)
    if not run or not run.modes["outbox"].paced:
        return Target(name, NA, None)
    paced = run.modes["outbox"].paced
    p99 = paced.latency.p99
    where = f"{ms(p99)} at {books(run.size)} books, {per_second(paced.offered or 0)} offered"
    passed = p99 <= 50
    limit = ""
    if not passed:
        peak = run.modes["outbox"].peaks[-1] if run.modes["outbox"].peaks else None
        limit = _join(
            _split(results, run.size),
            f"at peak, {_cpu_bound(peak.cpu)}" if peak else "",
            _layers(_profile(results, f"search-{run.size}")),
        )
    return Target(
        name,
        where,
        passed,
        gap="" if passed else f"{ms(p99 - 50)} over ({p99 / 50:.1f}{TIMES} the target)",
        limit=limit,
        scope="" if run.size >= ONE_MILLION else f"at {books(run.size)} only",
    )


def target_cjk_at_100k(results: BenchResults) -> Target:
    """Chinese and Japanese queries through the n-gram index (books/search.py), in process."""
    name = "Chinese/Japanese search p99 ≤ 50 ms at 100k books (in process)"
    runs = [e for e in results.scale if e.in_process and e.in_process.cjk]
    entry = min(runs, key=lambda e: abs(e.size - 100_000), default=None)
    if entry is None:
        return Target(name, NA, None)
    p99 = entry.in_process.cjk.latency.p99
    return Target(
        name,
        f"{ms(p99)} at {books(entry.size)} books",
        p99 <= 50,
        gap="" if p99 <= 50 else f"{ms(p99 - 50)} over",
        scope="" if entry.size == 100_000 else f"at {books(entry.size)}",
    )


def _web_server(results: BenchResults) -> str:
    plan = results.plan
    return f"{plan.workers} workers of {plan.threads} threads"


def target_throughput(results: BenchResults) -> Target:
    name = "≥ 400 searches/s through gunicorn on 2 cores (outbox)"
    measured = [(run.size, run.modes["outbox"]) for run in results.delivery]
    if not measured:
        return Target(name, NA, None)
    text = "; ".join(
        f"{per_second(mode.peak_throughput)} at {books(size)}" for size, mode in measured
    )
    worst_size, worst = min(measured, key=lambda item: item[1].peak_throughput)
    passed = worst.peak_throughput >= 400
    limit = ""
    if not passed and worst.peaks:
        limit = _join(
            f"at {books(worst_size)} books, {_cpu_bound(worst.peaks[-1].cpu)}",
            _split(results, worst_size),
            _layers(_profile(results, f"search-{worst_size}")),
        )
    return Target(
        name,
        text + f" ({_web_server(results)})",
        passed,
        gap=""
        if passed
        else f"{per_second(worst.peak_throughput)} at {books(worst_size)} is "
        f"{(1 - worst.peak_throughput / 400) * 100:.0f} % short",
        limit=limit,
    )


def target_relay(results: BenchResults) -> Target:
    name = "Relay ≥ 5,000 events/s"
    relay = results.relay
    if not relay:
        return Target(name, NA, None)
    passed = relay.steady_rate >= 5000
    profile = _profile(results, "relay")
    return Target(
        name,
        f"{per_second(relay.steady_rate)} steady ({per_second(relay.wall_rate)} with start-up)",
        passed,
        gap="" if passed else f"{(1 - relay.steady_rate / 5000) * 100:.0f} % short",
        limit=""
        if passed
        else _join(
            _layers(profile, 3),
            _calls(profile),
            _top_frames(profile),
        ),
    )


def target_consumers(results: BenchResults) -> Target:
    name = "Consumers keep up with the relay"
    if not (results.consumers and results.relay):
        return Target(name, NA, None)
    relay = results.relay.steady_rate
    slowest = min(results.consumers, key=lambda c: c.steady_rate)
    text = ", ".join(
        f"{c.name} ({c.visitors}) {per_second(c.steady_rate)}" for c in results.consumers
    )
    passed = slowest.steady_rate >= relay
    profile = _profile(results, f"consumer-{slowest.name}")
    return Target(
        name,
        f"{text}; relay {per_second(relay)}",
        passed,
        gap=""
        if passed
        else f"{slowest.name} with {slowest.visitors} visitors at "
        f"{slowest.steady_rate / relay * 100:.0f} % of the relay's rate",
        limit="" if passed else _join(_layers(profile, 3), _calls(profile), _top_frames(profile)),
    )


def target_e2e(results: BenchResults) -> Target:
    name = "Search → topic p99 ≤ 250 ms"
    e2e = results.e2e
    if not e2e:
        return Target(name, NA, None)
    p99 = e2e.to_topic.p99
    passed = p99 <= 250 and e2e.missing_on_topic == 0
    legs = ", ".join(f"{leg} p99 {ms(lat.p99)}" for leg, lat in e2e.legs.items())
    return Target(
        name,
        f"{ms(p99)} (p50 {ms(e2e.to_topic.p50)}) at {per_second(e2e.rate)}, "
        f"{books(results.e2e_size or 0)} books",
        passed,
        gap="" if passed else f"{ms(p99 - 250)} over; {e2e.missing_on_topic} events missing",
        limit="" if passed else f"legs: {legs}",
    )


def target_memory(results: BenchResults) -> Target:
    name = "Worker RSS growth ≤ 10 MB over 100k searches"
    mem = results.memory
    if not mem:
        return Target(name, NA, None)
    passed = mem.growth_mb <= 10
    return Target(
        name,
        f"{mem.growth_mb:+.1f} MB over {mem.searches:,} searches",
        passed,
        gap="" if passed else f"{mem.growth_mb - 10:.1f} MB over",
        limit="" if passed else "see the RSS trajectory in (e): steady growth means a leak",
        scope=""
        if mem.searches >= MEMORY_TARGET_SEARCHES
        else f"over {mem.searches // 1000}k searches only",
    )


def evaluate(results: BenchResults) -> list[Target]:
    return [
        target_event_cost(results),
        target_p99_at_scale(results),
        target_cjk_at_100k(results),
        target_throughput(results),
        target_relay(results),
        target_consumers(results),
        target_e2e(results),
        target_memory(results),
    ]


# --- Markdown ---------------------------------------------------------------------------------


def _header(results: BenchResults) -> list[str]:
    plan = results.plan
    out = [
        "# Benchmarks",
        "",
        f"Generated by `{results.command}` on {results.started:%Y-%m-%d %H:%M} "
        f"(run `{results.run_id}`, {results.seconds / 60:.1f} min), every figure from that one "
        "run on the same data. Logs and the full profiles (HTML) of the run are in "
        f"`bench/results/{results.run_id}/` (not committed).",
        "",
    ]
    if plan.name == "quick":
        out += [
            "> **Quick mode** (CI smoke test): small catalogues and short runs. The figures show "
            "that everything works and roughly where it stands; the report to quote is a full "
            "run (`make bench`).",
            "",
        ]
    out += [
        "Run it again with `make bench` (`.venv/bin/python -m bench`; a full run takes about "
        "20 to 25 minutes: 6 for the worker memory, 5 to grow the catalogue to a million books) or "
        "`make bench-quick` (`python -m bench --quick`, about 3 minutes). How each figure is "
        "measured: [bench/README.md](../bench/README.md).",
        "",
    ]
    return out


def _machine(results: BenchResults) -> list[str]:
    info = results.machine
    if not info:
        return []
    load_after = results.load_after or (math.nan,) * 3
    pkgs = ", ".join(f"{name} {version}" for name, version in info.packages.items())
    rows = [
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
        ["Kafka", f"{info.kafka}, single-node KRaft, 3 partitions per topic"],
        ["Web server", f"gunicorn (`gunicorn.conf.py`), {_web_server(results)} per server"],
        [
            "Load generators",
            f"{info.wrk.split(' Copyright')[0]} (closed loop); `bench.loadgen` (open loop)",
        ],
    ]
    return [
        "## Machine",
        "",
        table(["", ""], rows),
        "",
        "Everything (MariaDB, Kafka, the web workers, the relay, the consumers and the load "
        "generators) shares these cores, as on a small single-host deployment. The *other* "
        "CPU figures below are work outside the benchmark's processes: a disturbance.",
        "",
    ]


def _targets(targets: list[Target]) -> list[str]:
    out = [
        "## Targets",
        "",
        table(
            ["target", "measured", "status"],
            [[t.name, t.measured, t.status] for t in targets],
        ),
        "",
        "A target measured at several sizes passes only if it holds at each. The event cost "
        "compares `outbox` with `off` at the same offered load (70 % of the outbox peak, open "
        "loop); throughput is the outbox gunicorn's peak; the relay and consumer rates are "
        "steady-state rates (start-up excluded, shown beside them).",
        "",
    ]
    missed = [t for t in targets if t.passed is False]
    if missed:
        out += ["### Missed: by how much, and what limits it", ""]
        for t in missed:
            out.append(f"- **{t.name}**: {t.gap}." + (f" Limit: {t.limit}." if t.limit else ""))
        out.append("")
    return out


def _delivery(results: BenchResults) -> list[str]:
    if not results.delivery:
        return []
    out = [
        "## (a) The cost of emitting events: delivery modes side by side",
        "",
        "Three gunicorns, identical but for `EVENTS_DELIVERY`, serve the same searches "
        f"(`/api/books?q=…`, {len(api_paths())} URLs rotated, {VISITORS:,} visitor cookies); "
        "the relay runs for the "
        "outbox. **Peak**: wrk, closed loop, "
        f"{results.plan.connections} connections, {results.plan.rounds} round(s) of "
        f"{results.plan.peak_seconds:.0f} s per mode with the modes alternating (medians over "
        "rounds). **Paced**: the open-loop generator at the same fixed rate for every mode, "
        f"{share(results.plan.paced_fraction)} of the outbox mode's peak, latency measured from "
        "each request's scheduled time (no coordinated omission). Ratios are against `off`.",
        "",
    ]
    for run in results.delivery:
        off = run.modes["off"]
        rows = []
        for mode, res in run.modes.items():
            paced = res.paced
            rows.append(
                [
                    f"`{mode}`",
                    per_second(res.peak_throughput),
                    times(res.peak_throughput / off.peak_throughput),
                    ms(res.peak_p50),
                    ms(res.peak_p99),
                    ms(paced.latency.p50) if paced else NA,
                    times(paced.latency.p50 / off.paced.latency.p50) if paced and off.paced else NA,
                    ms(paced.latency.p99) if paced else NA,
                    times(paced.latency.p99 / off.paced.latency.p99) if paced and off.paced else NA,
                    f"{sum(r.requests for r in res.peaks):,} / {paced.requests if paced else 0:,}",
                    str(sum(r.errors for r in res.peaks) + (paced.errors if paced else 0)),
                ]
            )
        out += [
            f"### {books(run.size)} books (paced at {per_second(run.paced_rate)})",
            "",
            table(
                [
                    "mode",
                    "peak",
                    "vs off",
                    "peak p50",
                    "peak p99",
                    "paced p50",
                    "vs off",
                    "paced p99",
                    "vs off",
                    "searches (peak / paced)",
                    "errors",
                ],
                rows,
            ),
            "",
            "CPU during the last peak run of each mode (cores):",
            "",
        ]
        out += [f"- `{mode}`: {cpu_line(res.peaks[-1].cpu)}" for mode, res in run.modes.items()]
        spread = {
            mode: ", ".join(f"{r.throughput:.0f}" for r in res.peaks)
            for mode, res in run.modes.items()
        }
        if results.plan.rounds > 1:
            out += [
                "",
                "Peak searches/s per round (the spread is the noise): "
                + "; ".join(f"`{m}` {v}" for m, v in spread.items()),
            ]
        out.append("")
    outbox = results.outbox
    if outbox:
        out += [
            f"The outbox over all web measurements: {outbox.rows:,} events written, "
            f"{outbox.retried:,} of them needed a retry"
            + (f" (last error: `{outbox.last_error[:200]}`)" if outbox.retried else "")
            + f", {outbox.pending:,} still pending when the relay was stopped.",
            "",
        ]
    return out


def _scale(results: BenchResults) -> list[str]:
    if not results.scale:
        return []
    growth_rows = []
    for entry in results.scale:
        g = entry.growth
        check = "✅" if g.count_after == g.size else f"❌ table has {g.count_after:,}"
        if g.rerun_added is not None:
            check += f"; rerun added {g.rerun_added}"
        growth_rows.append(
            [
                books(g.size),
                f"{g.added:,}",
                f"{g.existing:,}",
                f"{g.seconds:.1f} s",
                f"{g.rate:,.0f}/s",
                check,
            ]
        )
    smallest = next((e for e in results.scale if e.in_process), None)
    base = smallest.in_process.fulltext.latency.p50 if smallest and smallest.in_process else 0
    count_limit = smallest.in_process.count_limit if smallest and smallest.in_process else 0
    search_rows = []
    for entry in results.scale:
        ip, http = entry.in_process, entry.http
        if not ip:
            continue
        ft, like, fb = ip.fulltext, ip.like, ip.fallback
        ft_same = ft.latency_over(like.samples)
        search_rows.append(
            [
                books(entry.size),
                f"{ms(ft.latency.p50)} / {ms(ft.latency.p99)}",
                times(ft.latency.p50 / base) if base else NA,
                f"{ms(like.latency.p50)} / {ms(like.latency.p99)} ({like.queries} q)",
                f"{times(like.latency.p50 / ft_same.p50)} / "
                f"{times(like.latency.p99 / ft_same.p99)}",
                f"{ms(fb.latency.p50)} / {ms(fb.latency.p99)}",
                f"{ms(ip.cjk.latency.p50)} / {ms(ip.cjk.latency.p99)}" if ip.cjk else NA,
                f"{per_second(http.throughput)}, {ms(http.latency.p50)} / {ms(http.latency.p99)}"
                if http
                else NA,
            ]
        )
    out = [
        "## (b) Search at scale: FULLTEXT vs LIKE",
        "",
        "The catalogue grows with `manage.py generate_books --count N --seed "
        f"{results.plan.seed}`, the same seed each time, so each step must add only the "
        "difference (checked: the table's count, and a second run at the first size adding "
        "nothing); `ANALYZE TABLE` follows each step.",
        "",
        table(["books", "added", "already there", "time", "rate", "check"], growth_rows),
        "",
        "In-process, `books.selectors.search_books()` (FULLTEXT: the ids of the best "
        f"{count_limit + 1:,} matches, then the page's books; LIKE: the page, then the count "
        f"capped at {count_limit:,}) "
        f"for the {len(QUERIES)} queries, FULLTEXT "
        "(`MATCH … AGAINST`, what MariaDB runs) then LIKE (`matching_books()`, what SQLite "
        "runs, by making `best_matches()` decline every query) on the same table, each within "
        f"{results.plan.inprocess_budget_seconds:.0f} s. LIKE ÷ FULLTEXT compares the same "
        "queries. *No indexed word*: queries such as “AI” or “the” that the FULLTEXT index "
        "cannot serve, which take the LIKE path on MariaDB too. HTTP: wrk against the outbox "
        f"gunicorn for {results.plan.scale_http_seconds:.0f} s, peak load.",
        "",
        table(
            [
                "books",
                "FULLTEXT p50 / p99",
                "p50 vs smallest",
                "LIKE p50 / p99",
                "LIKE ÷ FULLTEXT p50 / p99",
                "no indexed word p50 / p99",
                "Chinese/Japanese p50 / p99",
                "HTTP searches/s, p50 / p99",
            ],
            search_rows,
        ),
        "",
        "Where a FULLTEXT search's time goes (share of in-process time):",
        "",
    ]
    out += [f"- {_split(results, entry.size)}" for entry in results.scale if entry.in_process]
    hits = [
        f"{books(e.size)}: FULLTEXT {share(e.in_process.fulltext.hit_rate)}, "
        f"LIKE {share(e.in_process.like.hit_rate)}"
        for e in results.scale
        if e.in_process
    ]
    out += [
        "",
        "Queries that found at least one book (LIKE matches the whole query as one substring, "
        "FULLTEXT every word, so they differ): " + "; ".join(hits) + ".",
        "",
    ]
    return out


def _pipeline(results: BenchResults) -> list[str]:
    out: list[str] = []
    relay = results.relay
    if relay:
        out += [
            "## (c) Relay throughput and end-to-end latency",
            "",
            f"`manage.py relay_events --once` over {relay.events:,} pending outbox rows (real "
            "search events: a query, its first 5 books, a visitor), `--batch-size "
            f"{relay.batch_size}`, with nothing else running. *Steady*: rows after the first "
            "batch ÷ time between the first and last batch's `published_at`; *with start-up*: "
            "the whole command's wall time (Django start, connecting to Kafka).",
            "",
            table(
                ["events", "published", "on the topic", "wall time", "steady", "with start-up"],
                [
                    [
                        f"{relay.events:,}",
                        f"{relay.published:,}",
                        f"{relay.on_topic:,}",
                        f"{relay.wall_seconds:.1f} s",
                        per_second(relay.steady_rate),
                        per_second(relay.wall_rate),
                    ]
                ],
            ),
            "",
        ]
    e2e = results.e2e
    if e2e:
        leg_rows = [[leg, ms(lat.p50), ms(lat.p99), ms(lat.max)] for leg, lat in e2e.legs.items()]
        out += [
            "### Search → topic → trends",
            "",
            f"gunicorn (outbox), `relay_events` and `consume_trends` running; {e2e.searches} "
            f"searches at {per_second(e2e.rate)} (open loop, {books(results.e2e_size or 0)} "
            "books), each with a fresh visitor cookie to find its event. *→ topic*: from the "
            "request's scheduled time until a separate consumer received the event; *→ trends*: "
            "until the trends consumer stamped it applied (`ProcessedEvent.processed_at`).",
            "",
            table(
                ["", "p50", "p99", "max", "missing"],
                [
                    [
                        "search → topic",
                        ms(e2e.to_topic.p50),
                        ms(e2e.to_topic.p99),
                        ms(e2e.to_topic.max),
                        str(e2e.missing_on_topic),
                    ],
                    [
                        "search → trends applied",
                        ms(e2e.to_trends.p50),
                        ms(e2e.to_trends.p99),
                        ms(e2e.to_trends.max),
                        str(e2e.missing_in_trends),
                    ],
                ],
            ),
            "",
            "The legs of search → topic: *search* = request to `ce_time` (the search itself), "
            "*outbox wait* = `ce_time` to the Kafka timestamp the relay's producer set "
            "(the relay polls every 0.1 s, then a batch), *Kafka* = that to reception.",
            "",
            table(["leg", "p50", "p99", "max"], leg_rows),
            "",
            f"HTTP during the run: {ms(e2e.http.latency.p50)} p50, {ms(e2e.http.latency.p99)} "
            f"p99, {e2e.http.errors} errors. CPU: {cpu_line(e2e.http.cpu)}.",
            "",
        ]
    if results.consumers:
        rows = [
            [
                f"`{c.command}`",
                c.visitors,
                f"{c.applied:,} / {c.events:,}",
                f"{c.wall_seconds:.1f} s",
                per_second(c.steady_rate),
                per_second(c.wall_rate),
                times(c.steady_rate / relay.steady_rate) if relay and relay.steady_rate else NA,
            ]
            for c in results.consumers
        ]
        out += [
            "## (d) Consumer throughput",
            "",
            "Each consumer alone, in a new group, over the topic the relay filled "
            "(`--timeout 3`). *new* visitors: the first pass, over empty tables (mostly "
            "INSERTs); *returning*: a second group reading the first events again over the "
            "rows the first pass left (mostly UPDATEs), as on a site that has been running. "
            "*Steady*: events ÷ time between the first and last "
            "`ProcessedEvent.processed_at` of the group; *with start-up*: over the command's "
            "wall time without the idle timeout (Django start, joining the group included).",
            "",
            table(
                [
                    "consumer",
                    "visitors",
                    "applied",
                    "wall time",
                    "steady",
                    "with start-up",
                    "vs relay",
                ],
                rows,
            ),
            "",
        ]
    return out


def _memory(results: BenchResults) -> list[str]:
    mem = results.memory
    if not mem:
        return []
    trajectory = ", ".join(f"{n:,}: {rss:.1f}" for n, rss in mem.trajectory)
    return [
        "## (e) Web worker memory",
        "",
        f"One gunicorn with `--workers 1` (outbox mode, {books(results.memory_size or 0)} "
        f"books); RSS (`VmRSS` of the worker in `/proc`) after a 500-search warm-up, then "
        f"after {mem.searches:,} more searches sent by wrk ({mem.seconds:.0f} s).",
        "",
        table(
            ["RSS after warm-up", "RSS after", "growth", "peak (VmHWM)"],
            [
                [
                    f"{mem.baseline_mb:.1f} MB",
                    f"{mem.final_mb:.1f} MB",
                    f"{mem.growth_mb:+.1f} MB",
                    f"{mem.peak_mb:.1f} MB",
                ]
            ],
        ),
        "",
        f"RSS (MB) by searches done: {trajectory}.",
        "",
    ]


def _profiles(results: BenchResults) -> list[str]:
    if not results.profiles:
        return []
    out = [
        "## Profiles",
        "",
        "pyinstrument, wall time, in this process. *Layers*: self time by the file its frame "
        "belongs to; the MySQLdb layer is the time waiting for MariaDB. *Calls*: time inside a "
        "call, its children included. *Top frames*: self time.",
        "",
    ]
    for p in results.profiles:
        per = (
            f", {ms(p.ms_per_unit)} per request"
            if p.name.startswith("search")
            else f", {per_second(p.units / p.seconds)}"
        )
        out += [
            f"### {p.what}",
            "",
            f"{p.units:,} in {p.seconds:.1f} s{per}. Full profile: `{p.html.relative_to(REPO)}`.",
            "",
            "Layers: " + ", ".join(f"{name} {share(part)}" for name, part in p.layers[:7]) + ".",
            "",
        ]
        if p.focus:
            out += ["Calls: " + ", ".join(f"{name} {share(v)}" for name, v in p.focus) + ".", ""]
        out += [
            table(
                ["self time", "function", "where"],
                [[share(part), f"`{fn}`", f"`{where}`"] for fn, where, part in p.top_frames[:8]],
            ),
            "",
        ]
    return out


def _footer(results: BenchResults) -> list[str]:
    out = [
        "## Step timings",
        "",
        table(["step", "time"], [[k, f"{v:.0f} s"] for k, v in results.timings.items()]),
        "",
    ]
    if results.errors:
        out += [
            "## Errors",
            "",
            "These steps failed; their figures are missing above. Tracebacks: "
            f"`bench/results/{results.run_id}/errors.log`.",
            "",
        ]
        out += [f"- **{step}**: `{error[:500]}`" for step, error in results.errors.items()]
        out.append("")
    return out


def render_markdown(results: BenchResults, targets: list[Target]) -> str:
    sections = [
        _header(results),
        _machine(results),
        _targets(targets),
        _delivery(results),
        _scale(results),
        _pipeline(results),
        _memory(results),
        _profiles(results),
        _footer(results),
    ]
    return "\n".join(line for section in sections for line in section).rstrip() + "\n"


def render_console(results: BenchResults, targets: list[Target]) -> str:
    width = max(len(t.name) for t in targets)
    lines = [
        "",
        f"event-books benchmark ({results.plan.name}, {results.seconds / 60:.1f} min)",
        "",
    ]
    status_width = max(len(t.status) for t in targets)
    lines += [f"{t.name:<{width}}  {t.status:<{status_width}}  {t.measured}" for t in targets]
    for entry in results.scale:
        if entry.in_process:
            ft, like = entry.in_process.fulltext.latency, entry.in_process.like.latency
            http = entry.http
            lines.append(
                f"search at {books(entry.size):>5}: FULLTEXT p50 {ms(ft.p50)}, p99 {ms(ft.p99)}; "
                f"LIKE p50 {ms(like.p50)}, p99 {ms(like.p99)}"
                + (f"; HTTP {per_second(http.throughput)}" if http else "")
            )
    if results.errors:
        lines += ["", "FAILED steps: " + ", ".join(results.errors)]
    return "\n".join(lines)
