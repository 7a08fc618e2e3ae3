"""Every process the benchmark starts, and the guarantee that each is stopped again."""

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.config import GUNICORN_CONF, MANAGE, REPO, RunContext

STOP_TIMEOUT_SECONDS = 20
READY_TIMEOUT_SECONDS = 60
RSS_INTERVAL = 0.2


class BenchError(RuntimeError):
    """A step of the benchmark could not run; the message says what to look at."""


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def step(message: str) -> None:
    print(f"--> {message}", flush=True)


class Supervisor:
    """Starts long-running processes in their own process group and stops them all on exit,
    whatever happened; their output goes to <workdir>/<name>.log."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._running: dict[int, tuple[str, subprocess.Popen]] = {}

    def __enter__(self) -> "Supervisor":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop_all()

    def log_path(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def start(
        self, name: str, argv: Sequence[str], env: dict[str, str], cwd: Path = REPO
    ) -> subprocess.Popen:
        with self.log_path(name).open("ab") as log:
            # A session of its own: Ctrl-C in the terminal reaches only the benchmark, which
            # then stops its children in order (gunicorn's workers with their master).
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._running[proc.pid] = (name, proc)
        return proc

    def stop(self, proc: subprocess.Popen, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        self._running.pop(proc.pid, None)
        if proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def stop_all(self) -> None:
        # Newest first: the load goes before the servers, the servers before the relay.
        for _name, proc in reversed(list(self._running.values())):
            self.stop(proc)

    def check_alive(self, proc: subprocess.Popen) -> None:
        if proc.poll() is not None:
            name = self._running.get(proc.pid, ("process", proc))[0]
            log = self.log_path(name)
            raise BenchError(f"{name} exited with {proc.returncode}; {log}:\n{tail(log)}")


def manage(
    ctx: RunContext,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    stream_stderr: bool = False,
    rss: list[tuple[float, float]] | None = None,
) -> str:
    """Run a manage.py command to completion and return its stdout; fail with its output.
    With `rss`, append (seconds since start, VmRSS MB) of the command every RSS_INTERVAL."""
    proc = subprocess.Popen(
        [ctx.python, str(MANAGE), *args],
        cwd=REPO,
        env=env or ctx.env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        # tqdm's progress bar writes to stderr: let the user see it.
        stderr=None if stream_stderr else subprocess.PIPE,
        text=True,
    )
    started = time.monotonic()
    while True:
        try:
            # communicate() may be retried after a timeout without losing output.
            stdout, stderr = proc.communicate(timeout=RSS_INTERVAL if rss is not None else timeout)
            break
        except subprocess.TimeoutExpired:
            elapsed = time.monotonic() - started
            if elapsed > timeout:
                proc.kill()
                proc.communicate()
                raise BenchError(f"manage.py {' '.join(args)} ran over {timeout:.0f} s") from None
            if rss is not None:
                with contextlib.suppress(OSError, BenchError):
                    rss.append((elapsed, status_mb(proc.pid, "VmRSS")))
    if proc.returncode:
        raise BenchError(
            f"manage.py {' '.join(args)} failed ({proc.returncode}):\n"
            f"{stdout[-2000:]}{(stderr or '')[-2000:]}"
        )
    return stdout


def status_mb(pid: int, field: str) -> float:
    """A memory figure of /proc/<pid>/status (VmRSS, VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise BenchError(f"no {field} in /proc/{pid}/status")


def children(pid: int) -> list[int]:
    """The direct children of `pid` (gunicorn's workers of its master)."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                # The command name may hold spaces and parentheses: fields follow the last ")".
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(stat.parent.name))
        return found


@dataclass
class WebServer:
    """A gunicorn serving the site with one EVENTS_DELIVERY mode."""

    name: str
    mode: str
    port: int
    workers: int
    proc: subprocess.Popen

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        return [self.proc.pid, *children(self.proc.pid)]

    def worker_pids(self) -> list[int]:
        return children(self.proc.pid)


def start_web(
    sup: Supervisor,
    ctx: RunContext,
    *,
    name: str,
    mode: str,
    workers: int,
    topic: str,
    code: Path = REPO,
) -> WebServer:
    """A gunicorn serving the site from `code`: this checkout, or the baseline's worktree
    (`python -m gunicorn` imports the site from its working directory)."""
    port = free_port()
    argv = [
        ctx.python,
        "-m",
        "gunicorn",
        "bookstore_site.wsgi:application",
        "--config",
        str(code / GUNICORN_CONF.name),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "60",
        "--graceful-timeout",
        "10",
        "--log-level",
        "warning",
    ]
    proc = sup.start(name, argv, ctx.env(topic=topic, delivery=mode), cwd=code)
    server = WebServer(name=name, mode=mode, port=port, workers=workers, proc=proc)
    wait_ready(sup, server)
    return server


def wait_ready(sup: Supervisor, server: WebServer) -> None:
    """Wait until every worker has booted and the site answers (an empty search: no event)."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        sup.check_alive(server.proc)
        if len(server.worker_pids()) >= server.workers:
            try:
                with urllib.request.urlopen(f"{server.base_url}/api/books", timeout=5) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
        time.sleep(0.2)
    raise BenchError(f"{server.name} did not answer within {READY_TIMEOUT_SECONDS} s")


def start_manage(
    sup: Supervisor, ctx: RunContext, name: str, *args: str, env: dict[str, str]
) -> subprocess.Popen:
    return sup.start(name, [ctx.python, str(MANAGE), *args], env)
