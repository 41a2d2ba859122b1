"""The runs repository (``RunRepository``) on every backend (the ``store`` fixture)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from crawlscope.aggregate import RunFrame, RunTotals
from crawlscope.status import RunStatus
from crawlscope.store import SqlStore, StatusChange
from crawlscope.timestamps import utc_now
from tests.store.moments import assert_utc


async def test_run_rows(store: SqlStore) -> None:
    runs = store.runs
    assert await runs.create("r1", "c", {"a": 1}, dataset="d")
    assert not await runs.create("r1", "other")
    await asyncio.sleep(0.002)
    assert await runs.create("r2", "c")
    assert sorted(await runs.active_ids()) == ["r1", "r2"]
    frame = RunFrame(
        run_id="r1",
        collection="c",
        status="completed",
        started_at="2026-01-01T00:00:00.000Z",
        ended_at="2026-01-01T00:00:05.000Z",
        totals=RunTotals(requests=5, failures_by_type={"timeout": 1}),
        dataset_size=3,
        last_seq=42,
    )
    await runs.save_frame(frame)
    record = await runs.get("r1")
    assert record is not None
    assert (record.status, record.dataset_size, record.last_seq) == ("completed", 3, 42)
    assert record.totals.failures_by_type == {"timeout": 1}
    assert record.params == {"a": 1}
    assert record.frame is not None
    assert record.frame.totals.requests == 5
    assert await runs.active_ids() == ["r2"]
    assert [r.id for r in await runs.list()] == ["r2", "r1"]
    assert [r.id for r in await runs.list(status="completed")] == ["r1"]
    assert (await runs.list(limit=1))[0].frame is None
    assert await runs.get("nope") is None
    stopped = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    change = StatusChange(status=RunStatus.INTERRUPTED, ended_at=stopped, last_seq=7)
    assert await runs.set_status("r2", change)
    record = await runs.get("r2")
    assert record is not None
    assert record.status == "interrupted"
    assert record.ended_at == stopped
    assert record.last_seq == 7
    assert not await runs.set_status("nope", change)


async def test_a_new_run_row_and_its_moments(store: SqlStore) -> None:
    before = utc_now()
    assert await store.runs.create(
        "r", "books", {"pages": [1, 2], "deep": {"x": None}}, origin="remote", dataset="items"
    )
    record = await store.runs.get("r")
    assert record is not None
    assert (record.collection, record.origin, record.dataset) == ("books", "remote", "items")
    assert record.status is RunStatus.PENDING
    assert record.params == {"pages": [1, 2], "deep": {"x": None}}
    assert (record.started_at, record.ended_at, record.frame) == (None, None, None)
    assert record.totals == RunTotals()
    assert record.progress == []
    for moment in (record.created_at, record.updated_at, record.heartbeat_at):
        assert_utc(moment)
        assert moment is not None
        assert before - timedelta(milliseconds=1) <= moment <= utc_now()
    assert record.last_sign_of_life == record.heartbeat_at
    assert await store.runs.create("s", "c", status=RunStatus.RUNNING)
    running = await store.runs.get("s")
    assert running is not None
    assert running.status is RunStatus.RUNNING


async def test_save_frame_stores_the_frame_totals_and_moments(store: SqlStore) -> None:
    totals = RunTotals(
        requests=2**40,  # beyond 32 bits: the columns are BIGINT
        successes=9,
        failures=3,
        failures_by_type={"timeout": 2, "http_5xx": 1},
        retries=4,
        errors=5,
        errors_by_type={"timeout": 2, "http_5xx": 1, "parse_error": 2},
        errors_by_stage={"request": 3, "extraction": 2},
        items_found=7,
        new_items=6,
        updated_items=1,
        duplicates=2,
        tasks_done=10,
        tasks_failed=1,
        tasks_requeued=2,
        events=99,
    )
    frame = RunFrame(
        run_id="remote-1",
        status="running",
        # A remote runner's clock: an offset, not Z. The row keeps the instant, in UTC.
        started_at="2026-11-22T10:54:01.123+01:00",
        totals=totals,
        dataset="items",
        params={"q": "x"},
        last_seq=12,
    )
    await store.runs.save_frame(frame, heartbeat=False)
    record = await store.runs.get("remote-1")
    assert record is not None
    assert record.collection == "unknown"  # created by the frame, which names none
    assert record.totals == totals
    assert record.params == {"q": "x"}
    assert record.dataset == "items"
    assert_utc(record.started_at, datetime(2026, 11, 22, 9, 54, 1, 123000, tzinfo=UTC))
    assert record.frame == frame
    # heartbeat=False leaves the heartbeat where create put it
    created_heartbeat = record.heartbeat_at
    await asyncio.sleep(0.005)
    await store.runs.save_frame(frame, heartbeat=False)
    again = await store.runs.get("remote-1")
    assert again is not None
    assert again.heartbeat_at == created_heartbeat
    assert again.updated_at is not None
    assert created_heartbeat is not None
    assert again.updated_at > created_heartbeat
    await store.runs.save_frame(frame)
    beating = await store.runs.get("remote-1")
    assert beating is not None
    assert beating.heartbeat_at == beating.updated_at


async def test_set_status_rewrites_the_stored_frame(store: SqlStore) -> None:
    frame = RunFrame(
        run_id="r",
        collection="c",
        status="running",
        started_at="2026-01-01T00:00:00.000Z",
        last_seq=40,
    )
    await store.runs.save_frame(frame)
    stopped = datetime(2026, 1, 1, 0, 1, 30, 250000, tzinfo=UTC)
    interrupted = StatusChange(status=RunStatus.INTERRUPTED, ended_at=stopped, last_seq=45)
    assert await store.runs.set_status("r", interrupted)
    record = await store.runs.get("r")
    assert record is not None
    assert record.status is RunStatus.INTERRUPTED
    assert_utc(record.ended_at, stopped)
    assert record.last_seq == 45
    assert record.frame is not None
    assert record.frame.status is RunStatus.INTERRUPTED
    assert record.frame.ended_at == "2026-01-01T00:01:30.250Z"
    assert record.frame.duration_s == 90.25
    assert record.frame.last_seq == 45
    assert await store.runs.active_ids() == []
    # Revived: running again, no end; a last_seq behind the frame's does not move it back.
    assert await store.runs.set_status("r", StatusChange(status=RunStatus.RUNNING, last_seq=3))
    revived = await store.runs.get("r")
    assert revived is not None
    assert revived.status is RunStatus.RUNNING
    assert revived.ended_at is None
    assert revived.frame is not None
    assert (revived.frame.ended_at, revived.frame.duration_s) == (None, None)
    assert revived.frame.last_seq == 45
    assert await store.runs.active_ids() == ["r"]


async def test_set_status_of_a_run_without_a_frame(store: SqlStore) -> None:
    await store.runs.create("bare", "c", status=RunStatus.RUNNING)
    ended = datetime(2026, 3, 4, 5, 6, 7, 891234, tzinfo=UTC)  # microseconds: kept to the ms
    assert await store.runs.set_status(
        "bare", StatusChange(status=RunStatus.INTERRUPTED, ended_at=ended)
    )
    record = await store.runs.get("bare")
    assert record is not None
    assert (record.status, record.frame, record.last_seq) == ("interrupted", None, 0)
    assert_utc(record.ended_at, ended)


async def test_a_finish_reason_and_completed_with_errors_are_stored(store: SqlStore) -> None:
    reason = "3 of 40 tasks failed (7.5%) «ü»"
    frame = RunFrame(
        run_id="r",
        collection="c",
        # 21 characters: more than the status column held before migration 0004
        status=RunStatus.COMPLETED_WITH_ERRORS,
        started_at="2026-01-01T00:00:00.000Z",
        ended_at="2026-01-01T00:00:05.000Z",
        finish_reason=reason,
    )
    await store.runs.save_frame(frame)
    record = await store.runs.get("r")
    assert record is not None
    assert (record.status, record.finish_reason) == (RunStatus.COMPLETED_WITH_ERRORS, reason)
    assert record.frame is not None
    assert record.frame.finish_reason == reason
    (listed,) = await store.runs.list(status=RunStatus.COMPLETED_WITH_ERRORS)
    assert listed.summary().finish_reason == reason
    assert await store.runs.count(status="completed_with_errors") == 1
    assert await store.runs.active_ids() == []
    # Interrupted runs say why, in the row and in the stored frame alike.
    await store.runs.create("gone", "c", status=RunStatus.RUNNING)
    await store.runs.save_frame(RunFrame(run_id="gone", collection="c", status="running"))
    why = "its runner stopped reporting (last sign of life 2026-01-01T00:00:09.000Z)"
    stopped = datetime(2026, 1, 1, 0, 0, 9, tzinfo=UTC)
    change = StatusChange(status=RunStatus.INTERRUPTED, ended_at=stopped, finish_reason=why)
    assert await store.runs.set_status("gone", change)
    gone = await store.runs.get("gone")
    assert gone is not None
    assert gone.frame is not None
    assert (gone.finish_reason, gone.frame.finish_reason) == (why, why)
    # Revived: the reason goes with the end.
    assert await store.runs.set_status("gone", StatusChange(status=RunStatus.RUNNING))
    revived = await store.runs.get("gone")
    assert revived is not None
    assert revived.frame is not None
    assert (revived.finish_reason, revived.frame.finish_reason) == (None, None)


async def test_list_and_count_filter_by_status_and_page(store: SqlStore) -> None:
    statuses = {
        "a": RunStatus.COMPLETED,
        "b": RunStatus.RUNNING,
        "c": RunStatus.FAILED,
        "d": RunStatus.COMPLETED,
        "e": RunStatus.PAUSED,
        "f": RunStatus.CANCELLED,
    }
    for run_id, status in statuses.items():  # created in this order, a millisecond apart
        assert await store.runs.create(run_id, "c", status=status)
        await asyncio.sleep(0.002)
    newest_first = ["f", "e", "d", "c", "b", "a"]
    assert [r.id for r in await store.runs.list()] == newest_first
    assert await store.runs.count() == 6
    assert [r.id for r in await store.runs.list(status="completed")] == ["d", "a"]
    assert await store.runs.count(status="completed") == 2
    assert [r.id for r in await store.runs.list(status=RunStatus.PAUSED)] == ["e"]
    several = [RunStatus.RUNNING, RunStatus.PAUSED, "failed"]
    assert [r.id for r in await store.runs.list(status=several)] == ["e", "c", "b"]
    assert await store.runs.count(status=several) == 3
    assert await store.runs.count(status=[]) == 0
    assert await store.runs.count(status="interrupted") == 0
    excluded = await store.runs.list(exclude_status=[RunStatus.COMPLETED, "cancelled"])
    assert [r.id for r in excluded] == ["e", "c", "b"]
    both = await store.runs.list(status=["completed", "failed"], exclude_status=["failed"])
    assert [r.id for r in both] == ["d", "a"]
    pages = [await store.runs.list(limit=4, offset=offset) for offset in (0, 4, 8)]
    assert [[r.id for r in page] for page in pages] == [newest_first[:4], newest_first[4:], []]
    assert all(r.frame is None for r in pages[0])
    assert sorted(await store.runs.active_ids()) == ["b", "e"]


async def test_list_orders_by_creation_time_then_id(store: SqlStore) -> None:
    # Runs created within one millisecond have the same stored created_at: id decides.
    for run_id in ("m", "z", "a"):
        await store.runs.create(run_id, "c")
    listed = [(r.created_at, r.id) for r in await store.runs.list()]
    assert sorted(r_id for _, r_id in listed) == ["a", "m", "z"]
    assert listed == sorted(listed, reverse=True)


async def _run_with(store: SqlStore, run_id: str, totals: RunTotals) -> None:
    await store.runs.create(run_id, "c")
    await store.runs.save_frame(
        RunFrame(run_id=run_id, collection="c", status="completed", totals=totals)
    )


async def test_totals_since_sums_runs_created_since(store: SqlStore) -> None:
    await _run_with(store, "yesterday", RunTotals(requests=1000, items_found=1000, errors=1000))
    await asyncio.sleep(0.01)
    since = utc_now()
    await asyncio.sleep(0.01)
    await _run_with(
        store, "a", RunTotals(requests=2**33, items_found=7, new_items=5, errors=2, successes=9)
    )
    await _run_with(store, "b", RunTotals(requests=3, items_found=4, new_items=1, errors=1))
    await store.runs.create("empty", "c")  # no frame yet: zero totals, but a run
    day = await store.runs.totals_since(since)
    assert day.since == since
    assert (day.runs, day.requests, day.items, day.new_items, day.errors) == (
        3,
        2**33 + 3,
        11,
        6,
        3,
    )
    assert isinstance(day.requests, int)
    nothing = await store.runs.totals_since(utc_now() + timedelta(seconds=1))
    assert (nothing.runs, nothing.requests, nothing.items, nothing.new_items, nothing.errors) == (
        0,
        0,
        0,
        0,
        0,
    )


async def test_totals_since_takes_fresher_totals_from_overrides(store: SqlStore) -> None:
    await _run_with(store, "old", RunTotals(requests=50, errors=5))
    await asyncio.sleep(0.01)
    since = utc_now()
    await asyncio.sleep(0.01)
    await _run_with(store, "a", RunTotals(requests=10, items_found=4, new_items=2, errors=1))
    await _run_with(store, "b", RunTotals(requests=20, items_found=8, new_items=3, errors=0))
    overrides = {
        "a": RunTotals(requests=15, items_found=6, new_items=2, errors=4),  # the live numbers
        "old": RunTotals(requests=500),  # created before ``since``: not counted at all
        "unknown": RunTotals(requests=7000),  # no such row: not counted
    }
    day = await store.runs.totals_since(since, overrides=overrides)
    assert (day.runs, day.requests, day.items, day.new_items, day.errors) == (2, 35, 14, 5, 4)
    stored = await store.runs.totals_since(since, overrides={})
    assert (stored.runs, stored.requests, stored.items, stored.new_items, stored.errors) == (
        2,
        30,
        12,
        5,
        1,
    )
