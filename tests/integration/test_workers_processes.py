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
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from crawlscope.demo import FaultConfig, build_catalog, create_site, serve_site
from crawlscope.store.sql_store import SqlStore
from tests.conftest import fresh_database, fresh_redis_space
from tests.processes import serve_process, until, worker_process

LEASE_S = 2.0
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


async def test_three_workers_two_servers_and_a_killed_worker(tmp_path: Path) -> None:
    (tmp_path / "crawlscope.toml").write_text(PROJECT)
    (tmp_path / "distdemo.py").write_text(MODULE)
    env = {"CRAWLSCOPE_WORK_QUEUE": "redis", "CRAWLSCOPE_WORKER_LEASE_S": str(LEASE_S)}
    catalog = build_catalog(seed=7, scale="tiny")
    async with contextlib.AsyncExitStack() as stack:
        site = await stack.enter_async_context(serve_site(create_site(catalog, SLOW)))
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

        started = await api_a.post(
            "/api/runs", json={"collection": "distdemo", "params": {"base_url": site.url}}
        )
        assert started.status_code in (200, 201), started.text
        run_id = started.json()["run_id"]

        # Kill one worker while it works (it has taken tasks: its fetches reach the site).
        await until(lambda: site.app.requests >= 25, "25 requests at the site", 60)
        await until(
            lambda: any("taking tasks" in line for line in workers[1].lines), "w1 at work", 60
        )
        workers[1].kill()
        killed_at = datetime.now()

        async with asyncio.timeout(120):
            while True:
                row = (await api_b.get(f"/api/runs/{run_id}")).json()
                if row["status"] not in ("pending", "running", "paused"):
                    break
                await asyncio.sleep(0.25)
        assert row["status"] == "completed", row
        on_a = (await api_a.get(f"/api/runs/{run_id}")).json()
        assert on_a["status"] == "completed"

        # The killed worker's tasks were taken over by the others, within lease + 5 s.
        taken = [t for w in (workers[0], workers[2]) for t in _moments(w.lines, "took over task")]
        assert taken, [w.lines[-5:] for w in workers]
        assert max(taken) - killed_at < timedelta(seconds=LEASE_S + 5)

        store = SqlStore(database_url)
        await store.open()
        try:
            keys = await store.datasets.keys("distdemo")
            stored = await store.events.read_all(run_id)
        finally:
            await store.close()
    assert len(keys) == len(set(keys))
    assert {int(k) for k in keys} == catalog.ground_truth_seller_ids()
    assert [e.seq for e in stored] == list(range(1, len(stored) + 1))
    # Every worker process worked under worker ids of its own.
    assert len({e.worker_id for e in stored if e.action == "complete"}) >= 8
