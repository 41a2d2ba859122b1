"""Waiting and outcomes in the browser: a worker held by its site's rate limit shows
``waiting`` and for what on its card; a finished run's header says how it ended and why.

A server of its own: the demo plus ``throttled-demo``, the demo collection with a site
policy of two requests a second, run against the same demo site.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.demo.collection import demo_collection
from crawlscope.registry import CollectionRegistry
from crawlscope.runner import SitePolicy
from crawlscope.serving import ServingThread
from tests.e2e.support import SCREENSHOTS, TERMINAL, wait_for

RATE = 2.0


@pytest.fixture(scope="module")
def throttled_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServingThread]:
    registry = CollectionRegistry()
    registry.register(
        demo_collection(
            name="throttled-demo",
            dataset="throttled_sellers",
            site_policy=SitePolicy(rate_per_second=RATE, max_attempts=4, backoff_base=0.1),
        ),
        description=f"The demo, at most {RATE:g} requests a second.",
    )
    db = tmp_path_factory.mktemp("e2e-waiting") / "crawlscope.db"
    settings = Settings(database_url=str(db), demo=True, demo_scale="tiny", auth="off")
    server = ServingThread(lambda: create_app(settings, registry=registry), name="e2e-waiting")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(throttled_server: ServingThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=throttled_server.url, timeout=10) as api:
        yield api


def _demo_url(client: httpx.Client) -> str:
    runs = client.get("/api/runs", params={"limit": 100}).json()["runs"]
    url: str = next(r for r in runs if r["collection"] == "demo")["params"]["base_url"]
    return url


def test_a_worker_held_by_the_rate_limit_shows_waiting_and_why(
    page: Page, throttled_server: ServingThread, client: httpx.Client
) -> None:
    started = client.post(
        "/api/runs",
        json={
            "collection": "throttled-demo",
            "params": {"base_url": _demo_url(client)},
            "workers": 3,
        },
    )
    assert started.status_code == 201, started.text
    run_id = started.json()["run_id"]
    try:
        page.goto(f"{throttled_server.url}/runs/{run_id}")
        expect(page.get_by_test_id("run-detail")).to_have_attribute("data-run", run_id)
        waiting = page.locator("[data-testid=worker-card][data-state=waiting]").first
        expect(waiting).to_be_visible(timeout=20_000)
        expect(waiting.get_by_test_id("worker-state")).to_have_text("waiting")
        reason = waiting.get_by_test_id("worker-waiting")
        expect(reason).to_have_attribute("data-for", "rate_limit")
        expect(reason).to_contain_text("for the site's rate limit of 127.0.0.1:")
        # It has a task (not "idle · no task" while work is queued).
        expect(waiting.get_by_test_id("worker-task")).not_to_have_text("no task")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.get_by_test_id("worker-grid").screenshot(
            path=str(SCREENSHOTS / "worker-waiting-rate-limit.png")
        )

        # The cards of finished tasks say how much of the task was spent waiting.
        def explained() -> bool:
            """a card shows its last task's waiting time"""
            return page.get_by_test_id("worker-last-wait").count() > 0

        wait_for(explained, timeout=20)
        expect(page.get_by_test_id("worker-last-wait").first).to_contain_text("of it waiting")
    finally:
        client.post(f"/api/runs/{run_id}/cancel")

    def ended() -> bool:
        """the throttled run has ended"""
        return client.get(f"/api/runs/{run_id}").json()["status"] in TERMINAL

    wait_for(ended)
    # Its header says how it ended and why.
    detail = client.get(f"/api/runs/{run_id}").json()
    assert detail["status"] == "cancelled"
    assert detail["finish_reason"].startswith("cancelled by operator")
    shown = page.get_by_test_id("finish-reason")
    expect(shown).to_have_attribute("data-status", "cancelled")
    expect(shown).to_contain_text(detail["finish_reason"])


def test_a_finished_run_says_how_it_ended_and_why(
    page: Page, throttled_server: ServingThread, client: httpx.Client
) -> None:
    started = client.post("/api/runs", json={"collection": "demo", "params": {"max_categories": 1}})
    assert started.status_code == 201, started.text
    run_id = started.json()["run_id"]

    def ended() -> bool:
        """the small demo run has ended"""
        return client.get(f"/api/runs/{run_id}").json()["status"] in TERMINAL

    wait_for(ended, timeout=60)
    detail = client.get(f"/api/runs/{run_id}").json()
    assert detail["status"] in ("completed", "completed_with_errors"), detail["finish_reason"]
    page.goto(f"{throttled_server.url}/runs/{run_id}")
    shown = page.get_by_test_id("finish-reason")
    expect(shown).to_have_attribute("data-status", detail["status"])
    expect(shown).to_contain_text(detail["finish_reason"])
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", detail["status"])
    # The runs list puts the reason on the status (hover).
    page.goto(f"{throttled_server.url}/runs")
    row = page.locator(f"[data-testid=run-row][data-run='{run_id}']")
    expect(row.get_by_test_id("run-finish-reason")).to_have_attribute(
        "title", detail["finish_reason"]
    )
