"""gunicorn's settings for the site, read from the working directory by
`gunicorn bookstore_site.wsgi` (the Dockerfile, docker-compose.yml and `make bench`).

Threads rather than more processes: a search spends much of its time waiting for MariaDB, and
another thread of the same worker runs meanwhile; threaded workers also keep connections alive
between requests. On 2 cores, 2 workers of 3 threads served about a tenth more searches per
second than 3 sync workers (wrk, 50k books, outbox mode).
"""

import os
import shutil
import tempfile

worker_class = "gthread"
# WEB_CONCURRENCY is gunicorn's own convention for the worker count; by default one worker per
# core this process may run on (a container's CPU quota is not visible here: set it there).
workers = int(os.environ.get("WEB_CONCURRENCY", len(os.sched_getaffinity(0))))
threads = 3


def on_starting(server) -> None:
    """Prometheus: each worker writes its series to PROMETHEUS_MULTIPROC_DIR and /metrics sums
    them (prometheus_client's multiprocess mode). Set in the master before the workers fork and
    import the app, and emptied: a previous run's series would be summed in."""
    directory = os.environ.setdefault(
        "PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="event-books-metrics-")
    )
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)


def child_exit(server, worker) -> None:
    """Drop a dead worker's live gauges from the sums."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
