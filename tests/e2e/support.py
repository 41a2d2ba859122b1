"""Helpers for the end-to-end tests: the server in a thread, the browser's settings, waiting."""

from __future__ import annotations

import contextlib
import decimal
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.registry import CollectionRegistry
from crawlscope.serving import ServingThread

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
TERMINAL = {"completed", "completed_with_errors", "failed", "cancelled", "interrupted"}


class ServerThread(ServingThread):
    """``create_app(settings)`` served by uvicorn on 127.0.0.1:0 in a thread of its own.

    ``registry`` holds collections to offer besides the demo (the demo joins it).
    """

    def __init__(self, settings: Settings, registry: CollectionRegistry | None = None) -> None:
        super().__init__(lambda: create_app(settings, registry=registry), name="e2e-server")
        self.settings = settings


@contextlib.contextmanager
def running_server(
    db: Path, registry: CollectionRegistry | None = None, **settings: Any
) -> Iterator[ServerThread]:
    """A started ``ServerThread`` with the demo site and its demo run going."""
    server = ServerThread(
        Settings(database_url=str(db), demo=True, demo_scale="medium", **settings), registry
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


def dashboard_ratio(value: float) -> str:
    """``value`` (0..1) as the dashboard's ``fmtRatio`` prints it: a percentage to one decimal.

    ``Intl.NumberFormat`` rounds the shortest decimal form of the number half away from
    zero (0.6985 -> "69.9%"), where Python's ``round`` rounds the binary value half to even
    (69.8): the tests compare with the dashboard's rule, not Python's.
    """
    percent = decimal.Decimal(repr(value * 100)).quantize(
        decimal.Decimal("0.1"), rounding=decimal.ROUND_HALF_UP
    )
    return f"{percent.normalize():f}%"
