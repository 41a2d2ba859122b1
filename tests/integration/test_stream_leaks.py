"""Connecting and disconnecting streams over and over leaves nothing behind.

Every cycle opens a real connection (SSE per run, SSE installation, WebSocket per run,
WebSocket system), waits for the first message (so the server really subscribed), and
drops it. A first round runs with live traffic; after two more, traced, rounds the hub's
subscriber count and the event loop's task count must be back where they were, promptly,
and memory traced by tracemalloc must not have grown between them. ``CRAWLSCOPE_LEAK_CYCLES``
sets the cycles per kind and round: 25 by default (300 connections), 84 gives the 1,000
of issue 3.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import psutil
import pytest
from websockets.asyncio.client import connect

from crawlscope.events import Action, ActivityEvent
from crawlscope.monitor import Monitor
from tests.integration.conftest import LiveServer

CYCLES = int(os.environ.get("CRAWLSCOPE_LEAK_CYCLES", "25"))
RUN = "leaky"


async def _settled(probe: Callable[[], int], want: int, within: float = 3.0) -> int:
    """Poll ``probe`` until it equals ``want`` or ``within`` seconds pass; its last value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (value := probe()) != want and loop.time() < deadline:  # noqa: ASYNC110 (no event to wait on)
        await asyncio.sleep(0.02)
    return value


async def _busy_run(monitor: Monitor) -> None:
    """A run with some traffic and a full ring buffer (resumes read the ring and the store)."""
    await monitor.open_run(RUN, "test", {}, None)
    monitor.emit(ActivityEvent(run_id=RUN, action=Action.RUN_STARTED))
    for _ in range(monitor.bus.ring_size + 100):
        monitor.emit(ActivityEvent(run_id=RUN, action=Action.FETCHING, worker_id=1))
    await monitor.flush()


@contextlib.asynccontextmanager
async def _traffic(monitor: Monitor) -> AsyncIterator[None]:
    """Live events while the block runs (not while memory is traced: every new event
    replaces one in the ring buffer allocated before tracing began, which reads as growth)."""

    async def produce() -> None:
        while True:
            monitor.emit(ActivityEvent(run_id=RUN, action=Action.FETCHING, worker_id=1))
            await asyncio.sleep(0.01)

    task = asyncio.create_task(produce())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_connect_disconnect_cycles_leave_nothing_behind(live_server: LiveServer) -> None:
    monitor = live_server.services.monitor
    hub = monitor.bus
    ws_base = live_server.url.replace("http://", "ws://", 1)

    await _busy_run(monitor)
    async with httpx.AsyncClient(base_url=live_server.url) as client:

        async def sse(path: str) -> None:
            async with client.stream("GET", path) as response:
                assert response.status_code == 200
                async for line in response.aiter_lines():
                    if line.startswith("data:"):
                        return  # leaving the block drops the connection mid-stream

        async def ws(path: str) -> None:
            async with connect(ws_base + path) as socket:
                await socket.recv()

        kinds: list[Callable[[], Awaitable[None]]] = [
            lambda: sse(f"/api/runs/{RUN}/stream"),
            # Resume inside the ring buffer, and from just before it (the store, then the ring).
            lambda: sse(f"/api/stream?run_id={RUN}&after_seq={hub.last_seq(RUN) - 20}"),
            lambda: ws(f"/ws/runs/{RUN}?after_seq={hub.last_seq(RUN) - hub.ring_size - 20}"),
            lambda: ws("/ws/system"),
        ]

        async def round_of(cycles: int) -> None:
            for _ in range(cycles):
                for kind in kinds:
                    await kind()

        def tasks() -> int:
            return len(asyncio.all_tasks())

        async with _traffic(monitor):  # also warms first-use caches, sse-starlette's watcher
            await round_of(CYCLES)
        subscribers = await _settled(hub.subscriber_count, 0)
        assert subscribers == 0
        await asyncio.sleep(0.2)
        baseline_tasks = tasks()
        rss_before = psutil.Process().memory_info().rss

        tracemalloc.start()
        try:
            await round_of(CYCLES)
            assert await _settled(hub.subscriber_count, 0) == 0
            gc.collect()
            first, _ = tracemalloc.get_traced_memory()
            await round_of(CYCLES)
            # Disconnects are noticed promptly: within a second or so, nothing is subscribed.
            assert await _settled(hub.subscriber_count, 0) == 0, "subscriptions leaked"
            left = await _settled(tasks, baseline_tasks)
            assert left == baseline_tasks, [t.get_coro() for t in asyncio.all_tasks()]
            gc.collect()
            second, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        rss_growth_mb = (psutil.Process().memory_info().rss - rss_before) / 2**20

    connections = CYCLES * len(kinds)
    growth = second - first
    print(  # shown with -s: the figures for docs/performance.md
        f"\n{3 * connections} connections: traced growth over the last round "
        f"{growth / 1024:.1f} KiB ({growth / connections:.0f} B/connection), "
        f"RSS growth {rss_growth_mb:.1f} MiB"
    )
    # A leaked subscription, generator or task costs kilobytes per connection; what is
    # left below that is caches filling (it falls to ~0 per connection over 1,000 cycles).
    assert growth / connections < 1024, f"{growth} bytes kept over {connections} connections"


@pytest.mark.parametrize("kind", ["sse", "ws"])
async def test_a_client_that_vanishes_mid_stream_is_noticed(
    live_server: LiveServer, kind: str
) -> None:
    """An idle stream (nothing to send) still notices a dropped client at once."""
    monitor = live_server.services.monitor
    await monitor.open_run("quiet", "test", {}, None)
    if kind == "sse":
        async with (
            httpx.AsyncClient(base_url=live_server.url) as client,
            client.stream("GET", "/api/runs/quiet/stream") as response,
        ):
            async for _ in response.aiter_lines():
                break
            assert monitor.bus.subscriber_count() == 1
    else:
        url = live_server.url.replace("http://", "ws://", 1) + "/ws/runs/quiet"
        async with connect(url) as socket:
            await socket.recv()
            assert monitor.bus.subscriber_count() == 1
            socket.transport.abort()  # no closing handshake
    assert await _settled(monitor.bus.subscriber_count, 0, within=1.0) == 0
