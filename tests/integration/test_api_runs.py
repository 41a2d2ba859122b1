"""The runs API against a real server: start, watch, page, control, and read after a restart.

Every test talks HTTP (httpx) to uvicorn on a free loopback port; the demo runs against
the real demo site; the store is a real SQLite file.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import msgspec
import pytest

from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.demo.catalog import XSS_SELLER_NAME
from crawlscope.registry import CollectionRegistry
from crawlscope.runner import Collection, Task, TaskContext
from crawlscope.serving import serve_in_loop
from tests.integration.api_assertions import assert_api_error
from tests.integration.conftest import LiveServer

Json = dict[str, Any]


# -- a collection without HTTP, slow enough to pause -------------------------------------


class SlowParams(msgspec.Struct, forbid_unknown_fields=True):
    tasks: int = 300
    delay: float = 0.02


async def _slow_task(ctx: TaskContext, task: Task) -> None:
    await asyncio.sleep(ctx.params["delay"])
    ctx.add_item({"id": f"{ctx.run_id}-{task.payload['i']}"})


def _slow_collection() -> Collection:
    collection = Collection("slow", dataset="slow_items", key="id", params=SlowParams)
    collection.seed(
        lambda params: [Task(f"task {i}", payload={"i": i}) for i in range(params["tasks"])]
    )
    collection.add_phase("work", _slow_task, workers=2)
    return collection


@pytest.fixture
async def slow_server(server_settings: Settings) -> AsyncIterator[LiveServer]:
    registry = CollectionRegistry()
    registry.register(_slow_collection(), description="sleeps per task")
    app = create_app(server_settings, registry=registry)
    async with serve_in_loop(app) as url:
        yield LiveServer(url, app, server_settings)


# -- helpers -----------------------------------------------------------------------------


async def _get(client: httpx.AsyncClient, path: str, **params: Any) -> Json:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: Json = response.json()
    return body


async def _wait_for(
    client: httpx.AsyncClient, path: str, ok: Callable[[Json], bool], timeout: float = 60.0
) -> Json:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        body = await _get(client, path)
        if ok(body):
            return body
        assert loop.time() < deadline, f"{path} never satisfied the condition: {body}"
        await asyncio.sleep(0.05)


async def _all_events(
    client: httpx.AsyncClient, run_id: str, limit: int, **filters: Any
) -> list[Json]:
    """Page through a run's events with ``next_after_seq`` until it is null."""
    events: list[Json] = []
    after = 0
    while True:
        page = await _get(
            client, f"/api/runs/{run_id}/events", after_seq=after, limit=limit, **filters
        )
        assert len(page["events"]) <= limit
        events.extend(page["events"])
        if page["next_after_seq"] is None:
            return events
        assert page["next_after_seq"] == page["events"][-1]["seq"]
        after = page["next_after_seq"]


# -- the demo, end to end ----------------------------------------------------------------


