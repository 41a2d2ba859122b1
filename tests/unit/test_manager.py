"""RunManager: starting, controlling and reading runs over a real Monitor and SQLite file."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from crawlscope.aggregate import RunFrame
from crawlscope.manager import RunManager, TransitionNotAllowed, UnknownRun
from crawlscope.monitor import Monitor
from crawlscope.registry import CollectionRegistry, InvalidParams, UnknownCollection
from crawlscope.runner import Collection, Task, TaskContext
from crawlscope.status import RunStatus
from crawlscope.store import EventQuery, StatusChange


class CountParams(msgspec.Struct, forbid_unknown_fields=True):
    tasks: int = 5
    delay: float = 0.0


async def _work(ctx: TaskContext, task: Task) -> None:
    await asyncio.sleep(ctx.params["delay"])
    ctx.add_item({"id": f"{ctx.run_id}-{task.payload['i']}"})


def _counting() -> Collection:
    collection = Collection("count", dataset="count_items", key="id", params=CountParams)
    collection.seed(
        lambda params: [Task(f"task {i}", payload={"i": i}) for i in range(params["tasks"])]
    )
    collection.add_phase("work", _work, workers=2)
    return collection


@pytest.fixture
def manager(monitor: Monitor) -> RunManager:
    registry = CollectionRegistry()
    registry.register(_counting(), description="counts")
    return RunManager(monitor, registry)


async def _stored_run_count(monitor: Monitor) -> int:
    return await monitor.store.runs.count()


async def _until(predicate: object, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():  # type: ignore[operator]
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


async def test_bad_start_requests_store_nothing(manager: RunManager, monitor: Monitor) -> None:
    with pytest.raises(UnknownCollection):
        await manager.start("nope")
    with pytest.raises(InvalidParams) as info:
        await manager.start("count", {"tasks": "many"})
    assert info.value.field == "params.tasks"
    with pytest.raises(InvalidParams) as info:
        await manager.start("count", workers=0)
    assert info.value.field == "workers"
    assert await _stored_run_count(monitor) == 0
    assert manager.running == []


async def test_a_run_reads_live_then_from_its_stored_frame(
    manager: RunManager, monitor: Monitor
) -> None:
    run = await manager.start("count", {"tasks": 6}, workers=3)
    assert manager.local(run.run_id) is run
    assert await run.wait() == "completed"
    await _until(lambda: manager.local(run.run_id) is None)

    live = await manager.detail(run.run_id)
    assert live.live is True
    assert live.status == "completed"
    assert live.totals.tasks_done == 6
    assert live.totals.items_found == 6
    assert {w.worker_id for w in live.workers} == {1, 2, 3}
    assert live.origin == "local"
    assert live.created_at is not None

    # Once the aggregate is forgotten the stored frame answers, with the same numbers.
    monitor.forget_after = 0
    await monitor.save_frames()
    stored = await manager.detail(run.run_id)
    assert stored.live is False
    assert stored.totals == live.totals
    assert stored.workers == live.workers
    assert stored.last_seq == live.last_seq
    frame = await manager.frame(run.run_id)
    assert frame.workers == live.workers

    events = await manager.events(EventQuery(run_id=run.run_id, limit=5000))
    assert [e.seq for e in events] == list(range(1, live.last_seq + 1))


async def test_list_runs_pages_newest_first(manager: RunManager) -> None:
    ids = []
    for _ in range(3):
        run = await manager.start("count", {"tasks": 1})
        await run.wait()
        ids.append(run.run_id)
        await asyncio.sleep(0.002)  # distinct created_at milliseconds
    page, total = await manager.list_runs(limit=2)
    assert total == 3
    assert [s.id for s in page] == [ids[2], ids[1]]
    page, total = await manager.list_runs(limit=2, offset=2)
    assert [s.id for s in page] == [ids[0]]
    assert total == 3
    page, total = await manager.list_runs(status="completed")
    assert total == 3
    assert all(s.status == "completed" and s.duration_s is not None for s in page)
    assert await manager.list_runs(status="running") == ([], 0)


async def test_overview_sums_todays_runs(manager: RunManager) -> None:
    items = 0
    for tasks in (2, 3):
        run = await manager.start("count", {"tasks": tasks})
        await run.wait()
        items += tasks
    view = await manager.overview(recent=1)
    assert view.today.runs == 2
    assert view.today.items == items
    assert view.today.requests == 0  # these runs make no HTTP requests
    assert view.active == []
    assert len(view.recent) == 1
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    assert (await manager.overview(now=tomorrow)).today.runs == 0


async def test_overview_lists_active_runs_with_live_totals(
    manager: RunManager, monitor: Monitor
) -> None:
    run = await manager.start("count", {"tasks": 400, "delay": 0.01})

    def some_done() -> bool:
        frame = monitor.live_frame(run.run_id)
        # items are counted when the pipeline has written them (batched), not per task
        return frame is not None and frame.totals.items_found > 3

    try:
        await _until(some_done)
        view = await manager.overview()
        assert [s.id for s in view.active] == [run.run_id]
        assert view.active[0].status == "running"
        # live totals, not the (up to a second old) stored row
        assert view.active[0].totals.items_found >= 4
        assert view.today.items >= 4
    finally:
        run.cancel()
        await run.wait()


async def test_pause_resume_cancel_a_local_run(manager: RunManager) -> None:
    run = await manager.start("count", {"tasks": 400, "delay": 0.01})
    await _until(lambda: run.status == "running")
    result = await manager.control(run.run_id, "pause")
    assert (result.outcome, result.status) == ("paused", "paused")
    with pytest.raises(TransitionNotAllowed) as info:
        await manager.control(run.run_id, "pause")
    assert info.value.status == "paused"
    assert (await manager.control(run.run_id, "resume")).outcome == "resumed"
    with pytest.raises(TransitionNotAllowed):
        await manager.control(run.run_id, "resume")
    assert (await manager.control(run.run_id, "cancel")).outcome == "cancelled"
    with pytest.raises(TransitionNotAllowed, match="being cancelled"):
        await manager.control(run.run_id, "cancel")
    assert await run.wait() == "cancelled"
    await _until(lambda: manager.local(run.run_id) is None)
    for command in ("pause", "resume", "cancel"):
        with pytest.raises(TransitionNotAllowed) as info:
            await manager.control(run.run_id, command)
        assert info.value.status == "cancelled"
    actions = [
        e.action
        for e in await manager.events(EventQuery(run_id=run.run_id, limit=5000))
        if e.action.startswith("run_") and e.action != "run_progress"
    ]
    assert actions == ["run_started", "run_paused", "run_resumed", "run_cancelled"]


async def test_a_run_owned_elsewhere_is_controlled_through_commands(
    manager: RunManager, monitor: Monitor
) -> None:
    await monitor.store.runs.create("remote1", "count", {}, origin="remote", status="running")
    # nobody answers: the command stays queued for the runner
    result = await manager.control("remote1", "pause", wait=0.3)
    assert (result.outcome, result.status) == ("queued", "running")
    pending = await monitor.store.commands.pending("remote1")
    assert [command for _, command in pending] == ["pause"]

    async def runner_answers() -> None:
        while True:
            for command_id, command in await monitor.store.commands.pending("remote1"):
                if command == "cancel":
                    await monitor.store.commands.acknowledge_text(command_id, "cancelled")
                    return
            await asyncio.sleep(0.02)

    answering = asyncio.create_task(runner_answers())
    result = await manager.control("remote1", "cancel", wait=5.0)
    await answering
    assert (result.outcome, result.status) == ("cancelled", "cancelled")


async def test_unknown_and_impossible_ids(manager: RunManager) -> None:
    for run_id in ("nope", "x" * 10_000, "", "../../etc"):
        with pytest.raises(UnknownRun):
            await manager.detail(run_id)
        with pytest.raises(UnknownRun):
            await manager.frame(run_id)
        with pytest.raises(UnknownRun):
            await manager.events(EventQuery(run_id=run_id))
        with pytest.raises(UnknownRun):
            await manager.control(run_id, "pause")


async def test_a_status_change_rewrites_the_stored_frame(
    manager: RunManager, monitor: Monitor
) -> None:
    started = "2026-01-01T00:00:00.000Z"
    frame = RunFrame(run_id="old1", collection="count", status="running", started_at=started)
    await monitor.store.runs.save_frame(frame)
    stopped = datetime(2026, 1, 1, 0, 2, tzinfo=UTC)
    change = StatusChange(status=RunStatus.INTERRUPTED, ended_at=stopped)
    await monitor.store.runs.set_status("old1", change)
    detail = await manager.detail("old1")
    assert detail.live is False
    assert detail.status == "interrupted"
    assert detail.ended_at == "2026-01-01T00:02:00.000Z"
    assert detail.duration_s == 120.0
    stored = await monitor.store.runs.get("old1")
    assert stored is not None
    assert stored.frame is not None
    assert stored.frame.status == "interrupted"
    with pytest.raises(TransitionNotAllowed):
        await manager.control("old1", "resume")


async def test_a_row_without_a_frame_still_reads(manager: RunManager, monitor: Monitor) -> None:
    await monitor.store.runs.create("bare1", "count", {"tasks": 2})
    frame = await manager.frame("bare1")
    assert (frame.run_id, frame.status, frame.params) == ("bare1", "pending", {"tasks": 2})
    assert frame.workers == []
