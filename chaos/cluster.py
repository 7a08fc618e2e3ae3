"""The run's own services and processes: a MariaDB and a Kafka cluster started by
scripts/services.sh in a temporary directory on free ports (the checkout's shared services on
3306 and 9092 are never touched), and gunicorn, the relay and both consumers as subprocesses."""

import contextlib
import os
import random
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.config import GUNICORN_SETTINGS, REPO, RunContext
from bench.processes import BenchError, Supervisor, start_manage, start_web, step, tail

SERVICES_SH = REPO / "scripts" / "services.sh"
# The jars the checkout's `make services` fetched once; a private cluster shares them.
KAFKA_LIBS = REPO / ".services" / "kafka" / "libs"
SERVICES_TIMEOUT_SECONDS = 300
WORKER_COMMANDS = {
    "relay": "relay_events",
    "relay2": "relay_events",  # the second relay of the "two relays at once" scenario
    "trends": "consume_trends",
    "recommendations": "consume_recommendations",
}


def log(message: str) -> None:
    """A progress line, timed: how long each step of a fault took is part of the story."""
    step(f"{time.strftime('%H:%M:%S')} {message}")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_block(size: int) -> int:
    """The first of `size` consecutive free loopback ports (Kafka's nodes take port + i)."""
    for _ in range(200):
        # Below Linux's ephemeral range (32768 and up): a port found free there can be taken
        # by any outgoing connection's source port before the broker binds it (seen in CI).
        base = random.randint(10_000, 32_000 - size)
        if all(_port_free(port) for port in range(base, base + size)):
            return base
    raise BenchError(f"found no {size} consecutive free ports")


@dataclass
class Services:
    """MariaDB and a KRaft cluster of `nodes` nodes under `root`. Node i (0 … nodes - 1, also
    its node.id) listens on kafka_port + i, its controller on controller_port + i, SASL on
    sasl_port + i."""

    root: Path
    nodes: int
    db_port: int
    kafka_port: int
    controller_port: int
    sasl_port: int
    frozen: set[int] = field(default_factory=set)

    @classmethod
    def allocate(cls, root: Path, nodes: int) -> "Services":
        base = free_block(3 * nodes + 1)
        return cls(root, nodes, base, base + 1, base + 1 + nodes, base + 1 + 2 * nodes)

    @property
    def database_url(self) -> str:
        return f"mysql://bookstore:bookstore@127.0.0.1:{self.db_port}/event_books"

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.kafka_port + i}" for i in range(self.nodes))

    def sh(self, *args: str) -> str:
        """scripts/services.sh with this run's directory and ports."""
        env = {
            **os.environ,
            "SERVICES_DIR": str(self.root),
            "DB_PORT": str(self.db_port),
            "KAFKA_NODES": str(self.nodes),
            "KAFKA_PORT": str(self.kafka_port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "KAFKA_SASL_PORT": str(self.sasl_port),
            "KAFKA_LIBS": str(KAFKA_LIBS),
            # The brokers stand for machines of their own: on this one's two cores, three JVMs
            # restarting at once would otherwise starve gunicorn and time out searches.
            "KAFKA_NICE": "10",
        }
        done = subprocess.run(
            [str(SERVICES_SH), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=SERVICES_TIMEOUT_SECONDS,
            check=False,
        )
        if done.returncode:
            raise BenchError(f"services.sh {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def start(self, which: str) -> None:
        """Start `which` (mariadb or kafka); for Kafka only the nodes that are down."""
        self.sh("start", which)

    def kafka_pid(self, node: int) -> int:
        return int(self.sh("pid", "kafka", str(node)).strip())

    def signal_node(self, node: int, sig: signal.Signals) -> None:
        os.kill(self.kafka_pid(node), sig)
        if sig == signal.SIGSTOP:
            self.frozen.add(node)
        elif sig == signal.SIGCONT:
            self.frozen.discard(node)

    def stop(self) -> None:
        """Stop everything this run started, whatever state a scenario left it in. The cluster
        is thrown away: SIGKILL spares waiting for a graceful shutdown (a minute, when busy)."""
        for node in range(self.nodes):
            with contextlib.suppress(OSError, BenchError, ValueError):
                self.signal_node(node, signal.SIGKILL)
        for which in ("kafka", "mariadb"):
            try:
                self.sh("stop", which)
            except (BenchError, subprocess.TimeoutExpired) as exc:
                print(f"!! could not stop the private {which}: {exc}", flush=True)


class App:
    """gunicorn (outbox mode), the relay and both consumers, as the site runs them."""

    def __init__(self, sup: Supervisor, ctx: RunContext, topic: str) -> None:
        self.sup, self.ctx, self.topic = sup, ctx, topic
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self) -> None:
        log("starting gunicorn, the relay and both consumers")
        self.web = start_web(
            self.sup,
            self.ctx,
            name="web",
            mode="outbox",
            workers=GUNICORN_SETTINGS["workers"],
            topic=self.topic,
        )
        for name in ("relay", "trends", "recommendations"):
            self.start_worker(name)

    def start_worker(self, name: str) -> None:
        env = self.ctx.env(topic=self.topic, delivery="outbox")
        self.procs[name] = start_manage(self.sup, self.ctx, name, WORKER_COMMANDS[name], env=env)

    def kill_worker(self, name: str) -> None:
        """SIGKILL: no stop handler runs, nothing is flushed or committed."""
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        self.sup.stop(proc)  # reaps it

    def stop_worker(self, name: str) -> None:
        self.sup.stop(self.procs.pop(name))

    def revive(self) -> list[str]:
        """The workers that exited on their own (no fault should make one exit), started again
        so that the next scenario does not inherit the failure."""
        self.sup.check_alive(self.web.proc)
        exited = []
        for name, proc in list(self.procs.items()):
            if proc.poll() is not None:
                exited.append(f"{name} exited with {proc.returncode}")
                # The run's directory is deleted at the end: show why while it is still there.
                log(f"{exited[-1]}; the end of its log:\n{tail(self.sup.log_path(name), 40)}")
                self.stop_worker(name)
                self.start_worker(name)
        return exited

    def check_alive(self) -> None:
        for proc in [self.web.proc, *self.procs.values()]:
            self.sup.check_alive(proc)
