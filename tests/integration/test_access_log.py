"""The access log (``access_log`` setting): one ``crawlscope.access`` record per request
and WebSocket of this app, with status and duration; none without the setting."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect as ws_connect

from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.serving import serve_in_loop


def _fields(record: logging.LogRecord) -> tuple[str, str, int]:
    return (record.__dict__["method"], record.__dict__["path"], record.__dict__["status"])


async def _records(caplog: pytest.LogCaptureFixture, count: int) -> list[logging.LogRecord]:
    """The access records, once ``count`` are there (a stream is logged when it ends)."""
    async with asyncio.timeout(10):
        while True:
            found = [r for r in caplog.records if r.name == "crawlscope.access"]
            if len(found) >= count:
                return found
            await asyncio.sleep(0.02)


async def test_requests_and_websockets_are_logged_once_answered(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="crawlscope.access")
    app = create_app(Settings(database_url=str(tmp_path / "a.db"), access_log=True))
    async with serve_in_loop(app) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            assert (await client.get("/api/runs", params={"limit": 2})).status_code == 200
            assert (await client.post("/api/runs", content=b"{")).status_code == 422
        async with ws_connect(url.replace("http://", "ws://") + "/ws/system") as ws:
            await ws.recv()  # the first message: the socket was accepted
        records = await _records(caplog, 3)
    assert [_fields(r) for r in records] == [
        ("GET", "/api/runs?limit=2", 200),
        ("POST", "/api/runs", 422),
        ("WS", "/ws/system", 101),
    ]
    for record in records:
        assert record.levelno == logging.INFO
        assert record.__dict__["client"].startswith("127.0.0.1:")
        assert record.__dict__["duration_ms"] >= 0
    assert (
        records[0]
        .getMessage()
        .startswith(f'{records[0].__dict__["client"]} - "GET /api/runs?limit=2 HTTP/1.1" 200 ')
    )


async def test_nothing_is_logged_without_the_setting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="crawlscope.access")
    app = create_app(Settings(database_url=str(tmp_path / "a.db")))
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/api/runs")).status_code == 200
    assert not [r for r in caplog.records if r.name == "crawlscope.access"]
