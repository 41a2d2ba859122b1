"""A Scrapy spider's run reads on the dashboard like a native one: worker cards (its
concurrency slots), the activity feed, the outcome, and Scrapy's own stats in a panel.
The spider (tests/integration/scrapy_demo_spider.py) crawls a tiny demo site in a process
of its own and reports to the e2e server. A screenshot under artifacts/screenshots/."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.alert_receivers import free_port
from tests.e2e.support import SCREENSHOTS, ServerThread, wait_for

pytest.importorskip("scrapy")
REPO = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "src")])
    return env


@pytest.fixture
def tiny_site() -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "crawlscope.demo.target_site", "--port", str(port)]
    site = subprocess.Popen(
        [*command, "--scale", "tiny", "--faults", "off"],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            try:
                return httpx.get(f"{url}/", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(up)
        yield url
    finally:
        site.terminate()
        site.wait(10)


def test_a_scrapy_run_reads_like_a_native_one(
    server: ServerThread, api: httpx.Client, page: Page, tiny_site: str
) -> None:
    module = "tests.integration.scrapy_demo_spider"
    spider = subprocess.run(
        [sys.executable, "-m", module, tiny_site, "--server", server.url, "--concurrency", "3"],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert spider.returncode == 0, spider.stdout[-2000:] + spider.stderr[-2000:]
    runs = api.get("/api/runs").json()["runs"]
    [run] = [r for r in runs if r["collection"] == "demo_sellers"]
    assert run["status"] == "completed"

    page.goto(f"{server.url}/runs/{run['id']}")
    detail = page.get_by_test_id("run-detail")
    expect(detail).to_have_attribute("data-status", "completed")
    expect(page.get_by_test_id("worker-card")).to_have_count(3)
    expect(page.get_by_test_id("feed-event").first).to_be_visible()
    stats = page.get_by_test_id("crawler-stats")
    stats.locator("summary").click()
    expect(stats.get_by_text("downloader/request_count")).to_be_visible()
    expect(stats.get_by_text("item_scraped_count")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "scrapy-run.png", full_page=True)
