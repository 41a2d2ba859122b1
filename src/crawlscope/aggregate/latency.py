"""Latency statistics with a bounded memory: a running mean and a recent-sample reservoir."""

from __future__ import annotations

import collections
import itertools
import math
from bisect import bisect_left, insort

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

    Every frame asks every worker and site for its percentiles (the alert evaluator every
    second for every live run, streams several times a second), and sorting a full
    window was most of a frame's cost (about 35 µs for a site's 1,024 samples, more when
    they are scattered in memory). So the sorted window is kept between calls and brought
    up to date with the few samples added since (and the ones they pushed out); ``add``,
    on the hot path, does no more than before.
    """

    __slots__ = ("_sorted", "_sorted_at", "_window", "count", "recent", "total_ms")

    def __init__(self, window: int = 256) -> None:
        self.count = 0
        self.total_ms = 0.0
        self.recent: collections.deque[float] = collections.deque(maxlen=window)
        self._sorted: list[float] | None = None
        """``recent`` sorted, as it was when ``count`` was ``_sorted_at``..."""
        self._sorted_at = 0
        self._window: collections.deque[float] = collections.deque()
        """...and a copy of ``recent`` then, oldest first (to know what was pushed out)."""

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
        ordered = self._ordered()
        return percentile(ordered, 0.5), percentile(ordered, 0.95)

    def _ordered(self) -> list[float]:
        """``sorted(self.recent)``, updated from the last one when few samples came since."""
        recent = self.recent
        added = self.count - self._sorted_at
        ordered = self._sorted
        if ordered is not None and added == 0:
            return ordered
        if ordered is None or added * 8 > len(recent):
            ordered = sorted(recent)
            self._window = collections.deque(recent)
        else:
            window = self._window
            for _ in range(len(window) + added - len(recent)):
                del ordered[bisect_left(ordered, window.popleft())]
            fresh = list(itertools.islice(reversed(recent), added))
            fresh.reverse()
            for value in fresh:
                insort(ordered, value)
            window.extend(fresh)
        self._sorted = ordered
        self._sorted_at = self.count
        return ordered
