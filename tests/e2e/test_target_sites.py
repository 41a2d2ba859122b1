"""The overview's "Target sites" panel: each site of the live runs with its breaker (open
ones first) and its last success, from /api/health/sites. A screenshot is saved under
artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import pytest
from playwright.sync_api import Page, expect

from crawlscope.config import Settings
from crawlscope.events import Action, ActivityEvent
from tests.e2e.support import SCREENSHOTS, ServerThread


@pytest.fixture
def plain_server(tmp_path: Path) -> Iterator[ServerThread]:
    server = ServerThread(Settings(database_url=str(tmp_path / "c.db"), auth="off"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _events(run_id: str) -> list[ActivityEvent]:
    out = [ActivityEvent(run_id=run_id, action=Action.RUN_STARTED, extra={"collection": "c"})]
    for site, requests in (("busy.example", 5), ("flaky.example", 2), ("quiet.example", 1)):
        for _ in range(requests):
            out.append(ActivityEvent(run_id=run_id, action=Action.FETCHING, worker_id=1, site=site))
            if site != "flaky.example":
                out.append(
                    ActivityEvent(
                        run_id=run_id, action=Action.FOUND, worker_id=1, site=site, duration_ms=9.0
                    )
                )
    out.append(
        ActivityEvent(
            run_id=run_id, action=Action.BREAKER_OPENED, worker_id=0, site="flaky.example"
        )
    )
    return out


def test_overview_lists_target_sites_open_breakers_first(
    plain_server: ServerThread, page: Page
) -> None:
    with httpx.Client(base_url=plain_server.url, timeout=30) as client:
        body = msgspec.json.encode({"events": _events("remote-1")})
        assert client.post("/api/ingest", content=body).status_code == 200

    page.goto(plain_server.url + "/")
    panel = page.get_by_test_id("target-sites")
    rows = panel.get_by_test_id("target-site")
    expect(rows).to_have_count(3)
    # the open breaker first, then by requests
    assert [rows.nth(i).get_attribute("data-site") for i in range(3)] == [
        "flaky.example",
        "busy.example",
        "quiet.example",
    ]
    flaky = panel.locator('[data-site="flaky.example"]')
    expect(flaky.get_by_test_id("breaker-state")).to_have_attribute("data-state", "open")
    expect(flaky.get_by_test_id("last-success")).to_have_text("never")
    busy = panel.locator('[data-site="busy.example"]')
    expect(busy.get_by_test_id("breaker-state")).to_have_attribute("data-state", "closed")
    expect(busy.get_by_test_id("last-success")).to_have_text(re.compile(r"^\S+ ago$"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    panel.screenshot(path=str(SCREENSHOTS / "overview-target-sites.png"))
