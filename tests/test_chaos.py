"""The fault suite's short run (`python -m chaos --short`): a leader broker SIGKILLed, and the
whole cluster down for longer than the producer's delivery timeout with the relay running.

It starts services of its own (MariaDB and a three-node Kafka on free ports), so it needs
neither the shared ones nor the test database; it fails, never skips, when they cannot start.
"""

import subprocess
import sys

from tests.helpers import REPO

# The short run takes 3 to 5 minutes on 2 busy cores; this bounds a hung one.
TIMEOUT_SECONDS = 900


def test_short_fault_suite_meets_every_target() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chaos", "--short"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    table = [line for line in done.stdout.splitlines() if line.startswith("|")]
    assert done.returncode == 0, (
        f"python -m chaos --short exited {done.returncode}:\n"
        + "\n".join(table or done.stdout.splitlines()[-30:])
        + f"\n{done.stderr[-3000:]}"
    )
    rows = {line.split("|")[1].strip(): line for line in table[2:]}
    assert set(rows) == {"leader_kill", "cluster_outage"}, "\n".join(table)
    assert all(line.rstrip(" |").endswith("ok") for line in rows.values()), "\n".join(table)
