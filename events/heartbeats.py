"""Heartbeats of the long-running workers (the relay, each consumer): a loop that stops beating
is hung or dead, whatever its process looks like from outside."""

import datetime
import logging
import os
import socket
import time
from dataclasses import dataclass

from django.db import DatabaseError
from django.utils import timezone

from events.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# A loop writes at most this often; check_workers calls a worker stalled after
# EVENTS_WORKER_STALL_SECONDS without a beat.
BEAT_EVERY_SECONDS = 5


class Heartbeat:
    def __init__(self, *, kind: str, name: str) -> None:
        self.kind, self.name = kind, name
        self.host, self.pid = socket.gethostname()[:100], os.getpid()
        self.worker = f"{kind}:{name}@{self.host}:{self.pid}"[:255]
        self.started_at = timezone.now()
        self.next_beat = 0.0
        self.replaced_predecessors = False

    def beat(self) -> None:
        """Record that the loop goes on; at most every BEAT_EVERY_SECONDS. While the database is
        away nothing is recorded (and the worker shows as stalled, as it cannot do its work)."""
        if time.monotonic() < self.next_beat:
            return
        self.next_beat = time.monotonic() + BEAT_EVERY_SECONDS
        try:
            if not self.replaced_predecessors:
                # A worker restarted in the same place (a container, a supervisor) replaces
                # the rows of its killed predecessors, which would otherwise read as stalled.
                WorkerHeartbeat.objects.filter(
                    kind=self.kind, name=self.name, host=self.host
                ).exclude(pid=self.pid).delete()
                self.replaced_predecessors = True
            WorkerHeartbeat.objects.update_or_create(
                worker=self.worker,
                defaults={"beat_at": timezone.now(), "stopped_at": None},
                create_defaults={
                    "kind": self.kind,
                    "name": self.name,
                    "host": self.host,
                    "pid": self.pid,
                    "started_at": self.started_at,
                    "beat_at": timezone.now(),
                },
            )
        except DatabaseError as exc:
            logger.info("Heartbeat not recorded: %s", exc)

    def stop(self) -> None:
        """Record a clean exit: the worker is gone, not stalled."""
        try:
            WorkerHeartbeat.objects.filter(worker=self.worker).update(stopped_at=timezone.now())
        except DatabaseError as exc:
            logger.info("Clean exit not recorded: %s", exc)


@dataclass(frozen=True)
class WorkerState:
    worker: str
    kind: str
    name: str
    state: str  # "alive", "stalled" or "stopped"
    seconds_since_beat: float


def worker_states(
    *, stall_seconds: float, kind: str | None = None, host: str | None = None
) -> list[WorkerState]:
    """Every recorded worker (of `kind`, on `host`), with what its last beat says of it."""
    rows = WorkerHeartbeat.objects.order_by("kind", "name", "worker")
    if kind:
        rows = rows.filter(kind=kind)
    if host:
        rows = rows.filter(host=host)
    now = timezone.now()
    states = []
    for row in rows:
        age = (now - row.beat_at) / datetime.timedelta(seconds=1)
        state = "stopped" if row.stopped_at else "alive" if age <= stall_seconds else "stalled"
        states.append(WorkerState(row.worker, row.kind, row.name, state, age))
    return states
