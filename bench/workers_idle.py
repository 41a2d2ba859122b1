"""Distributed workers: what 20 idle ``crawlscope worker`` processes cost Redis and
PostgreSQL (requests per second they cause), their memory and CPU.

Redis: a ``redis-server`` of this benchmark (nobody else's commands in its counts). Its
``INFO commandstats`` is read at the start and the end of a window of ``--seconds``,
first with no worker at all (the baseline: this process's own ``INFO`` calls), then with
``--workers`` workers started and settled; the figure is the difference of the two
rates. Two idle states are measured: no run on the queue (a worker blocks on the
control stream), and one run open on the queue with nothing to take (its phase stream
empty, as when a run waits for a slow seed or its tasks are all held elsewhere; the
run is announced with the same keys and messages as ``RedisWorkQueue.open``).

PostgreSQL: the workers' environment points ``CRAWLSCOPE_DATABASE_URL`` at a database
of the benchmark's own (so a worker that did connect would be seen there);
``pg_stat_database`` (``xact_commit + xact_rollback``, ``numbackends``) and
``pg_stat_activity`` for it are read from another database over the same windows. A
positive control at the end (ten ``SELECT 1`` on it) shows the counters do move.

Run: ``.venv/bin/python bench/workers_idle.py [--workers 20] [--seconds 20]
[--pg-url postgresql://postgres@127.0.0.1:5432/test]``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _workers import (  # noqa: E402
    own_redis,
    project_dir,
    start_workers,
    stop_workers,
    worker_env,
)

PREFIX = "crawlscope-bench-idle"


def _commands(stats: dict[str, Any]) -> dict[str, int]:
    """``INFO commandstats`` as command -> calls."""
    return {
        key.removeprefix("cmdstat_"): int(value["calls"])
        for key, value in stats.items()
        if key.startswith("cmdstat_")
    }


class PgCounters:
    """The bench database's transaction and connection counters, read from elsewhere."""

    def __init__(self, admin: Any, name: str) -> None:
        self.admin, self.name = admin, name

    async def read(self) -> dict[str, int]:
        row = await self.admin.fetchrow(
            "SELECT xact_commit + xact_rollback AS xacts, numbackends FROM pg_stat_database "
            "WHERE datname = $1",
            self.name,
        )
        sessions = await self.admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", self.name
        )
        return {
            "xacts": int(row["xacts"]),
            "backends": int(row["numbackends"]),
            "sessions": sessions,
        }


async def window(redis: Any, pg: PgCounters, seconds: float, pids: list[int]) -> dict[str, Any]:
    """Command, transaction and CPU deltas over ``seconds``; sessions sampled each second."""
    procs = [psutil.Process(pid) for pid in pids]
    # The admin connection's own statistics reach pg_stat_database late: read it fresh.
    await pg.admin.execute("SELECT pg_stat_clear_snapshot()")
    pg0 = await pg.read()
    cpu0 = sum(sum(p.cpu_times()[:2]) for p in procs)
    c0 = _commands(await redis.info("commandstats"))
    started = time.monotonic()
    most_sessions = 0
    while (left := seconds - (time.monotonic() - started)) > 0:
        await asyncio.sleep(min(1.0, left))
        most_sessions = max(most_sessions, (await pg.read())["sessions"])
    c1 = _commands(await redis.info("commandstats"))
    elapsed = time.monotonic() - started
    cpu1 = sum(sum(p.cpu_times()[:2]) for p in procs)
    await asyncio.sleep(1.5)  # backends flush their statistics at most once a second
    await pg.admin.execute("SELECT pg_stat_clear_snapshot()")
    pg1 = await pg.read()
    delta = {name: c1.get(name, 0) - c0.get(name, 0) for name in c1}
    return {
        "seconds": elapsed,
        "commands": {k: v for k, v in sorted(delta.items()) if v},
        "commands_per_s": sum(delta.values()) / elapsed,
        "pg_xacts": pg1["xacts"] - pg0["xacts"],
        "pg_most_sessions": most_sessions,
        "pg_backends": pg1["backends"],
        "cpu_share_of_core": (cpu1 - cpu0) / elapsed,
    }


def _announce_run(url: str, run_id: str, collection: str, phases: list[str]) -> None:
    """Put a run on the queue as ``RedisWorkQueue.open`` does: the phases' streams and
    groups, the coordinator's sign of life, the run's spec, the ``open`` message."""
    import redis

    from crawlscope.workqueue.keys import GROUP, QueueKeys
    from crawlscope.workqueue.messages import ControlMessage, RunSpec, encode

    keys = QueueKeys(PREFIX)
    client = redis.Redis.from_url(url)
    for phase in phases:
        client.xgroup_create(keys.tasks(run_id, phase), GROUP, id="0", mkstream=True)
    spec = RunSpec(run_id, collection, {}, lease_s=10.0)
    # The coordinator's sign of life, which it renews while the run goes on (workers
    # drop a run without one); set here for longer than the benchmark.
    client.set(keys.alive(run_id), 1, px=600_000)
    client.hset(keys.runs, run_id, encode(spec))
    client.xadd(keys.control, {"c": encode(ControlMessage(run_id, "open", spec))}, maxlen=1000)
    client.close()


