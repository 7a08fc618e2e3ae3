"""(a) The cost of emitting events: the same searches against three gunicorns that differ only
in EVENTS_DELIVERY (off / outbox / direct), alternated in rounds so that a disturbance of the
shared machine hits every mode rather than one.

Peak: wrk, closed loop, 2 connections per worker. Then each mode at the same fixed rate, a
fraction (70 %) of the outbox mode's peak, from the open-loop bench.loadgen, so that latency
is compared under equal offered load, queueing included.
"""

from dataclasses import dataclass
from pathlib import Path

from bench.cpu import PidSource
from bench.http_load import LoadResult, run_paced, run_wrk
from bench.processes import WebServer, step
from bench.stats import median

WARMUP_SECONDS = 2


@dataclass(frozen=True)
class ModeResult:
    peaks: list[LoadResult]  # one per round
    paced: LoadResult | None

    @property
    def peak_throughput(self) -> float:
        return median(run.throughput for run in self.peaks)

    @property
    def peak_p50(self) -> float:
        return median(run.latency.p50 for run in self.peaks)

    @property
    def peak_p99(self) -> float:
        return median(run.latency.p99 for run in self.peaks)


@dataclass(frozen=True)
class DeliveryResult:
    size: int
    paced_rate: float
    modes: dict[str, ModeResult]


def compare_modes(
    servers: dict[str, WebServer],
    workdir: Path,
    *,
    size: int,
    rounds: int,
    peak_seconds: float,
    paced_seconds: float,
    paced_fraction: float,
    connections: int,
    cpu_groups: dict[str, PidSource],
) -> DeliveryResult:
    modes = list(servers)
    for mode in modes:
        run_wrk(servers[mode].base_url, workdir, seconds=WARMUP_SECONDS, connections=connections)
    peaks: dict[str, list[LoadResult]] = {mode: [] for mode in modes}
    for round_no in range(rounds):
        # Rotate the order each round: no mode always runs first after an idle pause.
        order = modes[round_no % len(modes) :] + modes[: round_no % len(modes)]
        for mode in order:
            step(f"delivery {mode}: peak, round {round_no + 1}/{rounds} ({peak_seconds:.0f} s)")
            server = servers[mode]
            peaks[mode].append(
                run_wrk(
                    server.base_url,
                    workdir,
                    seconds=peak_seconds,
                    connections=connections,
                    cpu={"web": server.pids, **cpu_groups},
                )
            )
    reference = "outbox" if "outbox" in modes else modes[0]
    rate = paced_fraction * median(run.throughput for run in peaks[reference])
    paced: dict[str, LoadResult] = {}
    for mode in modes:
        step(f"delivery {mode}: {rate:.0f} searches/s open loop ({paced_seconds:.0f} s)")
        server = servers[mode]
        paced[mode] = run_paced(
            server.port,
            workdir,
            rate=rate,
            seconds=paced_seconds,
            cpu={"web": server.pids, **cpu_groups},
        ).result
    return DeliveryResult(
        size=size,
        paced_rate=rate,
        modes={mode: ModeResult(peaks[mode], paced[mode]) for mode in modes},
    )
