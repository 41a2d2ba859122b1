"""The Analytics page in headless Chromium against the real server after two real demo
runs: the summary tiles count both runs and their requests, the trends, sites, error
groups (one opens to its example), heatmap, items per run, cost (the demo is priced) and
the comparison of the two runs show; the collection filter keeps them. Light and dark
screenshots of the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from crawlscope.config import CostPrices, Settings
from tests.e2e.support import SCREENSHOTS, ServerThread, wait_for


def _completed(client: httpx.Client, run_id: str) -> dict[str, object]:
    def done() -> dict[str, object] | None:
        run: dict[str, object] = client.get(f"/api/runs/{run_id}").json()
        return run if run["status"] == "completed" else None

    result: dict[str, object] = wait_for(done, timeout=120)
    return result


@pytest.fixture(scope="module")
def analytics_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """A server whose tiny demo run completed, then a second run of it."""
    db: Path = tmp_path_factory.mktemp("e2e-analytics") / "crawlscope.db"
    settings = Settings(
        database_url=str(db),
        demo=True,
        demo_scale="tiny",
        auth="off",
        cost_prices={"demo": CostPrices(per_request=0.0002, per_hour=1.5)},
    )
    server = ServerThread(settings)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            first = wait_for(lambda: client.get("/api/runs").json()["runs"])[0]
            run = _completed(client, first["id"])
            started = client.post("/api/runs", json={"collection": "demo", "params": run["params"]})
            assert started.status_code == 201, started.text
            _completed(client, started.json()["run_id"])
            # A completed run's last events may still be on their way to the rollups (the
            # writer process stores them): the page must show what is stored, all of it.
            wait_for(lambda: _settled(client))
        yield server
    finally:
        server.stop()


def _settled(client: httpx.Client) -> bool:
    runs = client.get("/api/runs").json()["runs"]
    summary = client.get("/api/analytics/summary").json()
    return bool(summary["requests"] == sum(r["totals"]["requests"] for r in runs))


def _check(page: Page, url: str, requests: int) -> None:
    page.goto(f"{url}/analytics")
    expect(page.get_by_test_id("tile-runs-value")).to_have_text("2")
    expect(page.get_by_test_id("tile-requests-value")).to_have_text(f"{requests:,}")
    expect(page.get_by_test_id("analytics-trends")).to_have_attribute("data-resolution", "1h")
    expect(page.get_by_test_id("sites-table").locator("tbody tr").first).to_be_visible()
    expect(page.get_by_test_id("error-group").first).to_be_visible()
    expect(page.locator(".heat-cell:not([data-value='0'])").first).to_be_visible()
    expect(page.get_by_test_id("items-per-run")).to_be_visible()
    expect(page.get_by_test_id("cost-table").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("compare-table")).to_be_visible()


def test_the_analytics_page_shows_two_demo_runs(
    analytics_server: ServerThread, browser: Browser, page: Page
) -> None:
    with httpx.Client(base_url=analytics_server.url, timeout=10) as client:
        summary = client.get("/api/analytics/summary").json()
    assert summary["runs"] == 2
    _check(page, analytics_server.url, summary["requests"])

    group = page.get_by_test_id("error-group").first
    group.get_by_role("button").click()
    expect(page.get_by_test_id("error-example").first).to_contain_text("example from run")
    compare = page.get_by_test_id("compare-table")
    expect(compare).to_contain_text("Requests")

    page.get_by_test_id("collection-filter").select_option("demo")
    expect(page.get_by_test_id("tile-runs-value")).to_have_text("2")
    page.get_by_test_id("range-picker").select_option("24h")
    expect(page.get_by_test_id("analytics-trends")).to_have_attribute("data-resolution", "5m")
    # The demo's declared fields, each with its values or its distribution.
    fields = page.get_by_test_id("fields-panel")
    expect(fields.locator('[data-field="rating"]')).to_contain_text("median")
    expect(fields.locator('[data-field="name"]')).to_contain_text("distinct")
    # The heatmap's hours are the browser's.
    zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    heat = page.get_by_test_id("heatmap")
    expect(heat).to_have_attribute("aria-label", f"Requests by weekday and hour ({zone})")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "analytics-light.png"), full_page=True)

    context = browser.new_context(
        viewport={"width": 1440, "height": 1000}, color_scheme="dark", timezone_id="Asia/Tokyo"
    )
    try:
        dark = context.new_page()
        _check(dark, analytics_server.url, summary["requests"])
        expect(dark.get_by_test_id("heatmap")).to_have_attribute(
            "aria-label", "Requests by weekday and hour (Asia/Tokyo)"
        )
        dark.screenshot(path=str(SCREENSHOTS / "analytics-dark.png"), full_page=True)
    finally:
        context.close()
