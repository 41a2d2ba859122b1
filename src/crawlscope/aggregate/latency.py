"""Latency statistics with a bounded memory: a running mean and a recent-sample reservoir."""

from __future__ import annotations

import collections
import math

__all__ = ["LatencyStats", "percentile"]


def percentile(sorted_values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of already sorted values, by nearest rank.

    Nearest rank is ``ceil(q * n)`` (1-based). ``round`` would round half to even and pick
    the next value up for every odd ``q * n`` (p95 of 20 samples would be the maximum).
    The small epsilon keeps ``0.95 * 100`` from becoming rank 96 through float error.
    """
    if not sorted_values:
        return 0.0
    rank = math.ceil(q * len(sorted_values) - 1e-9)
    return sorted_values[min(len(sorted_values) - 1, max(0, rank - 1))]


class LatencyStats:
    """Mean over every sample; p50/p95 over the most recent ``window`` samples.

    Percentiles of recent requests are what an operator needs live (is the site slowing
    down *now*?), and a fixed window keeps memory flat over long runs.
    """

    __slots__ = ("count", "recent", "total_ms")

    def __init__(self, window: int = 256) -> None:
        self.count = 0
        self.total_ms = 0.0
        self.recent: collections.deque[float] = collections.deque(maxlen=window)

    def add(self, duration_ms: float) -> None:
        """Record one duration in milliseconds."""
        self.count += 1
        self.total_ms += duration_ms
        self.recent.append(duration_ms)

    @property
    def mean_ms(self) -> float:
        """Mean of every sample so far (0 when empty)."""
        return self.total_ms / self.count if self.count else 0.0

    def quantiles(self) -> tuple[float, float]:
        """``(p50, p95)`` of the recent window."""
        ordered = sorted(self.recent)
        return percentile(ordered, 0.5), percentile(ordered, 0.95)
