"""A run's counts over the last minutes, from readings of its frame taken every tick.

The aggregator keeps only totals since the start; the evaluator reads them (and the
cumulative latency histogram) once per tick and keeps the readings for the longest
window. The difference between now and the reading a window ago is that window's count;
latency percentiles come from the difference of two cumulative histograms, so they are
exact to a bin (``aggregate.series``) and cost nothing per event.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass, field

from crawlscope.aggregate.series import histogram_quantile

__all__ = ["Reading", "RunWindows", "WindowCounts"]


@dataclass(frozen=True, slots=True)
class Reading:
    """A run's totals at one moment (monotonic seconds)."""

    at: float
    requests: int
    successes: int
    failures: int
    items: int
    events: int = 0
    """The run's ``last_seq``: it changes with every event."""
    latency: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """What happened over one window (``seconds`` may be less than asked for while the
    run is younger than the window)."""

    seconds: float
    requests: int
    successes: int
    failures: int
    items: int
    p95_ms: float

    @property
    def error_ratio(self) -> float:
        """Failures per request (0 without requests)."""
        return self.failures / self.requests if self.requests else 0.0

    @property
    def requests_per_s(self) -> float:
        """Requests per second (0 over no time)."""
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def items_per_min(self) -> float:
        """Items per minute (0 over no time)."""
        return self.items * 60.0 / self.seconds if self.seconds > 0 else 0.0


@dataclass(slots=True)
class RunWindows:
    """The readings of one run, as long as the longest window (plus one tick)."""

    horizon_s: float = 900.0
    readings: deque[Reading] = field(default_factory=deque)
    first_item_at: float | None = None
    last_item_at: float | None = None
    last_event_at: float | None = None

    def add(self, reading: Reading) -> None:
        """Keep ``reading`` (readings come in time order) and forget what is too old."""
        readings = self.readings
        if not readings or reading.events != readings[-1].events:
            self.last_event_at = reading.at
        if readings and reading.items > readings[-1].items:
            self.last_item_at = reading.at
            if self.first_item_at is None:
                self.first_item_at = reading.at
        elif not readings and reading.items:
            self.first_item_at = self.last_item_at = reading.at
        readings.append(reading)
        # Keep one reading at or before the horizon, so the longest window has a start.
        while len(readings) > 2 and readings[1].at <= reading.at - self.horizon_s:
            readings.popleft()

    @property
    def started_at(self) -> float | None:
        """When the first reading was taken."""
        return self.readings[0].at if self.readings else None

    @property
    def seconds_since_event(self) -> float:
        """Seconds from the last reading in which the run's events changed to the newest."""
        if not self.readings or self.last_event_at is None:
            return 0.0
        return max(0.0, self.readings[-1].at - self.last_event_at)

    def _reading_at(self, moment: float) -> Reading:
        """The newest reading taken at or before ``moment`` (the oldest if none)."""
        readings = self.readings
        # Searched in place, about ten item reads: a list of every reading's time was
        # built for each window of each run on each tick (900 readings at 15 minutes).
        index = bisect.bisect_right(readings, moment, key=_time_of) - 1
        return readings[max(index, 0)]

    def over(self, window_s: float) -> WindowCounts:
        """Counts over the last ``window_s`` seconds."""
        if not self.readings:
            return WindowCounts(0.0, 0, 0, 0, 0, 0.0)
        last = self.readings[-1]
        first = self._reading_at(last.at - window_s)
        return WindowCounts(
            seconds=last.at - first.at,
            requests=last.requests - first.requests,
            successes=last.successes - first.successes,
            failures=last.failures - first.failures,
            items=last.items - first.items,
            p95_ms=_p95(first.latency, last.latency),
        )

    def before(self, window_s: float) -> WindowCounts:
        """Counts from the first reading up to ``window_s`` seconds ago (the run's earlier
        pace, for the yield anomaly); zero seconds if the run is not that old."""
        if not self.readings:
            return WindowCounts(0.0, 0, 0, 0, 0, 0.0)
        first = self.readings[0]
        end = self._reading_at(self.readings[-1].at - window_s)
        return WindowCounts(
            seconds=end.at - first.at,
            requests=end.requests - first.requests,
            successes=end.successes - first.successes,
            failures=end.failures - first.failures,
            items=end.items - first.items,
            p95_ms=0.0,
        )


def _time_of(reading: Reading) -> float:
    return reading.at


def _p95(start: tuple[int, ...], end: tuple[int, ...]) -> float:
    if not end:
        return 0.0
    counts = {
        index: count - (start[index] if index < len(start) else 0)
        for index, count in enumerate(end)
        if count
    }
    value = histogram_quantile(counts, 0.95)
    return round(value, 1) if value is not None else 0.0
