"""Runner overhead: no-op tasks/s through the full runner versus a bare asyncio pool.

Baseline: N workers pulling from one ``asyncio.Queue`` and awaiting the handler.
crawlscope: a one-phase collection with the same handler, run by ``Run`` with a
``Monitor`` on a SQLite file, so every task's events are numbered, aggregated and stored
(the clock stops when the run has ended and its events are persisted).

Two handlers are measured, alternating with the baseline in every round:

* ``yield`` (the target): the handler does nothing but ``await asyncio.sleep(0)``, the
  least any real task does (it waits for I/O at least once). Workers interleave, so the
  baseline is a worker pool and not a loop.
* ``strict`` (for reference): the handler returns without awaiting anything. The bare
  pool's ``queue.get()`` never suspends then, so its first worker drains the whole queue
  in one go (about a microsecond a task) and the other workers never run. The runner
  stores at least one event per task, and raw SQLite alone takes several microseconds
  per row, so this ratio is bounded well below 0.3 by the storage, not by the runner.

``--event-writer`` chooses how the Monitor stores events: ``process`` (the default for
SQLite files: a writer process inserts them) and/or ``inline`` (in this process, through
SQLAlchemy and aiosqlite's thread); with both, each is measured in every round and the
target is judged on the first. The runner's CPU per task counts this process and the
writer process.

Target (issue 2): ratio >= 0.3 (``yield``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time

from _common import WriterCpu, add_writer_option, fresh_db_path, median_of, report, writers_from
from crawlscope.monitor import Monitor
from crawlscope.runner import Collection, Task, TaskContext

TARGET = 0.3


async def noop(ctx: TaskContext, task: Task) -> None:
    """The task does nothing at all."""


async def yielding(ctx: TaskContext, task: Task) -> None:
    """The task only yields to the event loop once."""
    await asyncio.sleep(0)


HANDLERS = {"yield": yielding, "strict": noop}


async def bare_pool(tasks: int, workers: int, handler_name: str) -> float:
    handler = HANDLERS[handler_name]
    queue: asyncio.Queue[Task] = asyncio.Queue()
    for i in range(tasks):
        queue.put_nowait(Task(f"task {i}"))
    done = 0

    async def worker() -> None:
        nonlocal done
        while True:
            task = await queue.get()
            try:
                await handler(None, task)  # type: ignore[arg-type]
                done += 1
            finally:
                queue.task_done()

    gc.collect()  # both sides start from a collected heap
    t0 = time.perf_counter()
    pool = [asyncio.create_task(worker()) for _ in range(workers)]
    await queue.join()
    elapsed = time.perf_counter() - t0
    for w in pool:
        w.cancel()
    await asyncio.gather(*pool, return_exceptions=True)
    assert done == tasks, (done, tasks)
    return tasks / elapsed


async def full_runner(
    tasks: int, workers: int, handler_name: str, writer: str
) -> tuple[float, float, float]:
    """``(tasks/s, CPU µs per task in this process, in the writer process)``."""
    collection = Collection("overhead")
    collection.seed(lambda params: [Task(f"task {i}") for i in range(tasks)])
    collection.add_phase("work", HANDLERS[handler_name], workers=workers)
    async with Monitor(fresh_db_path("overhead"), event_writer=writer) as monitor:
        run = monitor.new_run(collection)
        writer_cpu = WriterCpu(monitor)
        writer_cpu.start()
        gc.collect()  # start-up garbage (migrations, imports) is not charged to the tasks
        c0 = time.process_time()
        t0 = time.perf_counter()
        status = await run.execute()  # returns once the run's events are stored
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0
        helper = writer_cpu.stop()
        assert status == "completed", status
        frame = await monitor.frames.frame(run.run_id)
        assert frame is not None
        assert frame.totals.tasks_done == tasks, frame.totals.tasks_done
        assert await monitor.store.events.count(run.run_id) == frame.last_seq
    return tasks / elapsed, cpu / tasks * 1e6, helper / tasks * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    add_writer_option(parser)
    args = parser.parse_args()
    writers = writers_from(args)
    sides = ["bare", *writers]
    rates: dict[str, dict[str, list[float]]] = {name: {s: [] for s in sides} for name in HANDLERS}
    cpus: dict[str, dict[str, list[float]]] = {name: {w: [] for w in writers} for name in HANDLERS}
    helper_cpus: dict[str, dict[str, list[float]]] = {
        name: {w: [] for w in writers} for name in HANDLERS
    }
    for r in range(args.rounds):
        for name in HANDLERS:
            # Rotate which side goes first, so drift on a shared machine hits all of them.
            for side in sides[r % len(sides) :] + sides[: r % len(sides)]:
                if side == "bare":
                    rate = asyncio.run(bare_pool(args.tasks, args.workers, name))
                else:
                    rate, cpu, helper = asyncio.run(
                        full_runner(args.tasks, args.workers, name, side)
                    )
                    cpus[name][side].append(cpu)
                    helper_cpus[name][side].append(helper)
                rates[name][side].append(rate)
    rows = [("tasks per round / workers", f"{args.tasks:,} / {args.workers}")]
    data: dict[str, object] = {"tasks": args.tasks, "workers": args.workers, "writers": writers}
    for name in HANDLERS:
        bare = median_of(rates[name]["bare"])
        rows.append(
            (f"[{name}] bare asyncio.Queue pool", f"{bare:,.0f} tasks/s (median of {args.rounds})")
        )
        entry: dict[str, object] = {"bare_per_s": rates[name]["bare"]}
        for i, writer in enumerate(writers):
            ours = median_of(rates[name][writer])
            cpu = median_of(cpus[name][writer])
            helper = median_of(helper_cpus[name][writer])
            ratio = ours / bare
            judged = name == "yield" and i == 0
            label = f"target >= {TARGET}" if judged else "reference, no target"
            verdict = (" met" if ratio >= TARGET else " MISSED") if judged else ""
            rows += [
                (
                    f"[{name}] runner, events stored ({writer} writer)",
                    f"{ours:,.0f} tasks/s, CPU us/task {cpu:.1f}"
                    + (f" + {helper:.1f} in the writer process" if helper else ""),
                ),
                (f"[{name}] ratio, {writer} writer ({label})", f"{ratio:.3f}{verdict}"),
            ]
            entry[writer] = {
                "runner_per_s": rates[name][writer],
                "cpu_us": cpus[name][writer],
                "writer_process_cpu_us": helper_cpus[name][writer],
            }
            entry[f"ratio_{writer}"] = ratio
            if i == 0:
                entry["runner_per_s"] = rates[name][writer]
                entry["ratio"] = ratio
        data[name] = entry
    data["ratio"] = data["yield"]["ratio"]  # type: ignore[index]
    report("runner_overhead", rows, data)


if __name__ == "__main__":
    main()
