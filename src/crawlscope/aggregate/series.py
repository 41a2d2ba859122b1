"""A run's history as chart series: per-second tallies merged into at most N buckets.

The store (``crawlscope.store.series``) counts a run's events per second of ``ts`` in the
database and hands the counts over as ``SecondTallies``; this module, pure and free of
I/O, lays out the buckets, turns counts into rates and estimates latency percentiles from
per-second duration histograms. Durations are binned on a fixed log scale (``DURATION_EDGES_MS``,
four bins per doubling) so that the database returns a few small rows per second instead
of every duration; a percentile interpolated inside its bin is within one bin width
(at most 19 % of the value) of the exact one.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import msgspec

__all__ = [
    "DURATION_EDGES_MS",
    "OVERFLOW_BIN",
    "RunSeries",
    "SecondTallies",
    "SeriesPoint",
    "aligned_layout",
    "bin_bounds",
    "bucket_layout",
    "build_series",
    "duration_bin",
    "epoch_second",
    "histogram_quantile",
    "iso_second",
]

DURATION_EDGES_MS: tuple[float, ...] = tuple(round(2 ** (k / 4), 3) for k in range(69))
"""Upper edges of the duration bins, 1 ms to about 131 s, four per doubling.

Bin 0 is ``[0, 1 ms)``, bin ``k`` is ``[EDGES[k-1], EDGES[k])`` and the last bin,
``len(EDGES)``, holds everything from ``EDGES[-1]`` up. The SQL ``CASE`` in the store is
generated from this tuple, so the two always agree.
"""

OVERFLOW_BIN = len(DURATION_EDGES_MS)
"""The bin of durations from ``DURATION_EDGES_MS[-1]`` up."""


class SeriesPoint(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One bucket: rates over it, and latency percentiles if any request ended in it."""

    t: str
    requests_per_s: float
    items_per_s: float
    errors_per_s: dict[str, float]
    p50_ms: float | None = None
    p95_ms: float | None = None


class RunSeries(msgspec.Struct, kw_only=True):
    """``GET /api/runs/{id}/series``: the whole run in buckets of ``bucket_s`` seconds."""

    run_id: str
    bucket_s: int
    points: list[SeriesPoint]


@dataclass
class SecondTallies:
    """A run's events counted per whole second (Unix time, UTC)."""

    requests: dict[int, int] = field(default_factory=dict)
    """``fetching`` events."""
    items: dict[int, int] = field(default_factory=dict)
    """Sum of ``items_count`` over ``uploading`` events (items found)."""
    errors: dict[int, dict[str, int]] = field(default_factory=dict)
    """``error`` and ``rate_limited`` events by error type."""
    latency: dict[int, dict[int, int]] = field(default_factory=dict)
    """Request-ending events with a duration: second -> duration bin -> count."""

    def seconds(self) -> set[int]:
        """Every second that has a count."""
        return {*self.requests, *self.items, *self.errors, *self.latency}


# -- times ------------------------------------------------------------------------------


def epoch_second(text: str) -> int | None:
    """``2026-11-22T09:54:01`` (or a full ISO time with ``Z``) -> Unix seconds; None if bad."""
    try:
        parsed = datetime.fromisoformat(text[:19])
    except ValueError:
        return None
    return int(parsed.replace(tzinfo=UTC).timestamp())


def iso_second(second: int) -> str:
    """Unix seconds -> ``2026-11-22T09:54:01.000Z`` (the API's time format)."""
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# -- duration bins ----------------------------------------------------------------------


def duration_bin(duration_ms: float) -> int:
    """The bin of a duration (the Python twin of the store's SQL ``CASE``)."""
    return bisect.bisect_right(DURATION_EDGES_MS, duration_ms)


def bin_bounds(index: int) -> tuple[float, float]:
    """``(low, high)`` of a bin; the overflow bin's high is ``inf``."""
    low = 0.0 if index == 0 else DURATION_EDGES_MS[index - 1]
    high = DURATION_EDGES_MS[index] if index < OVERFLOW_BIN else math.inf
    return low, high


