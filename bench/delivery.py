"""(a) The same searches against gunicorns that differ only in EVENTS_DELIVERY (off / outbox /
direct) and one running the baseline revision's code (outbox), alternated in rounds so that a
disturbance of the shared machine hits every server rather than one.

Peak: wrk, closed loop, a connection per gunicorn thread, once with keep-alive and once with a
connection per request. Then (with `paced_seconds`) each server at the same fixed rate, a
fraction (70 %) of the outbox server's keep-alive peak, from the open-loop bench.loadgen, so
that latency is compared under equal offered load, queueing included.
"""

from dataclasses import dataclass
from pathlib import Path

from bench.cpu import PidSource
from bench.http_load import CONNECTION_MODES, LoadResult, run_paced, run_wrk
from bench.processes import WebServer, step
from bench.stats import median

WARMUP_SECONDS = 2
REFERENCE = "outbox"


@dataclass(frozen=True)
class ServerResult:
    peaks: dict[str, list[LoadResult]]  # by connection mode, one per round
    paced: LoadResult | None

    def peak(self, connection: str = "keep-alive") -> float:
        return median(run.throughput for run in self.peaks.get(connection, ()))

    def peak_p99(self, connection: str = "keep-alive") -> float:
        return median(run.latency.p99 for run in self.peaks.get(connection, ()))

    def last_peak(self, connection: str = "keep-alive") -> LoadResult | None:
        runs = self.peaks.get(connection)
        return runs[-1] if runs else None


@dataclass(frozen=True)
class DeliveryResult:
    size: int
    paced_rate: float
    servers: dict[str, ServerResult]  # off, outbox, direct, and "baseline" when it ran


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
    names = list(servers)
    for name in names:
        run_wrk(servers[name].base_url, workdir, seconds=WARMUP_SECONDS, connections=connections)
    peaks = {name: {mode: [] for mode in CONNECTION_MODES} for name in names}
    for round_no in range(rounds):
        # Rotate the order each round: no server always runs first after an idle pause.
        order = names[round_no % len(names) :] + names[: round_no % len(names)]
        for name in order:
            for mode in CONNECTION_MODES:
                step(f"delivery {name}, {mode}: peak, round {round_no + 1}/{rounds}")
                peaks[name][mode].append(
                    run_wrk(
                        servers[name].base_url,
                        workdir,
                        seconds=peak_seconds,
                        connections=connections,
                        keep_alive=mode == "keep-alive",
                        cpu={"web": servers[name].pids, **cpu_groups},
                    )
                )
    rate = paced_fraction * median(run.throughput for run in peaks[REFERENCE]["keep-alive"])
    paced: dict[str, LoadResult | None] = dict.fromkeys(names)
    for name in names if paced_seconds else ():
        step(f"delivery {name}: {rate:.0f} searches/s open loop ({paced_seconds:.0f} s)")
        paced[name] = run_paced(
            servers[name].port,
            workdir,
            rate=rate,
            seconds=paced_seconds,
            cpu={"web": servers[name].pids, **cpu_groups},
        )
    return DeliveryResult(
        size=size,
        paced_rate=rate,
        servers={name: ServerResult(peaks[name], paced[name]) for name in names},
    )
