"""The dashboard says so when events cannot be stored, and stops saying so once they can.

A real server on a small tmpfs (root needed, as for tests/integration/test_storage_faults)
whose disk the test fills up, with the dashboard open in Chromium. A screenshot of the
banner is saved under artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import pytest
from playwright.sync_api import Page, expect

from crawlscope.config import Settings
from crawlscope.events import Action, ActivityEvent
from tests.e2e.support import SCREENSHOTS, ServerThread
from tests.tmpfs import fill, tmpfs


@pytest.fixture
def server_on_a_small_disk(tmp_path: Path) -> Iterator[tuple[ServerThread, Path]]:
    with tmpfs(tmp_path / "disk") as disk:
        server = ServerThread(
            Settings(database_url=str(disk / "c.db"), auth="off", ingest_store_timeout_s=1)
        )
        server.start()
        try:
            yield server, disk
        finally:
            server.stop()


def _ingest(client: httpx.Client, n: int, *, first: bool = False) -> int:
    events = [
        ActivityEvent(run_id="far", action=Action.FETCHING, worker_id=1, url="x" * 400)
        for _ in range(n)
    ]
    if first:
        events.insert(0, ActivityEvent(run_id="far", action=Action.RUN_STARTED))
    body = msgspec.json.encode({"events": events})
    return client.post("/api/ingest", content=body).status_code


def test_a_full_disk_shows_a_banner_until_space_is_freed(
    server_on_a_small_disk: tuple[ServerThread, Path], page: Page
) -> None:
    server, disk = server_on_a_small_disk
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert _ingest(client, 20, first=True) == 200
        filler = fill(disk)
        assert _ingest(client, 1500) == 503

        page.goto(server.url + "/")
        banner = page.get_by_test_id("storage-banner")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("Events cannot be stored: the disk is full.")
        expect(banner).to_contain_text("Fix: free space on the database's disk.")
        expect(banner).to_contain_text("events wait in memory")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "storage-banner.png"))

        filler.unlink()
        # The recorder retries within 5 s; the stream's next system message clears it.
        expect(banner).to_be_hidden(timeout=30_000)
        assert client.get("/readyz").status_code == 200
