"""Scraped text is shown as text: markup in a seller name, task label, item or error message
must appear literally and never run."""

from __future__ import annotations

import httpx
from playwright.sync_api import Dialog, Page, expect

from crawlscope.demo.catalog import XSS_SELLER_NAME
from crawlscope.events import new_event_id, utc_now_iso
from tests.e2e.support import ServerThread, wait_for


def remote_run_with_markup(api: httpx.Client, run_id: str) -> None:
    """A remote run (through /api/ingest) whose worker fetched a page about the XSS seller."""

    def ev(seq_action: str, **fields: object) -> dict[str, object]:
        return {
            "run_id": run_id,
            "action": seq_action,
            "id": new_event_id(),
            "ts": utc_now_iso(),
            **fields,
        }

    events = [
        ev(
            "run_started",
            extra={"collection": "xss-check", "phases": ["sellers"], "dataset": "sellers"},
        ),
        ev("phase_started", phase="sellers", extra={"workers": 1}),
        ev(
            "fetching",
            worker_id=1,
            phase="sellers",
            task=XSS_SELLER_NAME,
            item=XSS_SELLER_NAME,
            url="http://127.0.0.1:9/seller?name=%3Cimg%3E",
            params={"name": XSS_SELLER_NAME},
            attempt=1,
            started_at=utc_now_iso(),
        ),
        ev(
            "error",
            worker_id=1,
            phase="sellers",
            task=XSS_SELLER_NAME,
            error_type="parse_error",
            error_stage="extraction",
            error_message=f"unexpected seller {XSS_SELLER_NAME}",
        ),
    ]
    response = api.post("/api/ingest", json={"events": events})
    assert response.status_code == 200, response.text


def test_markup_in_event_fields_shows_as_text(
    page: Page, server: ServerThread, api: httpx.Client
) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    run_id = f"xss-{new_event_id()[-8:]}"
    remote_run_with_markup(api, run_id)
    wait_for(lambda: api.get(f"/api/runs/{run_id}").status_code == 200)
    page.goto(f"{server.url}/runs/{run_id}")
    card = page.locator("[data-testid=worker-card][data-worker='1']")
    expect(card.get_by_test_id("worker-task")).to_have_text(XSS_SELLER_NAME)
    feed = page.get_by_test_id("activity-feed")
    expect(feed).to_contain_text(XSS_SELLER_NAME)
    message = page.get_by_test_id("error-breakdown").get_by_test_id("error-message")
    expect(message).to_have_text(f"unexpected seller {XSS_SELLER_NAME}")
    card.click()
    expect(page.get_by_test_id("worker-detail")).to_contain_text(XSS_SELLER_NAME)
    # The markup never became an element, and nothing ran.
    assert page.locator("img[src='x']").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == []


def test_seller_name_from_the_demo_site_shows_as_text(
    page: Page, server: ServerThread, api: httpx.Client, small_live_run: str
) -> None:
    """The demo site's seller 1 is named ``<img src=x onerror=alert(1)>``; sellers are
    dataset items, shown by the run page's items panel (``GET /api/runs/{id}/items``)."""
    assert api.get(f"/api/runs/{small_live_run}/items").status_code == 200
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(f"{server.url}/runs/{small_live_run}")
    items = page.get_by_test_id("latest-items")
    expect(items).to_contain_text(XSS_SELLER_NAME, timeout=30_000)
    assert page.locator("img[src='x']").count() == 0
    assert dialogs == []
