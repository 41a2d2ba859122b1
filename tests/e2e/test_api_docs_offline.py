"""``/docs`` (Swagger UI) and ``/redoc`` render in Chromium with every request to anything
but 127.0.0.1 blocked: their scripts and styles come from this server (docs_pages).

Each test also fails on an uncaught page error and on any Content-Security-Policy
violation, so the pages' own policy (this server only, the inline start-up script by
hash) is enough, with one known exception: ReDoc's sidebar always asks for Redocly's logo
from its CDN; the policy refuses it (no request leaves) and ReDoc hides the image.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route

from crawlscope.config import Settings
from tests.e2e.support import SCREENSHOTS, ServerThread


@pytest.fixture(scope="module")
def docs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """A plain server (no demo): the docs need nothing else."""
    db = tmp_path_factory.mktemp("docs") / "crawlscope.db"
    server = ServerThread(Settings(database_url=str(db), auth="off"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


_REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


class Offline:
    """A page whose requests to anything but 127.0.0.1 are aborted, and what it tried."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.blocked: list[str] = []
        """Requests aborted because they went elsewhere."""
        self.errors: list[str] = []
        self.violations: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", self._console)
        page.context.route("**/*", self._only_loopback)

    def _console(self, message: object) -> None:
        text = str(getattr(message, "text", ""))
        if "Content Security Policy" in text:
            self.violations.append(text)

    def _only_loopback(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort("internetdisconnected")


@pytest.fixture
def offline(browser: Browser) -> Iterator[Offline]:
    """A fresh context and page with the network cut but for 127.0.0.1."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20_000)
    watched = Offline(page)
    try:
        yield watched
    finally:
        context.close()
    assert not watched.errors, f"uncaught errors in the page: {watched.errors}"
    assert not watched.blocked, f"requests that tried to leave 127.0.0.1: {watched.blocked}"


def _screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=False)
    return path


def test_swagger_ui_lists_the_operations_offline(
    docs_server: ServerThread, offline: Offline
) -> None:
    page = offline.page
    page.goto(f"{docs_server.url}/docs")
    operations = page.locator(".opblock-summary-path")
    operations.first.wait_for()
    paths = operations.all_inner_texts()
    assert len(paths) > 20
    assert "/api/runs" in [p.replace("\u200b", "") for p in paths]
    assert page.locator(".info .title").inner_text().startswith("crawlscope")
    # an operation opens and shows its responses, from the schema this server served
    page.locator("#operations-health-metrics_metrics_get .opblock-summary").click()
    page.locator("#operations-health-metrics_metrics_get .responses-table").first.wait_for()
    assert _screenshot(page, "api-docs-swagger-offline.png").stat().st_size > 10_000
    assert offline.violations == []


def test_redoc_renders_the_reference_offline(docs_server: ServerThread, offline: Offline) -> None:
    page = offline.page
    page.goto(f"{docs_server.url}/redoc")
    heading = page.locator(".api-info h1")
    heading.wait_for()
    assert heading.inner_text().startswith("crawlscope")
    menu = page.locator("[role=menuitem]")
    menu.first.wait_for()
    assert menu.count() > 20
    assert page.get_by_text("/api/runs/{run_id}/workers").count() > 0
    assert _screenshot(page, "api-docs-redoc-offline.png").stat().st_size > 10_000
    assert all(_REDOCLY_LOGO in violation for violation in offline.violations), offline.violations
