"""Latency summaries. All latencies are in milliseconds."""

import statistics
from collections.abc import Iterable
from dataclasses import dataclass


def percentile(values: list[float], pct: float) -> float:
    """The `pct` percentile of `values` by linear interpolation between the closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Latency:
    count: int
    p50: float
    p90: float
    p99: float
    max: float
    mean: float

    @classmethod
    def of(cls, samples_ms: Iterable[float]) -> "Latency":
        values = sorted(samples_ms)
        if not values:
            nan = float("nan")
            return cls(count=0, p50=nan, p90=nan, p99=nan, max=nan, mean=nan)
        return cls(
            count=len(values),
            p50=percentile(values, 50),
            p90=percentile(values, 90),
            p99=percentile(values, 99),
            max=values[-1],
            mean=statistics.fmean(values),
        )


def median(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else float("nan")
