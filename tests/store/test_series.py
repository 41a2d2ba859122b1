"""Chart series computed in the database (``SeriesRepository``) on every backend (the
``store`` fixture).

Known events are stored; the expected numbers are counted here in Python by the rules of
docs/events.md, independently of the SQL, and must match per bucket exactly. Latency
percentiles must be within one duration bin of the exact nearest-rank value.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from crawlscope.aggregate import RunFrame
from crawlscope.aggregate.latency import percentile
from crawlscope.aggregate.series import bin_bounds, duration_bin, epoch_second, iso_second
from crawlscope.events import Action, ActivityEvent
from crawlscope.store import SqlStore

START = "2026-11-22T09:00:00.250Z"
END = "2026-11-22T09:00:29.900Z"  # 30 whole seconds: 10 buckets of 3 s for points=10
T0 = epoch_second(START) or 0
WIDTH = 3


def _ts(second: int, ms: int = 0) -> str:
    return iso_second(T0 + second).replace(".000Z", f".{ms:03d}Z")


def _events(run_id: str) -> list[ActivityEvent]:
    """A run's worth of request, pipeline and error events at known seconds."""
    rng = random.Random(7)
    out: list[ActivityEvent] = []

    def add(second: int, action: Action, **fields: Any) -> None:
        fields.setdefault("worker_id", 1)
        ts = _ts(second, rng.randrange(1000))
        out.append(ActivityEvent(run_id=run_id, action=action, ts=ts, **fields))

    for second in range(30):
        for _ in range(second % 4 + 1):
            add(second, Action.FETCHING, url="http://a/x")
        # 1-3 successes with durations spread over two decades
        for _ in range(second % 3 + 1):
            add(second, Action.FOUND, status_code=200, duration_ms=rng.uniform(20, 2000))
        if second % 5 == 0:
            add(second, Action.UPLOADING, worker_id=0, items_count=second + 3)
    add(4, Action.ERROR, error_type="timeout", error_stage="request", duration_ms=10_000.0)
    add(4, Action.ERROR, error_type="timeout", error_stage="request", duration_ms=10_000.0)
    add(5, Action.ERROR, error_type="http_5xx", error_stage="request", status_code=503)
    add(21, Action.ERROR, error_type="parse_error", error_stage="extraction", duration_ms=9e6)
    add(22, Action.RATE_LIMITED, error_type="rate_limit", status_code=429, duration_ms=15.0)
    add(23, Action.ERROR, error_stage="pipeline")  # no type: counted as "unknown"
    # other actions with counts or durations that must not be counted
    add(6, Action.COMPLETE, items_count=50)
    add(6, Action.INSERTED, worker_id=0, items_count=50)
    add(7, Action.RETRYING, error_type="timeout")
    # a bucket whose durations all sit exactly on a bin edge (SQL and Python must agree)
    for _ in range(10):
        add(29, Action.FOUND, status_code=200, duration_ms=2.0)
    for seq, event in enumerate(out, start=1):
        event.seq = seq
    return out


@dataclass
class Bucket:
    requests: int = 0
    items: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    durations: list[float] = field(default_factory=list)


