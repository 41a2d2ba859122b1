"""Helpers for the end-to-end tests: the server in a thread, the browser's settings, waiting."""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.serving import serve_in_loop

CHROMIUM = os.environ.get("CRAWLSCOPE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
TERMINAL = {"completed", "failed", "cancelled", "interrupted"}


class ServerThread:
    """``create_app(settings)`` served by uvicorn on 127.0.0.1:0 in a thread of its own."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = ""
        self._ready: queue.Queue[str | BaseException] = queue.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="e2e-server", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the test thread
            self._ready.put(exc)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with serve_in_loop(create_app(self.settings)) as url:
            self._ready.put(url)
            await self._stop.wait()

    def start(self) -> str:
        self._thread.start()
        got = self._ready.get(timeout=60)
        if isinstance(got, BaseException):
            raise RuntimeError(f"the server did not start: {got!r}") from got
        self.url = got
        return got

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)


@contextlib.contextmanager
def running_server(db: Path, **settings: Any) -> Iterator[ServerThread]:
    """A started ``ServerThread`` with the demo site (its own demo run is cancelled)."""
    server = ServerThread(
        Settings(database_url=str(db), demo=True, demo_scale="medium", **settings)
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.2) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail naming what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            what = predicate.__doc__ or getattr(predicate, "__name__", repr(predicate))
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(interval)
