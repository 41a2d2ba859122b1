"""Pause, resume and cancel from code, and the consecutive-failure pause, against real sites
on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec
import pytest

from crawlscope.aggregate import RunFrame
from crawlscope.demo import FaultConfig, build_catalog, create_site, demo_collection, serve_site
from crawlscope.demo.faults import FaultPlan
from crawlscope.demo.target_site import RunningSite
from crawlscope.events import ActivityEvent
from crawlscope.monitor import Monitor
from crawlscope.runner import Collection, ParseError, Run, SitePolicy, Task, TaskContext
from crawlscope.status import ControlCommand


async def _until(check: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.01)


def _frame(monitor: Monitor, run: Run) -> RunFrame:
    """The live frame (an empty one until the run's first event is in)."""
    return monitor.live_frame(run.run_id) or RunFrame(run_id=run.run_id)


def _between(events: list[ActivityEvent], start: str, end: str) -> list[ActivityEvent]:
    first = next(i for i, e in enumerate(events) if e.action == start)
    last = next(i for i, e in enumerate(events) if e.action == end and i > first)
    return events[first + 1 : last]


def _assert_every_task_ended_once(events: list[ActivityEvent]) -> None:
    """Each worker's last event is a ``complete``: no task was left without an end."""
    last: dict[int, ActivityEvent] = {}
    for event in events:
        if event.worker_id:
            last[event.worker_id] = event
    for worker_id, event in last.items():
        assert event.action == "complete", (worker_id, event)


@pytest.fixture
async def slow_site() -> AsyncIterator[RunningSite]:
    """The tiny demo catalog with latency and a few faults, so a run lasts a few seconds."""
    faults = FaultConfig(server_error_rate=0.05, broken_rate=0.05, latency_s=(0.02, 0.05), seed=5)
    async with serve_site(create_site(build_catalog(seed=7, scale="tiny"), faults)) as site:
        yield site


async def test_pause_then_resume_completes_with_the_same_dataset(
    monitor: Monitor, slow_site: RunningSite, derive_totals: Any
) -> None:
    run = monitor.new_run(
        demo_collection(workers=4, dataset="sellers", timeout=1.0), {"base_url": slow_site.url}
    )
    await run.start()
    await _until(lambda: _frame(monitor, run).totals.tasks_done >= 15, what="15 tasks")
    assert run.pause() is True
    assert run.pause() is False
    frame = _frame(monitor, run)
    assert frame.status == "paused"
    assert frame.paused_reason == "paused by operator"

    # In-flight requests finish; then nothing moves.
    await _until(
        lambda: all(w.state in ("paused", "backing_off") for w in _frame(monitor, run).workers),
        what="workers to settle",
    )
    settled = _frame(monitor, run).totals
    await asyncio.sleep(0.4)
    assert _frame(monitor, run).totals.requests == settled.requests
    await monitor.flush()
    record = await monitor.store.runs.get(run.run_id)
    assert record is not None
    assert (record.status, record.paused_reason) == ("paused", "paused by operator")

    assert run.resume() is True
    assert run.resume() is False
    assert await asyncio.wait_for(run.wait(), 60) == "completed"

    keys = {int(k) for k in await monitor.store.datasets.keys("sellers")}
    assert keys == slow_site.app.catalog.ground_truth_seller_ids()
    events = await monitor.store.events.read_all(run.run_id)
    paused = _between(events, "run_paused", "run_resumed")
    # The pause gate sits right before every request: none starts while paused.
    assert [e for e in paused if e.action == "fetching"] == []
    # Only tasks that were in flight finish while paused.
    assert len([e for e in paused if e.action == "complete"]) <= 4
    pause_event = next(e for e in events if e.action == "run_paused")
    assert pause_event.extra == {"reason": "paused by operator", "auto": False}
    record = await monitor.store.runs.get(run.run_id)
    assert record is not None
    assert record.status == "completed"
    assert record.paused_reason is None
    assert msgspec.to_builtins(record.totals) == derive_totals(events)


async def test_cancel_stops_within_a_second_and_records_in_flight_tasks(
    monitor: Monitor, slow_site: RunningSite, derive_totals: Any
) -> None:
    run = monitor.new_run(
        demo_collection(workers=6, dataset="sellers", timeout=1.0), {"base_url": slow_site.url}
    )
    await run.start()
    await _until(lambda: _frame(monitor, run).totals.tasks_done >= 10, what="10 tasks")
    await _until(
        lambda: sum(w.state == "requesting" for w in _frame(monitor, run).workers) >= 2,
        what="requests in flight",
    )
    started = time.perf_counter()
    assert run.cancel() is True
    status = await asyncio.wait_for(run.wait(), 10)
    elapsed = time.perf_counter() - started
    assert status == "cancelled"
    assert elapsed < 1.0
    assert run.cancel() is False

    events = await monitor.store.events.read_all(run.run_id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    cancelled_tasks = [e for e in events if e.action == "complete" and e.error_type == "cancelled"]
    assert len(cancelled_tasks) >= 2
    cancelled_requests = [e for e in events if e.action == "error" and e.error_type == "cancelled"]
    assert len(cancelled_requests) >= 2
    assert all(e.error_stage == "request" for e in cancelled_requests)
    _assert_every_task_ended_once(events)
    end = events[-1]
    assert end.action == "run_cancelled"
    assert end.extra is not None
    assert end.extra["pending_tasks"] >= 0
    assert end.extra["dataset_size"] == await monitor.store.datasets.count("sellers")
    record = await monitor.store.runs.get(run.run_id)
    assert record is not None
    assert record.status == "cancelled"
    assert record.ended_at is not None
    assert msgspec.to_builtins(record.totals) == derive_totals(events)
    # Nothing of the run keeps running.
    await asyncio.sleep(0.05)
    assert not [t for t in asyncio.all_tasks() if run.run_id in t.get_name()]


def _always_broken(retry_delay: float) -> Collection:
    collection = Collection("broken", task_attempts=3, task_retry_delay=retry_delay)

    @collection.phase("only", workers=1)
    async def handler(ctx: TaskContext, task: Task) -> None:
        raise ParseError("never parses")

    collection.seed(lambda params: [Task("the task")])
    return collection


async def test_cancel_during_a_task_retry_delay_still_ends_the_task(monitor: Monitor) -> None:
    run = monitor.new_run(_always_broken(retry_delay=30.0))
    await run.start()
    await _until(lambda: _frame(monitor, run).totals.retries == 1, what="a retry")
    started = time.perf_counter()
    run.cancel()
    assert await asyncio.wait_for(run.wait(), 10) == "cancelled"
    assert time.perf_counter() - started < 1.0
    events = await monitor.store.events.read_all(run.run_id)
    completes = [e for e in events if e.action == "complete"]
    assert len(completes) == 1
    assert completes[0].error_type == "cancelled"
    _assert_every_task_ended_once(events)


# -- a site that is down -------------------------------------------------------------------


@pytest.fixture
async def down_site() -> AsyncIterator[RunningSite]:
    app = create_site(build_catalog(seed=7, scale="tiny"), FaultConfig.down())
    async with serve_site(app) as site:
        yield site


def _fetch_collection(tasks: int = 12, workers: int = 3) -> Collection:
    collection = Collection(
        "fetcher",
        max_consecutive_failures=4,
        task_attempts=1,
        site_policy=SitePolicy(
            max_attempts=2,
            backoff_base=0.01,
            backoff_max=0.05,
            breaker_threshold=3,
            breaker_cooldown=0.1,
            timeout=2.0,
        ),
    )

    @collection.phase("fetch", workers=workers)
    async def fetch(ctx: TaskContext, task: Task) -> None:
        await ctx.http.get(f"{ctx.params['base_url']}/p/{task.payload['n'] + 1}")

    collection.seed(lambda params: [Task(f"page {n}", payload={"n": n}) for n in range(tasks)])
    return collection


async def _wait_for_auto_pause(monitor: Monitor, run: Run) -> RunFrame:
    await _until(lambda: _frame(monitor, run).status == "paused", what="the automatic pause")
    # In-flight requests end (each failing) and the breaker ends up open. A worker that was
    # between two attempts of a task waits at the pause gate, still "backing_off".
    await _until(
        lambda: (
            all(w.state in ("paused", "backing_off") for w in _frame(monitor, run).workers)
            and _frame(monitor, run).sites[0].breaker == "open"
        ),
        what="workers to stop and the breaker to stay open",
    )
    settled = _frame(monitor, run)
    await asyncio.sleep(0.3)  # several breaker cooldowns: still nobody may send a probe
    frame = _frame(monitor, run)
    assert frame.totals.requests == settled.totals.requests
    # The cooldown may have run out (half_open), but no probe goes while paused.
    assert frame.sites[0].breaker in ("open", "half_open")
    return frame


def _watch_site_cards(monitor: Monitor, run: Run) -> list[str]:
    """The site card's breaker state right after each breaker event is folded."""
    seen: list[str] = []

    def listener(event: ActivityEvent) -> None:
        if event.run_id == run.run_id and event.action.startswith("breaker_"):
            seen.append(f"{event.action}:{_frame(monitor, run).sites[0].breaker}")

    monitor.bus.add_listener(listener)  # added after the aggregator, so it sees the result
    return seen


async def test_down_site_opens_its_breaker_and_pauses_the_run_then_resume_finishes(
    monitor: Monitor, down_site: RunningSite, derive_totals: Any
) -> None:
    run = monitor.new_run(_fetch_collection(), {"base_url": down_site.url})
    cards = _watch_site_cards(monitor, run)
    await run.start()
    frame = await _wait_for_auto_pause(monitor, run)
    assert cards[0] == "breaker_opened:open"
    assert frame.paused_reason is not None
    assert frame.paused_reason.startswith("4 consecutive task failures")
    assert "http_5xx" in frame.paused_reason
    (site,) = frame.sites
    assert site.successes == 0
    assert site.failures == site.requests > 0

    await monitor.flush()
    record = await monitor.store.runs.get(run.run_id)
    assert record is not None
    assert record.status == "paused"
    assert record.paused_reason == frame.paused_reason
    events = await monitor.store.events.read_all(run.run_id)
    opened = [e for e in events if e.action == "breaker_opened"]
    assert opened
    assert opened[0].site == site.site
    assert opened[0].extra == {"from": "closed", "to": "open", "failures": 3}
    paused = [e for e in events if e.action == "run_paused"]
    assert len(paused) == 1
    assert paused[0].extra is not None
    assert paused[0].extra["reason"] == frame.paused_reason
    assert paused[0].extra["auto"] is True
    assert paused[0].extra["requeued"] == 3

    # The site comes back; resume retries every task that failed (none was lost).
    healthy = FaultConfig.off()
    down_site.app.faults = healthy
    down_site.app.plan = FaultPlan(healthy)
    assert run.resume() is True
    assert await asyncio.wait_for(run.wait(), 20) == "completed"

    events = await monitor.store.events.read_all(run.run_id)
    record = await monitor.store.runs.get(run.run_id)
    assert record is not None
    totals = derive_totals(events)
    assert msgspec.to_builtins(record.totals) == totals
    assert totals["tasks_done"] == 12
    assert totals["tasks_failed"] == 0
    assert totals["tasks_requeued"] >= 4
    transitions = [e.action for e in events if e.action.startswith("breaker_")]
    assert transitions[-2:] == ["breaker_half_open", "breaker_closed"]
    assert cards[-1] == "breaker_closed:closed"
    assert {c for c in cards if c.startswith("breaker_half_open")} == {
        "breaker_half_open:half_open"
    }
    assert record.frame is not None
    assert record.frame.sites[0].breaker == "closed"
    assert record.paused_reason is None
    done = {e.task for e in events if e.action == "complete" and e.error_type is None}
    assert done == {f"page {n}" for n in range(12)}


async def test_down_site_pause_then_cancel(monitor: Monitor, down_site: RunningSite) -> None:
    run = monitor.new_run(_fetch_collection(), {"base_url": down_site.url})
    await run.start()
    await _wait_for_auto_pause(monitor, run)
    # Every task failed and went back on the queue, except those held by a worker that
    # waits at the pause gate between two attempts (or for the site).
    queued = run.queues.size("fetch")
    held = 12 - queued
    assert 0 <= held <= 3
    await monitor.flush()
    before = await monitor.store.events.count(run.run_id)
    started = time.perf_counter()
    assert run.cancel() is True
    assert await asyncio.wait_for(run.wait(), 10) == "cancelled"
    assert time.perf_counter() - started < 1.0
    events = await monitor.store.events.read_all(run.run_id)
    after_cancel = events[before:]
    # A paused run that is cancelled starts nothing new on the way out: no request, no
    # task taken from the queue. Only tasks caught between two attempts end, as cancelled.
    from_workers = [e for e in after_cancel if e.worker_id]
    assert [(e.action, e.error_type) for e in from_workers] == [("complete", "cancelled")] * held
    _assert_every_task_ended_once(events)
    assert after_cancel[-1].action == "run_cancelled"
    assert after_cancel[-1].extra is not None
    assert not [e for e in events if e.action == "complete" and e.error_type is None]
    # Queued tasks stay pending: none was taken off the queue only to be "cancelled".
    assert after_cancel[-1].extra["pending_tasks"] == queued
    record = await monitor.store.runs.get(run.run_id)
    assert record is not None
    assert record.status == "cancelled"


# -- commands while the database is unreachable ----------------------------------------------


class _UnreachableCommands:
    """The store's real command queue, unreachable while ``down`` (a database outage)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.down = True
        self.failed_polls = 0

    async def pending(self, run_id: str) -> Any:
        if self.down:
            self.failed_polls += 1
            raise ConnectionRefusedError("the database does not answer")
        return await self.inner.pending(run_id)

    async def acknowledge(self, command_id: int, outcome: Any) -> None:
        await self.inner.acknowledge(command_id, outcome)


async def test_a_failing_command_poll_is_said_once_and_commands_arrive_after_it(
    monitor: Monitor, caplog: pytest.LogCaptureFixture
) -> None:
    collection = Collection("waiting")

    @collection.phase("only", workers=1)
    async def handler(ctx: TaskContext, task: Task) -> None:
        await asyncio.sleep(60)

    collection.seed(lambda params: [Task("a long task")])
    commands = _UnreachableCommands(monitor.store.commands)
    run = Run(collection, monitor, control_source=commands)
    run.control_interval = 0.01
    caplog.set_level(logging.INFO, logger="crawlscope.runner.run")
    await run.start()
    await _until(lambda: commands.failed_polls >= 20, what="20 failed polls")
    await monitor.store.commands.enqueue(run.run_id, ControlCommand.CANCEL)
    commands.down = False
    assert await asyncio.wait_for(run.wait(), 10) == "cancelled"
    said = [r.getMessage() for r in caplog.records if "polling commands" in r.getMessage()]
    assert len(said) == 2, said
    assert "failed" in said[0]
    assert "the database does not answer" in said[0]
    assert said[1] == f"polling commands for run {run.run_id} works again"
