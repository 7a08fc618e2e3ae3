"""Latency summaries. All latencies are in milliseconds."""

import statistics
from collections.abc import Iterable
from dataclasses import dataclass


def percentile(ordered: list[float], pct: float) -> float:
    """The `pct` percentile of `ordered`, which must be sorted ascending, by linear
    interpolation between the closest ranks."""
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Latency:
    count: int
    p50: float
    p99: float
    max: float

    @classmethod
    def of(cls, samples_ms: Iterable[float]) -> "Latency":
        values = sorted(samples_ms)
        if not values:
            nan = float("nan")
            return cls(count=0, p50=nan, p99=nan, max=nan)
        return cls(
            count=len(values),
            p50=percentile(values, 50),
            p99=percentile(values, 99),
            max=values[-1],
        )


def median(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")
