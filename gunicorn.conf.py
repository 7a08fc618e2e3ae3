"""gunicorn's settings for the site, read from the working directory by
`gunicorn bookstore_site.wsgi` (the Dockerfile, docker-compose.yml and `make bench`).

Threads rather than more processes: a search spends much of its time waiting for MariaDB, and
another thread of the same worker runs meanwhile; threaded workers also keep connections alive
between requests. On 2 cores, 2 workers of 3 threads served about a tenth more searches per
second than 3 sync workers (wrk, 50k books, outbox mode).
"""

import os

worker_class = "gthread"
# WEB_CONCURRENCY is gunicorn's own convention for the worker count; by default one worker per
# core this process may run on (a container's CPU quota is not visible here: set it there).
workers = int(os.environ.get("WEB_CONCURRENCY", len(os.sched_getaffinity(0))))
threads = 3
