"""(b) Search at growing catalogue sizes, in-process: books.selectors.search_books() for the
benchmark's queries (the FULLTEXT path on MariaDB), the Chinese and Japanese ones, and those
without an indexed word (the LIKE fallback), with the time split between its SQL and Python.
"""

import functools
import re
import time
from collections import defaultdict
from dataclasses import dataclass

from bench.config import Plan, RunContext
from bench.processes import BenchError, manage, step
from bench.queries import CJK_QUERIES, FALLBACK_QUERIES, PAGE_SIZE, QUERIES
from bench.stats import Latency


@dataclass(frozen=True)
class Growth:
    size: int
    added: int
    existing: int
    seconds: float
    count_after: int
    # At the first size the command is run a second time: it must add nothing.
    rerun_added: int | None = None

    @property
    def rate(self) -> float:
        return self.added / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class StrategyResult:
    samples: dict[str, list[float]]  # per query, ms (a strategy may stop at its time budget)
    hit_rate: float  # share of the queries measured that found at least one book
    time_split: dict[str, float]  # share of the time in each kind of query, and Python

    @functools.cached_property
    def latency(self) -> Latency:
        return Latency.of(ms for values in self.samples.values() for ms in values)


@dataclass(frozen=True)
class InProcess:
    fulltext: StrategyResult
    cjk: StrategyResult  # Chinese and Japanese queries (bench.queries.CJK_QUERIES)
    # Queries without an indexed word: what the site really runs for them on MariaDB (LIKE).
    fallback: StrategyResult


def grow_catalogue(ctx: RunContext, *, size: int, seed: int, check_rerun: bool) -> Growth:
    """`manage.py generate_books --count size --seed seed`: adds only the missing books."""
    from books.models import Book

    step(f"catalogue: generate_books --count {size:,} --seed {seed}")
    started = time.monotonic()
    out = manage(
        ctx, "generate_books", "--count", str(size), "--seed", str(seed), stream_stderr=True,
        timeout=3 * 3600,
    )  # fmt: skip
    seconds = time.monotonic() - started
    added, existing = _added_existing(out)
    rerun_added = None
    if check_rerun:
        again = manage(ctx, "generate_books", "--count", str(size), "--seed", str(seed))
        rerun_added = _added_existing(again)[0]
    _analyze(Book._meta.db_table)
    return Growth(
        size=size,
        added=added,
        existing=existing,
        seconds=seconds,
        count_after=Book.objects.count(),
        rerun_added=rerun_added,
    )


def _added_existing(output: str) -> tuple[int, int]:
    match = re.search(r"([\d,]+) books added, ([\d,]+) already", output)
    if not match:
        raise BenchError(f"unexpected generate_books output: {output[-500:]}")
    return int(match[1].replace(",", "")), int(match[2].replace(",", ""))


def _analyze(table: str) -> None:
    """Fresh index statistics after a bulk load, as InnoDB would have them a while later, so
    that every size is measured with settled query plans."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE TABLE {connection.ops.quote_name(table)}")
        cursor.fetchall()


class SqlTimer:
    """Splits a search's time between its matching query (FULLTEXT: the ranked ids), its page
    query (the books), its capped count (LIKE only) and the rest (Python), through Django's
    execute_wrapper hook."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def __call__(self, execute, sql: str, params, many: bool, context):
        if "MATCH (" in sql:
            kind = "matching query"
        elif sql.lstrip().upper().startswith("SELECT COUNT("):
            kind = "count query"
        else:
            kind = "page query"
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds[kind] += time.perf_counter() - started


def _time_queries(
    queries: tuple[str, ...], *, passes: int, budget: float | None = None
) -> StrategyResult:
    """Run search_books() for each query, `passes` times round-robin; with a `budget` in
    seconds, stop early once it is spent (the first query always runs)."""
    from django.db import connection

    from books.selectors import search_books

    samples: dict[str, list[float]] = defaultdict(list)
    found: dict[str, bool] = {}
    timer = SqlTimer()
    deadline = time.monotonic() + budget if budget else None
    with connection.execute_wrapper(timer):
        for _ in range(passes):
            for query in queries:
                if deadline and samples and time.monotonic() > deadline:
                    break
                started = time.perf_counter()
                page = search_books(query=query, offset=0, limit=PAGE_SIZE)
                samples[query].append((time.perf_counter() - started) * 1000)
                found[query] = bool(page.books)
    total = sum(sum(values) for values in samples.values()) / 1000 or 1e-9
    split = {kind: seconds / total for kind, seconds in timer.seconds.items()}
    split["Python"] = max(1 - sum(split.values()), 0.0)
    return StrategyResult(
        samples=dict(samples),
        hit_rate=sum(found.values()) / len(found) if found else float("nan"),
        time_split=split,
    )


def measure_in_process(plan: Plan) -> InProcess:
    """Each kind of query after a warm-up pass (index pages into the buffer pool), within the
    plan's time budget."""
    step("search: in-process")
    _time_queries(QUERIES + CJK_QUERIES, passes=1, budget=plan.inprocess_budget_seconds)
    fulltext = _time_queries(
        QUERIES, passes=plan.inprocess_repeats, budget=plan.inprocess_budget_seconds
    )
    cjk = _time_queries(
        CJK_QUERIES, passes=plan.inprocess_repeats, budget=plan.inprocess_budget_seconds / 2
    )
    fallback = _time_queries(
        FALLBACK_QUERIES, passes=plan.inprocess_repeats, budget=plan.inprocess_budget_seconds / 2
    )
    step(f"search: p99 {fulltext.latency.p99:.1f} ms, Chinese/Japanese {cjk.latency.p99:.1f} ms")
    return InProcess(fulltext=fulltext, cjk=cjk, fallback=fallback)