async def test_demo_run_through_every_endpoint_then_after_a_restart(
    server_settings: Settings,
) -> None:
    server_settings.demo = True
    server_settings.demo_scale = "tiny"
    app = create_app(server_settings)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        services = app.state.services
        demo_url = services.demo_url
        assert demo_url is not None

        collections = (await _get(client, "/api/collections"))["collections"]
        assert [c["name"] for c in collections] == ["demo"]
        demo = collections[0]
        assert [p["name"] for p in demo["phases"]] == ["catalog", "sellers"]
        assert "base_url" in demo["params_schema"]["properties"]
        assert demo["defaults"] == {"base_url": demo_url}

        listing = await _get(client, "/api/runs")
        assert listing["total"] == 1
        assert (listing["limit"], listing["offset"]) == (50, 0)
        run_id = listing["runs"][0]["id"]
        assert listing["runs"][0]["collection"] == "demo"

        # while it goes: live numbers, workers, sites, overview
        running = await _wait_for(
            client,
            f"/api/runs/{run_id}",
            lambda r: r["status"] == "running" and r["totals"]["requests"] > 0,
        )
        assert running["live"] is True
        assert running["origin"] == "local"
        assert running["params"]["base_url"] == demo_url
        workers = (await _get(client, f"/api/runs/{run_id}/workers"))["workers"]
        assert workers
        assert len({w["worker_id"] for w in workers}) == len(workers)
        assert all(w["state"] for w in workers)
        overview = await _get(client, "/api/overview")
        assert run_id in [r["id"] for r in overview["active"]]
        assert overview["today"]["runs"] == 1

        done = await _wait_for(client, f"/api/runs/{run_id}", lambda r: r["status"] == "completed")
        totals = done["totals"]
        assert done["ended_at"] is not None
        assert done["duration_s"] > 0
        assert done["dataset_size"] == totals["new_items"] > 0
        assert [level["level"] for level in done["progress"]] == [
            "categories",
            "products",
            "seller pages",
        ]
        assert all(level["done"] == level["total"] for level in done["progress"])

        sites = (await _get(client, f"/api/runs/{run_id}/sites"))["sites"]
        host = demo_url.removeprefix("http://")
        assert [s["site"] for s in sites] == [host]
        assert sites[0]["requests"] == totals["requests"]
        assert sites[0]["breaker"] in ("closed", "open", "half_open")

        # the dataset items this run stored, paged by key
        first_page = await _get(client, f"/api/runs/{run_id}/items", limit=7)
        assert first_page["dataset"] == done["dataset"]
        assert first_page["total"] == done["dataset_size"]
        items = list(first_page["items"])
        while len(items) < first_page["total"]:
            page = await _get(client, f"/api/runs/{run_id}/items", limit=7, offset=len(items))
            assert page["items"]
            items.extend(page["items"])
        seller_ids = sorted(item["seller_id"] for item in items)
        assert seller_ids == sorted(services.demo_site.ground_truth)
        names = {item["seller_id"]: item["name"] for item in items}
        assert names[1] == XSS_SELLER_NAME

        # paging: contiguous seqs, no gap, no duplicate, whatever the page size
        events = await _all_events(client, run_id, limit=37)
        assert [e["seq"] for e in events] == list(range(1, done["last_seq"] + 1))
        assert len(events) == totals["events"]
        assert events[0]["action"] == "run_started"
        assert events[-1]["action"] == "run_completed"
        assert await _all_events(client, run_id, limit=5000) == events

        # filters, paged too
        fetching = await _all_events(client, run_id, limit=10, action="fetching")
        assert len(fetching) == totals["requests"]
        assert all(e["action"] == "fetching" for e in fetching)
        one_worker = await _all_events(client, run_id, limit=50, worker_id=1)
        assert one_worker
        assert all(1 in (e.get("worker_id", 0), e.get("source_worker_id")) for e in one_worker)
        errors = [e for e in events if e["action"] in ("error", "rate_limited")]
        for error_type in {e["error_type"] for e in errors}:
            page = await _all_events(client, run_id, limit=5000, error_type=error_type)
            assert [e["seq"] for e in page] == [
                e["seq"] for e in events if e.get("error_type") == error_type
            ]
        assert await _get(client, f"/api/runs/{run_id}/events", after_seq=done["last_seq"]) == {
            "events": [],
            "next_after_seq": None,
        }

        # a second demo run from the API, with parameters and a worker count
        response = await client.post(
            "/api/runs",
            json={"collection": "demo", "params": {"max_categories": 1}, "workers": 2},
        )
        assert response.status_code == 201, response.text
        second = response.json()
        second_id = second["run_id"]
        assert response.headers["location"] == f"/api/runs/{second_id}"
        assert second["params"] == {"base_url": demo_url, "max_categories": 1}
        assert second["status"] in ("pending", "running")
        assert second["live"] is True
        finished = await _wait_for(
            client, f"/api/runs/{second_id}", lambda r: r["status"] == "completed"
        )
        assert finished["progress"][0]["total"] == 1  # one category only
        # ... the catalog's first, whichever department page answered first.
        second_events = await _all_events(client, second_id, limit=5000)
        listed = {e["url"].split("?")[0] for e in second_events if "/c/" in (e.get("url") or "")}
        assert listed == {f"{demo_url}/c/1"}
        assert max(w["worker_id"] for w in finished["workers"]) <= 2 * 2

        listing = await _get(client, "/api/runs")
        assert [r["id"] for r in listing["runs"]] == [second_id, run_id]
        assert listing["total"] == 2
        older = await _get(client, "/api/runs", limit=1, offset=1)
        assert [r["id"] for r in older["runs"]] == [run_id]
        assert older["total"] == 2
        assert (await _get(client, "/api/runs", status="completed"))["total"] == 2
        assert await _get(client, "/api/runs", status="running") == {
            "runs": [],
            "total": 0,
            "limit": 50,
            "offset": 0,
        }
        overview = await _get(client, "/api/overview")
        assert overview["active"] == []
        assert [r["id"] for r in overview["recent"]] == [second_id, run_id]
        today = overview["today"]
        assert today["runs"] == 2
        assert today["requests"] == totals["requests"] + finished["totals"]["requests"]
        assert today["new_items"] == totals["new_items"] + finished["totals"]["new_items"]

        # a completed run cannot be controlled
        for command in ("pause", "resume", "cancel"):
            response = await client.post(f"/api/runs/{run_id}/{command}")
            error = assert_api_error(response, 409, "conflict", None)
            assert "completed" in error["message"]
        workers = await _get(client, f"/api/runs/{run_id}/workers")
        sites = await _get(client, f"/api/runs/{run_id}/sites")

    # A new server on the same database (no demo): the finished run is read from the store.
    app = create_app(Settings(database_url=server_settings.database_url))
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        after = await _get(client, f"/api/runs/{run_id}")
        assert after["live"] is False
        for key in ("status", "totals", "progress", "last_seq", "started_at", "ended_at"):
            assert after[key] == done[key], key
        assert after["duration_s"] == done["duration_s"]
        assert await _get(client, f"/api/runs/{run_id}/workers") == workers
        assert workers["workers"]
        assert await _get(client, f"/api/runs/{run_id}/sites") == sites
        assert sites["sites"]
        assert await _all_events(client, run_id, limit=200) == events
        assert await _get(client, "/api/collections") == {"collections": []}
        assert [r["id"] for r in (await _get(client, "/api/overview"))["recent"]] == [
            second_id,
            run_id,
        ]