def _show(label: str, w: dict[str, Any], base: dict[str, Any], n: int) -> dict[str, Any]:
    extra = w["commands_per_s"] - base["commands_per_s"]
    top = ", ".join(f"{k} {v / w['seconds']:.2f}/s" for k, v in w["commands"].items())
    print(
        f"  {label}: {w['commands_per_s']:.2f} commands/s ({top}); "
        f"PostgreSQL: {w['pg_xacts']} transactions, at most {w['pg_most_sessions']} sessions; "
        f"workers' CPU {w['cpu_share_of_core'] * 100:.2f}% of a core",
        flush=True,
    )
    return {**w, "added_per_s": extra, "added_per_worker_per_s": extra / n if n else 0.0}


async def bench(args: argparse.Namespace, url: str, project: Path) -> dict[str, Any]:
    import asyncpg
    import redis.asyncio as aioredis

    name = f"crawlscope_bench_idle_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(args.pg_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    db_url = args.pg_url.rsplit("/", 1)[0] + f"/{name}"
    redis = aioredis.from_url(url)
    pg = PgCounters(admin, name)
    workers: list[Any] = []
    out: dict[str, Any] = {"database": name}
    try:
        print(f"  baseline (no worker), {args.seconds:g} s ...", flush=True)
        base = await window(redis, pg, args.seconds, [])
        out["baseline"] = _show("no worker", base, base, 0)

        env = worker_env(url, PREFIX, CRAWLSCOPE_DATABASE_URL=db_url)
        names = [f"idle-{i}" for i in range(args.workers)]
        # Started a few at a time: 20 Python start-ups at once on 2 cores take a while.
        for k in range(0, len(names), 5):
            workers += await start_workers(names[k : k + 5], env, project, concurrency=8)
        await asyncio.sleep(args.settle)
        pids = [w.pid for w in workers]
        memory = [psutil.Process(pid).memory_full_info() for pid in pids]
        out["rss_mb"] = sum(m.rss for m in memory) / len(memory) / 2**20
        out["uss_mb"] = sum(m.uss for m in memory) / len(memory) / 2**20

        print(f"  {args.workers} idle workers, no run, {args.seconds:g} s ...", flush=True)
        no_run = await window(redis, pg, args.seconds, pids)
        out["no_run"] = _show(f"{args.workers} workers, no run", no_run, base, args.workers)

        _announce_run(url, "idle-run", "benchpages", ["fetch"])
        await asyncio.sleep(args.settle)
        print(
            f"  {args.workers} idle workers, a run open with nothing to take, "
            f"{args.seconds:g} s ...",
            flush=True,
        )
        open_run = await window(redis, pg, args.seconds, pids)
        out["open_run"] = _show(f"{args.workers} workers, a run open", open_run, base, args.workers)
        out["worker_lines"] = sum(len(w.lines) for w in workers)
    finally:
        await stop_workers(workers)
        # Positive control: ten transactions on the bench database are seen.
        await admin.execute("SELECT pg_stat_clear_snapshot()")
        before = (await pg.read())["xacts"]
        probe = await asyncpg.connect(db_url)
        for _ in range(10):
            await probe.fetchval("SELECT 1")
        await probe.close()
        await asyncio.sleep(1.5)
        await admin.execute("SELECT pg_stat_clear_snapshot()")
        out["pg_control_xacts"] = (await pg.read())["xacts"] - before
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
        await redis.aclose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=20, help="idle worker processes")
    parser.add_argument("--seconds", type=float, default=20.0, help="one measuring window")
    parser.add_argument("--settle", type=float, default=6.0, help="wait before a window, s")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    from _common import report

    with own_redis() as url, project_dir() as project:
        out = asyncio.run(bench(args, url, project))
    n = args.workers
    sessions = max(out["no_run"]["pg_most_sessions"], out["open_run"]["pg_most_sessions"])
    rows = [
        (
            f"Redis, {n} idle workers, no run",
            f"{out['no_run']['added_per_s']:.2f} commands/s "
            f"({out['no_run']['added_per_worker_per_s']:.3f} per worker)",
        ),
        (
            f"Redis, {n} idle workers, a run open",
            f"{out['open_run']['added_per_s']:.2f} commands/s "
            f"({out['open_run']['added_per_worker_per_s']:.3f} per worker)",
        ),
        (
            "PostgreSQL transactions (no run, run open)",
            f"{out['no_run']['pg_xacts']}, {out['open_run']['pg_xacts']} "
            f"(sessions at most {sessions}; "
            f"control: 10 SELECTs seen as {out['pg_control_xacts']})",
        ),
        (
            "workers' CPU (no run, run open)",
            f"{out['no_run']['cpu_share_of_core'] * 100:.2f}%, "
            f"{out['open_run']['cpu_share_of_core'] * 100:.2f}% of one core, all {n} together",
        ),
        ("memory per worker", f"RSS {out['rss_mb']:.1f} MB, USS {out['uss_mb']:.1f} MB"),
    ]
    report("workers_idle", rows, {"workers": n, **out})


if __name__ == "__main__":
    main()
