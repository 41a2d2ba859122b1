"""Runner overhead: no-op tasks/s through the full runner versus a bare asyncio pool.

Baseline: N workers pulling from one ``asyncio.Queue`` and awaiting a no-op handler.
crawlscope: a one-phase collection with the same no-op handler, run by ``Run`` with a
``Monitor`` on a SQLite file, so every task's events are numbered, aggregated and stored
(the clock stops when the run has ended and its events are persisted).

Target (issue 2): ratio >= 0.3.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from _common import fresh_db_path, median_of, report
from crawlscope.monitor import Monitor
from crawlscope.runner import Collection, Task, TaskContext


async def noop(ctx: TaskContext, task: Task) -> None:
    """The task does nothing: what is left is the runner's own cost."""


async def bare_pool(tasks: int, workers: int) -> float:
    queue: asyncio.Queue[Task] = asyncio.Queue()
    for i in range(tasks):
        queue.put_nowait(Task(f"task {i}"))

    async def worker() -> None:
        while True:
            task = await queue.get()
            try:
                await noop(None, task)  # type: ignore[arg-type]
            finally:
                queue.task_done()

    t0 = time.perf_counter()
    pool = [asyncio.create_task(worker()) for _ in range(workers)]
    await queue.join()
    elapsed = time.perf_counter() - t0
    for w in pool:
        w.cancel()
    await asyncio.gather(*pool, return_exceptions=True)
    return tasks / elapsed


async def full_runner(tasks: int, workers: int) -> float:
    collection = Collection("overhead")
    collection.seed(lambda params: [Task(f"task {i}") for i in range(tasks)])
    collection.add_phase("work", noop, workers=workers)
    async with Monitor(fresh_db_path("overhead")) as monitor:
        run = monitor.new_run(collection)
        t0 = time.perf_counter()
        status = await run.execute()
        elapsed = time.perf_counter() - t0
        assert status == "completed", status
        frame = await monitor.frame(run.run_id)
        assert frame is not None
        assert frame.totals.tasks_done == tasks
        assert await monitor.events.count(run.run_id) == frame.last_seq
    return tasks / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    bare: list[float] = []
    ours: list[float] = []
    for _ in range(args.rounds):
        bare.append(asyncio.run(bare_pool(args.tasks, args.workers)))
        ours.append(asyncio.run(full_runner(args.tasks, args.workers)))
    bare_rate, our_rate = median_of(bare), median_of(ours)
    ratio = our_rate / bare_rate
    report(
        "runner_overhead",
        [
            ("tasks per round / workers", f"{args.tasks:,} / {args.workers}"),
            ("bare asyncio.Queue pool", f"{bare_rate:,.0f} tasks/s (median of {args.rounds})"),
            ("crawlscope runner, events stored", f"{our_rate:,.0f} tasks/s"),
            ("ratio (target >= 0.3)", f"{ratio:.2f}"),
        ],
        {
            "tasks": args.tasks,
            "workers": args.workers,
            "bare_per_s": bare,
            "runner_per_s": ours,
            "ratio": ratio,
        },
    )


if __name__ == "__main__":
    main()
