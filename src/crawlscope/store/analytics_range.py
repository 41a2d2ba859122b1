"""Which rollup table answers which part of a range, and the figures derived from sums.

A range ``[since, until)`` is cut into whole days (``rollup_days``), whole hours at
either side of them (``rollup_hours``) and minutes at the edges (``rollup_minutes``), so
a sum over 30 days reads about 30 day rows per site instead of 43,200 minute rows. Where
the minutes at an edge are past their retention the edge widens to its whole hour.
Trends use one grain picked from the range's length (``pick_resolution``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import sqlalchemy as sa

from crawlscope.aggregate.series import histogram_quantile
from crawlscope.store.rollup_fold import LATENCY_COLUMNS
from crawlscope.store.rollup_schema import rollup_days, rollup_hours, rollup_minutes

__all__ = [
    "MAX_POINTS",
    "RESOLUTIONS",
    "Segment",
    "Sums",
    "add_sums",
    "epoch",
    "iso",
    "latency_quantile",
    "pick_resolution",
    "rate",
    "segments",
]

RESOLUTIONS: Final = {"1m": 60, "5m": 300, "1h": 3600, "1d": 86400}
"""Trend resolutions and their bucket lengths (seconds)."""
MAX_POINTS: Final = 5000
"""The most buckets a trend may have (a chosen resolution that needs more is refused)."""

_DAY: Final = 86400
_HOUR: Final = 3600
_MINUTE: Final = 60

Segment = tuple[sa.Table, int, int]
"""A rollup table and the ``[lo, hi)`` of ``bucket_start`` to read from it."""
Sums = dict[str, float]
"""Metric column -> its sum."""


def epoch(moment: datetime) -> int:
    """Unix seconds of an aware moment (floored)."""
    return int(moment.timestamp() // 1)


def iso(second: int) -> str:
    """A Unix second as the events' ISO-8601 text."""
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _floor(value: int, step: int) -> int:
    return value - value % step


def _ceil(value: int, step: int) -> int:
    return -(-value // step) * step


def pick_resolution(span_s: float, minutes_kept: bool) -> str:
    """The trend resolution for a range of ``span_s`` seconds (docs/api.md says the rule)."""
    if minutes_kept and span_s <= 6 * _HOUR:
        return "1m"
    if minutes_kept and span_s <= 2 * _DAY:
        return "5m"
    if span_s <= 90 * _DAY:
        return "1h"
    return "1d"


def _part(lo: int, hi: int, minute_floor: int) -> list[Segment]:
    """``[lo, hi)`` (within one day or at a day's edge) as hours with minutes at the edges."""
    out: list[Segment] = []
    h_lo, h_hi = _ceil(lo, _HOUR), _floor(hi, _HOUR)
    if h_lo >= h_hi:
        edges = [(lo, hi)]
    else:
        out.append((rollup_hours, h_lo, h_hi))
        edges = [(lo, h_lo), (h_hi, hi)]
    for a, b in edges:
        if a >= b:
            continue
        if a >= minute_floor:
            out.append((rollup_minutes, a, b))
        else:
            out.append((rollup_hours, _floor(a, _HOUR), _ceil(b, _HOUR)))
    return out


def segments(since: int, until: int, minute_floor: int) -> list[Segment]:
    """Tables and bucket ranges that together cover ``[since, until)`` exactly, or widened
    to whole hours where minutes before ``minute_floor`` are no longer kept."""
    lo, hi = _floor(since, _MINUTE), _ceil(until, _MINUTE)
    if lo >= hi:
        return []
    d_lo, d_hi = _ceil(lo, _DAY), _floor(hi, _DAY)
    if d_lo >= d_hi:
        parts = _part(lo, hi, minute_floor)
    else:
        parts = [
            *_part(lo, d_lo, minute_floor),
            (rollup_days, d_lo, d_hi),
            *_part(d_hi, hi, minute_floor),
        ]
    # Widened edges may overlap a neighbour; drop empty and duplicate pieces.
    seen: set[tuple[str, int, int]] = set()
    out: list[Segment] = []
    for table, a, b in parts:
        key = (table.name, a, b)
        if a < b and key not in seen:
            seen.add(key)
            out.append((table, a, b))
    return _without_overlap(out)


def _without_overlap(parts: list[Segment]) -> list[Segment]:
    # An hour widened from expired minutes can cover an hour segment next to it.
    hours = sorted((a, b) for t, a, b in parts if t is rollup_hours)
    merged: list[tuple[int, int]] = []
    for a, b in hours:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    rest = [p for p in parts if p[0] is not rollup_hours]
    return rest + [(rollup_hours, a, b) for a, b in merged]


def add_sums(into: Sums, row: Any, names: Sequence[str]) -> None:
    """Add a row's sums (None counts as 0; PostgreSQL sums bigints as ``Decimal``)."""
    for name in names:
        value = row[name]
        if value is not None:
            into[name] = into.get(name, 0) + float(value)


def rate(part: float, whole: float) -> float | None:
    """``part / whole``, None where nothing was counted."""
    return part / whole if whole else None


def latency_quantile(sums: Mapping[str, float], q: float) -> float | None:
    """The ``q`` quantile (ms) of the summed latency bins, None without requests."""
    counts = {i: int(sums.get(name, 0)) for i, name in enumerate(LATENCY_COLUMNS)}
    value = histogram_quantile({i: c for i, c in counts.items() if c}, q)
    return None if value is None else round(value, 1)
