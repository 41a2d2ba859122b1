"""The run detail page's download buttons: a click saves the run's items as JSONL or CSV,
byte for byte what the API exports, with auth off and with a viewer's session cookie."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.support import SCREENSHOTS, TERMINAL, ServerThread, running_server, wait_for
from tests.e2e.test_login import create_token, login


def finished_run_with_items(api: httpx.Client) -> tuple[str, str]:
    """A small demo run (one category) that ran to its end: ``(run id, dataset)``."""
    for run in api.get("/api/runs").json()["runs"]:
        if run["status"] not in TERMINAL:
            api.post(f"/api/runs/{run['id']}/cancel")
    started = api.post(
        "/api/runs", json={"collection": "demo", "params": {"max_categories": 1}, "workers": 10}
    )
    assert started.status_code == 201, started.text
    run_id: str = started.json()["run_id"]

    def ended() -> bool:
        """the small demo run to end"""
        return api.get(f"/api/runs/{run_id}").json()["status"] in TERMINAL

    wait_for(ended, timeout=60)
    detail = api.get(f"/api/runs/{run_id}").json()
    assert detail["status"] == "completed", detail["status"]
    return run_id, detail["dataset"]


def download(page: Page, format: str) -> tuple[str, bytes]:
    """Click the panel's button; the file's suggested name and content."""
    with page.expect_download() as info:
        page.get_by_test_id(f"download-{format}").click()
    saved = info.value
    path = saved.path()
    assert path is not None, saved.failure()
    return saved.suggested_filename, Path(path).read_bytes()


def check_downloads(page: Page, api: httpx.Client, run_id: str, dataset: str) -> None:
    panel = page.get_by_test_id("latest-items")
    expect(panel.get_by_test_id("item-row").first).to_be_visible()
    for format in ("jsonl", "csv"):
        name, content = download(page, format)
        assert name == f"{dataset}-{run_id}.{format}"
        expected = api.get(f"/api/runs/{run_id}/items/export", params={"format": format})
        assert expected.status_code == 200, expected.text
        assert content == expected.content
        if format == "jsonl":
            items = [json.loads(line) for line in content.decode().splitlines()]
            listed = api.get(f"/api/runs/{run_id}/items", params={"limit": 1000}).json()
            assert items == listed["items"]
            assert len(items) >= 30
        else:
            assert content.decode().count("\r\n") >= 31  # the header and a row per item


def test_download_buttons_with_auth_off(
    page: Page, server: ServerThread, api: httpx.Client
) -> None:
    run_id, dataset = finished_run_with_items(api)
    page.goto(f"{server.url}/runs/{run_id}")
    expect(page.get_by_test_id("item-downloads")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.get_by_test_id("latest-items").screenshot(path=str(SCREENSHOTS / "item-downloads.png"))
    check_downloads(page, api, run_id, dataset)


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerThread, Path]]:
    db = tmp_path_factory.mktemp("e2e-downloads") / "crawlscope.db"
    with running_server(db, auth="on") as srv:
        yield srv, db


def test_download_buttons_with_a_viewer_session(
    browser: Browser, auth_server: tuple[ServerThread, Path]
) -> None:
    server, db = auth_server
    viewer = create_token(db, "viewer", "e2e-download-viewer")
    operator = create_token(db, "operator", "e2e-download-operator")
    headers = {"Authorization": f"Bearer {operator}"}
    with httpx.Client(base_url=server.url, timeout=10, headers=headers) as api:
        run_id, dataset = finished_run_with_items(api)
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            login(page, server.url, viewer, f"/runs/{run_id}")
            expect(page.get_by_test_id("user-role")).to_contain_text("viewer")
            # The link carries no token: the download works by the session cookie alone.
            href = page.get_by_test_id("download-csv").get_attribute("href")
            assert href == f"/api/runs/{run_id}/items/export?format=csv"
            check_downloads(page, api, run_id, dataset)
            # Without the session the same link is refused.
            context.clear_cookies()
            assert page.request.get(f"{server.url}{href}").status == 401
        finally:
            context.close()
