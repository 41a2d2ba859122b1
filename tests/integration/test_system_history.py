"""System health over time against a real server: the server samples itself every
``system_sample_interval_s`` and serves the history; a remote runner's machine figures
arrive with its batches and are served per run; bad ranges are a 422 naming the field."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from crawlscope.client import HttpReporter
from crawlscope.config import Settings
from crawlscope.events import Action, ActivityEvent
from tests.integration.api_assertions import assert_api_error
from tests.integration.conftest import LiveServer


@pytest.fixture
def server_settings(tmp_path: Path) -> Settings:
    return Settings(database_url=str(tmp_path / "server.db"), system_sample_interval_s=0.2)


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as c:
        yield c


async def _samples(client: httpx.AsyncClient, path: str, at_least: int) -> dict[str, Any]:
    for _ in range(100):
        response = await client.get(path)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if len(body["samples"]) >= at_least:
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path}: fewer than {at_least} samples: {body}")


async def test_the_server_keeps_its_own_samples(client: httpx.AsyncClient) -> None:
    body = await _samples(client, "/api/health/system/history?hours=0.1&points=2000", 2)
    assert body["source"].startswith("server:")
    assert body["every_s"] == 1  # the sampling interval, rounded to whole seconds
    ats = [s["at"] for s in body["samples"]]
    assert ats == sorted(ats)
    for point in body["samples"]:
        assert 0 <= point["cpu_percent"] <= 100
        assert 0 < point["memory_percent"] <= 100
        assert 0 < point["disk_percent"] <= 100
        assert point["process_rss_mb"] > 0
        assert point["active_runs"] == 0
    # Wider points when asked for fewer of them.
    wide = await client.get("/api/health/system/history", params={"hours": 24, "points": 10})
    assert wide.json()["every_s"] == 24 * 3600 // 10


async def test_a_remote_runners_host_figures_are_kept_per_run(
    live_server: LiveServer, client: httpx.AsyncClient
) -> None:
    async with HttpReporter(live_server.url, max_delay=0.01, host_every_s=0.05) as reporter:
        await reporter.open_run("remote-host", "remote", {}, None)
        reporter.emit(
            ActivityEvent(
                run_id="remote-host", action=Action.RUN_STARTED, extra={"collection": "remote"}
            )
        )
        await reporter.flush()
        for worker in range(3):
            await asyncio.sleep(1.1)  # one sample a second at most is kept
            event = ActivityEvent(run_id="remote-host", action=Action.WAITING, worker_id=worker)
            reporter.emit(event)
            await reporter.flush()
    body = await _samples(client, "/api/runs/remote-host/host?hours=0.1&points=2000", 2)
    assert body["source"] == "run:remote-host"
    for point in body["samples"]:
        assert 0 <= point["cpu_percent"] <= 100
        assert 0 < point["memory_percent"] <= 100
        assert point["process_rss_mb"] > 0
        assert point["disk_percent"] is None  # a runner does not send it
    # By default over the run's life: seconds apart, not the buckets of a whole day.
    life = (await client.get("/api/runs/remote-host/host")).json()
    assert life["every_s"] == 1
    assert life["until"] - life["since"] < 600
    assert [p["at"] for p in life["samples"]] == [p["at"] for p in body["samples"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [("hours=0", "hours"), ("hours=500", "hours"), ("hours=x", "hours"), ("points=1", "points")],
)
async def test_bad_ranges_are_refused_naming_the_field(
    client: httpx.AsyncClient, query: str, field: str
) -> None:
    response = await client.get(f"/api/health/system/history?{query}")
    assert_api_error(response, 422, "invalid", field)


async def test_the_host_of_an_unknown_run_is_a_404(client: httpx.AsyncClient) -> None:
    assert_api_error(await client.get("/api/runs/nope/host"), 404, "not_found", "run_id")
