"""One run: start the private services and the pipeline, prove it works, run the scenarios.
Imported once Django is set up (chaos.cli does that): it reads through the project's models."""

import contextlib
import time
import urllib.request
from urllib.parse import urlencode

from kafka.errors import KafkaError

from bench.config import RunContext
from bench.machine import MachineInfo, describe_machine
from bench.processes import BenchError, Supervisor, manage
from chaos.cluster import App, Services, log
from chaos.measure import Outcome, drained, outbox_events
from chaos.scenarios import SCENARIOS, Run, Timing, run_scenario
from events.kafka import dead_letter_topic, new_admin

PARTITIONS = 3
WARM_UP_SECONDS = 90


def warm_up(app: App) -> None:
    """One search through the whole pipeline before any fault: proves that it works, and lets
    the consumers join their groups first."""
    url = f"http://127.0.0.1:{app.web.port}/?{urlencode({'q': 'kafka warm-up'})}"
    with urllib.request.urlopen(url, timeout=10) as reply:
        reply.read()
    deadline = time.monotonic() + WARM_UP_SECONDS
    while not drained(events := outbox_events(0, "kafka warm-up")) or not events:
        app.check_alive()
        if time.monotonic() > deadline:
            raise BenchError(f"a search did not reach both consumers in {WARM_UP_SECONDS} s")
        time.sleep(0.5)


def delete_topic(topic: str) -> None:
    with contextlib.suppress(KafkaError):
        admin = new_admin()
        try:
            admin.delete_topics([topic, dead_letter_topic(topic)], raise_errors=False)
        finally:
            admin.close()


def run(
    services: Services, ctx: RunContext, names: list[str], timing: Timing, outcomes: list[Outcome]
) -> MachineInfo:
    """Run the scenarios `names`, appending each one's outcome to `outcomes` as it ends (so
    that a run that fails half-way still reports the scenarios it finished)."""
    log(
        f"private MariaDB on port {services.db_port}, Kafka ({services.nodes} nodes) on "
        f"{services.bootstrap}"
    )
    services.start("mariadb")
    services.start("kafka")
    topic = ctx.run_id
    manage(ctx, "migrate", "--noinput")
    manage(ctx, "load_sample_books")
    manage(
        ctx,
        "create_topic",
        "--partitions",
        str(PARTITIONS),
        "--replication-factor",
        str(services.nodes),
        env=ctx.env(topic=topic),
    )
    with Supervisor(ctx.workdir) as sup:
        app = App(sup, ctx, topic)
        try:
            app.start()
            warm_up(app)
            chaos_run = Run(services, app, topic, timing)
            for name in names:
                outcomes.append(run_scenario(chaos_run, SCENARIOS[name]))
            return describe_machine()
        finally:
            delete_topic(topic)
