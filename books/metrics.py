"""The shop's own Prometheus series (the events' are in events/metrics.py)."""

from prometheus_client import Counter

SEARCHES = Counter(
    "bookstore_searches_total",
    "Searches answered (page and API), by whether they found any book.",
    ["found"],
)
