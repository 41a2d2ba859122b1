"""End-to-end fixtures: the real server (in a thread, on a free port, SQLite file in tmp)
serving the built dashboard, and Debian's Chromium driven by Playwright.

Playwright cannot download its own browser here, so it launches ``/usr/bin/chromium``
(override with ``CRAWLSCOPE_CHROMIUM``). Tests skip, saying why, when that browser or the
built dashboard is missing (they fail instead under CI, where
``CRAWLSCOPE_REQUIRE_SERVICES`` is set); ``make test`` builds the dashboard first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from crawlscope.api.static import STATIC_DIR
from tests.e2e.support import CHROMIUM, CHROMIUM_ARGS, TERMINAL, ServerThread, running_server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.e2e)


def _require_browser_and_build() -> None:
    # Under CI (CRAWLSCOPE_REQUIRE_SERVICES, set by .ci/run) a missing browser or build is
    # a failure: these tests must never be skipped there.
    missing = pytest.fail if os.environ.get("CRAWLSCOPE_REQUIRE_SERVICES") else pytest.skip
    if not Path(CHROMIUM).exists():
        missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    if not (STATIC_DIR / "index.html").is_file():
        missing("the dashboard is not built (run `make dashboard`)")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    _require_browser_and_build()
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """The server with auth off (loopback), the demo site and an idle demo run cancelled."""
    _require_browser_and_build()
    db = tmp_path_factory.mktemp("e2e") / "crawlscope.db"
    with running_server(db, auth="off") as srv:
        with httpx.Client(base_url=srv.url, timeout=10) as client:
            for run in client.get("/api/runs").json()["runs"]:
                if run["status"] not in TERMINAL:
                    client.post(f"/api/runs/{run['id']}/cancel")
        yield srv


@pytest.fixture
def api(server: ServerThread) -> Iterator[httpx.Client]:
    """An HTTP client on the server (auth is off: every caller is the local admin)."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


@pytest.fixture
def live_run(api: httpx.Client) -> Iterator[str]:
    """A fresh demo run with 5 workers, cancelled after the test."""
    response = api.post("/api/runs", json={"collection": "demo", "workers": 5})
    assert response.status_code == 201, response.text
    run_id: str = response.json()["run_id"]
    yield run_id
    api.post(f"/api/runs/{run_id}/cancel")


@pytest.fixture
def small_live_run(api: httpx.Client) -> Iterator[str]:
    """A fresh demo run of the catalog's first 8 categories (its sellers phase comes
    within seconds; category 1 has the seller with a markup name), cancelled after."""
    response = api.post(
        "/api/runs",
        json={"collection": "demo", "workers": 8, "params": {"max_categories": 8}},
    )
    assert response.status_code == 201, response.text
    run_id: str = response.json()["run_id"]
    yield run_id
    api.post(f"/api/runs/{run_id}/cancel")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context and page; fails the test on any uncaught page error and on
    any Content-Security-Policy violation (the server sends a strict policy: the built
    dashboard must not need more)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    violations: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    pg.set_default_timeout(20_000)
    try:
        yield pg
    finally:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"
    assert not violations, f"Content-Security-Policy violations: {violations}"
