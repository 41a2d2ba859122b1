"""A JSON webhook receiver on 127.0.0.1 in a thread of its own, noting when each
notification arrives (bench/alert_eval.py)."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass

from aiohttp import web


@dataclass(frozen=True, slots=True)
class Arrival:
    at: float
    """``time.monotonic()`` when the request arrived."""
    title: str
    message: str


class Receiver:
    """A JSON webhook on 127.0.0.1 in a thread of its own (its own event loop), noting
    when each notification arrives."""

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        self.port = 0
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="webhook", daemon=True)

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    def since(self, index: int) -> list[Arrival]:
        with self._lock:
            return self.arrivals[index:]

    def __len__(self) -> int:
        with self._lock:
            return len(self.arrivals)

    async def _handle(self, request: web.Request) -> web.Response:
        at = time.monotonic()
        body = await request.json()
        with self._lock:
            self.arrivals.append(Arrival(at, str(body.get("title")), str(body.get("message"))))
        return web.json_response({"ok": True})

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = runner.addresses[0][1]
        self._stop = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()

    def _run(self) -> None:
        asyncio.run(self._serve())

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
