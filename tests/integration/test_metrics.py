"""GET /metrics against a real server: a real demo run's numbers, read back through the
Prometheus parser, equal what the run's frame and its stored events say; the site label
stays bounded with a thousand target sites; counters keep what a forgotten run did."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from prometheus_client.parser import text_string_to_metric_families

from crawlscope.access import Authenticator, Role
from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.events import Action, ActivityEvent
from crawlscope.serving import serve_in_loop
from tests.integration.conftest import LiveServer

DOCS = Path(__file__).resolve().parents[2] / "docs"
Json = dict[str, Any]
Samples = list[tuple[str, dict[str, str], float]]


def parse(text: str) -> dict[str, Samples]:
    """Family name -> its samples (name, labels, value), via prometheus_client's parser."""
    return {
        family.name: [(s.name, s.labels, s.value) for s in family.samples]
        for family in text_string_to_metric_families(text)
    }


def total(samples: Samples, name: str, **labels: str) -> float:
    return sum(
        value
        for sample, got, value in samples
        if sample == name and all(got.get(k) == v for k, v in labels.items())
    )


async def scrape(client: httpx.AsyncClient) -> dict[str, Samples]:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


async def stored_events(client: httpx.AsyncClient, run_id: str) -> list[Json]:
    events: list[Json] = []
    after = 0
    while True:
        page = (
            await client.get(
                f"/api/runs/{run_id}/events", params={"after_seq": after, "limit": 5000}
            )
        ).json()
        events += page["events"]
        if page["next_after_seq"] is None:
            return events
        after = page["next_after_seq"]


async def test_metrics_after_a_demo_run_equal_its_frame_and_events(
    server_settings: Settings,
) -> None:
    server_settings.demo = True
    server_settings.demo_scale = "tiny"
    app = create_app(server_settings)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        first = await scrape(client)  # while the run goes: folded again below, not twice
        assert total(first["crawlscope_runs"], "crawlscope_runs") == 1
        deadline = asyncio.get_running_loop().time() + 60
        while True:
            run = (await client.get("/api/runs")).json()["runs"][0]
            if run["status"] in ("completed", "completed_with_errors"):
                break
            assert asyncio.get_running_loop().time() < deadline, run["status"]
            await scrape(client)
            await asyncio.sleep(0.2)
        frame = (await client.get(f"/api/runs/{run['id']}")).json()
        totals = frame["totals"]
        metrics = await scrape(client)

        requests = metrics["crawlscope_requests"]
        assert total(requests, "crawlscope_requests_total", collection="demo") == totals["requests"]
        # every site of the demo is one host, under its own label
        sites = {labels["site"] for _, labels, _ in requests}
        assert sites == {card["site"] for card in frame["sites"]}
        outcomes = metrics["crawlscope_request_outcomes"]
        assert (
            total(outcomes, "crawlscope_request_outcomes_total", outcome="success")
            == (totals["successes"])
        )
        for error_type, count in totals["failures_by_type"].items():
            assert total(outcomes, "crawlscope_request_outcomes_total", outcome=error_type) == count
        items = metrics["crawlscope_items"]
        assert total(items, "crawlscope_items_total", kind="found") == totals["items_found"] > 0
        assert total(items, "crawlscope_items_total", kind="new") == totals["new_items"]
        errors = metrics["crawlscope_errors"]
        assert total(errors, "crawlscope_errors_total") == totals["errors"]
        tasks = metrics["crawlscope_tasks"]
        assert total(tasks, "crawlscope_tasks_total", outcome="done") == totals["tasks_done"]
        assert total(metrics["crawlscope_retries"], "crawlscope_retries_total") == totals["retries"]

        # The histogram counts every request attempt that ended with a duration, as the
        # stored events say; buckets only grow.
        events = await stored_events(client, run["id"])
        timed = [
            e
            for e in events
            if e.get("worker_id")
            and e["action"] in ("found", "error", "rate_limited")
            and "duration_ms" in e
        ]
        durations = metrics["crawlscope_request_duration_seconds"]
        buckets = [
            (float(labels["le"]), value)
            for name, labels, value in durations
            if name == "crawlscope_request_duration_seconds_bucket"
        ]
        assert buckets[-1] == (float("inf"), len(timed))
        assert [v for _, v in buckets] == sorted(v for _, v in buckets)
        assert total(durations, "crawlscope_request_duration_seconds_count") == len(timed)
        for bound, below in buckets[:-1]:
            # a bucket counts durations below its bound (docs/prometheus.md)
            assert below == sum(1 for e in timed if e["duration_ms"] / 1000 < bound), bound

        runs = metrics["crawlscope_runs"]
        assert {labels["status"] for _, labels, _ in runs} == {"pending", "running", "paused"}
        assert total(runs, "crawlscope_runs") == 0
        ended = metrics["crawlscope_runs_ended"]
        assert total(ended, "crawlscope_runs_ended_total", status=run["status"]) == 1
        assert total(ended, "crawlscope_runs_ended_total") == 1
        assert total(metrics["crawlscope_storage_ok"], "crawlscope_storage_ok") == 1
        # every state and severity, at zero while nothing is open (no "no data" panels)
        assert len(metrics["crawlscope_alerts"]) == 6
        assert total(metrics["crawlscope_target_sites"], "crawlscope_target_sites") == len(sites)

        # The sample Grafana dashboard asks only for series this server exposes.
        exposed = set(metrics) | {name for samples in metrics.values() for name, _, _ in samples}
        dashboard = (DOCS / "grafana-dashboard.json").read_text()
        asked = set(re.findall(r"\b((?:crawlscope|process)_[a-z_]+)", dashboard))
        assert asked
        assert asked <= exposed, asked - exposed

        # The run is forgotten a minute after its end; its counts stay.
        app.state.services.monitor.forget_after = 0.0
        while app.state.services.frames.live(run["id"]) is not None:
            await asyncio.sleep(0.1)
            assert asyncio.get_running_loop().time() < deadline + 60
        after = await scrape(client)
        assert after["crawlscope_requests"] == requests
        assert after["crawlscope_items"] == items
        assert after["crawlscope_runs_ended"] == ended
        assert total(after["crawlscope_live_runs"], "crawlscope_live_runs") == 0


