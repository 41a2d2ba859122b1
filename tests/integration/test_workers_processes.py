"""Two ``crawlscope serve`` processes and three ``crawlscope worker`` processes on one
PostgreSQL database and one Redis run the demo collection; one worker is killed with
``kill -9`` mid-run. Its tasks are taken over within its lease + 5 s, the run completes,
and the dataset equals the site's ground truth, once each. Needs PostgreSQL and Redis
(skipped without them unless CRAWLSCOPE_REQUIRE_SERVICES is set).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from crawlscope.demo import FaultConfig, build_catalog, create_site, serve_site
from crawlscope.demo.target_site import RunningSite
from crawlscope.events import ActivityEvent
from crawlscope.store.sql_store import SqlStore
from tests.conftest import fresh_database, fresh_redis_space
from tests.processes import Process, serve_process, until, worker_process

LEASE_S = 2.0
CATALOG = build_catalog(seed=7, scale="tiny")
PROJECT = """collections = ["distdemo:collection"]
"""
MODULE = """from crawlscope.demo import demo_collection

collection = demo_collection(name="distdemo", dataset="distdemo", timeout=5.0)
"""
# Every page takes a while, so the run is still going when a worker is killed.
SLOW = FaultConfig(
    slow_rate=0.0,
    slow_s=0.0,
    rate_limit_rate=0.03,
    retry_after_s=0,
    server_error_rate=0.04,
    timeout_rate=0.0,
    timeout_s=0.0,
    broken_rate=0.0,
    latency_s=(0.15, 0.3),
    seed=5,
)


def _moments(lines: list[str], pattern: str) -> list[datetime]:
    """When the lines matching ``pattern`` were logged (the log's asctime)."""
    found = []
    for line in lines:
        if re.search(pattern, line):
            stamp = line[:23]
            found.append(datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f"))
    return found


@dataclass
class Topology:
    """The demo site, two servers (A, B) with their clients, three workers."""

    site: RunningSite
    database_url: str
    a: Process
    b: Process
    workers: list[Process]
    api_a: httpx.AsyncClient
    api_b: httpx.AsyncClient


@contextlib.asynccontextmanager
async def topology(tmp_path: Path, **settings: str) -> AsyncIterator[Topology]:
    (tmp_path / "crawlscope.toml").write_text(PROJECT)
    (tmp_path / "distdemo.py").write_text(MODULE)
    env = {
        "CRAWLSCOPE_WORK_QUEUE": "redis",
        "CRAWLSCOPE_WORKER_LEASE_S": str(LEASE_S),
        **settings,
    }
    async with contextlib.AsyncExitStack() as stack:
        site = await stack.enter_async_context(serve_site(create_site(CATALOG, SLOW)))
        database_url = await stack.enter_async_context(fresh_database("postgresql", tmp_path))
        redis = await stack.enter_async_context(fresh_redis_space())
        a = await stack.enter_async_context(serve_process(database_url, redis, cwd=tmp_path, **env))
        b = await stack.enter_async_context(serve_process(database_url, redis, cwd=tmp_path, **env))
        workers = [
            await stack.enter_async_context(worker_process(redis, f"w{i}", cwd=tmp_path))
            for i in range(3)
        ]
        api_a = await stack.enter_async_context(httpx.AsyncClient(base_url=a.url, timeout=30))
        api_b = await stack.enter_async_context(httpx.AsyncClient(base_url=b.url, timeout=30))
        yield Topology(site, database_url, a, b, workers, api_a, api_b)


async def _ended(api: httpx.AsyncClient, run_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        row: dict[str, Any] = (await api.get(f"/api/runs/{run_id}")).json()
        if row["status"] not in ("pending", "running", "paused"):
            return row
        assert asyncio.get_running_loop().time() < deadline, f"run still {row['status']}"
        await asyncio.sleep(0.25)


async def _stored(database_url: str, run_id: str) -> tuple[list[str], list[ActivityEvent]]:
    store = SqlStore(database_url)
    await store.open()
    try:
        return await store.datasets.keys("distdemo"), await store.events.read_all(run_id)
    finally:
        await store.close()


async def test_three_workers_two_servers_and_a_killed_worker(tmp_path: Path) -> None:
    catalog = CATALOG
    async with topology(tmp_path) as t:
        site, workers, api_a, api_b = t.site, t.workers, t.api_a, t.api_b
        database_url = t.database_url

        # Both servers list the three workers, idle.
        for api in (api_a, api_b):
            listed = (await api.get("/api/health/workers")).json()
            assert listed["work_queue"] == "redis"
            assert [(w["name"], w["slots"], w["busy"]) for w in listed["workers"]] == [
                ("w0", 4, 0),
                ("w1", 4, 0),
                ("w2", 4, 0),
            ]

        started = await api_a.post(
            "/api/runs", json={"collection": "distdemo", "params": {"base_url": site.url}}
        )
        assert started.status_code in (200, 201), started.text
        run_id = started.json()["run_id"]

        # Pause through the other server: no worker sends a request until resumed.
        await until(lambda: site.app.requests >= 10, "10 requests at the site", 60)
        paused = await api_b.post(f"/api/runs/{run_id}/pause")
        assert paused.status_code == 200, paused.text
        assert paused.json()["status"] == "paused"
        await asyncio.sleep(1.0)  # requests in flight end (pages take at most 0.3 s)
        before = site.app.requests
        await asyncio.sleep(1.0)
        assert site.app.requests == before
        resumed = await api_b.post(f"/api/runs/{run_id}/resume")
        assert resumed.status_code == 200, resumed.text

        # Kill one worker while it works (it has taken tasks: its fetches reach the site).
        await until(lambda: site.app.requests >= before + 15, "15 more requests", 60)
        await until(
            lambda: any("taking tasks" in line for line in workers[1].lines), "w1 at work", 60
        )
        workers[1].kill()
        killed_at = datetime.now()

        row = await _ended(api_b, run_id)
        assert row["status"] == "completed", row
        on_a = (await api_a.get(f"/api/runs/{run_id}")).json()
        assert on_a["status"] == "completed"

        # The killed worker's tasks were taken over by the others, within lease + 5 s.
        taken = [t for w in (workers[0], workers[2]) for t in _moments(w.lines, "took over task")]
        assert taken, [w.lines[-5:] for w in workers]
        assert max(taken) - killed_at < timedelta(seconds=LEASE_S + 5)

        # The killed worker leaves the list once its presence expires (15 s at most);
        # the others say what they did.
        async def names() -> list[str]:
            listed = (await api_b.get("/api/health/workers")).json()["workers"]
            return [w["name"] for w in listed]

        deadline = asyncio.get_running_loop().time() + 20
        while "w1" in await names():
            assert asyncio.get_running_loop().time() < deadline, "w1 still listed"
            await asyncio.sleep(0.5)
        listed = (await api_a.get("/api/health/workers")).json()["workers"]
        assert [w["name"] for w in listed] == ["w0", "w2"]
        assert sum(w["taken_over"] for w in listed) == len(taken)

        keys, stored = await _stored(database_url, run_id)
    assert len(keys) == len(set(keys))
    assert {int(k) for k in keys} == catalog.ground_truth_seller_ids()
    assert [e.seq for e in stored] == list(range(1, len(stored) + 1))
    # Every worker process worked under worker ids of its own.
    assert len({e.worker_id for e in stored if e.action == "complete"}) >= 8


async def test_the_coordinating_server_killed_and_the_run_resumed_through_the_other(
    tmp_path: Path,
) -> None:
    async with topology(tmp_path, CRAWLSCOPE_STALE_RUN_AFTER_S="2") as t:
        started = await t.api_a.post(
            "/api/runs", json={"collection": "distdemo", "params": {"base_url": t.site.url}}
        )
        run_id = started.json()["run_id"]
        await until(lambda: t.site.app.requests >= 40, "40 requests at the site", 60)
        t.a.kill()  # the run's coordinator: it numbers the events and keeps the frontier

        # B finds the run's process silent, marks it interrupted; the workers drop it.
        row = await _ended(t.api_b, run_id, timeout=60)
        assert row["status"] == "interrupted", row
        resumed = await t.api_b.post(f"/api/runs/{run_id}/resume")
        assert resumed.status_code == 200, resumed.text
        row = await _ended(t.api_b, run_id)
        assert row["status"] == "completed", row
        keys, stored = await _stored(t.database_url, run_id)
    assert len(keys) == len(set(keys))
    assert {int(k) for k in keys} == CATALOG.ground_truth_seller_ids()
    assert [e.seq for e in stored] == list(range(1, len(stored) + 1))
    assert [e.action for e in stored].count("run_resumed") >= 1
