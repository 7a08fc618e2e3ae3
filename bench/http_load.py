"""Load over real HTTP, from a separate process: wrk for the peak (closed loop, as many
requests as the server takes), bench.loadgen for a fixed rate (open loop)."""

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.cpu import CpuMeter, CpuUsage, PidSource
from bench.processes import BenchError
from bench.queries import api_paths, visitor_ids
from bench.stats import Latency

VISITORS = 1000
WRK_TIMEOUT = "10s"  # wrk's default of 2 s would drop slow answers from the latencies
CONNECTION_MODES = ("keep-alive", "close")

# Each wrk thread rotates over the same paths and visitors from its own starting point. The
# `done` hook prints wrk's exact latency percentiles (in µs) as JSON, rather than the rounded
# text of --latency. No `response` hook: it would make wrk hand every response to Lua.
WRK_LUA = """\
local paths = {%(paths)s}
local visitors = {%(visitors)s}
local threads = 0

function setup(thread)
  thread:set("start", threads * 7919)
  threads = threads + 1
end

function init(args)
  i = start or 0
  -- `wrk … -- close`: a connection per request, as bench.loadgen's; else keep-alive.
  close = args[1] == "close"
end

function request()
  i = i + 1
  local headers = {["Cookie"] = "uid=" .. visitors[(i %% #visitors) + 1]}
  if close then
    headers["Connection"] = "close"
  end
  return wrk.format("GET", paths[(i %% #paths) + 1], headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %%d, "duration_us": %%d, "p50": %%.1f, "p90": %%.1f, '
    .. '"p99": %%.1f, "max": %%.1f, "mean": %%.1f, "connect": %%d, "read": %%d, '
    .. '"write": %%d, "status": %%d, "timeout": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status,
    e.timeout))
end
"""


@dataclass(frozen=True)
class LoadResult:
    """One load run: `offered` is the fixed rate of an open-loop run, None for wrk's peak."""

    requests: int
    throughput: float
    latency: Latency
    errors: int
    offered: float | None = None
    cpu: CpuUsage | None = None


def _lua_strings(values: list[str]) -> str:
    # URL paths and hex ids are plain ASCII without quotes or backslashes: a JSON string
    # literal of them is a valid Lua string literal.
    return ", ".join(json.dumps(value) for value in values)


def _inputs(workdir: Path) -> tuple[Path, Path]:
    paths_file, visitors_file = workdir / "paths.txt", workdir / "visitors.txt"
    if not paths_file.exists():
        paths_file.write_text("\n".join(api_paths()) + "\n")
        visitors_file.write_text("\n".join(visitor_ids(VISITORS)) + "\n")
    return paths_file, visitors_file


def wrk_script(workdir: Path) -> Path:
    script = workdir / "search.lua"
    if not script.exists():
        script.write_text(
            WRK_LUA
            % {
                "paths": _lua_strings(api_paths()),
                "visitors": _lua_strings(visitor_ids(VISITORS)),
            }
        )
    return script


def run_wrk(
    base_url: str,
    workdir: Path,
    *,
    seconds: float,
    connections: int,
    keep_alive: bool = True,
    cpu: dict[str, PidSource] | None = None,
) -> LoadResult:
    """wrk with `connections` connections for `seconds`, kept alive or one per request."""
    argv = [
        "wrk",
        "--threads",
        "1",  # one thread generates thousands of requests/s; a second would only take CPU
        "--connections",
        str(connections),
        "--duration",
        f"{max(int(seconds), 1)}s",
        "--timeout",
        WRK_TIMEOUT,
        "--latency",
        "--script",
        str(wrk_script(workdir)),
        base_url,
        "--",
        "keep-alive" if keep_alive else "close",
    ]
    meter = CpuMeter(cpu).start() if cpu else None
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120, check=False)
    usage = meter.stop() if meter else None
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if done.returncode or line is None:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    duration = data["duration_us"] / 1e6
    errors = sum(data[key] for key in ("connect", "read", "write", "status", "timeout"))
    ms = {key: data[key] / 1000 for key in ("p50", "p99", "max")}
    return LoadResult(
        requests=data["requests"],
        throughput=data["requests"] / duration if duration else 0.0,
        latency=Latency(count=data["requests"], **ms),
        errors=errors,
        cpu=usage,
    )


def run_paced(
    port: int,
    workdir: Path,
    *,
    rate: float,
    seconds: float,
    cpu: dict[str, PidSource] | None = None,
) -> LoadResult:
    """bench.loadgen at `rate` requests/s for `seconds`, in its own process."""
    paths_file, visitors_file = _inputs(workdir)
    out = workdir / "loadgen.json"
    argv = [
        sys.executable,
        "-m",
        "bench.loadgen",
        "--port",
        str(port),
        "--paths-file",
        str(paths_file),
        "--visitors-file",
        str(visitors_file),
        "--rate",
        f"{rate:.3f}",
        "--seconds",
        str(seconds),
        "--out",
        str(out),
    ]
    meter = CpuMeter(cpu).start() if cpu else None
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120, check=False)
    usage = meter.stop() if meter else None
    if done.returncode:
        raise BenchError(f"bench.loadgen failed ({done.returncode}):\n{done.stderr}")
    data = json.loads(out.read_text())
    return LoadResult(
        requests=data["completed"],
        throughput=data["achieved_rate"],
        latency=Latency.of(data["latencies_ms"]),
        errors=data["errors"],
        offered=rate,
        cpu=usage,
    )
