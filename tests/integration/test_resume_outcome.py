"""A resumed run is judged as a whole: the tasks and items from before the crash count."""

from __future__ import annotations

from pathlib import Path

from crawlscope.monitor import Monitor
from crawlscope.runner import Collection, Run, Task, TaskContext
from crawlscope.runner.frontier import SavedFrontier
from crawlscope.status import RunStatus
from crawlscope.store import DatasetSink


def _collection(produce_items: bool) -> Collection:
    async def work(ctx: TaskContext, task: Task) -> None:
        if produce_items:
            ctx.add_item({"n": task.payload["n"]})

    collection = Collection("pages", dataset="pages", key="n")
    collection.seed(lambda params: [])
    collection.add_phase("work", work, workers=2)
    return collection


def _saved(done: int, failed: int, items: int) -> SavedFrontier:
    pending = [(no, "work", Task(f"page {no}", payload={"n": no})) for no in (8, 9)]
    return SavedFrontier(
        pending=pending,
        keys={},
        next_no=10,
        finished_phases=[],
        progress=[],
        done=done,
        failed=failed,
        items=items,
    )


async def _resume(tmp_path: Path, saved: SavedFrontier, produce_items: bool) -> Run:
    async with Monitor(str(tmp_path / "c.db"), announce=False) as monitor:
        run = Run(
            _collection(produce_items),
            monitor,
            sink=DatasetSink(monitor.store.datasets, "pages"),
            frontier=monitor.store.frontiers,
            resume_from=saved,
        )
        await run.execute()
    return run


async def test_failures_from_before_the_crash_still_count(tmp_path: Path) -> None:
    # 5 done and 3 failed before the crash; the 2 pending tasks succeed after it.
    run = await _resume(tmp_path, _saved(done=5, failed=3, items=5), produce_items=True)
    assert run.status is RunStatus.COMPLETED_WITH_ERRORS
    assert run.finish_reason is not None
    assert run.finish_reason.startswith("3 of 10 tasks failed (30")


async def test_items_from_before_the_crash_count_for_fail_without_items(tmp_path: Path) -> None:
    # The tasks left after the crash produce no items, but the run did before it.
    run = await _resume(tmp_path, _saved(done=6, failed=0, items=6), produce_items=False)
    assert run.status is RunStatus.COMPLETED, run.finish_reason
    assert run.finish_reason == "all 8 tasks done"