def many_sites(run_id: str, sites: int) -> list[ActivityEvent]:
    """``run_started`` and, for site ``k``, ``k % 7 + 1`` request/answer pairs (every
    fifth answer a timeout)."""
    out = [
        ActivityEvent(
            run_id=run_id, action=Action.RUN_STARTED, extra={"collection": "wide"}, params={}
        )
    ]
    for k in range(sites):
        site = f"site-{k:04d}.example"
        for attempt in range(k % 7 + 1):
            common: Json = {"run_id": run_id, "worker_id": 1, "site": site, "attempt": 1}
            out.append(ActivityEvent(action=Action.FETCHING, **common))
            if attempt % 5 == 4:
                out.append(
                    ActivityEvent(
                        action=Action.ERROR,
                        error_type="timeout",
                        error_stage="request",
                        duration_ms=30_000.0,
                        **common,
                    )
                )
            else:
                out.append(ActivityEvent(action=Action.FOUND, duration_ms=20.0 + k % 50, **common))
    return out


@pytest.fixture
def server_settings(server_settings: Settings) -> Settings:
    server_settings.metrics_max_sites = 10
    return server_settings


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as c:
        yield c


async def test_a_thousand_sites_get_ten_labels_and_other_and_still_add_up(
    client: httpx.AsyncClient,
) -> None:
    events = many_sites("wide-1", 1000)
    for start in range(0, len(events), 2000):
        body = msgspec.json.encode({"events": events[start : start + 2000]})
        response = await client.post("/api/ingest", content=body)
        assert response.status_code == 200, response.text
    expected_requests = sum(k % 7 + 1 for k in range(1000))
    expected_timeouts = sum((k % 7 + 1) // 5 for k in range(1000))

    metrics = await scrape(client)
    requests = metrics["crawlscope_requests"]
    labels = {labels["site"] for _, labels, _ in requests}
    assert "other" in labels
    assert len(labels) == 11
    # the ten busiest sites (7 requests; ties by name) have their own labels
    assert labels - {"other"} == {f"site-{k:04d}.example" for k in range(6, 70, 7)}
    assert total(requests, "crawlscope_requests_total", collection="wide") == expected_requests
    outcomes = metrics["crawlscope_request_outcomes"]
    assert {labels["outcome"] for _, labels, _ in outcomes} == {"success", "timeout"}
    assert total(outcomes, "crawlscope_request_outcomes_total", outcome="timeout") == (
        expected_timeouts
    )
    assert total(outcomes, "crawlscope_request_outcomes_total", outcome="success") == (
        expected_requests - expected_timeouts
    )
    # every series of every family, bounded: nothing grows with the number of sites
    assert sum(len(samples) for samples in metrics.values()) < 400
    assert total(metrics["crawlscope_target_sites"], "crawlscope_target_sites") == 1000
    assert (
        total(metrics["crawlscope_metrics_labelled_sites"], "crawlscope_metrics_labelled_sites")
        == 10
    )

    # More requests to a site without a label go to "other"; the labels stay the same.
    more = [
        ActivityEvent(
            run_id="wide-1", action=Action.FETCHING, worker_id=1, site="site-0000.example"
        ),
        ActivityEvent(
            run_id="wide-1",
            action=Action.FOUND,
            worker_id=1,
            site="site-0000.example",
            duration_ms=5.0,
        ),
    ]
    response = await client.post("/api/ingest", content=msgspec.json.encode({"events": more}))
    assert response.status_code == 200, response.text
    again = (await scrape(client))["crawlscope_requests"]
    assert {got["site"] for _, got, _ in again} == labels
    assert total(again, "crawlscope_requests_total", site="other") == (
        total(requests, "crawlscope_requests_total", site="other") + 1
    )


async def test_metrics_need_a_viewer_where_authentication_is_on(tmp_path: Any) -> None:
    settings = Settings(database_url=str(tmp_path / "auth.db"), auth="on")
    app = create_app(settings)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.get("/metrics")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
        authenticator = Authenticator(app.state.services.store.tokens)
        secret, _ = await authenticator.create_token("prometheus", Role.VIEWER)
        ok = await client.get("/metrics", headers={"Authorization": f"Bearer {secret}"})
        assert ok.status_code == 200
        assert "crawlscope_build_info" in ok.text
