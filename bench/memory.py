"""(e) Memory. The web worker: RSS of a single gunicorn worker (outbox mode) before and after
many searches. wrk cannot stop after N requests (its threads stop, the run still lasts its
duration), so the searches are sent in wrk runs of about a tenth each until N are done, and
the RSS read between runs gives its trajectory. The relay and the consumers: their RSS sampled
while they run in (c) and (d), from a quarter into their work to its end."""

import time
from dataclasses import dataclass
from pathlib import Path

from bench.http_load import run_wrk
from bench.processes import BenchError, WebServer, status_mb, step

WARMUP_REQUESTS = 500
CHUNKS = 10
CONNECTIONS = 2  # keep the single worker busy


@dataclass(frozen=True)
class MemoryResult:
    searches: int
    baseline_mb: float  # after the warm-up: imports, caches and connections in place
    final_mb: float
    peak_mb: float  # VmHWM: the most the worker ever held
    trajectory: list[tuple[int, float]]  # (searches so far, RSS MB)
    seconds: float

    @property
    def growth_mb(self) -> float:
        return self.final_mb - self.baseline_mb


@dataclass(frozen=True)
class ProcessMemory:
    """RSS of a relay or consumer command over `events`, sampled while it ran."""

    name: str
    events: int
    samples: list[tuple[float, float]]  # (seconds since the command started, RSS MB)
    # When its first and last rows were stamped (published_at, processed_at), in the same
    # seconds: the work, without start-up or the idle wait at the end.
    work: tuple[float, float]

    def _at(self, seconds: float) -> float:
        return next((mb for at, mb in self.samples if at >= seconds), float("nan"))

    @property
    def start_mb(self) -> float:
        """A quarter into the work: whatever the first batches allocate once is in place."""
        first, last = self.work
        return self._at(first + (last - first) / 4)

    @property
    def end_mb(self) -> float:
        return self._at(self.work[1])

    @property
    def growth_mb(self) -> float:
        return self.end_mb - self.start_mb

    @property
    def measured_events(self) -> int:
        return self.events * 3 // 4


def measure_memory(server: WebServer, workdir: Path, *, searches: int) -> MemoryResult:
    workers = server.worker_pids()
    if len(workers) != 1:
        raise BenchError(f"expected one worker, found {workers}")
    worker = workers[0]
    step(f"memory: warm-up ({WARMUP_REQUESTS} searches)")
    warm = run_wrk(server.base_url, workdir, seconds=2, connections=CONNECTIONS)
    done = warm.requests
    rate = max(warm.throughput, 1.0)
    while done < WARMUP_REQUESTS:
        done += run_wrk(server.base_url, workdir, seconds=2, connections=CONNECTIONS).requests
    baseline = status_mb(worker, "VmRSS")
    trajectory = [(0, baseline)]
    total = 0
    started = time.monotonic()
    step(f"memory: {searches:,} searches against one worker (~{searches / rate:.0f} s)")
    while total < searches:
        chunk = min(searches - total, max(searches // CHUNKS, 1))
        run = run_wrk(
            server.base_url, workdir, seconds=max(chunk / rate, 1), connections=CONNECTIONS
        )
        if run.requests == 0:
            raise BenchError("the worker answered no search in a whole wrk run")
        total += run.requests
        rate = max(run.throughput, 1.0)
        if server.worker_pids() != [worker]:
            raise BenchError("the gunicorn worker was replaced during the memory run")
        trajectory.append((total, status_mb(worker, "VmRSS")))
    return MemoryResult(
        searches=total,
        baseline_mb=baseline,
        final_mb=trajectory[-1][1],
        peak_mb=status_mb(worker, "VmHWM"),
        trajectory=trajectory,
        seconds=time.monotonic() - started,
    )