def _expected(events: list[ActivityEvent]) -> list[Bucket]:
    """Per bucket: request, item and error counts and every request duration."""
    buckets = [Bucket() for _ in range(10)]
    for event in events:
        bucket = buckets[((epoch_second(event.ts) or 0) - T0) // WIDTH]
        if event.action == Action.FETCHING:
            bucket.requests += 1
        elif event.action == Action.UPLOADING:
            bucket.items += event.items_count or 0
        if event.action in (Action.ERROR, Action.RATE_LIMITED):
            kind = event.error_type or "unknown"
            bucket.errors[kind] = bucket.errors.get(kind, 0) + 1
        request_end = event.action in (Action.FOUND, Action.RATE_LIMITED) or (
            event.action == Action.ERROR and event.error_stage == "request"
        )
        if request_end and event.duration_ms is not None:
            bucket.durations.append(event.duration_ms)
    return buckets


async def _store_run(
    store: SqlStore, run_id: str, status: str, events: list[ActivityEvent]
) -> None:
    ended = status in ("completed", "failed", "cancelled", "interrupted")
    frame = RunFrame(
        run_id=run_id,
        collection="demo",
        status=status,
        started_at=START,
        ended_at=END if ended else None,
        last_seq=len(events),
    )
    await store.runs.save_frame(frame)
    await store.events.append_events(events)


def _within_one_bin(estimate: float | None, exact: float) -> bool:
    low, high = bin_bounds(duration_bin(exact))
    return estimate is not None and abs(estimate - exact) <= high - low


async def test_series_numbers_match_the_stored_events(store: SqlStore) -> None:
    events = _events("r1")
    await _store_run(store, "r1", "completed", events)
    series = await store.series.series("r1", 10)
    assert series is not None
    assert series.run_id == "r1"
    assert series.bucket_s == WIDTH
    assert [p.t for p in series.points] == [iso_second(T0 + i * WIDTH) for i in range(10)]
    for point, want in zip(series.points, _expected(events), strict=True):
        assert point.requests_per_s == want.requests / WIDTH
        assert point.items_per_s == want.items / WIDTH
        assert point.errors_per_s == {k: n / WIDTH for k, n in want.errors.items()}, point.t
        durations = sorted(want.durations)
        assert _within_one_bin(point.p50_ms, percentile(durations, 0.5)), (point.t, durations)
        assert _within_one_bin(point.p95_ms, percentile(durations, 0.95)), (point.t, durations)
    # spot checks that the expectations themselves say what the events say
    assert series.points[1].errors_per_s == {"timeout": 2 / 3, "http_5xx": 1 / 3}
    assert series.points[7].errors_per_s == {
        "parse_error": 1 / 3,
        "rate_limit": 1 / 3,
        "unknown": 1 / 3,
    }
    assert series.points[0].items_per_s == 3 / 3  # the `complete` at second 6 is not items
    assert series.points[2].items_per_s == 0
    # bucket 9's median is one of ten durations of exactly 2.0 ms, a bin edge: the SQL puts
    # it in the bin starting at 2.0 (as ``duration_bin`` does), so p50 is not below 2.0
    assert series.points[9].p50_ms is not None
    assert series.points[9].p50_ms >= 2.0


async def test_a_long_run_is_tallied_per_minute_with_the_same_totals(
    store: SqlStore,
) -> None:
    """Two hours in 60 points: buckets of whole minutes, aligned to minutes, counts exact."""
    start = T0 + 20  # 09:00:20.250: the first bucket starts at 09:00:00
    seconds = 7200
    rng = random.Random(11)
    events = []
    for seq in range(1, 2001):
        second = rng.randrange(seconds)
        ts = iso_second(start + second).replace(".000Z", f".{rng.randrange(1000):03d}Z")
        action = Action.FETCHING if seq % 2 else Action.ERROR
        extra: dict[str, Any] = {} if seq % 2 else {"error_type": "timeout"}
        events.append(ActivityEvent(run_id="long", action=action, ts=ts, seq=seq, **extra))
    frame = RunFrame(
        run_id="long",
        collection="demo",
        status="completed",
        started_at=iso_second(start),
        ended_at=iso_second(start + seconds - 1),
        last_seq=len(events),
    )
    await store.runs.save_frame(frame)
    await store.events.append_events(events)

    series = await store.series.series("long", 60)
    assert series is not None
    width = series.bucket_s
    assert width % 60 == 0
    assert len(series.points) <= 60
    first = epoch_second(series.points[0].t) or 0
    assert first % 60 == 0
    assert first <= start < first + 60
    want_requests = [0] * len(series.points)
    want_errors = [0] * len(series.points)
    for event in events:
        index = ((epoch_second(event.ts) or 0) - first) // width
        if event.action == Action.FETCHING:
            want_requests[index] += 1
        else:
            want_errors[index] += 1
    last = start + seconds - 1
    for i, point in enumerate(series.points):
        bucket_start = first + i * width
        span = min(bucket_start + width, last + 1) - max(bucket_start, start)
        assert round(point.requests_per_s * span) == want_requests[i], point.t
        assert round(point.errors_per_s.get("timeout", 0) * span) == want_errors[i], point.t
    assert sum(want_requests) == 1000


async def test_an_active_run_spans_until_now_and_quiet_buckets_have_no_latency(
    store: SqlStore,
) -> None:
    events = [e for e in _events("r2") if (epoch_second(e.ts) or 0) < T0 + 10]
    await _store_run(store, "r2", "running", events)
    now = datetime.fromtimestamp(T0 + 59, UTC)
    series = await store.series.series("r2", 10, now=now)
    assert series is not None
    assert series.bucket_s == 6  # 60 seconds, 10 points
    assert len(series.points) == 10
    quiet = series.points[-1]
    assert quiet.requests_per_s == 0
    assert quiet.errors_per_s == {}
    assert quiet.p50_ms is None
    assert quiet.p95_ms is None
    total = sum(p.requests_per_s * 6 for p in series.points)
    assert total == pytest.approx(sum(e.action == Action.FETCHING for e in events))


async def test_ended_runs_are_cached_until_the_row_changes(store: SqlStore) -> None:
    events = _events("r3")
    await _store_run(store, "r3", "completed", events[:-10])
    series = store.series
    series.cache_size = 2  # the implementation's knob: room for two series
    first = await series.series("r3", 10)
    assert await series.series("r3", 10) is first  # no rescan
    assert await series.series("r3", 20) is not first  # another point count

    # the run is revived and ends again later: its row's last_seq moves on
    await store.events.append_events(events[-10:])
    await store.runs.save_frame(
        RunFrame(run_id="r3", status="completed", started_at=START, ended_at=END, last_seq=999)
    )
    again = await series.series("r3", 10)
    assert again is not first
    assert again is not None
    assert first is not None
    assert again.points[-1].p50_ms != first.points[-1].p50_ms  # the 2.0 ms requests count now


async def test_active_runs_are_not_cached_and_the_cache_is_bounded(store: SqlStore) -> None:
    await _store_run(store, "live", "running", _events("live")[:50])
    series = store.series
    series.cache_size = 2  # the implementation's knob: room for two series
    now = datetime.fromtimestamp(T0 + 29, UTC)
    assert await series.series("live", 10, now=now) is not await series.series("live", 10, now=now)
    for run_id in ("a", "b", "c"):
        await _store_run(store, run_id, "completed", _events(run_id)[:20])
    a = await series.series("a", 10)
    b = await series.series("b", 10)
    assert await series.series("a", 10) is a
    await series.series("c", 10)  # evicts b, the least recently used
    assert await series.series("a", 10) is a
    assert await series.series("b", 10) is not b


async def test_an_unknown_run_has_no_series(store: SqlStore) -> None:
    assert await store.series.series("nope", 120) is None
