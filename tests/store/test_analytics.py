"""Analytics read from rollups say what the raw events say, for any range, on both backends.

Seeded random events over three runs of two collections, three sites and three days are
appended through the store's event log (so the rollups are the write path's). Then, for
random ranges (not aligned to minutes, hours or days), the summary's, sites' and trends'
counts equal the events counted in Python by the same bucket rule: the minutes from the
range's start (floored) to its end (rounded up), or whole hours where the minute rollups
are past retention.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from crawlscope.events import Action, ActivityEvent
from crawlscope.store import SqlStore
from crawlscope.store.analytics import Range
from crawlscope.store.analytics_range import epoch
from crawlscope.timestamps import parse_ts
from tests.store.rollup_reference import random_events

RUNS = {"r-books-1": "books", "r-books-2": "books", "r-shoes-1": "shoes"}
START = datetime(2026, 11, 28, 22, 30, tzinfo=UTC)


def _requests(events: list[ActivityEvent], lo: int, hi: int, step: int = 60) -> Counter[str]:
    """Requests per site of events whose ``step`` bucket starts in ``[lo, hi)``."""
    out: Counter[str] = Counter()
    for e in events:
        if e.action == Action.FETCHING and e.worker_id:
            second = epoch(parse_ts(e.ts))
            if lo <= second - second % step < hi:
                out[e.site or ""] += 1
    return out


async def _history(store: SqlStore) -> list[ActivityEvent]:
    for run_id, collection in RUNS.items():
        await store.runs.create(run_id, collection, {})
    rng = random.Random(12)
    seqs = dict.fromkeys(RUNS, 1)
    stored: list[ActivityEvent] = []
    for _ in range(8):
        batch = random_events(rng, seqs, 400, START)
        await store.events.append_events(batch)
        stored.extend(batch)
    return stored


async def test_sums_over_any_range_equal_the_events(store: SqlStore) -> None:
    events = await _history(store)
    rng = random.Random(4)
    analytics = store.analytics
    for _ in range(12):
        since = START + timedelta(seconds=rng.randrange(-3600, 2 * 86400))
        until = since + timedelta(seconds=rng.randrange(60, 2 * 86400))
        lo, hi = epoch(since) - epoch(since) % 60, -(-epoch(until) // 60) * 60
        expected = _requests(events, lo, hi)

        summary = await analytics.summary(Range(since=since, until=until), {})
        assert summary.requests == sum(expected.values())
        sites = await analytics.sites(Range(since=since, until=until))
        assert {row.site: row.requests for row in sites.sites} == {
            site: n for site, n in expected.items() if site
        }

        # Minutes expired: the edges widen to whole hours.
        expired = Range(since=since, until=until, minute_floor=hi + 86400)
        h_lo, h_hi = lo - lo % 3600, -(-hi // 3600) * 3600
        widened = await analytics.summary(expired, {})
        assert widened.requests == sum(_requests(events, h_lo, h_hi).values())


async def test_trend_buckets_and_the_heatmap_count_each_event_once(store: SqlStore) -> None:
    events = await _history(store)
    analytics = store.analytics
    since = START + timedelta(hours=5, minutes=17, seconds=3)
    until = since + timedelta(days=1, hours=3)
    span = Range(since=since, until=until)
    for resolution, step in (("1m", 60), ("5m", 300), ("1h", 3600), ("1d", 86400)):
        trends = await analytics.trends(span, resolution)
        lo = epoch(since) - epoch(since) % step
        assert trends.points[0].t == datetime.fromtimestamp(lo, UTC).strftime(
            "%Y-%m-%dT%H:%M:%S.000Z"
        )
        for point in trends.points:
            start = epoch(parse_ts(point.t))
            assert point.requests == sum(_requests(events, start, start + step).values()), (
                resolution,
                point.t,
            )
    lo = epoch(since) - epoch(since) % 3600
    # In a zone, each UTC hour lands at the local weekday and hour it starts in (Kolkata is
    # +05:30: its hours straddle two UTC ones).
    for name in ("UTC", "America/New_York", "Asia/Kolkata"):
        zone = ZoneInfo(name)
        heat = await analytics.heatmap(span, zone)
        assert heat.timezone == name
        hourly = Counter[tuple[int, int]]()
        for e in events:
            second = epoch(parse_ts(e.ts))
            hour_start = second - second % 3600
            if e.action == Action.FETCHING and e.worker_id and lo <= hour_start < epoch(until):
                moment = datetime.fromtimestamp(hour_start, zone)
                hourly[(moment.weekday(), moment.hour)] += 1
        shown = {(c.weekday, c.hour): c.requests for c in heat.cells if c.requests}
        assert shown == dict(hourly), name
    assert heat.cells != (await analytics.heatmap(span)).cells  # Kolkata is not UTC
