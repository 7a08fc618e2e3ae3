"""The run: every measurement in one sequence over the same, growing catalogue.

At each size: grow the catalogue, search in-process and over HTTP. At the smallest and the
largest size the delivery modes and the baseline side by side, and a search profile; at the
smallest, worker memory. Then, with the web servers stopped, relay and consumer throughput and
memory, and their profiles.
"""

import contextlib
from pathlib import Path

from bench.config import DELIVERY_MODES, Plan, RunContext
from bench.consumers import measure_consumers
from bench.cpu import service_groups
from bench.delivery import compare_modes
from bench.http_load import run_wrk
from bench.memory import measure_memory
from bench.processes import Supervisor, WebServer, start_manage, start_web, step
from bench.profiling import profile_consumer, profile_relay, profile_search
from bench.relay import measure_relay, outbox_health
from bench.report import BenchResults, SizeResult
from bench.search_scale import grow_catalogue, measure_in_process
from bench.services import baseline_worktree, create_topics, delete_topics, migrate


def run(ctx: RunContext, plan: Plan, results: BenchResults) -> None:
    with results.section("setup"):
        migrate(ctx)
        create_topics(ctx)
    if "setup" in results.errors:
        return
    try:
        # The worktree is entered first, so that it is removed after its gunicorn stopped.
        with contextlib.ExitStack() as stack, results.section("web phase (total)"):
            baseline = None
            if plan.baseline:
                with results.section("baseline worktree"):
                    baseline = stack.enter_context(baseline_worktree(ctx, plan.baseline))
            sup = stack.enter_context(Supervisor(ctx.workdir))
            # Each measurement is a section of its own; this one catches only the servers
            # failing to start, so that the pipeline measurements still run.
            _web_phase(sup, ctx, plan, results, baseline=baseline)
        with results.section("outbox after the web phase"):
            results.outbox = outbox_health()
        _pipeline_phase(ctx, plan, results)
    finally:
        with results.section("cleanup"):
            delete_topics(ctx)


def _web_phase(
    sup: Supervisor, ctx: RunContext, plan: Plan, results: BenchResults, *, baseline: Path | None
) -> None:
    """Everything that needs the web servers, size by size."""
    step(f"web: starting the relay and the gunicorns ({plan.workers} workers each)")
    relay = start_manage(sup, ctx, "relay-http", "relay_events", env=ctx.env(delivery="outbox"))
    servers = {
        mode: start_web(
            sup, ctx, name=f"web-{mode}", mode=mode, workers=plan.workers, topic=ctx.http_topic
        )
        for mode in DELIVERY_MODES
    }
    if baseline:
        with results.section("baseline server"):
            servers["baseline"] = start_web(
                sup, ctx, name="web-baseline", mode="outbox", workers=plan.workers,
                topic=ctx.http_topic, code=baseline,
            )  # fmt: skip
    cpu = {"relay": lambda: [relay.pid], **service_groups()}
    for index, size in enumerate(plan.sizes):
        smallest, largest = index == 0, index == len(plan.sizes) - 1
        with results.section(f"catalogue {size:,}"):
            growth = grow_catalogue(ctx, size=size, seed=plan.seed, check_rerun=smallest)
        if f"catalogue {size:,}" in results.errors:
            return  # later sizes would grow from an unknown state
        entry = SizeResult(size=size, growth=growth)
        results.scale.append(entry)
        with results.section(f"search at {size:,}"):
            entry.in_process = measure_in_process(plan)
            step(f"search: HTTP, outbox mode ({plan.scale_http_seconds:.0f} s)")
            outbox = servers["outbox"]
            entry.http = run_wrk(
                outbox.base_url,
                ctx.workdir,
                seconds=plan.scale_http_seconds,
                connections=plan.connections,
                cpu={"web": outbox.pids, **cpu},
            )
        if smallest or largest:
            # The smallest size, where a search is cheapest, shows the events' cost most; the
            # largest is the p99 target's, at 70 % of the peak (paced).
            with results.section(f"delivery modes at {size:,}"):
                results.delivery.append(
                    compare_modes(
                        servers,
                        ctx.workdir,
                        size=size,
                        rounds=plan.rounds,
                        peak_seconds=plan.peak_seconds,
                        paced_seconds=plan.paced_seconds if largest else 0,
                        paced_fraction=plan.paced_fraction,
                        connections=plan.connections,
                        cpu_groups=cpu,
                    )
                )
            with results.section(f"profile search at {size:,}"):
                results.profiles.append(
                    profile_search(
                        ctx.workdir,
                        requests=plan.profile_requests,
                        budget=plan.profile_budget_seconds,
                        size=size,
                    )
                )
        if smallest:
            _worker_memory(sup, ctx, plan, results)


def _worker_memory(sup: Supervisor, ctx: RunContext, plan: Plan, results: BenchResults) -> None:
    with results.section("worker memory"):
        server: WebServer | None = None
        try:
            step("memory: a gunicorn with a single worker (outbox)")
            server = start_web(
                sup, ctx, name="web-memory", mode="outbox", workers=1, topic=ctx.http_topic
            )
            results.memory = measure_memory(server, ctx.workdir, searches=plan.memory_searches)
            results.memory_size = plan.sizes[0]
        finally:
            if server:
                sup.stop(server.proc)


def _pipeline_phase(ctx: RunContext, plan: Plan, results: BenchResults) -> None:
    """Relay and consumers at full speed, with nothing else running."""
    with results.section("relay throughput"):
        results.relay = measure_relay(ctx, topic=ctx.relay_topic, events=plan.outbox_events)
    if results.relay:
        with results.section("consumer throughput"):
            results.consumers = measure_consumers(
                ctx,
                topic=ctx.relay_topic,
                events=results.relay.on_topic,
                returning_events=plan.profile_events,
            )
    with results.section("profile relay"):
        results.profiles.append(
            profile_relay(ctx.workdir, topic=ctx.relay_topic, events=plan.profile_events)
        )
    for name in ("trends", "recommendations"):
        with results.section(f"profile {name} consumer"):
            results.profiles.append(
                profile_consumer(
                    ctx.workdir,
                    name=name,
                    topic=ctx.relay_topic,
                    group=f"bench-{ctx.run_id}-profile-{name}",
                    events=plan.profile_events,
                )
            )
