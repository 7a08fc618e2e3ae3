"""Where the machine's CPU went during a measurement: which process group used how many cores.

On 2 cores the web workers, MariaDB, Kafka, the relay and the load generator all compete; this
is what tells a missed throughput target's limit (e.g. "workers 1.6 cores, MariaDB 0.3") and how
much other work (parallel test runs) disturbed the run ("other").
"""

import contextlib
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")

PidSource = Callable[[], list[int]]


def _process_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0
    # utime and stime: fields 14 and 15 of stat, here counted after the command name.
    return int(fields[11]) + int(fields[12])


def _machine_busy_ticks() -> int:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values[:8]) - idle  # without guest time, already counted in user


def pids_by_name(comm: str, cmdline_part: str = "") -> list[int]:
    """Processes named `comm` (and whose command line contains `cmdline_part`)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            if (proc / "comm").read_text().strip() != comm:
                continue
            if cmdline_part and cmdline_part not in (proc / "cmdline").read_text(errors="replace"):
                continue
            found.append(int(proc.name))
    return found


@dataclass(frozen=True)
class CpuUsage:
    """Cores used on average over the window, by group; `other` is the rest of the machine."""

    seconds: float
    cores: dict[str, float]
    machine: float
    other: float

    def dominant(self) -> tuple[str, float]:
        """The group that used the most CPU, and how many cores."""
        return max(self.cores.items(), key=lambda item: item[1], default=("nothing", 0.0))

    def describe(self) -> str:
        parts = [f"{name} {cores:.2f}" for name, cores in self.cores.items()]
        parts.append(f"other {self.other:.2f}")
        return f"{self.machine:.2f} cores busy: " + ", ".join(parts)


class CpuMeter:
    """Measures the CPU of named process groups between start() and stop().

    Groups are resolved to pids at both ends, so processes that come and go are counted while
    they live. The benchmark's own reaped children (wrk, the paced load generator) are counted
    through RUSAGE_CHILDREN as "load generator".
    """

    def __init__(self, groups: dict[str, PidSource]) -> None:
        self.groups = groups

    def _snapshot(self) -> dict[str, dict[int, int]]:
        return {
            name: {pid: _process_ticks(pid) for pid in source()}
            for name, source in self.groups.items()
        }

    def start(self) -> "CpuMeter":
        self._t0 = time.monotonic()
        self._machine0 = _machine_busy_ticks()
        self._children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._before = self._snapshot()
        return self

    def stop(self) -> CpuUsage:
        after = self._snapshot()
        seconds = max(time.monotonic() - self._t0, 1e-9)
        machine = (_machine_busy_ticks() - self._machine0) / TICKS / seconds
        cores: dict[str, float] = {}
        for name, pids in after.items():
            before = self._before.get(name, {})
            ticks = sum(now - before.get(pid, 0) for pid, now in pids.items())
            cores[name] = ticks / TICKS / seconds
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        children = (usage.ru_utime + usage.ru_stime) - (
            self._children0.ru_utime + self._children0.ru_stime
        )
        cores["load generator"] = children / seconds
        return CpuUsage(
            seconds=seconds,
            cores=cores,
            machine=machine,
            other=max(machine - sum(cores.values()), 0.0),
        )


def service_groups() -> dict[str, PidSource]:
    """The shared services every measurement runs against, and the benchmark itself (its
    topic watcher and database polling)."""
    return {
        "MariaDB": lambda: pids_by_name("mariadbd"),
        "Kafka": lambda: pids_by_name("java", "kafka.Kafka"),
        "bench": lambda: [os.getpid()],
    }
