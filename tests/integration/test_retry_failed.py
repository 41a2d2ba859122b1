"""Retry failed tasks: a new run of only the tasks that failed for good in a finished run,
started through the API (the server has the collection registered) against a real site."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.events import Action
from crawlscope.registry import CollectionRegistry
from crawlscope.runner import Collection, SitePolicy, Task, TaskContext
from crawlscope.serving import serve_in_loop
from tests.conftest import Reply, ScriptedSite


def _pages(site: ScriptedSite) -> Collection:
    async def fetch(ctx: TaskContext, task: Task) -> None:
        await ctx.http.get(f"{site.url}/page/{task.payload['n']}")
        ctx.add_item({"n": task.payload["n"]})

    collection = Collection(
        "pages",
        dataset="pages",
        key="n",
        max_consecutive_failures=0,
        site_policy=SitePolicy(max_attempts=1),
    )
    collection.seed(lambda params: [Task(f"page {n}", payload={"n": n}) for n in range(20)])
    collection.add_phase("fetch", fetch, workers=3)
    return collection


async def _ended(client: httpx.AsyncClient, run_id: str) -> dict[str, Any]:
    for _ in range(300):
        body: dict[str, Any] = (await client.get(f"/api/runs/{run_id}")).json()
        if body["status"] not in ("pending", "running", "paused"):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id} did not end")


async def test_the_failed_tasks_of_a_run_are_retried_in_a_new_run(
    tmp_path: Path, scripted_site: ScriptedSite
) -> None:
    for n in (3, 7, 11):
        scripted_site.queue(f"/page/{n}", Reply(404, "gone for now"))
    registry = CollectionRegistry()
    registry.register(_pages(scripted_site), description="twenty pages")
    app = create_app(Settings(database_url=str(tmp_path / "c.db")), registry=registry)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        started = await client.post("/api/runs", json={"collection": "pages"})
        first = await _ended(client, started.json()["run_id"])
        assert first["totals"]["tasks_failed"] == 3
        assert first["dataset_size"] == 17

        response = await client.post(f"/api/runs/{first['run_id']}/retry")
        assert response.status_code == 201, response.text
        retry_id = response.json()["run_id"]
        assert retry_id != first["run_id"]
        assert response.headers["location"] == f"/api/runs/{retry_id}"
        second = await _ended(client, retry_id)
        assert second["status"] == "completed"
        assert (second["totals"]["tasks_done"], second["totals"]["tasks_failed"]) == (3, 0)
        assert second["dataset_size"] == 20
        events = await app.state.services.store.events.read_all(retry_id)
        started_event = next(e for e in events if e.action == Action.RUN_STARTED)
        assert started_event.extra is not None
        assert started_event.extra["retry_of"] == first["run_id"]
        assert sorted(e.task for e in events if e.action == Action.COMPLETE) == [
            "page 11",
            "page 3",
            "page 7",
        ]

        # Nothing failed in the retry: nothing to retry; an unknown run is a 404.
        nothing = await client.post(f"/api/runs/{retry_id}/retry")
        assert nothing.status_code == 409
        assert "has no failed tasks" in nothing.json()["error"]["message"]
        assert (await client.post("/api/runs/nope/retry")).status_code == 404
