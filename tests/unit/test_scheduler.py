"""The scheduler's decisions over a real store (a SQLite file), with a test clock.

The run starter is the one stand-in: it records what it was asked to start and creates
the run's row, so the store sees the run as active until the test ends it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawlscope.registry import UnknownCollection
from crawlscope.schedules import ScheduleSpec, SlotOutcome
from crawlscope.schedules.scheduler import Scheduler
from crawlscope.status import RunStatus
from crawlscope.store import SqlStore
from crawlscope.store.run_store import StatusChange

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


class ManualClock:
    """Time that moves only when told to; ``sleep_until`` jumps to the moment asked for."""

    def __init__(self, now: datetime) -> None:
        self.current = now
        self.sleeps: list[datetime | None] = []
        self.moved = asyncio.Event()

    def now(self) -> datetime:
        return self.current

    async def sleep_until(self, moment: datetime | None, wake: asyncio.Event) -> None:
        self.sleeps.append(moment)
        if moment is None:
            await wake.wait()
            return
        # Let the test look before time moves on.
        await asyncio.sleep(0.01)
        if not wake.is_set():
            self.current = max(self.current, moment)
        self.moved.set()


class FakeRun:
    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.done = asyncio.Event()

    async def wait(self) -> RunStatus:
        await self.done.wait()
        return RunStatus.COMPLETED


class Starter:
    """Starts "runs" of known collections: a running row in the store, ended by ``end``."""

    def __init__(self, store: SqlStore, known: set[str]) -> None:
        self.store = store
        self.known = known
        self.started: list[tuple[str, dict[str, Any]]] = []
        self.runs: dict[str, FakeRun] = {}

    async def start(self, name: str, params: Mapping[str, Any] | None = None) -> FakeRun:
        if name not in self.known:
            raise UnknownCollection(f"no collection named {name!r} (registered: demo)")
        run = FakeRun(f"run-{len(self.runs) + 1}")
        await self.store.runs.create(run.run_id, name, dict(params or {}), status=RunStatus.RUNNING)
        self.started.append((name, dict(params or {})))
        self.runs[run.run_id] = run
        return run

    async def end(self, run_id: str) -> None:
        await self.store.runs.set_status(
            run_id, StatusChange(status=RunStatus.COMPLETED, ended_at=T0)
        )
        self.runs[run_id].done.set()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    opened = SqlStore(str(tmp_path / "s.db"), event_writer="inline")
    await opened.open()
    yield opened
    await opened.close()


def spec(**changes: Any) -> ScheduleSpec:
    values: dict[str, Any] = {
        "name": "every-10s",
        "collection": "demo",
        "params": {"max_categories": 1},
        "interval_s": 10.0,
    }
    values.update(changes)
    return ScheduleSpec(**values)


def scheduler(store: SqlStore, clock: ManualClock, starter: Starter, grace: float = 5) -> Scheduler:
    return Scheduler(
        store.schedules, starter, clock=clock, grace=timedelta(seconds=grace), identity="test"
    )


async def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.005)):
        if predicate():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"condition not met within {timeout}s")


async def outcomes(store: SqlStore, schedule_id: int) -> list[tuple[datetime, str, str | None]]:
    slots = await store.schedules.slots(schedule_id, limit=100)
    return [(s.slot_at, s.outcome, s.run_id) for s in reversed(slots)]


async def test_each_slot_starts_one_run_and_the_next_wake_is_the_next_slot(
    store: SqlStore,
) -> None:
    clock = ManualClock(T0)
    starter = Starter(store, {"demo"})
    created = await store.schedules.create(spec(), now=T0)
    s = scheduler(store, clock, starter)
    assert await s.tick() == T0 + timedelta(seconds=10)
    assert starter.started == []
    clock.current = T0 + timedelta(seconds=10, milliseconds=3)
    assert await s.tick() == T0 + timedelta(seconds=20)
    assert starter.started == [("demo", {"max_categories": 1})]
    # ticking again at the same moment starts nothing more
    assert await s.tick() == T0 + timedelta(seconds=20)
    assert len(starter.started) == 1
    await starter.end("run-1")
    clock.current = T0 + timedelta(seconds=20)
    await s.tick()
    assert await outcomes(store, created.id) == [
        (T0 + timedelta(seconds=10), "started", "run-1"),
        (T0 + timedelta(seconds=20), "started", "run-2"),
    ]


async def test_downtime_follows_the_catch_up_policy(store: SqlStore) -> None:
    clock = ManualClock(T0)
    starter = Starter(store, {"demo"})
    skip = await store.schedules.create(spec(name="skip"), now=T0)
    once = await store.schedules.create(spec(name="once", catch_up="once"), now=T0)
    s = scheduler(store, clock, starter)
    clock.current = T0 + timedelta(hours=1, seconds=7)  # no server ran for an hour
    await s.tick()
    (missed,) = await store.schedules.slots(skip.id)
    assert (missed.slot_at, missed.outcome, missed.missed, missed.run_id) == (
        T0 + timedelta(hours=1),
        SlotOutcome.MISSED,
        359,
        None,
    )
    (caught_up,) = await store.schedules.slots(once.id)
    assert (caught_up.slot_at, caught_up.outcome, caught_up.missed) == (
        T0 + timedelta(hours=1),
        SlotOutcome.STARTED,
        359,
    )
    assert caught_up.reason is not None
    assert caught_up.reason.startswith("catch-up: 360 slots missed")
    assert len(starter.started) == 1
    # and the next slot is on time again
    await starter.end("run-1")
    clock.current = T0 + timedelta(hours=1, seconds=10)
    await s.tick()
    assert [o for _, o, _ in await outcomes(store, skip.id)] == ["missed", "started"]
    assert [o for _, o, _ in await outcomes(store, once.id)] == ["started", "started"]


async def test_a_short_delay_is_on_time(store: SqlStore) -> None:
    clock = ManualClock(T0 + timedelta(seconds=24))  # slot 20 s is 4 s old: within the grace
    starter = Starter(store, {"demo"})
    created = await store.schedules.create(spec(), now=T0)
    await scheduler(store, clock, starter).tick()
    (slot,) = await store.schedules.slots(created.id)
    assert (slot.slot_at, slot.outcome, slot.missed) == (T0 + timedelta(seconds=20), "started", 1)


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("skip", ["started", "skipped", "skipped", "started"]),
        ("queue", ["started", "started", "skipped", "started"]),
        ("allow", ["started", "started", "started", "started"]),
    ],
)
async def test_overlap_policies(store: SqlStore, policy: str, expected: list[str]) -> None:
    clock = ManualClock(T0)
    starter = Starter(store, {"demo"})
    created = await store.schedules.create(spec(overlap=policy), now=T0)
    s = scheduler(store, clock, starter)
    for seconds in (10, 20, 30):  # run-1 is still running at 20 and 30
        clock.current = T0 + timedelta(seconds=seconds)
        await s.tick()
    first = await outcomes(store, created.id)
    if policy == "queue":
        assert [o for _, o, _ in first] == ["started", "queued", "skipped"]
        assert len(starter.started) == 1
    await starter.end("run-1")
    await asyncio.sleep(0.01)  # the watcher notes the end
    clock.current = T0 + timedelta(seconds=35)
    await s.tick()  # the queued slot starts now that run-1 ended
    for run in list(starter.runs):
        if run != "run-1":
            await starter.end(run)
    await asyncio.sleep(0.01)
    clock.current = T0 + timedelta(seconds=40)
    await s.tick()
    assert [o for _, o, _ in await outcomes(store, created.id)] == expected


async def test_two_schedulers_on_one_database_start_each_slot_once(
    store: SqlStore, tmp_path: Path
) -> None:
    clock = ManualClock(T0)
    starter = Starter(store, {"demo"})
    created = await store.schedules.create(spec(overlap="allow"), now=T0)
    other = SqlStore(str(tmp_path / "s.db"), event_writer="inline")
    await other.open()
    try:
        first = Scheduler(store.schedules, starter, clock=clock, identity="one")
        second = Scheduler(other.schedules, starter, clock=clock, identity="two")
        for seconds in range(10, 110, 10):
            clock.current = T0 + timedelta(seconds=seconds)
            await asyncio.gather(first.tick(), second.tick())
        slots = await store.schedules.slots(created.id, limit=100)
    finally:
        await other.close()
    assert len(slots) == 10
    assert len(starter.started) == 10
    assert sorted(s.run_id or "" for s in slots) == sorted(starter.runs)
    assert {s.claimed_by for s in slots} <= {"one", "two"}


async def test_an_unknown_collection_is_recorded_as_failed(store: SqlStore) -> None:
    clock = ManualClock(T0 + timedelta(seconds=10))
    starter = Starter(store, {"demo"})
    created = await store.schedules.create(spec(collection="gone"), now=T0)
    await scheduler(store, clock, starter).tick()
    (slot,) = await store.schedules.slots(created.id)
    assert slot.outcome is SlotOutcome.FAILED
    assert slot.reason == "not started: no collection named 'gone' (registered: demo)"


async def test_paused_schedules_are_not_due_and_resume_counts_from_then(store: SqlStore) -> None:
    clock = ManualClock(T0)
    starter = Starter(store, {"demo"})
    created = await store.schedules.create(spec(catch_up="once"), now=T0)
    await store.schedules.set_enabled(created.id, False, now=T0)
    s = scheduler(store, clock, starter)
    clock.current = T0 + timedelta(minutes=10)
    assert await s.tick() is None  # nothing enabled: sleep until woken
    await store.schedules.set_enabled(created.id, True, now=clock.current)
    # nothing of the pause is caught up; the interval counts from the resume
    assert await s.tick() == T0 + timedelta(minutes=10, seconds=10)
    assert await store.schedules.slots(created.id) == []


async def test_a_clock_jumping_back_starts_nothing_twice(store: SqlStore) -> None:
    clock = ManualClock(T0 + timedelta(seconds=10))
    starter = Starter(store, {"demo"})
    created = await store.schedules.create(spec(overlap="allow"), now=T0)
    s = scheduler(store, clock, starter)
    await s.tick()
    clock.current = T0 + timedelta(seconds=3)  # the wall clock went back
    assert await s.tick() == T0 + timedelta(seconds=20)
    clock.current = T0 + timedelta(seconds=10)
    await s.tick()
    assert len(starter.started) == 1
    assert len(await store.schedules.slots(created.id)) == 1


async def test_the_loop_sleeps_until_each_slot_and_wakes_on_change(store: SqlStore) -> None:
    clock = ManualClock(T0)
    starter = Starter(store, {"demo"})
    await store.schedules.create(spec(overlap="allow"), now=T0)
    s = scheduler(store, clock, starter)
    loop = asyncio.create_task(s.run_forever())
    try:
        await wait_until(lambda: len(starter.started) >= 3)
        # it slept until each slot, never in between (no polling)
        assert clock.sleeps[:3] == [T0 + timedelta(seconds=k) for k in (10, 20, 30)]
        # a new schedule: wake() makes the loop look at once
        await store.schedules.create(spec(name="sooner", interval_s=11.0), now=clock.current)
        ticks = s.ticks
        s.wake()
        await wait_until(lambda: s.ticks > ticks)
    finally:
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop
    assert s.ticks > ticks
