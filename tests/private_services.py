"""Services a test starts for itself, to break them: a Kafka broker or cluster, a MariaDB.

Each runs from `scripts/services.sh` in the test's own directory on free ports, so that killing
it never touches the shared services of `make services` (or another checkout's, or a system
broker on 9092)."""

import os
import signal
import subprocess
from pathlib import Path

from chaos.cluster import free_block
from tests.helpers import REPO

SERVICES_SH = REPO / "scripts" / "services.sh"
# The jars `make services` fetched once; a private broker runs from the same cache.
SHARED_KAFKA_LIBS = REPO / ".services" / "kafka" / "libs"


class PrivateServices:
    """`scripts/services.sh` pointed at a directory and ports of the test's own."""

    topic = ""  # the test's topic on these services, when a fixture made one

    def __init__(self, directory: Path, *, kafka_nodes: int = 1) -> None:
        self.directory = directory
        self.kafka_nodes = kafka_nodes
        # Every node takes one port of each kind: plaintext, controller, SASL_SSL.
        base = free_block(3 * kafka_nodes)
        self.env = {
            **os.environ,
            "SERVICES_DIR": str(directory),
            "KAFKA_NODES": str(kafka_nodes),
            "KAFKA_PORT": str(base),
            "KAFKA_CONTROLLER_PORT": str(base + kafka_nodes),
            "KAFKA_SASL_PORT": str(base + 2 * kafka_nodes),
            "KAFKA_LIBS": str(SHARED_KAFKA_LIBS),
            "DB_PORT": str(free_block(1)),
        }
        self.kafka_port = base
        self.sasl_port = base + 2 * kafka_nodes
        self.tls_dir = directory / "kafka" / "tls"

    @property
    def database_url(self) -> str:
        return f"mysql://bookstore:bookstore@127.0.0.1:{self.env['DB_PORT']}/event_books"

    @property
    def bootstrap_servers(self) -> list[str]:
        return [f"127.0.0.1:{self.kafka_port + node}" for node in range(self.kafka_nodes)]

    def run(self, *args: str, timeout: float = 300) -> None:
        result = subprocess.run(
            [str(SERVICES_SH), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, f"services.sh {' '.join(args)}:\n{result.stderr}"

    def kafka_pid(self, node: int = 0) -> int:
        result = subprocess.run(
            [str(SERVICES_SH), "pid", "kafka", str(node)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return int(result.stdout.strip())

    def kill_kafka(self, *nodes: int) -> None:
        """SIGKILL the given nodes (all when none are named), as a crash or a power cut would."""
        for node in nodes or range(self.kafka_nodes):
            os.kill(self.kafka_pid(node), signal.SIGKILL)

    def stop_all(self) -> None:
        subprocess.run([str(SERVICES_SH), "stop"], env=self.env, capture_output=True, timeout=180)
