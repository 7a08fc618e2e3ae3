"""The event-books benchmark suite: `python -m bench` (full) or `python -m bench --quick`.

Importing this package must stay free of Django: the load generator (bench.loadgen) runs as a
separate, light process from it.
"""
