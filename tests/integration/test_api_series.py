"""``GET /api/runs/{id}/series`` against a real server: a demo run's history, 404, 422."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.serving import serve_in_loop
from tests.integration.conftest import LiveServer

Json = dict[str, Any]


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=10) as client:
        yield client


async def _completed_run(client: httpx.AsyncClient) -> Json:
    run_id = (await client.get("/api/runs")).json()["runs"][0]["id"]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 120
    while True:
        run: Json = (await client.get(f"/api/runs/{run_id}")).json()
        if run["status"] == "completed":
            return run
        assert loop.time() < deadline, run["status"]
        await asyncio.sleep(0.1)


async def test_a_finished_demo_runs_series_adds_up_to_its_totals(
    server_settings: Settings,
) -> None:
    server_settings.demo = True
    server_settings.demo_scale = "tiny"
    app = create_app(server_settings)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        run = await _completed_run(client)
        run_id = run["run_id"]
        response = await client.get(f"/api/runs/{run_id}/series", params={"points": 600})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert body["run_id"] == run_id
        # a run shorter than 600 s: one bucket a second, so each rate is a count
        assert body["bucket_s"] == 1
        points = body["points"]
        assert points[0]["t"] == run["started_at"][:19] + ".000Z"
        assert len(points) == pytest.approx(run["duration_s"], abs=2)
        totals = run["totals"]
        assert sum(p["requests_per_s"] for p in points) == totals["requests"]
        assert sum(p["items_per_s"] for p in points) == totals["items_found"]
        errors: dict[str, float] = {}
        for p in points:
            for kind, rate in p["errors_per_s"].items():
                errors[kind] = errors.get(kind, 0) + rate
        assert errors == totals["errors_by_type"]
        with_latency = [p for p in points if "p50_ms" in p]
        assert with_latency  # the demo site answers: requests ended in some seconds
        assert all(0 < p["p50_ms"] <= p["p95_ms"] for p in with_latency)
        # seconds in which no request ended carry no latency keys at all
        assert all("p95_ms" not in p for p in points if "p50_ms" not in p)

        # the default point count, and the same answer again (cached) for an ended run
        default = (await client.get(f"/api/runs/{run_id}/series")).json()
        assert len(default["points"]) <= 120
        again = await client.get(f"/api/runs/{run_id}/series", params={"points": 600})
        assert again.json() == body


async def test_an_unknown_run_is_a_json_404(client: httpx.AsyncClient) -> None:
    for run_id in ("nope", "x" * 65):
        response = await client.get(f"/api/runs/{run_id}/series")
        assert response.status_code == 404
        error = response.json()["error"]
        assert error["code"] == "not_found"
        assert error["field"] == "run_id"


@pytest.mark.parametrize("points", ["9", "601", "0", "-1", "many", "12.5"])
async def test_points_out_of_range_is_422_naming_points(
    client: httpx.AsyncClient, points: str
) -> None:
    response = await client.get("/api/runs/nope/series", params={"points": points})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["field"] == "points"


@pytest.mark.parametrize("points", ["10", "600"])
async def test_point_limits_are_inclusive(client: httpx.AsyncClient, points: str) -> None:
    # in range: the run is looked up (and is unknown here)
    response = await client.get("/api/runs/nope/series", params={"points": points})
    assert response.status_code == 404


async def test_the_route_is_in_the_openapi_schema(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    operation = schema["paths"]["/api/runs/{run_id}/series"]["get"]
    assert {"200", "401", "403", "404", "422"} <= set(operation["responses"])
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/RunSeries"}
    point = schema["components"]["schemas"]["SeriesPoint"]
    assert {"t", "requests_per_s", "items_per_s", "errors_per_s"} <= set(point["required"])
