"""The overview charts the server's CPU, memory and disk over time from its stored
samples, with a range picker; a remote run's page charts the host it reports from.
Screenshots under artifacts/screenshots/."""

from __future__ import annotations

import time

import httpx
import msgspec
from playwright.sync_api import Page, expect

from crawlscope.events import Action, ActivityEvent
from tests.e2e.support import SCREENSHOTS, ServerThread


def test_the_overview_charts_the_server_over_time(server: ServerThread, page: Page) -> None:
    page.goto(f"{server.url}/")
    panel = page.get_by_test_id("system-history")
    expect(panel.get_by_test_id("system-history-chart")).to_be_visible()
    expect(panel.locator("canvas")).to_have_count(1)
    day = panel.get_by_role("button", name="24 h")
    day.click()
    expect(day).to_have_attribute("aria-pressed", "true")
    expect(panel.get_by_test_id("system-history-chart")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    panel.screenshot(path=SCREENSHOTS / "overview-system-history.png")


def test_a_remote_run_shows_its_host(server: ServerThread, api: httpx.Client, page: Page) -> None:
    run_id = f"remote-host-{time.monotonic_ns()}"
    for cpu in (20.0, 60.0):
        body = {
            "events": [ActivityEvent(run_id=run_id, action=Action.RUN_STARTED)]
            if cpu == 20.0
            else [],
            "runs": [run_id],
            "host": {"cpu_percent": cpu, "memory_percent": 40.0, "process_rss_mb": 80.0},
        }
        response = api.post("/api/ingest", content=msgspec.json.encode(body))
        assert response.status_code == 200, response.text
        time.sleep(1.1)  # one sample per second is kept
    page.goto(f"{server.url}/runs/{run_id}")
    panel = page.get_by_test_id("run-host")
    expect(panel.get_by_test_id("run-host-chart")).to_be_visible()
    panel.screenshot(path=SCREENSHOTS / "run-host.png")
