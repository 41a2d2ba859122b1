"""A run whose raw events were pruned, through the API of a real server.

A tiny demo run completes in the server; its raw events are then pruned. The run's detail
says when (``events_pruned_at``), its stored events are gone, and its worker cards and
chart series are what they were before, also from a server started afterwards (which
has nothing cached). The server's own pruning loop does the same in the background. An
interrupted run whose events were pruned cannot be resumed (its
totals and numbering would restart from nothing): 409, saying why.
"""

from __future__ import annotations

import asyncio

import httpx

from crawlscope.api import create_app
from crawlscope.api.services import Services
from crawlscope.config import Settings
from crawlscope.serving import serve_in_loop
from crawlscope.store.schema import runs
from tests.integration.test_api_series import _completed_run


async def test_a_pruned_run_keeps_its_cards_and_charts(server_settings: Settings) -> None:
    server_settings.demo = True
    server_settings.demo_scale = "tiny"
    app = create_app(server_settings)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        run = await _completed_run(client)
        run_id = run["run_id"]
        assert run["events_pruned_at"] is None
        series = (await client.get(f"/api/runs/{run_id}/series", params={"points": 600})).json()
        workers = (await client.get(f"/api/runs/{run_id}/workers")).json()
        page = (await client.get(f"/api/runs/{run_id}/events", params={"limit": 10})).json()
        assert len(page["events"]) == 10

        services: Services = app.state.services
        await services.monitor.flush()
        retention = services.store.retention(raw_event_days=0, minute_rollup_days=30)
        report = await retention.prune()
        assert report.runs == 1
        assert report.events >= run["totals"]["events"]

        pruned = (await client.get(f"/api/runs/{run_id}")).json()
        assert pruned["events_pruned_at"] is not None
        assert pruned["totals"] == run["totals"]
        listed = (await client.get("/api/runs")).json()["runs"]
        assert [r["events_pruned_at"] is not None for r in listed if r["id"] == run_id] == [True]
        empty = (await client.get(f"/api/runs/{run_id}/events")).json()
        assert empty["events"] == []
        assert (await client.get(f"/api/runs/{run_id}/workers")).json() == workers

        async with services.store.database.begin() as conn:
            await conn.execute(
                runs.update().where(runs.c.id == run_id).values(status="interrupted")
            )
        refused = await client.post(f"/api/runs/{run_id}/resume")
        assert refused.status_code == 409, refused.text
        assert "events were pruned" in refused.text

    server_settings.demo = False
    app = create_app(server_settings)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        again = await client.get(f"/api/runs/{run_id}/series", params={"points": 600})
        assert again.status_code == 200
        assert again.json() == series
        assert (await client.get(f"/api/runs/{run_id}/workers")).json() == workers


async def test_the_server_prunes_in_the_background(server_settings: Settings) -> None:
    # Raw events kept about 0.1 s after a run ends; a pruning round every 0.2 s.
    server_settings.demo = True
    server_settings.demo_scale = "tiny"
    server_settings.raw_event_days = 1e-6
    server_settings.prune_interval_s = 0.2
    app = create_app(server_settings)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        run = await _completed_run(client)
        run_id = run["run_id"]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while (detail := (await client.get(f"/api/runs/{run_id}")).json())[
            "events_pruned_at"
        ] is None:
            assert loop.time() < deadline, "not pruned within 30 s"
            await asyncio.sleep(0.1)
        assert detail["totals"]["requests"] > 0  # the totals stay on the row
        assert (await client.get(f"/api/runs/{run_id}/events")).json()["events"] == []
