"""The services under the benchmark: MariaDB, Kafka, wrk, the run's database and topics."""

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bench.config import REPO, RunContext
from bench.processes import BenchError, manage, step

TOPIC_PARTITIONS = 3


def start_services() -> None:
    """`scripts/services.sh start`: idempotent; installs and starts what a fresh clone lacks."""
    step("services: scripts/services.sh start")
    result = subprocess.run(
        [str(REPO / "scripts" / "services.sh"), "start"], cwd=REPO, timeout=1800, check=False
    )
    if result.returncode:
        raise BenchError("scripts/services.sh start failed; see its output above")


def ensure_wrk() -> str:
    """wrk is the HTTP load generator; Debian packages it (wrk2 is not packaged)."""
    path = shutil.which("wrk")
    if path:
        return path
    if os.geteuid() != 0:
        raise BenchError("wrk is not installed: run `sudo apt-get install -y wrk`, then rerun")
    step("installing wrk (apt-get install -y wrk)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update"], ["apt-get", "install", "-y", "wrk"]):
        subprocess.run(
            [argv[0], "-o", "DPkg::Lock::Timeout=600", *argv[1:]],
            env=env,
            stdout=subprocess.DEVNULL,
            timeout=1200,
            check=True,
        )
    path = shutil.which("wrk")
    if not path:
        raise BenchError("apt-get install -y wrk did not provide a wrk command")
    return path


def recreate_database(ctx: RunContext) -> None:
    """Drop and create the run's database, so that every run grows the catalogue from zero."""
    import MySQLdb  # the driver Django uses; imported here because only this needs it raw

    url = urlsplit(ctx.database_url)
    name = ctx.database_name
    # The database is dropped: refuse anything that is not obviously the benchmark's own.
    if url.scheme not in ("mysql", "mariadb") or "bench" not in name:
        raise BenchError(
            f"--database-url must be a MySQL/MariaDB database whose name contains 'bench' "
            f"(it is dropped and recreated), not {ctx.database_url!r}"
        )
    step(f"database: recreating {name}")
    conn = MySQLdb.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 3306,
        user=unquote(url.username or ""),
        password=unquote(url.password or ""),
    )
    try:
        cursor = conn.cursor()
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    finally:
        conn.close()


def migrate(ctx: RunContext) -> None:
    step("database: manage.py migrate")
    manage(ctx, "migrate", "--noinput", timeout=600)


def create_topics(ctx: RunContext) -> None:
    """The project's own `create_topic` (the topic and its DLQ), once per topic of the run."""
    for topic in ctx.topics:
        step(f"kafka: create_topic {topic}")
        manage(ctx, "create_topic", "--partitions", str(TOPIC_PARTITIONS), env=ctx.env(topic=topic))


def delete_topics(ctx: RunContext) -> None:
    """Remove the run's topics (and DLQs) so that runs do not pile up data on the broker."""
    from events.kafka import dead_letter_topic, new_admin

    admin = new_admin()
    try:
        ours = {*ctx.topics, *(dead_letter_topic(topic) for topic in ctx.topics)}
        existing = [topic for topic in admin.list_topics() if topic in ours]
        if existing:
            admin.delete_topics(existing, raise_errors=False)
    finally:
        admin.close()


@contextlib.contextmanager
def baseline_worktree(ctx: RunContext, revision: str) -> Iterator[Path]:
    """The baseline revision's code, checked out with `git worktree add` under the run's
    directory (this checkout is left alone) and removed when the run ends."""
    path = ctx.workdir / "baseline"
    step(f"baseline: git worktree add {path.relative_to(REPO)} {revision}")
    _git("worktree", "add", "--detach", str(path), revision)
    try:
        yield path
    finally:
        _git("worktree", "remove", "--force", str(path))


def _git(*args: str) -> None:
    done = subprocess.run(
        ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode:
        raise BenchError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
