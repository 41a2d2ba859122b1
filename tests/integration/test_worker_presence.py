"""What worker processes announce about the worker ids they hold, through a real Redis.

Each process takes a block of worker ids per run (its first slot to start a task of the
run takes it); its presence lists the block, so the dashboard can name the process of
every worker card. The blocks of two processes are disjoint and hold every worker id the
run's events carry; a process that ends the run drops its block; an announcement written
before the field existed still decodes.
"""

from __future__ import annotations

import asyncio
import time

import msgspec
import redis.asyncio as aioredis

from crawlscope.events import Action
from crawlscope.monitor import Monitor
from crawlscope.runner import SitePolicy
from crawlscope.workqueue.keys import QueueKeys
from crawlscope.workqueue.presence import WorkerDirectory, announce, directory_key, worker_key
from tests.conftest import RedisSpace
from tests.integration.test_workqueue import _pages, _queue_for, _registry, slow_site, workers
from tests.processes import until


async def test_each_process_lists_the_block_of_worker_ids_it_took_per_run(
    monitor: Monitor, redis_space: RedisSpace
) -> None:
    collection = _pages(16, SitePolicy(timeout=10, max_concurrency=50))
    registry = _registry(collection)
    _queue_for(monitor, redis_space)
    directory = WorkerDirectory(redis_space.url, prefix=redis_space.prefix)
    try:
        async with slow_site(0.5) as site, workers(redis_space, registry, 3, 2) as pair:
            before = {w.name: w.blocks for w in await directory.workers()}
            assert before == {"w0": [], "w1": []}  # announced at start, no run yet
            run = monitor.new_run(collection, {"base": site.url})
            await run.start()
            await until(
                lambda: all(
                    (here := w.runs.get(run.run_id)) and here.worker_base is not None for w in pair
                ),
                "both workers took their block",
            )
            # The presence loop says so every 5 s; say it now instead of waiting for it.
            for w in pair:
                await announce(w._redis, w.keys, w.presence())
            listed = {w.name: w for w in await directory.workers()}
            blocks = {name: w.blocks for name, w in listed.items()}
            assert {name: [b.run_id for b in bs] for name, bs in blocks.items()} == {
                "w0": [run.run_id],
                "w1": [run.run_id],
            }
            ids = {name: set(range(bs[0].first, bs[0].last + 1)) for name, bs in blocks.items()}
            assert {name: len(i) for name, i in ids.items()} == {"w0": 3, "w1": 2}
            assert ids["w0"] | ids["w1"] == {1, 2, 3, 4, 5}  # disjoint: 5 ids in all

            assert await asyncio.wait_for(run.wait(), 60) == "completed"
            # The run ended: each process drops it, and with it its block.
            await until(lambda: all(not w.runs for w in pair), "both workers dropped the run")
            for w in pair:
                await announce(w._redis, w.keys, w.presence())
            assert [w.blocks for w in await directory.workers()] == [[], []]
    finally:
        await directory.close()

    # Every worker id the run's events carry lies in the block of one of the processes.
    stored = await monitor.store.events.read_all(run.run_id)
    used = {e.worker_id for e in stored if e.action == Action.COMPLETE}
    assert used <= ids["w0"] | ids["w1"]
    assert used & ids["w0"]
    assert used & ids["w1"]


async def test_an_announcement_without_blocks_still_decodes(redis_space: RedisSpace) -> None:
    # As a worker from before the ``blocks`` field wrote it.
    old = {
        "name": "old-worker",
        "host": "h",
        "pid": 42,
        "slots": 4,
        "busy": 1,
        "runs": ["r1"],
        "tasks_done": 7,
        "taken_over": 0,
        "started_at": "2026-01-01T00:00:00.000Z",
        "seen_at": "2026-01-01T00:00:05.000Z",
    }
    keys = QueueKeys(redis_space.prefix)
    client = aioredis.from_url(redis_space.url)
    directory = WorkerDirectory(redis_space.url, prefix=redis_space.prefix)
    try:
        await client.set(worker_key(keys, "old-worker"), msgspec.json.encode(old), ex=15)
        await client.zadd(directory_key(keys), {"old-worker": time.time()})
        (listed,) = await directory.workers()
    finally:
        await directory.close()
        await client.aclose()
    assert listed.name == "old-worker"
    assert listed.runs == ["r1"]
    assert listed.blocks == []
