"""The results table, printed after every run and written to docs/reliability.md by a full one."""

import datetime
import math
from pathlib import Path

from bench.machine import MachineInfo
from chaos.measure import BACKLOG_TARGET_SECONDS, Outcome
from chaos.scenarios import SCENARIOS, Timing

HEADER = (
    "scenario",
    "searches",
    "non-2xx: intended 503 / other",
    "events",
    "on topic (dup)",
    "lost: topic / trends / rec",
    "counted twice: trends / rec",
    "p99 ms: before / during / after",
    "backlog cleared",
    "result",
)


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f}"


def row(outcome: Outcome) -> tuple[str, ...]:
    misses = outcome.misses()
    backlog = outcome.backlog_seconds
    return (
        outcome.scenario,
        str(outcome.sent),
        f"{outcome.intended_503} / {outcome.other_errors}",
        str(outcome.events),
        f"{outcome.on_topic} ({outcome.on_topic - outcome.distinct_on_topic})",
        " / ".join(str(n) for n in outcome.lost.values()),
        " / ".join(str(n) for n in outcome.twice.values()),
        " / ".join(_ms(outcome.p99_ms[phase]) for phase in ("before", "during", "after")),
        "never" if backlog is None else f"{backlog:.1f} s",
        "FAIL: " + "; ".join(misses) if misses else "ok",
    )


def table(outcomes: list[Outcome]) -> str:
    """A Markdown table: readable in a terminal and in the docs alike."""
    lines = [HEADER, ("---",) * len(HEADER), *(row(o) for o in outcomes)]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def write(
    path: Path,
    outcomes: list[Outcome],
    *,
    machine: MachineInfo,
    timing: Timing,
    command: str,
    seconds: float,
) -> None:
    scenarios = "\n".join(f"- `{o.scenario}`: {SCENARIOS[o.scenario].title}" for o in outcomes)
    path.write_text(
        f"""# Reliability: the fault suite

Written by `{command}` on {datetime.date.today():%Y-%m-%d} in {seconds / 60:.0f} min, on
{machine.cpus} cores ({machine.cpu_model}), {machine.memory_gb:.0f} GB, Linux {machine.kernel},
Python {machine.python}, MariaDB {machine.mariadb}, Kafka {machine.kafka}, kafka-python
{machine.packages["kafka-python"]}.

Each run starts a MariaDB and a three-node KRaft cluster of its own (`scripts/services.sh` in a
temporary directory, on free ports), migrates, loads the sample books, creates the topic with
3 partitions and replication factor 3, and runs gunicorn (`gunicorn.conf.py`, outbox mode), the
relay and both consumers as subprocesses. Each scenario sends {timing.rate:.0f} searches/s
through gunicorn for {timing.before:.0f} s, injects its fault under that load, and goes on for
{timing.after:.0f} s after recovery. Every search is a query of its own (and a visitor of its
own), so every expected event is known and checked on the topic, in the trends
(`trends_trendingquery.count` = 1 per query) and in the recommendations (one interest of score 1
per book the search found, and the `rec-svr` ce_id record).

Targets: 0 lost, 0 counted twice, no non-2xx answer but the intended 503s while MariaDB is down
(a search unanswered within 10 s counts as failed), the backlog (outbox rows written until
recovery, published and applied by both consumers) cleared within {BACKLOG_TARGET_SECONDS} s of
recovery, and no worker exiting. "Lost" is what had not arrived {timing.wait:.0f} s after
recovery; "dup" are duplicates on the topic, which at-least-once delivery allows and the
consumers drop. Recovery is when the fault ended and the service was back: the whole cluster
after {timing.outage:.0f} s down, a broker after {timing.broker_down:.0f} s (plus its restart),
a frozen broker after {timing.freeze:.0f} s, MariaDB after {timing.db_down:.0f} s, the third
kill of a relay or of the consumers (every {timing.kill_every:.0f} s), the second relay after
{timing.two_relays:.0f} s.

{scenarios}

{table(outcomes)}
"""
    )
