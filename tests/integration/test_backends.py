"""The same monitor and runner behaviour on every backend: a SQLite file and PostgreSQL.

The repositories themselves are tested one by one in tests/store/.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from crawlscope.events import Action, ActivityEvent
from crawlscope.monitor import Monitor
from crawlscope.runner import Collection, Task, TaskContext
from crawlscope.status import ControlCommand, ControlOutcome, RunStatus
from crawlscope.store import EventQuery


def _collection(tasks: int, distinct_keys: int) -> Collection:
    collection = Collection("backend-check", dataset="backend_items", key="k")
    collection.seed(lambda params: [Task(f"task {i}", payload={"i": i}) for i in range(tasks)])

    async def handler(ctx: TaskContext, task: Task) -> None:
        i = task.payload["i"]
        ctx.add_item({"k": i % distinct_keys, "v": "same"})

    collection.add_phase("work", handler, workers=4)
    return collection


async def test_run_is_recorded_identically(database_url: str) -> None:
    async with Monitor(database_url, save_interval=0.1) as monitor:
        run = monitor.new_run(_collection(tasks=60, distinct_keys=25))
        assert await run.execute() == "completed"
        await monitor.flush()

        stored = await monitor.store.events.read_all(run.run_id)
        assert [e.seq for e in stored] == list(range(1, len(stored) + 1))
        assert len({e.id for e in stored}) == len(stored)
        actions = Counter(e.action for e in stored)
        assert actions[Action.COMPLETE] == 60

        record = await monitor.store.runs.get(run.run_id)
        assert record is not None
        assert record.status == "completed"
        assert record.last_seq == len(stored)
        assert record.dataset_size == 25
        uploaded = sum(e.items_count or 0 for e in stored if e.action == Action.UPLOADING)
        inserted = sum(e.items_count or 0 for e in stored if e.action == Action.INSERTED)
        deduped = sum(e.items_count or 0 for e in stored if e.action == Action.DEDUPED)
        assert (uploaded, inserted, deduped) == (60, 25, 35)
        assert record.totals.items_found == uploaded
        assert record.totals.new_items == inserted
        assert record.totals.duplicates == deduped
        assert record.totals.tasks_done == 60
        assert record.frame is not None
        assert len(record.frame.workers) == 4

        only_completes = await monitor.store.events.read(
            EventQuery(run_id=run.run_id, action="complete", limit=1000)
        )
        assert len(only_completes) == 60
        assert await monitor.store.datasets.count("backend_items") == 25


async def test_second_run_dedupes_against_stored_dataset(database_url: str) -> None:
    async with Monitor(database_url) as monitor:
        first = monitor.new_run(_collection(tasks=10, distinct_keys=10))
        await first.execute()
        second = monitor.new_run(_collection(tasks=10, distinct_keys=10))
        await second.execute()
        await monitor.flush()
        frame = await monitor.frames.frame(second.run_id)
        assert frame is not None
        assert frame.totals.new_items == 0
        assert frame.totals.duplicates == 10
        assert frame.dataset_size == 10


async def test_commands_reach_a_runner_through_the_database(database_url: str) -> None:
    async with Monitor(database_url) as monitor:
        gate = asyncio.Event()
        collection = Collection("gated")
        collection.seed(lambda params: [Task(f"t{i}") for i in range(3)])

        async def wait_for_gate(ctx: TaskContext, task: Task) -> None:
            await gate.wait()

        collection.add_phase("work", wait_for_gate, workers=1)
        run = monitor.new_run(collection)
        await run.start()
        command_id = await monitor.store.commands.enqueue(run.run_id, "cancel")
        assert await asyncio.wait_for(run.wait(), 10) == "cancelled"
        outcome = await monitor.store.commands.outcome(command_id)
        assert outcome == ControlOutcome.accepted(ControlCommand.CANCEL)
        await monitor.flush()
        record = await monitor.store.runs.get(run.run_id)
        assert record is not None
        assert record.status == "cancelled"


# -- the monitor's bookkeeping ----------------------------------------------------------------


async def test_monitor_marks_abandoned_runs_interrupted(database_url: str) -> None:
    async with Monitor(database_url) as first:
        await first.store.runs.create("ghost", "c", status=RunStatus.RUNNING)
    second = Monitor(database_url, stale_after=0)
    await second.start()
    try:
        record = await second.store.runs.get("ghost")
        assert record is not None
        assert record.status == "interrupted"
        assert record.ended_at is not None
    finally:
        await second.stop()


async def test_a_continued_run_numbers_after_its_stored_events(database_url: str) -> None:
    async with Monitor(database_url) as first:
        await first.open_run("r", "c", {}, None)
        for _ in range(5):
            first.emit(ActivityEvent(run_id="r", action=Action.FOUND, worker_id=1))
    async with Monitor(database_url) as second:
        await second.open_run("r", "c", {}, None)
        event = ActivityEvent(run_id="r", action=Action.FOUND, worker_id=1)
        second.emit(event)
        assert event.seq == 6
        await second.flush()
        assert [e.seq for e in await second.store.events.read_all("r")] == [1, 2, 3, 4, 5, 6]
