"""The analytics API over real demo runs, on SQLite and PostgreSQL.

A server runs the demo collection twice against the faulty demo site. Every analytics
endpoint then answers from the rollups and run summaries; each answer is checked against
what the runs' totals and the stored events say.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa

from crawlscope.api import create_app
from crawlscope.api.services import Services
from crawlscope.config import CostPrices, Settings
from crawlscope.serving import serve_in_loop
from crawlscope.store import SqlStore
from crawlscope.store.schema import events
from tests.integration.test_api_series import _completed_run

Json = dict[str, Any]
PRICE = CostPrices(per_request=0.001, per_gb=2.0, per_hour=3.6)


async def _wait_completed(client: httpx.AsyncClient, run_id: str) -> Json:
    for _ in range(1200):
        run: Json = (await client.get(f"/api/runs/{run_id}")).json()
        if run["status"] == "completed":
            return run
        await asyncio.sleep(0.1)
    raise AssertionError(f"run {run_id} did not complete")


async def _error_events(database_url: str) -> Counter[tuple[str, str]]:
    """Errors per (type, stage) as the raw events say (what the fold groups)."""
    store = SqlStore(database_url)
    await store.open()
    try:
        is_error = sa.or_(
            events.c.action == "error",
            sa.and_(events.c.action == "rate_limited", events.c.worker_id > 0),
        )
        stmt = sa.select(events.c.error_type, events.c.error_stage).where(is_error)
        async with store.database.connect() as conn:
            rows = (await conn.execute(stmt)).all()
    finally:
        await store.close()
    return Counter((t or "unknown", s or "request") for t, s in rows)


@pytest.fixture
async def two_runs(
    database_url: str, server_settings: Settings
) -> AsyncIterator[tuple[httpx.AsyncClient, Json, Json, Services]]:
    server_settings.database_url = database_url
    server_settings.demo = True
    server_settings.demo_scale = "tiny"
    server_settings.cost_prices = {"demo": PRICE}
    app = create_app(server_settings)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=20) as client:
        first = await _completed_run(client)
        started = await client.post(
            "/api/runs", json={"collection": "demo", "params": first["params"]}
        )
        assert started.status_code == 201, started.text
        second = await _wait_completed(client, started.json()["run_id"])
        services: Services = app.state.services
        await services.monitor.flush()
        yield client, first, second, services


def _sum(runs: tuple[Json, ...], name: str) -> int:
    return sum(int(run["totals"][name]) for run in runs)


async def test_every_endpoint_agrees_with_the_runs_and_events(
    two_runs: tuple[httpx.AsyncClient, Json, Json, Services], database_url: str
) -> None:
    client, a, b, _ = two_runs
    both = (a, b)
    window = {"days": 1, "collection": "demo"}

    summary = (await client.get("/api/analytics/summary", params=window)).json()
    assert summary["runs"] == 2
    for name, total in (
        ("requests", "requests"),
        ("successes", "successes"),
        ("failures", "failures"),
        ("errors", "errors"),
        ("items_found", "items_found"),
        ("items_new", "new_items"),
    ):
        assert summary[name] == _sum(both, total), name
    assert summary["success_rate"] == pytest.approx(summary["successes"] / summary["requests"])
    assert 0 < summary["p50_ms"] <= summary["p95_ms"]

    # Dataset insights: the demo declares its seller fields; every item is read.
    insight = (await client.get("/api/analytics/fields", params=window)).json()
    assert insight["fields_from"] == "declared"
    assert insight["dataset"] == b["dataset"]
    assert insight["sampled"] == b["dataset_size"]
    by_field = {f["field"]: f for f in insight["fields"]}
    assert set(by_field) >= {"seller_id", "name", "rating"}
    for found in by_field.values():
        assert found["present"] + found["missing"] == insight["sampled"]
        assert sum(v["count"] for v in found["top"]) <= found["present"]
    assert by_field["seller_id"]["distinct"] == insight["sampled"]  # the dataset key
    rating = by_field["rating"]
    assert rating["kind"] == "numeric"
    numeric = rating["numeric"]
    assert 1 <= numeric["min"] <= numeric["p50"] <= numeric["p95"] <= numeric["max"] <= 5
    assert numeric["count"] >= 0.8 * rating["present"]  # invalid items are stored too
    assert sum(b["count"] for b in numeric["bins"]) == numeric["count"]
    assert by_field["name"]["kind"] == "values"
    chosen = await client.get(
        "/api/analytics/fields", params={**window, "field": ["rating"], "sample": 5}
    )
    assert [f["field"] for f in chosen.json()["fields"]] == ["rating"]
    assert chosen.json()["fields_from"] == "request"
    assert chosen.json()["sampled"] == 5

    costs = (await client.get("/api/analytics/costs", params=window)).json()
    assert [r["run_id"] for r in costs["runs"]] == [b["run_id"], a["run_id"]]
    for row, run in zip(costs["runs"], (b, a), strict=True):
        assert row["requests"] == run["totals"]["requests"]
        hours = (
            datetime.fromisoformat(run["ended_at"]) - datetime.fromisoformat(run["started_at"])
        ).total_seconds() / 3600
        assert row["hours"] == pytest.approx(hours, abs=1e-3)
        expected = row["requests"] * 0.001 + row["bytes"] / 1e9 * 2.0 + hours * 3.6
        assert row["cost"] == pytest.approx(expected, abs=1e-3)
        # Both figures are rounded to 6 decimals: the cost's rounding, times 1000 / items.
        assert row["cost_per_1000_items"] == pytest.approx(
            row["cost"] / run["totals"]["items_found"] * 1000, abs=1e-5
        )
        assert row["bytes"] > 0  # the runner reports the size of every body it received
    assert sum(r["bytes"] for r in costs["runs"]) == summary["bytes"]
    assert costs["cost"] == pytest.approx(summary["cost"])
    assert costs["prices"] == {"demo": {"per_request": 0.001, "per_gb": 2.0, "per_hour": 3.6}}

    trends = (await client.get("/api/analytics/trends", params=window)).json()
    assert (trends["resolution"], trends["bucket_s"]) == ("5m", 300)
    # A day of 5-minute buckets: 289 with the partial ones at its ends, 288 when the range
    # happens to start on a bucket's edge (seen once).
    since_s = datetime.fromisoformat(trends["window"]["since"]).timestamp()
    until_s = datetime.fromisoformat(trends["window"]["until"]).timestamp()
    buckets = math.ceil(until_s / 300) - math.floor(since_s / 300)
    assert buckets in (24 * 12, 24 * 12 + 1)
    assert len(trends["points"]) == buckets
    assert sum(p["requests"] for p in trends["points"]) == summary["requests"]
    assert sum(p["items_found"] for p in trends["points"]) == summary["items_found"]
    assert sum(p["errors"] for p in trends["points"]) == summary["errors"]
    busy = [p for p in trends["points"] if p["requests"]]
    assert all(p["error_rate"] == p["errors"] / p["requests"] for p in busy)
    hourly = await client.get("/api/analytics/trends", params={**window, "resolution": "1h"})
    assert sum(p["requests"] for p in hourly.json()["points"]) == summary["requests"]
    recent = (await client.get("/api/analytics/trends", params={"days": 0.1})).json()
    assert recent["resolution"] == "1m"

    sites = (await client.get("/api/analytics/sites", params=window)).json()["sites"]
    per_site = Counter[str]()
    for run in both:
        cards = (await client.get(f"/api/runs/{run['run_id']}/sites")).json()["sites"]
        for card in cards:
            per_site[card["site"]] += card["requests"]
    assert {s["site"]: s["requests"] for s in sites} == dict(per_site)
    assert sum(s["requests"] for s in sites) == summary["requests"]
    requests = [s["requests"] for s in sites]
    assert requests == sorted(requests, reverse=True)

    report = (await client.get("/api/analytics/errors", params=window)).json()
    by_kind = Counter[tuple[str, str]]()
    for group in report["groups"]:
        by_kind[(group["error_type"], group["error_stage"])] += group["count"]
        assert group["count"] == sum(n for _, n in group["counts"])
        assert group["total"] == group["count"]
        assert group["example_run_id"] in (a["run_id"], b["run_id"])
        assert group["first_seen"] <= group["last_seen"]
        assert group["example_message"]
    assert by_kind == await _error_events(database_url)
    assert sum(by_kind.values()) == summary["errors"]

    heatmap = (await client.get("/api/analytics/heatmap", params=window)).json()
    heat = heatmap["cells"]
    assert heatmap["timezone"] == "UTC"
    assert sum(c["requests"] for c in heat) == summary["requests"]
    created = datetime.fromisoformat(a["created_at"]).astimezone(UTC)
    assert (created.weekday(), created.hour) in {(c["weekday"], c["hour"]) for c in heat}
    tokyo = (
        await client.get("/api/analytics/heatmap", params={**window, "tz": "Asia/Tokyo"})
    ).json()
    assert tokyo["timezone"] == "Asia/Tokyo"
    assert sum(c["requests"] for c in tokyo["cells"]) == summary["requests"]
    local = created.astimezone(ZoneInfo("Asia/Tokyo"))
    assert (local.weekday(), local.hour) in {(c["weekday"], c["hour"]) for c in tokyo["cells"]}

    insights = (await client.get("/api/analytics/insights", params=window)).json()
    assert insights["total_runs"] == 2
    assert [r["run_id"] for r in insights["runs"]] == [a["run_id"], b["run_id"]]
    assert [r["items_found"] for r in insights["runs"]] == [
        run["totals"]["items_found"] for run in both
    ]

    compared = await client.get(
        "/api/analytics/compare", params={"a": a["run_id"], "b": b["run_id"]}
    )
    assert compared.status_code == 200, compared.text
    body = compared.json()
    assert body["a"]["requests"] == a["totals"]["requests"]
    assert body["b"]["items_found"] == b["totals"]["items_found"]
    assert body["difference"]["requests"] == b["totals"]["requests"] - a["totals"]["requests"]
    assert body["difference"]["errors"] == b["totals"]["errors"] - a["totals"]["errors"]

    other = (await client.get("/api/analytics/summary", params={"collection": "none"})).json()
    assert (other["runs"], other["requests"], other["p95_ms"]) == (0, 0, None)


ENDPOINTS = ("summary", "trends", "sites", "errors", "heatmap", "insights", "costs")


async def test_answers_stay_the_same_once_raw_events_are_pruned(
    two_runs: tuple[httpx.AsyncClient, Json, Json, Services],
) -> None:
    client, a, b, services = two_runs
    now = datetime.now(UTC)
    window = {
        "since": (now - timedelta(days=1)).isoformat(),
        "until": (now + timedelta(hours=1)).isoformat(),
    }
    before = {e: (await client.get(f"/api/analytics/{e}", params=window)).json() for e in ENDPOINTS}
    assert before["summary"]["requests"] == a["totals"]["requests"] + b["totals"]["requests"]
    assert before["errors"]["groups"]
    compare = {"a": a["run_id"], "b": b["run_id"]}
    compared = (await client.get("/api/analytics/compare", params=compare)).json()
    report = await services.store.retention(raw_event_days=1e-9, minute_rollup_days=30).prune()
    assert report.runs == 2
    assert (await client.get(f"/api/runs/{a['run_id']}/events")).json()["events"] == []
    for endpoint in ENDPOINTS:
        after = (await client.get(f"/api/analytics/{endpoint}", params=window)).json()
        assert after == before[endpoint], endpoint
    assert (await client.get("/api/analytics/compare", params=compare)).json() == compared


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        ("summary", {"days": 1, "since": "2026-12-01T00:00:00Z"}, 400, "days"),
        (
            "summary",
            {"since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"},
            400,
            "since",
        ),
        ("sites", {"days": -1}, 422, "days"),
        ("heatmap", {"since": "yesterday"}, 422, "since"),
        ("heatmap", {"tz": "Mars/Olympus_Mons"}, 400, "tz"),
        ("heatmap", {"tz": "../../etc/passwd"}, 400, "tz"),
        ("trends", {"days": 30, "resolution": "1m"}, 400, "resolution"),
        ("trends", {"resolution": "2h"}, 422, "resolution"),
        ("trends", {"since": "2020-01-01T00:00:00Z", "resolution": "5m"}, 400, "resolution"),
        ("errors", {"limit": 0}, 422, "limit"),
        ("compare", {"a": "nope", "b": "nope"}, 404, "a"),
        ("compare", {"a": "x"}, 422, "b"),
        ("fields", {"days": 1}, 400, "collection"),
        ("fields", {"collection": "demo", "sample": 0}, 422, "sample"),
    ],
)
async def test_bad_values_name_the_field(
    database_url: str,
    server_settings: Settings,
    path: str,
    params: dict[str, Any],
    status: int,
    field: str,
) -> None:
    server_settings.database_url = database_url
    app = create_app(server_settings)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        response = await client.get(f"/api/analytics/{path}", params=params)
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field
