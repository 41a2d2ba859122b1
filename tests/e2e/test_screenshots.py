"""Screenshots of the overview, the runs list and the run detail page, light and dark, at
desktop and tablet (768 px) width, saved under artifacts/screenshots/. Each page is also
checked for what a screenshot cannot prove: no sideways scrolling at 768 px and the theme
actually applied."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.support import SCREENSHOTS, ServerThread, wait_for

WIDTHS = {"desktop": 1440, "tablet": 768}
THEMES = ("light", "dark")
# Body backgrounds of the two themes (styles.css: --bg).
BACKGROUNDS = {"light": "rgb(244, 246, 249)", "dark": "rgb(15, 20, 27)"}


@pytest.fixture(scope="module")
def progressed_run(server: ServerThread) -> Iterator[str]:
    """A demo run some way into its work, so every panel has something to show."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        run_id: str = client.post("/api/runs", json={"collection": "demo", "workers": 5}).json()[
            "run_id"
        ]

        def busy() -> bool:
            """the run has made 150 requests"""
            requests: int = client.get(f"/api/runs/{run_id}").json()["totals"]["requests"]
            return requests >= 150

        wait_for(busy, timeout=60)
        yield run_id
        client.post(f"/api/runs/{run_id}/cancel")


def no_sideways_scroll(page: Page) -> bool:
    result: bool = page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth + 1"
    )
    return result


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", WIDTHS)
def test_screenshots(
    browser: Browser, server: ServerThread, progressed_run: str, theme: str, size: str
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        viewport={"width": WIDTHS[size], "height": 1000},
        color_scheme=theme,  # type: ignore[arg-type]
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        pages = {
            "overview": ("/", "active-run"),
            "runs": ("/runs", "run-row"),
            "run-detail": (f"/runs/{progressed_run}", "worker-card"),
        }
        for name, (path, ready) in pages.items():
            page.goto(f"{server.url}{path}")
            expect(page.get_by_test_id(ready).first).to_be_visible()
            if name == "run-detail":
                expect(page.get_by_test_id("feed-event").first).to_be_visible()
                page.wait_for_timeout(2500)  # let the charts collect a few points
            else:
                page.wait_for_timeout(500)
            background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
            assert background == BACKGROUNDS[theme], f"{name}: {background}"
            assert no_sideways_scroll(page), f"{name} scrolls sideways at {WIDTHS[size]} px"
            page.screenshot(path=SCREENSHOTS / f"{name}-{theme}-{size}.png", full_page=True)
            assert (SCREENSHOTS / f"{name}-{theme}-{size}.png").stat().st_size > 10_000
        # The toggle switches theme without reloading.
        other = "dark" if theme == "light" else "light"
        page.get_by_test_id("theme-toggle").click()
        expect(page.locator("html")).to_have_attribute("data-theme", other)
        wait_for(
            lambda: (
                page.evaluate("() => getComputedStyle(document.body).backgroundColor")
                == BACKGROUNDS[other]
            )
        )
    finally:
        context.close()
    assert not errors, errors
