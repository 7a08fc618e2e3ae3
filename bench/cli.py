"""`python -m bench [--quick] [--sizes 10k,100k] [--output docs/benchmarks.md]`"""

import argparse
import datetime
import os
import pickle
import shlex
import signal
import sys
from pathlib import Path

from bench.config import DEFAULT_DATABASE_URL, REPO, RunContext, make_plan
from bench.processes import BenchError, step

DEFAULT_OUTPUT = REPO / "docs" / "benchmarks.md"
RESULTS_FILE = "results.pickle"


def parse_size(text: str) -> int:
    """10000, 10k, 1M or 1_000_000."""
    text = text.strip().lower().replace("_", "").replace(",", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    try:
        value = int(float(text[:-1] if factor > 1 else text) * factor)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}") from exc
    if value < 100:
        raise argparse.ArgumentTypeError("sizes start at 100 books")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark event-books: search, event delivery, relay, consumers, memory. "
        "Starts MariaDB and Kafka (scripts/services.sh), uses a database and topics of its own, "
        "and writes docs/benchmarks.md.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="CI-smoke sized: 10k and 50k books, short runs."
    )
    parser.add_argument(
        "--sizes",
        type=lambda text: tuple(parse_size(part) for part in text.split(",")),
        help="Catalogue sizes to grow through, e.g. 10k,100k,1M (the default of the mode).",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="Where to write the Markdown report (docs/benchmarks.md).",
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="gunicorn workers per server (default: gunicorn.conf.py's, one per core).",
    )
    parser.add_argument(
        "--baseline",
        default="perf-baseline",
        metavar="REV",
        help="The git revision a 4th gunicorn runs from a worktree, for the side-by-side "
        "'search request' comparison (perf-baseline; '' for none).",
    )
    parser.add_argument(
        "--report-from",
        type=Path,
        metavar="RUN_DIR",
        help="Measure nothing: write the report again from a run's saved results "
        "(bench/results/<run id>/results.pickle), e.g. after changing the report's layout.",
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="The benchmark's own database, dropped and recreated; its name must contain "
        f"'bench' ({DEFAULT_DATABASE_URL}).",
    )
    return parser.parse_args(argv)


def _stop_on_sigterm() -> None:
    # SIGTERM (e.g. a CI timeout) unwinds like Ctrl-C, so every `finally` stops its processes.
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _setup_django(ctx: RunContext) -> None:
    """This process reads the catalogue and the outbox directly (in-process searches, counts,
    timestamps): Django on the run's database, with events off for its own searches."""
    os.environ.update(ctx.env(delivery="off"))
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()


def write_report(results, output: Path) -> None:
    from bench.charts import write_charts
    from bench.report import render_console, render_markdown
    from bench.targets import evaluate

    targets = evaluate(results)
    output.parent.mkdir(parents=True, exist_ok=True)
    charts = write_charts(results, output.parent / "img")
    output.write_text(render_markdown(results, targets, charts))
    print(render_console(results, targets))
    print(f"\nReport: {output}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_from:
        # The pickle is one this tool wrote into its own results directory.
        results = pickle.loads((args.report_from / RESULTS_FILE).read_bytes())
        write_report(results, args.output)
        return 0
    plan = make_plan(
        quick=args.quick, sizes=args.sizes, workers=args.workers, baseline=args.baseline
    )
    _stop_on_sigterm()
    command = "python -m bench" + (" " + shlex.join(argv or sys.argv[1:])).rstrip()

    from bench.services import ensure_wrk, recreate_database, start_services

    try:
        ensure_wrk()
        start_services()
        ctx = RunContext.create(database_url=args.database_url)
        recreate_database(ctx)
    except BenchError as exc:
        print(f"!!  {exc}", file=sys.stderr)
        return 2
    _setup_django(ctx)

    from bench.machine import describe_machine, load_average
    from bench.report import BenchResults
    from bench.runner import run

    step(f"run {ctx.run_id} ({plan.name}): sizes {', '.join(f'{s:,}' for s in plan.sizes)}")
    step(f"logs: {ctx.workdir}")
    results = BenchResults(
        plan=plan,
        run_id=ctx.run_id,
        command=command,
        workdir=ctx.workdir,
        started=datetime.datetime.now(),
        machine=describe_machine(),
    )
    interrupted = False
    try:
        run(ctx, plan, results)
    except KeyboardInterrupt:
        # Ctrl-C or SIGTERM: every process is stopped by now; what was measured is reported.
        interrupted = True
        results.errors["interrupted"] = "the run was interrupted (Ctrl-C or SIGTERM)"
    finally:
        results.finished = datetime.datetime.now()
        results.load_after = load_average()
        try:
            (ctx.workdir / RESULTS_FILE).write_bytes(pickle.dumps(results))
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            print(f"!!  results not saved for --report-from: {exc}", file=sys.stderr)
        write_report(results, args.output)
    if interrupted:
        return 130
    return 1 if results.errors else 0
