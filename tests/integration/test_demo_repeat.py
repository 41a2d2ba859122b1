"""``serve --demo`` keeps a demo run going, so a dashboard opened later has one to watch."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.serving import serve_in_loop

Runs = list[dict[str, object]]


async def _runs(client: httpx.AsyncClient) -> Runs:
    runs: Runs = (await client.get("/api/runs")).json()["runs"]
    return runs


async def _runs_once(
    client: httpx.AsyncClient, ready: Callable[[Runs], bool], timeout: float = 60
) -> Runs:
    """Poll ``GET /api/runs`` until ``ready`` says yes."""
    for _ in range(int(timeout / 0.2)):
        runs = await _runs(client)
        if ready(runs):
            return runs
        await asyncio.sleep(0.2)
    raise AssertionError(f"runs never got ready: {await _runs(client)}")


async def test_the_next_demo_run_starts_after_the_previous_one_ends(
    server_settings: Settings,
) -> None:
    server_settings.demo = True
    server_settings.demo_scale = "tiny"
    server_settings.demo_repeat_s = 0.2
    app = create_app(server_settings)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        runs = await _runs_once(client, lambda runs: len(runs) >= 2)
        newest, first = runs[0], runs[1]
        assert first["status"] == "completed"
        assert newest["collection"] == "demo"
        # never two demo runs at once: the next one started after the first had ended
        assert str(newest["created_at"]) >= str(first["ended_at"])


async def test_without_repeat_there_is_one_demo_run(server_settings: Settings) -> None:
    server_settings.demo = True
    server_settings.demo_scale = "tiny"
    app = create_app(server_settings)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        await _runs_once(client, lambda runs: runs[0]["status"] == "completed")
        await asyncio.sleep(1.0)
        assert len(await _runs(client)) == 1
