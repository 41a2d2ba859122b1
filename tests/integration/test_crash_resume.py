"""Crash resume: a runner killed with SIGKILL halfway through the demo crawl, then the run
resumed through the server's API, ending with the dataset equal to the site's ground truth.

The runner is a real ``crawlscope run`` process on the server's SQLite file; the demo
marketplace (with its faults: 429s, 500s, timeouts, broken pages) runs in this process.
What must hold besides the dataset: numbering and totals continue the stored run, and the
only tasks done twice are the ones in flight at the kill, or finished since the frontier's
last save (it is saved every half second, items first).

This module also defines the collection the runner process imports
(``tests.integration.test_crash_resume:collection``).
"""

from __future__ import annotations

import asyncio
import collections
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.demo.collection import demo_collection
from crawlscope.demo.session import DemoSite, running_demo_site
from crawlscope.events import Action
from crawlscope.registry import CollectionRegistry
from crawlscope.serving import serve_in_loop
from crawlscope.store import EventLog, SqlStore
from crawlscope.store.schema import run_frontiers
from crawlscope.timestamps import parse_ts
from tests.integration.test_remote_runner import CLI, REPO, _env

WORKERS = 4
collection = demo_collection(workers=WORKERS, dataset="resumed_sellers")


@pytest.fixture
async def site() -> AsyncIterator[DemoSite]:
    async with running_demo_site(scale="small", seed=11) as demo:
        yield demo


async def _wait_for(check: Any, what: str, timeout: float = 60.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def test_a_killed_runner_resumes_through_the_api_to_the_ground_truth(
    tmp_path: Path, site: DemoSite
) -> None:
    db = tmp_path / "shared.db"
    env = _env()
    env.pop("CRAWLSCOPE_AUTH", None)
    runner = await asyncio.create_subprocess_exec(
        *CLI,
        "run",
        "tests.integration.test_crash_resume:collection",
        "--db",
        str(db),
        "--param",
        f"base_url={site.url}",
        "--json",
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    store = SqlStore(str(db))
    registry = CollectionRegistry()
    registry.register(collection, description="the demo, resumable", defaults={})
    try:
        await _wait_for(lambda: asyncio.to_thread(db.exists), "the runner's database")
        await store.open()

        async def halfway() -> str | None:
            runs = await store.runs.list(limit=1)
            if not runs:
                return None
            saved = await store.frontiers.counts(runs[0].id)
            done = saved.get("done", 0)
            # The demo crawl is a few hundred tasks: stop it around the middle.
            return runs[0].id if done >= 150 and saved.get("pending", 0) >= 50 else None

        run_id: str = await _wait_for(halfway, "the runner to be halfway")
        runner.send_signal(signal.SIGKILL)
        await runner.wait()
        killed_at = await store.frontiers.load(run_id)
        assert killed_at is not None
        async with store.database.connect() as conn:
            saved_at = await conn.scalar(
                sa.select(run_frontiers.c.saved_at).where(run_frontiers.c.run_id == run_id)
            )
    finally:
        if runner.returncode is None:
            runner.kill()
            await runner.wait()
    stored_before = await EventLog(store.database).read_all(run_id)
    await store.close()

    # A server on the same database, the collection registered: it finds the run abandoned
    # (its runner silent), and resumes it on request.
    settings = Settings(database_url=str(db), stale_run_after_s=0.5)
    app = create_app(settings, registry=registry)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def interrupted() -> bool:
            body = (await client.get(f"/api/runs/{run_id}")).json()
            return body["status"] == "interrupted"

        await _wait_for(interrupted, "the killed run to be interrupted")
        response = await client.post(f"/api/runs/{run_id}/resume")
        assert response.status_code == 200, response.text
        assert response.json() == {"run_id": run_id, "outcome": "resumed", "status": "running"}

        async def ended() -> dict[str, Any] | None:
            body: dict[str, Any] = (await client.get(f"/api/runs/{run_id}")).json()
            return body if body["status"] not in ("running", "paused", "pending") else None

        final = await _wait_for(ended, "the resumed run to end", timeout=120)
        assert final["status"] == "completed", final
        # Resuming a run that is not interrupted is refused, saying why.
        again = await client.post(f"/api/runs/{run_id}/resume")
        assert again.status_code == 409
        assert "run is completed" in again.json()["error"]["message"]
        services = app.state.services
        await services.monitor.flush()
        events = await services.store.events.read_all(run_id)
        keys = await services.store.datasets.keys("resumed_sellers")

    # The dataset is exactly the site's sellers.
    assert {int(key) for key in keys} == set(site.ground_truth)
    assert final["dataset_size"] == len(site.ground_truth)
    # One numbering, continued: every stored event before the kill kept its seq.
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert [e.id for e in events[: len(stored_before)]] == [e.id for e in stored_before]
    resumed = next(e for e in events if e.action == Action.RUN_RESUMED)
    assert resumed.seq == len(stored_before) + 1
    assert resumed.extra is not None
    assert resumed.extra["pending"] == len(killed_at.pending)
    assert resumed.extra["done"] == killed_at.done

    # Tasks done twice: only those unfinished in the frontier's last save, that is the
    # ones in flight at the kill plus those finished since that save.
    def finished_tasks(chunk: list[Any]) -> collections.Counter[str]:
        return collections.Counter(
            f"{e.phase}:{e.task}"
            for e in chunk
            if e.action == Action.COMPLETE and not (e.extra or {}).get("requeued")
        )

    before = finished_tasks(stored_before)
    after = finished_tasks(events[len(stored_before) :])
    twice = sum((before & after).values())
    assert max(before.values()) == 1
    late = sum(
        1 for e in stored_before if e.action == Action.COMPLETE and parse_ts(e.ts) >= saved_at
    )
    assert twice <= late + WORKERS, (twice, late)
    # Requests after the resume: the remaining tasks' (each page is fetched by one task),
    # their retries, and those of the tasks done twice.
    requests_after = sum(1 for e in events[len(stored_before) :] if e.action == Action.FETCHING)
    retries_after = sum(1 for e in events[len(stored_before) :] if e.action == Action.RETRYING)
    tasks_after = sum(after.values()) + sum(
        1
        for e in events[len(stored_before) :]
        if e.action == Action.COMPLETE and e.error_type is not None
    )
    assert requests_after <= tasks_after + retries_after
