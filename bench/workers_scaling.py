"""Distributed workers on a latency-bound site: pages/s with one ``crawlscope worker``
against three, the same collection on the same site, measured in the same run.

Every page of the local site (aiohttp, 127.0.0.1) answers after 100-200 ms, and every
worker process has 4 slots (``--concurrency 4``), so one worker crawls at most about
4 / 0.15 s = 27 pages/s whatever the machine does, and three should come near three
times that. The coordinator is a ``Monitor`` in this process on a temporary SQLite file
whose runs send their tasks to Redis (as ``crawlscope serve`` with ``work_queue =
"redis"`` does); the workers are real processes started in a project directory that
holds the benchmark's collection. Rounds alternate one worker and three, so both see the
same machine load; workers are started (and ready) before a run begins and stopped after
it, so their start-up is not timed. A run's time is ``Run.execute()``'s: from the seed to
the last item stored. Target (issue 13): three workers at least 2.5 times as fast.

Run: ``.venv/bin/python bench/workers_scaling.py [--pages 400] [--slots 4] [--workers 3]
[--rounds 2] [--redis-url URL]`` (default: a ``redis-server`` of its own).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _workers import (  # noqa: E402
    coordinator,
    delete_prefix,
    load_collection,
    new_prefix,
    project_dir,
    redis_for,
    slow_site,
    start_workers,
    stop_workers,
    worker_env,
)


async def one_run(
    monitor: Any, collection: Any, site: Any, workers: int, args: argparse.Namespace, tag: str
) -> dict[str, Any]:
    """Start ``workers`` worker processes, crawl ``--pages`` pages, stop them."""
    env = worker_env(args.redis_url, args.prefix)
    names = [f"{tag}-w{i}" for i in range(workers)]
    procs = await start_workers(names, env, args.project, concurrency=args.slots)
    try:
        site.reset()
        started = time.monotonic()
        run = monitor.new_run(collection, {"base": site.url, "pages": args.pages})
        status = await asyncio.wait_for(run.execute(), 600)
        seconds = time.monotonic() - started
    finally:
        await stop_workers(procs)
    if status != "completed":
        raise RuntimeError(f"run {run.run_id} ended {status}: {run.finish_reason}")
    if site.served != args.pages:
        raise RuntimeError(f"the site served {site.served} pages, not {args.pages}")
    events = await monitor.store.events.read_all(run.run_id)
    # Worker ids come in blocks of --slots per worker process: which process did a task.
    per_process = Counter((e.worker_id - 1) // args.slots for e in events if e.action == "complete")
    record = await monitor.store.runs.get(run.run_id)
    result = {
        "workers": workers,
        "seconds": seconds,
        "pages_per_s": args.pages / seconds,
        "site_span_s": site.last_at - site.first_at,
        "most_in_flight": site.most_in_flight,
        "tasks_per_process": sorted(per_process.values()),
        "dataset_size": record.dataset_size if record is not None else None,
    }
    print(
        f"  {workers} worker(s): {seconds:6.2f} s, {result['pages_per_s']:6.1f} pages/s, "
        f"at most {site.most_in_flight} requests in flight, tasks per process "
        f"{result['tasks_per_process']}",
        flush=True,
    )
    return result


async def bench(args: argparse.Namespace) -> dict[str, list[dict[str, Any]]]:
    results: dict[str, list[dict[str, Any]]] = {"one": [], "many": []}
    collection = load_collection(args.project)
    async with (
        slow_site((args.delay_min, args.delay_max)) as site,
        coordinator(args.redis_url, args.prefix, args.lease) as monitor,
    ):
        for k in range(args.rounds):
            results["one"].append(await one_run(monitor, collection, site, 1, args, f"r{k}a"))
            results["many"].append(
                await one_run(monitor, collection, site, args.workers, args, f"r{k}b")
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=400, help="pages per run")
    parser.add_argument("--slots", type=int, default=4, help="each worker's --concurrency")
    parser.add_argument("--workers", type=int, default=3, help="workers against one")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each (median)")
    parser.add_argument("--delay-min", type=float, default=0.1, help="a page's least latency, s")
    parser.add_argument("--delay-max", type=float, default=0.2, help="a page's most latency, s")
    parser.add_argument("--lease", type=float, default=10.0, help="the runs' lease, s")
    parser.add_argument("--redis-url", default=None, help="default: a redis-server of its own")
    args = parser.parse_args()
    from _common import report

    print(
        f"{args.pages} pages of {args.delay_min * 1000:.0f}-{args.delay_max * 1000:.0f} ms, "
        f"{args.slots} slots per worker, 1 worker against {args.workers}",
        flush=True,
    )
    with redis_for(args.redis_url) as url, project_dir() as project:
        args.redis_url, args.project, args.prefix = url, project, new_prefix()
        try:
            results = asyncio.run(bench(args))
        finally:
            delete_prefix(url, args.prefix)
    one = statistics.median(r["pages_per_s"] for r in results["one"])
    many = statistics.median(r["pages_per_s"] for r in results["many"])
    ratio = many / one
    ceiling = args.slots / ((args.delay_min + args.delay_max) / 2)
    rows = [
        ("pages/s, 1 worker (median)", f"{one:.1f} (slots/latency ceiling {ceiling:.1f})"),
        (
            f"pages/s, {args.workers} workers (median)",
            f"{many:.1f} (ceiling {ceiling * args.workers:.1f})",
        ),
        (
            f"{args.workers} workers / 1",
            f"{ratio:.2f} (target >= 2.5: {'met' if ratio >= 2.5 else 'MISSED'})",
        ),
    ]
    report(
        "workers_scaling",
        rows,
        {
            "pages": args.pages,
            "slots": args.slots,
            "workers": args.workers,
            "delay_s": [args.delay_min, args.delay_max],
            "pages_per_s_one": one,
            "pages_per_s_many": many,
            "ratio": ratio,
            **results,
        },
    )


if __name__ == "__main__":
    main()
