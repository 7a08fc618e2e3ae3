"""Relays and consumers beat while their loop goes on; `check_workers` tells alive, stalled
(hung: no beat) and stopped apart, and fails on a stalled one, as a health check must."""

import datetime
import os
import signal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from events.heartbeats import Heartbeat, worker_states
from events.models import WorkerHeartbeat
from events.relay import Relay
from tests.helpers import manage_py, manage_py_process, wait_until

STALL_SECONDS = 8


def states(**filters) -> dict[str, str]:
    return {s.worker: s.state for s in worker_states(stall_seconds=STALL_SECONDS, **filters)}


def test_a_beat_is_recorded_at_most_every_few_seconds_and_a_clean_stop_is_stopped(db) -> None:
    heartbeat = Heartbeat(kind="consumer", name="g")

    heartbeat.beat()
    first = WorkerHeartbeat.objects.get(worker=heartbeat.worker).beat_at
    heartbeat.beat()

    assert WorkerHeartbeat.objects.get(worker=heartbeat.worker).beat_at == first
    assert states() == {heartbeat.worker: "alive"}
    heartbeat.stop()
    assert states() == {heartbeat.worker: "stopped"}


def test_a_worker_whose_last_beat_is_old_is_stalled(db) -> None:
    heartbeat = Heartbeat(kind="relay", name="relay")
    heartbeat.beat()
    WorkerHeartbeat.objects.update(beat_at=timezone.now() - datetime.timedelta(seconds=60))

    assert states() == {heartbeat.worker: "stalled"}
    with pytest.raises(CommandError, match="1 worker\\(s\\) stalled: relay:relay@"):
        call_command("check_workers", "--stall-seconds", str(STALL_SECONDS))


def test_a_restarted_worker_replaces_its_killed_predecessor_on_the_same_host(db) -> None:
    killed = Heartbeat(kind="consumer", name="trend-svr")
    killed.beat()
    WorkerHeartbeat.objects.update(pid=1, worker="consumer:trend-svr@here:1")

    Heartbeat(kind="consumer", name="trend-svr").beat()

    assert list(states().values()) == ["alive"]


def test_check_workers_alive_fails_when_none_of_the_kind_is_alive(db) -> None:
    Heartbeat(kind="consumer", name="g").beat()

    call_command("check_workers", "--kind", "consumer", "--alive")
    with pytest.raises(CommandError, match="No worker alive of kind relay"):
        call_command("check_workers", "--kind", "relay", "--alive")


def test_the_relay_loop_beats_and_records_its_clean_exit(db, relay: Relay) -> None:
    passes = iter([False, True])

    relay.run(should_stop=lambda: next(passes), poll_interval=0)

    assert states(kind="relay") == {relay.heartbeat.worker: "stopped"}


def test_a_hung_consumer_is_reported_stalled_and_alive_again_when_it_goes_on(
    topic, manage_py_env
) -> None:
    env = manage_py_env()
    consumer = manage_py_process("consume_trends", "--group", f"beat-{topic}", env=env)
    check = ("check_workers", "--kind", "consumer", "--stall-seconds", str(STALL_SECONDS))
    try:
        assert wait_until(lambda: "alive" in set(states(kind="consumer").values()), timeout=60)
        os.kill(consumer.pid, signal.SIGSTOP)  # hung: the process exists, its loop does not go on

        assert wait_until(lambda: manage_py(*check, env=env).returncode != 0, timeout=30)
        stalled = manage_py(*check, env=env)
        assert f"worker(s) stalled: consumer:beat-{topic}@" in stalled.stderr
        assert f":{consumer.pid}" in stalled.stderr

        os.kill(consumer.pid, signal.SIGCONT)
        assert wait_until(lambda: manage_py(*check, env=env).returncode == 0, timeout=30)
    finally:
        os.kill(consumer.pid, signal.SIGCONT)
        consumer.terminate()
        consumer.communicate(timeout=60)
    assert list(states(kind="consumer").values()) == ["stopped"]