# -- control -----------------------------------------------------------------------------


async def test_pause_resume_cancel_with_conflicts(slow_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=slow_server.url, timeout=10) as client:
        response = await client.post("/api/runs", json={"collection": "slow"})
        assert response.status_code == 201, response.text
        run_id = response.json()["run_id"]
        path = f"/api/runs/{run_id}"
        await _wait_for(client, path, lambda r: r["status"] == "running")

        response = await client.post(f"{path}/pause")
        assert response.status_code == 200, response.text
        assert response.json() == {"run_id": run_id, "outcome": "paused", "status": "paused"}
        assert_api_error(await client.post(f"{path}/pause"), 409, "conflict", None)
        paused = await _wait_for(client, path, lambda r: r["status"] == "paused")
        assert paused["paused_reason"]
        await _wait_for(
            client,
            f"{path}/workers",
            lambda body: all(w["state"] == "paused" for w in body["workers"]),
        )
        before = (await _get(client, path))["totals"]["tasks_done"]
        await asyncio.sleep(0.5)  # unpaused, the two workers would finish ~50 tasks here

        response = await client.post(f"{path}/resume")
        assert response.json() == {"run_id": run_id, "outcome": "resumed", "status": "running"}
        assert_api_error(await client.post(f"{path}/resume"), 409, "conflict", None)
        await _wait_for(client, path, lambda r: r["totals"]["tasks_done"] > before)

        response = await client.post(f"{path}/cancel")
        assert response.json()["outcome"] == "cancelled"
        cancelled = await _wait_for(client, path, lambda r: r["status"] == "cancelled")
        assert cancelled["totals"]["tasks_done"] < 300
        for command in ("pause", "resume", "cancel"):
            error = assert_api_error(await client.post(f"{path}/{command}"), 409, "conflict", None)
            assert "cancel" in error["message"]

        events = await _all_events(client, run_id, limit=5000)
        lifecycle = [
            e["action"]
            for e in events
            if e["action"] in ("run_started", "run_paused", "run_resumed", "run_cancelled")
        ]
        assert lifecycle == ["run_started", "run_paused", "run_resumed", "run_cancelled"]
        # While paused only the tasks already in flight (one per worker) could finish.
        paused_at = next(e["seq"] for e in events if e["action"] == "run_paused")
        resumed_at = next(e["seq"] for e in events if e["action"] == "run_resumed")
        finished_while_paused = [
            e for e in events if e["action"] == "complete" and paused_at < e["seq"] < resumed_at
        ]
        assert len(finished_while_paused) <= 2


async def test_unknown_runs_are_404_everywhere(slow_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=slow_server.url, timeout=10) as client:
        for run_id in ("nope", "0" * 16, "x" * 5000, "ünïcode", "a b"):
            for suffix in ("", "/workers", "/sites", "/events"):
                response = await client.get(f"/api/runs/{run_id}{suffix}")
                error = assert_api_error(response, 404, "not_found", "run_id")
                assert len(error["message"]) < 200
            for command in ("pause", "resume", "cancel"):
                response = await client.post(f"/api/runs/{run_id}/{command}")
                assert_api_error(response, 404, "not_found", "run_id")
