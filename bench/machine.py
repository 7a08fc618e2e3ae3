"""The machine and software a run measured, for the report's header."""

import os
import platform
import subprocess
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bench.config import REPO


@dataclass(frozen=True)
class MachineInfo:
    cpus: int
    memory_gb: float
    cpu_model: str
    kernel: str
    load_before: tuple[float, float, float]
    python: str
    packages: dict[str, str]
    mariadb: str
    buffer_pool_mb: int
    kafka: str
    wrk: str


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return float("nan")


def _package(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _kafka_version() -> str:
    # The broker scripts/services.sh runs is the kafka_2.13-<version>.jar it fetched.
    jars = sorted((REPO / ".services" / "kafka" / "libs").glob("kafka_2.13-*.jar"))
    if jars:
        return jars[-1].stem.removeprefix("kafka_2.13-")
    return "unknown (broker not started by scripts/services.sh)"


def _wrk_version() -> str:
    try:
        out = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=10)
    except OSError:
        return "not installed"
    first = (out.stdout or out.stderr).splitlines()
    return first[0].strip() if first else "unknown"


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def describe_machine() -> MachineInfo:
    """Needs Django set up: the database's version comes from its connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT VERSION(), @@innodb_buffer_pool_size")
        mariadb, pool = cursor.fetchone()
    return MachineInfo(
        cpus=os.cpu_count() or 0,
        memory_gb=_memory_gb(),
        cpu_model=_cpu_model(),
        kernel=platform.release(),
        load_before=load_average(),
        python=platform.python_version(),
        packages={
            name: _package(name)
            for name in ("Django", "kafka-python", "mysqlclient", "gunicorn", "pyinstrument")
        },
        mariadb=mariadb,
        buffer_pool_mb=int(pool) // (1024 * 1024),
        kafka=_kafka_version(),
        wrk=_wrk_version(),
    )
