"""Distributed workers in one event loop: a run whose tasks go through Redis Streams to
``WorkerProcess``es, against the real demo site and a real Redis.

The dataset must equal the site's ground truth with no duplicate, the run's events are
stored once with contiguous seq, the work is shared by the workers, a worker that stops
without acknowledging has its tasks taken over after its lease, site limits hold across
workers, and pause/resume reach them. The same with real processes and ``kill -9`` is in
``test_workers_processes.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from aiohttp import web

from crawlscope.demo import FaultConfig, build_catalog, create_site, demo_collection, serve_site
from crawlscope.demo.target_site import RunningSite
from crawlscope.events import Action
from crawlscope.monitor import Monitor
from crawlscope.registry import CollectionRegistry
from crawlscope.runner import Collection, SitePolicy, Task
from crawlscope.runner.context import TaskContext
from crawlscope.workqueue import RedisWorkQueue, WorkerProcess
from tests.conftest import RedisSpace
from tests.processes import until

FAULTS = FaultConfig(
    slow_rate=0.05,
    slow_s=0.05,
    rate_limit_rate=0.04,
    retry_after_s=0,
    server_error_rate=0.05,
    timeout_rate=0.02,
    timeout_s=0.5,
    broken_rate=0.05,
    latency_s=(0.0, 0.004),
    seed=3,
)


@pytest.fixture
async def faulty_site() -> AsyncIterator[RunningSite]:
    async with serve_site(create_site(build_catalog(seed=7, scale="tiny"), FAULTS)) as site:
        yield site


def _registry(*collections: Collection) -> CollectionRegistry:
    registry = CollectionRegistry()
    for collection in collections:
        registry.register(collection)
    return registry


def _queue_for(monitor: Monitor, redis: RedisSpace, lease_s: float = 10.0) -> None:
    def make() -> RedisWorkQueue:
        return RedisWorkQueue(redis.url, prefix=redis.prefix, lease_s=lease_s)

    monitor.work_queues = make


@contextlib.asynccontextmanager
async def workers(
    redis: RedisSpace, registry: CollectionRegistry, *sizes: int, **options: Any
) -> AsyncIterator[list[WorkerProcess]]:
    """Worker processes (in this loop) with ``sizes`` slots each, stopped afterwards."""
    stop = asyncio.Event()
    made = [
        WorkerProcess(
            redis.url, registry, prefix=redis.prefix, concurrency=n, name=f"w{i}", **options
        )
        for i, n in enumerate(sizes)
    ]
    running = [asyncio.create_task(w.run(stop)) for w in made]
    try:
        await asyncio.wait_for(asyncio.gather(*(w.ready.wait() for w in made)), 10)
        yield made
    finally:
        stop.set()
        await asyncio.gather(*running)


async def test_a_run_on_two_workers_matches_the_ground_truth_once(
    monitor: Monitor, faulty_site: RunningSite, redis_space: RedisSpace, derive_totals: Any
) -> None:
    collection = demo_collection(dataset="sellers", timeout=0.25)
    _queue_for(monitor, redis_space)
    async with workers(redis_space, _registry(collection), 3, 3) as pair:
        run = monitor.new_run(collection, {"base_url": faulty_site.url}, seed=1)
        status = await asyncio.wait_for(run.execute(), 90)
    assert status == "completed", run.finish_reason

    catalog = faulty_site.app.catalog
    truth = catalog.ground_truth_seller_ids()
    keys = await monitor.store.datasets.keys("sellers")
    assert len(keys) == len(set(keys))
    assert {int(k) for k in keys} == truth

    # Both workers did work, under worker ids of their own (1-3 and 4-6, in either order).
    assert all(w.tasks_done > 0 for w in pair)
    stored = await monitor.store.events.read_all(run.run_id)
    assert [e.seq for e in stored] == list(range(1, len(stored) + 1))
    completes = [e for e in stored if e.action == Action.COMPLETE]
    assert {e.worker_id for e in completes} == {1, 2, 3, 4, 5, 6}
    assert len(completes) == sum(w.tasks_done for w in pair)
    actions = {e.action for e in stored}
    assert {"retrying", "error", "inserted"} <= actions
    # No event of a worker is lost: every request the site received was reported.
    assert len([e for e in stored if e.action == Action.FETCHING]) == faulty_site.app.requests
    # The faults the site served (which ones depends on the order of requests) were seen.
    if faulty_site.app.faults_served.get("rate_limit"):
        assert "rate_limited" in actions

    # One aggregate of the whole run: the row's totals are those of every stored event.
    record = await monitor.store.runs.get(run.run_id)
    assert record is not None
    assert record.status == "completed"
    assert msgspec.to_builtins(record.totals) == derive_totals(stored)
    assert record.dataset_size == len(truth)
    assert record.frame is not None
    assert all(level.done == level.total > 0 for level in record.frame.progress)

    # The run's keys are gone from Redis once it ended.
    import redis.asyncio as aioredis

    client = aioredis.from_url(redis_space.url)
    try:
        left = [k async for k in client.scan_iter(match=f"{redis_space.prefix}:wq:{run.run_id}:*")]
    finally:
        await client.aclose()
    assert left == []


# -- a site that answers slowly and counts requests in flight ------------------------------


class SlowSite:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.in_flight = 0
        self.most_in_flight = 0
        self.arrived = 0
        self.served: list[str] = []
        self.url = ""


@contextlib.asynccontextmanager
async def slow_site(delay: float) -> AsyncIterator[SlowSite]:
    site = SlowSite(delay)

    async def handle(request: web.Request) -> web.Response:
        site.arrived += 1
        site.in_flight += 1
        site.most_in_flight = max(site.most_in_flight, site.in_flight)
        try:
            await asyncio.sleep(site.delay)
        finally:
            site.in_flight -= 1
        site.served.append(request.path)
        return web.Response(text=f"<html><p>{request.path}</p></html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    site.url = f"http://127.0.0.1:{port}"
    try:
        yield site
    finally:
        await runner.cleanup()


def _pages(n: int, policy: SitePolicy, name: str = "pages") -> Collection:
    async def fetch(ctx: TaskContext, task: Task) -> None:
        response = await ctx.http.get(task.payload["url"])
        ctx.add_item({"page": task.payload["page"], "status": response.status})

    collection = Collection(name, dataset=name, key="page", site_policy=policy)
    collection.seed(
        lambda params: [
            Task(f"page {i}", payload={"url": f"{params['base']}/p/{i}", "page": i})
            for i in range(n)
        ]
    )
    collection.add_phase("fetch", fetch, workers=2)
    return collection


async def test_a_worker_that_stops_answering_has_its_tasks_taken_over_after_its_lease(
    monitor: Monitor, redis_space: RedisSpace
) -> None:
    collection = _pages(12, SitePolicy(timeout=10, max_concurrency=50))
    registry = _registry(collection)
    _queue_for(monitor, redis_space, lease_s=1.0)
    async with slow_site(0.4) as site:
        # The first worker takes four tasks and then vanishes without a word: its loop is
        # cancelled with no grace, so nothing it held is acknowledged.
        stop_first = asyncio.Event()
        first = WorkerProcess(
            redis_space.url,
            registry,
            prefix=redis_space.prefix,
            concurrency=4,
            name="first",
            grace_s=0,
        )
        first_running = asyncio.create_task(first.run(stop_first))
        await asyncio.wait_for(first.ready.wait(), 10)
        run = monitor.new_run(collection, {"base": site.url})
        await run.start()
        await until(lambda: len(first._held) == 4 and first._busy == 4, "first holds 4 tasks")
        first_running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await first_running
        lost_at = time.monotonic()
        async with workers(redis_space, registry, 4) as (second,):
            status = await asyncio.wait_for(run.wait(), 60)
            taken_over = second.reclaimed
    assert status == "completed", run.finish_reason
    assert taken_over == 4
    # Lease 1 s + a reclaim check every second + the work itself: well within lease + 5 s.
    assert time.monotonic() - lost_at < 1.0 + 5.0
    keys = await monitor.store.datasets.keys("pages")
    assert sorted(int(k) for k in keys) == list(range(12))  # once each


async def test_site_limits_hold_across_workers(monitor: Monitor, redis_space: RedisSpace) -> None:
    collection = _pages(30, SitePolicy(timeout=10, max_concurrency=3))
    registry = _registry(collection)
    _queue_for(monitor, redis_space)
    async with slow_site(0.05) as site, workers(redis_space, registry, 4, 4, 4):
        run = monitor.new_run(collection, {"base": site.url})
        assert await asyncio.wait_for(run.execute(), 60) == "completed"
    # Twelve slots on three workers, one site allowing three requests at once.
    assert len(site.served) == 30
    assert site.most_in_flight == 3


async def test_pause_and_resume_reach_every_worker(
    monitor: Monitor, redis_space: RedisSpace
) -> None:
    collection = _pages(40, SitePolicy(timeout=10, max_concurrency=50))
    registry = _registry(collection)
    _queue_for(monitor, redis_space)
    async with slow_site(0.1) as site, workers(redis_space, registry, 2, 2):
        run = monitor.new_run(collection, {"base": site.url})
        await run.start()
        await until(lambda: len(site.served) >= 4, "4 pages served")
        assert run.pause()
        # Requests already sent finish; then nothing more reaches the site while paused.
        await until(lambda: site.in_flight == 0, "no request in flight")
        await asyncio.sleep(0.3)
        served = len(site.served)
        await asyncio.sleep(1.0)
        assert len(site.served) == served < 40
        assert run.resume()
        assert await asyncio.wait_for(run.wait(), 60) == "completed"
    assert len(site.served) == 40


async def test_a_worker_started_before_a_short_lease_run_keeps_its_tasks(
    monitor: Monitor, redis_space: RedisSpace
) -> None:
    # The worker is up before the run: it knew no lease when it started. It must
    # heartbeat at a third of the run's lease from then on, so an idle worker never
    # takes over the tasks it is working on.
    collection = _pages(2, SitePolicy(timeout=10, max_concurrency=50))
    registry = _registry(collection)
    _queue_for(monitor, redis_space, lease_s=1.5)
    stop = asyncio.Event()
    first = WorkerProcess(
        redis_space.url, registry, prefix=redis_space.prefix, concurrency=2, name="first"
    )
    second = WorkerProcess(
        redis_space.url, registry, prefix=redis_space.prefix, concurrency=2, name="second"
    )
    running = [asyncio.create_task(first.run(stop))]
    try:
        await asyncio.wait_for(first.ready.wait(), 10)
        async with slow_site(3.0) as site:
            run = monitor.new_run(collection, {"base": site.url})
            await run.start()
            await until(lambda: first._busy == 2, "first runs both tasks")
            running.append(asyncio.create_task(second.run(stop)))
            assert await asyncio.wait_for(run.wait(), 30) == "completed"
    finally:
        stop.set()
        await asyncio.gather(*running)
    assert second.reclaimed == 0
    assert first.tasks_done == 2
    assert len(site.served) == 2


async def test_a_dead_workers_tasks_are_taken_over_before_new_ones(
    monitor: Monitor, redis_space: RedisSpace
) -> None:
    # A worker died holding eight tasks (here a consumer that takes eight entries and is
    # never heard of again: what `kill -9` leaves on the stream); the worker left has two
    # slots and plenty of new tasks to take. Once the lease ran out it takes over the
    # dead worker's tasks as its slots free up, before new ones (not one a second: with
    # many tasks held by the dead worker that would take far longer than the lease).
    import redis.asyncio as aioredis

    from crawlscope.workqueue.keys import GROUP, QueueKeys

    collection = _pages(80, SitePolicy(timeout=10, max_concurrency=50))
    registry = _registry(collection)
    _queue_for(monitor, redis_space, lease_s=1.0)
    client = aioredis.from_url(redis_space.url)
    try:
        async with slow_site(0.2) as site:
            run = monitor.new_run(collection, {"base": site.url})
            await run.start()
            stream = QueueKeys(redis_space.prefix).tasks(run.run_id, "fetch")
            # The dead worker takes its eight at once (so their leases run out together,
            # as after a kill: a worker's heartbeat renews all it holds at once).
            async with asyncio.timeout(30):
                while await client.xlen(stream) < 8:  # noqa: ASYNC110 (no event in Redis)
                    await asyncio.sleep(0.02)
            reply = await client.xreadgroup(GROUP, "dead", {stream: ">"}, count=8)
            assert sum(len(entries) for _, entries in reply) == 8
            async with workers(redis_space, registry, 2) as (second,):
                await until(lambda: second.reclaimed >= 1, "a first task taken over", 30)
                done_at_first = second.tasks_done
                await until(lambda: second.reclaimed >= 8, "all 8 taken over", 60)
                done_between = second.tasks_done - done_at_first
                status = await asyncio.wait_for(run.wait(), 60)
    finally:
        await client.aclose()
    assert status == "completed", run.finish_reason
    assert second.reclaimed == 8
    # Between the first takeover and the last, the slots ran mostly the taken-over tasks
    # (14 measured), not a stream of new ones: taking over one task a second, as
    # before, let 30 to 70 new tasks through meanwhile.
    assert done_between <= 20, done_between
    assert len(site.served) == 80
    keys = await monitor.store.datasets.keys("pages")
    assert sorted(int(k) for k in keys) == list(range(80))


async def test_cancel_reaches_every_worker_and_counts_what_was_left(
    monitor: Monitor, redis_space: RedisSpace
) -> None:
    collection = _pages(40, SitePolicy(timeout=10, max_concurrency=50))
    registry = _registry(collection)
    _queue_for(monitor, redis_space)
    async with slow_site(0.3) as site, workers(redis_space, registry, 2, 2):
        run = monitor.new_run(collection, {"base": site.url})
        await run.start()
        await until(lambda: len(site.served) >= 4, "4 pages served")
        assert run.cancel()
        assert await asyncio.wait_for(run.wait(), 30) == "cancelled"
        arrived = site.arrived
        await asyncio.sleep(0.5)
        assert site.arrived == arrived < 40  # no request after the cancel
    stored = await monitor.store.events.read_all(run.run_id)
    assert stored[-1].action == Action.RUN_CANCELLED
    assert stored[-1].extra is not None
    done = len([e for e in stored if e.action == Action.COMPLETE and e.error_type is None])
    assert stored[-1].extra["pending_tasks"] == 40 - done


async def test_an_alert_can_open_the_shared_breaker_and_lower_the_shared_limit(
    monitor: Monitor, redis_space: RedisSpace
) -> None:
    collection = _pages(60, SitePolicy(timeout=10, max_concurrency=50))
    registry = _registry(collection)
    _queue_for(monitor, redis_space)
    async with slow_site(0.1) as site, workers(redis_space, registry, 4, 4):
        run = monitor.new_run(collection, {"base": site.url})
        await run.start()
        await until(lambda: site.arrived >= 8, "8 requests")
        host = site.url.split("//", 1)[1]
        # Open for a second: no worker sends to the site meanwhile.
        assert run.open_breaker(host, 1.0)
        await until(lambda: site.in_flight == 0, "requests in flight finished")
        arrived = site.arrived
        await asyncio.sleep(0.6)
        assert site.arrived == arrived
        # Then one request at a time, whichever worker sends it.
        assert run.limit_site(host, 1)
        await until(lambda: site.arrived > arrived, "requests again", 10)
        site.most_in_flight = site.in_flight
        assert await asyncio.wait_for(run.wait(), 60) == "completed"
    assert site.most_in_flight == 1
    stored = await monitor.store.events.read_all(run.run_id)
    assert [e.site for e in stored if e.action == Action.BREAKER_OPENED] == [host]


async def test_a_worker_drops_a_run_whose_coordinator_is_gone(redis_space: RedisSpace) -> None:
    import redis.asyncio as aioredis

    from crawlscope.workqueue.keys import QueueKeys
    from crawlscope.workqueue.messages import ControlMessage, RunSpec, encode

    collection = _pages(1, SitePolicy())
    keys = QueueKeys(redis_space.prefix)
    client = aioredis.from_url(redis_space.url)
    try:
        # A run announced by a coordinator that never says it is alive (it died).
        spec = RunSpec("orphan", collection.name, {"base": "http://127.0.0.1:9"})
        await client.hset(keys.runs, "orphan", encode(spec))
        async with workers(redis_space, _registry(collection), 2, alive_check_s=0.2) as (w,):
            await client.xadd(keys.control, {"c": encode(ControlMessage("orphan", "open", spec))})
            await until(lambda: "orphan" not in w.runs, "the orphan dropped", 10)
    finally:
        await client.aclose()