def histogram_quantile(counts: Mapping[int, int], q: float) -> float | None:
    """The ``q`` quantile (0..1) of binned durations, interpolated inside its bin.

    The rank ``q * n`` falls in one bin; the value is placed at that fraction of the bin,
    on the log scale the bins are spaced by (linearly in bin 0, which starts at zero). The
    overflow bin has no upper edge: its low edge is returned. None for no samples.
    """
    total = sum(counts.values())
    if total <= 0:
        return None
    rank = max(q * total, 1e-9)
    below = 0
    for index in sorted(counts):
        count = counts[index]
        if count <= 0:
            continue
        if below + count >= rank:
            low, high = bin_bounds(index)
            if math.isinf(high):
                return low
            fraction = (rank - below) / count
            if low <= 0:
                return high * fraction
            return float(low * (high / low) ** fraction)
        below += count
    return bin_bounds(max(counts))[0]  # float error left the rank past the last bin


# -- buckets ----------------------------------------------------------------------------


def bucket_layout(first: int, last: int, points: int) -> tuple[int, int]:
    """``(width_s, count)`` of buckets covering seconds ``first..last`` inclusive.

    The width is a whole number of seconds, at least 1, chosen so that there are at most
    ``points`` buckets.
    """
    if points < 1:
        raise ValueError("points must be at least 1")
    seconds = max(1, last - first + 1)
    width = max(1, math.ceil(seconds / points))
    return width, math.ceil(seconds / width)


def aligned_layout(first: int, last: int, points: int, granularity: int) -> tuple[int, int, int]:
    """``(first_bucket_start, width_s, count)`` for tallies kept per ``granularity`` seconds.

    As ``bucket_layout``, but the buckets start on a multiple of ``granularity`` and their
    width is one too, so every tally (a minute, say) falls wholly in one bucket.
    """
    start = first - first % granularity
    width, _ = bucket_layout(start, last, points)
    width = -(-width // granularity) * granularity
    while (count := math.ceil(max(1, last - start + 1) / width)) > points:
        width += granularity
    return start, width, count


def build_series(
    run_id: str,
    tallies: SecondTallies,
    start: int,
    end: int,
    points: int,
    granularity: int = 1,
) -> RunSeries:
    """Bucket ``tallies`` over the run's seconds ``start..end`` into at most ``points``.

    The span is widened to cover every tallied second (events of a remote runner whose
    clock is off, a row whose times lag its events), so nothing counted is left out. Rates
    are per second of the bucket's time inside the span: a last bucket that is cut short
    (the run ended, or is still going) is not diluted by seconds that have not happened,
    nor is a first bucket that starts before the run (``granularity`` > 1: the tallies'
    seconds are the starts of ``granularity``-second periods, e.g. minutes, and buckets
    are aligned to them).
    """
    seconds = tallies.seconds()
    first = start
    if seconds and min(seconds) + granularity <= start:
        first = min(seconds)  # a period that ended before the start: widen to it
    last = max(end, first, max(seconds)) if seconds else max(end, first)
    begun = first
    first, width, count = aligned_layout(first, last, points, granularity)

    requests = [0] * count
    items = [0] * count
    errors: list[dict[str, int]] = [{} for _ in range(count)]
    latency: list[dict[int, int]] = [{} for _ in range(count)]

    def index(second: int) -> int:
        return (second - first) // width

    for second, n in tallies.requests.items():
        requests[index(second)] += n
    for second, n in tallies.items.items():
        items[index(second)] += n
    for second, by_type in tallies.errors.items():
        merged = errors[index(second)]
        for error_type, n in by_type.items():
            merged[error_type] = merged.get(error_type, 0) + n
    for second, bins in tallies.latency.items():
        histogram = latency[index(second)]
        for bin_index, n in bins.items():
            histogram[bin_index] = histogram.get(bin_index, 0) + n

    out: list[SeriesPoint] = []
    for i in range(count):
        bucket_start = first + i * width
        span = min(bucket_start + width, last + 1) - max(bucket_start, begun)
        point = SeriesPoint(
            t=iso_second(bucket_start),
            requests_per_s=requests[i] / span,
            items_per_s=items[i] / span,
            errors_per_s={t: n / span for t, n in sorted(errors[i].items())},
        )
        if latency[i]:
            p50 = histogram_quantile(latency[i], 0.5)
            p95 = histogram_quantile(latency[i], 0.95)
            point.p50_ms = None if p50 is None else round(p50, 2)
            point.p95_ms = None if p95 is None else round(p95, 2)
        out.append(point)
    return RunSeries(run_id=run_id, bucket_s=width, points=out)
