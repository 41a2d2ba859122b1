"""Backpressure: while events cannot be stored, a run in the same process pauses before its
next task instead of filling memory, and goes on once storage catches up.

The event log is the real one on a SQLite file, except that its writes wait at a gate the
test holds closed (a stalled disk).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from crawlscope.events import Action
from crawlscope.monitor import Monitor
from crawlscope.runner import Collection, Task, TaskContext
from crawlscope.store import Database, EventLog, SqlStore

MAX_UNSTORED = 1000
EVENTS_PER_TASK = 6  # five from the handler, the task's own complete
WORKERS = 4


class GatedEventLog(EventLog):
    """The real in-process event log; every write waits until ``gate`` is open."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.gate = asyncio.Event()

    async def append(self, rows: list[tuple[Any, ...]]) -> None:
        await self.gate.wait()
        await super().append(rows)


def _busy_collection() -> Collection:
    async def work(ctx: TaskContext, task: Task) -> None:
        for _ in range(EVENTS_PER_TASK - 1):
            ctx.emit(Action.FOUND, url="http://shop.test/x", status_code=200)
        await asyncio.sleep(0)

    collection = Collection("busy")
    collection.seed(lambda params: [Task(f"t{i}") for i in range(2000)])
    collection.add_phase("only", work, workers=WORKERS)
    return collection


async def test_a_run_waits_for_storage_then_finishes_with_every_event(tmp_path: Path) -> None:
    database = Database(str(tmp_path / "c.db"))
    log = GatedEventLog(database)
    async with Monitor(SqlStore(database, event_log=log), max_unstored=MAX_UNSTORED) as monitor:
        run = monitor.new_run(_busy_collection())
        await run.start()

        async def stalled() -> int:
            """Tasks done once the count stops moving."""
            last = -1
            while True:
                await asyncio.sleep(0.2)
                frame = monitor.live_frame(run.run_id)
                done = frame.totals.tasks_done if frame else 0
                if done == last:
                    return done
                last = done

        done = await asyncio.wait_for(stalled(), 20)
        # Workers stopped taking tasks soon after the limit: what is in memory is the
        # limit plus what the tasks already running emitted, not the whole run.
        assert 0 < done < 2000
        assert MAX_UNSTORED < monitor.unstored <= MAX_UNSTORED + 2 * WORKERS * EVENTS_PER_TASK
        assert monitor.congested()
        status = monitor.storage_status()  # slow, not failing: no error to report
        assert (status.ok, status.unstored) == (True, monitor.unstored)

        log.gate.set()
        assert await asyncio.wait_for(run.wait(), 60) == "completed"
        await monitor.flush()
        stored = await monitor.store.events.read_all(run.run_id)
        frame = await monitor.frames.frame(run.run_id)
        assert frame is not None
        assert frame.totals.tasks_done == 2000
        assert [e.seq for e in stored] == list(range(1, frame.last_seq + 1))
        assert not monitor.congested()
