"""Which rollups answer which part of a range (store/analytics_range.py)."""

from __future__ import annotations

import random

import pytest

from crawlscope.store.analytics_range import pick_resolution, segments
from crawlscope.store.rollup_schema import rollup_days, rollup_hours, rollup_minutes

STEP = {rollup_minutes.name: 60, rollup_hours.name: 3600, rollup_days.name: 86400}
DAY = 86400


def _covered(parts: list[tuple[object, int, int]]) -> list[int]:
    """Every minute the segments read, in order (a minute read twice appears twice)."""
    minutes: list[int] = []
    for table, lo, hi in parts:
        step = STEP[table.name]  # type: ignore[attr-defined]
        assert lo % step == 0
        assert hi % step == 0
        minutes.extend(range(lo, hi, 60))
    return sorted(minutes)


def test_a_range_is_read_exactly_once_when_minutes_are_kept() -> None:
    rng = random.Random(3)
    for _ in range(500):
        since = rng.randrange(0, 200 * DAY)
        until = since + rng.randrange(1, 40 * DAY)
        parts = segments(since, until, minute_floor=0)
        lo, hi = since - since % 60, -(-until // 60) * 60
        assert _covered(parts) == list(range(lo, hi, 60))


def test_a_month_reads_days_and_only_edges_finer() -> None:
    parts = segments(10 * DAY + 3600 * 5 + 120, 40 * DAY + 3600 * 2 + 60, minute_floor=0)
    tables = sorted(t.name for t, _, _ in parts)
    assert tables.count("rollup_days") == 1
    assert len(parts) <= 5


def test_expired_minutes_widen_to_their_hour_without_overlap() -> None:
    rng = random.Random(5)
    for _ in range(300):
        since = rng.randrange(0, 100 * DAY)
        until = since + rng.randrange(1, 10 * DAY)
        parts = segments(since, until, minute_floor=until + DAY)
        assert all(t is not rollup_minutes for t, _, _ in parts)
        minutes = _covered(parts)
        assert len(minutes) == len(set(minutes))
        assert minutes[0] == since - since % 3600
        assert minutes[-1] + 60 == -(-until // 3600) * 3600


@pytest.mark.parametrize(
    ("span", "kept", "expected"),
    [
        (3600, True, "1m"),
        (6 * 3600, True, "1m"),
        (6 * 3600 + 1, True, "5m"),
        (2 * DAY, True, "5m"),
        (3600, False, "1h"),
        (7 * DAY, True, "1h"),
        (90 * DAY, True, "1h"),
        (91 * DAY, True, "1d"),
    ],
)
def test_the_resolution_follows_the_range(span: int, kept: bool, expected: str) -> None:
    assert pick_resolution(span, kept) == expected
