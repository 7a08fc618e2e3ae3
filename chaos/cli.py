"""`python -m chaos [--short] [--scenario NAME ...] [--output docs/reliability.md]`"""

import argparse
import datetime
import os
import secrets
import shlex
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import django

from bench.config import REPO, RunContext
from bench.processes import BenchError
from chaos.cluster import Services

KAFKA_NODES = 3
DEFAULT_OUTPUT = REPO / "docs" / "reliability.md"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m chaos",
        description="Inject faults into a private copy of the pipeline (its own MariaDB and "
        "three-node Kafka cluster) under steady search load, and check that no search event is "
        "lost or counted twice. Exits non-zero on any missed target.",
    )
    parser.add_argument(
        "--short",
        action="store_true",
        help="Only the leader kill and a 40 s whole-cluster outage, at a lower rate (~4 min).",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        default=[],
        help="Run only this one, with --short at the short timings; repeatable.",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="Where a full run (every scenario, not --short) writes its report.",
    )
    parser.add_argument(
        "--keep", action="store_true", help="Keep the run's directory (logs) for a post-mortem."
    )
    return parser.parse_args(argv)


def setup_django(services: Services, topic: str) -> None:
    """This process reads the run's database and topic through the project's own models and
    Kafka factories; settings read the environment once, so it is set first."""
    # With DEBUG off the site refuses to start without a real key; a run's own is as good.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bookstore_site.settings",
        DATABASE_URL=services.database_url,
        KAFKA_BOOTSTRAP_SERVERS=services.bootstrap,
        KAFKA_TOPIC=topic,
        LOG_LEVEL="WARNING",
        KAFKA_LOG_LEVEL="CRITICAL",
        # The load comes from one address at 30 searches/s: a load test, not an abuser.
        SEARCH_RATE_LIMIT="1000000/s",
    )
    django.setup()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, through the clean-up below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    run_id = f"chaos-{datetime.datetime.now():%Y%m%d-%H%M%S}"
    root = Path(tempfile.mkdtemp(prefix=f"{run_id}-"))
    services = Services.allocate(root, KAFKA_NODES)
    outcomes: list = []
    try:
        setup_django(services, topic=run_id)
        from chaos import report, scenarios, suite  # they use the models: after django.setup()

        default = scenarios.SHORT_SCENARIOS if args.short else scenarios.SCENARIOS
        names = args.scenario or list(default)
        if unknown := set(names) - set(scenarios.SCENARIOS):
            print(f"unknown scenario {', '.join(unknown)}; one of {', '.join(scenarios.SCENARIOS)}")
            return 2
        timing = scenarios.SHORT if args.short else scenarios.FULL
        ctx = RunContext(
            run_id=run_id,
            database_url=services.database_url,
            workdir=root / "logs",
            bootstrap=services.bootstrap,
        )
        ctx.workdir.mkdir()
        machine = suite.run(services, ctx, names, timing, outcomes)
    except (BenchError, KeyboardInterrupt) as exc:
        print(report.table(outcomes) if outcomes else "", flush=True)
        print(f"!! {str(exc) or 'interrupted'}", file=sys.stderr)
        return 130 if isinstance(exc, KeyboardInterrupt) else 2
    finally:
        services.stop()
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(report.table(outcomes), flush=True)
    seconds = time.monotonic() - started
    print(f"{len(outcomes)} scenarios in {seconds:.0f} s")
    if not args.short and not args.scenario:
        command = shlex.join(["python", "-m", "chaos", *(argv or sys.argv[1:])])
        report.write(
            args.output, outcomes, machine=machine, timing=timing, command=command, seconds=seconds
        )
        print(f"wrote {args.output}")
    return 1 if any(o.misses() for o in outcomes) else 0
