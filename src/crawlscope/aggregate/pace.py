"""Rates over a sliding window and an ETA from the recent pace."""

from __future__ import annotations

import collections

__all__ = ["EtaEstimator", "RateWindow"]


class RateWindow:
    """Counts per whole second over the last ``seconds``; ``rate()`` is the mean per second.

    Memory is one small deque entry per active second, whatever the event rate.
    """

    __slots__ = ("_buckets", "_first_second", "seconds")

    def __init__(self, seconds: int = 60) -> None:
        self.seconds = seconds
        self._buckets: collections.deque[list[float]] = collections.deque()
        self._first_second: float | None = None

    def add(self, now: float, amount: float = 1.0) -> None:
        """Count ``amount`` at time ``now`` (monotonic seconds)."""
        second = float(int(now))
        if self._first_second is None:
            self._first_second = now
        buckets = self._buckets
        if buckets and buckets[-1][0] == second:
            buckets[-1][1] += amount
        else:
            buckets.append([second, amount])
        self._expire(now)

    def _expire(self, now: float) -> None:
        horizon = now - self.seconds
        buckets = self._buckets
        while buckets and buckets[0][0] < horizon:
            buckets.popleft()

    def rate(self, now: float) -> float:
        """Mean per second over the window, or over the time since the first count if shorter."""
        self._expire(now)
        if self._first_second is None or not self._buckets:
            return 0.0
        span = min(float(self.seconds), max(1.0, now - self._first_second))
        return sum(b[1] for b in self._buckets) / span


class EtaEstimator:
    """Seconds left for ``total - done`` units at the pace of the last ``window`` seconds.

    Fed with ``(time, done, total)`` observations. Totals may grow while the run discovers
    work (categories reveal products), so the estimate covers the work known so far.
    """

    __slots__ = ("_history", "window")

    def __init__(self, window: float = 60.0) -> None:
        self.window = window
        self._history: collections.deque[tuple[float, int]] = collections.deque()

    def observe(self, now: float, done: int) -> None:
        """Record that ``done`` units were finished at time ``now``."""
        history = self._history
        if history and history[-1][1] == done:
            return
        history.append((now, done))
        while len(history) > 2 and history[1][0] < now - self.window:
            history.popleft()

    def rate(self, now: float) -> float:
        """Units per second over the window (0 when unknown)."""
        history = self._history
        if len(history) < 2:
            return 0.0
        t0, d0 = history[0]
        t1, d1 = history[-1]
        # Measure up to "now" so a stall shows as a falling pace, not a frozen one.
        span = max(now, t1) - t0
        return (d1 - d0) / span if span > 0 else 0.0

    def eta(self, now: float, done: int, total: int) -> float | None:
        """Seconds left, 0 when done, None when the pace is not known yet."""
        if total <= done:
            return 0.0 if total > 0 else None
        pace = self.rate(now)
        if pace <= 0:
            return None
        return (total - done) / pace
