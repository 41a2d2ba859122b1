"""The WebSocket streams against a real server, a real demo run and a real client (websockets)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from crawlscope.api.live import feeds_for
from crawlscope.config import Settings
from crawlscope.events import Action, ActivityEvent
from tests.integration.conftest import LiveServer

Message = dict[str, Any]
Stop = Callable[[list[Message]], bool]


@pytest.fixture
def server_settings(tmp_path: Path) -> Settings:
    return Settings(database_url=str(tmp_path / "server.db"), demo=True, demo_scale="tiny")


@pytest.fixture
async def demo_run_id(live_server: LiveServer) -> str:
    running = live_server.services.manager.running
    assert running, "the demo run should have been started with the server"
    return running[0].run_id


def ws_url(live_server: LiveServer, path: str) -> str:
    return live_server.url.replace("http://", "ws://", 1) + path


async def read_ws(
    url: str, *, stop: Stop | None = None, timeout: float = 60, abort: bool = False
) -> tuple[list[Message], int | None]:
    """Messages until the server closes (returns its close code) or ``stop`` holds.

    With ``abort`` the client drops the TCP connection without a closing handshake.
    """
    messages: list[Message] = []
    async with asyncio.timeout(timeout), connect(url) as ws:
        try:
            async for raw in ws:
                messages.append(json.loads(raw))
                if stop is not None and stop(messages):
                    if abort:
                        ws.transport.abort()
                    return messages, None
        except ConnectionClosed:
            pass
        return messages, ws.close_code


def seqs(messages: list[Message]) -> list[int]:
    return [m["data"]["seq"] for m in messages if m["type"] == "activity"]


async def stored_seqs(live_server: LiveServer, run_id: str) -> list[int]:
    monitor = live_server.services.monitor
    await monitor.flush_events()
    return [e.seq for e in await monitor.store.events.read_all(run_id)]


async def test_run_socket_live_and_resume_after_an_aborted_connection(
    live_server: LiveServer, demo_run_id: str
) -> None:
    url = ws_url(live_server, f"/ws/runs/{demo_run_id}")

    async def resuming_reader() -> tuple[list[Message], list[Message], int | None, bool]:
        first, _ = await read_ws(
            url + "?after_seq=0", stop=lambda m: len(seqs(m)) >= 60, abort=True
        )
        mid_run = live_server.services.manager.local(demo_run_id) is not None
        await asyncio.sleep(0.5)
        second, code = await read_ws(f"{url}?after_seq={seqs(first)[-1]}")
        return first, second, code, mid_run

    (full, code), (first, second, second_code, mid_run) = await asyncio.gather(
        read_ws(url + "?after_seq=0"), resuming_reader()
    )
    stored = await stored_seqs(live_server, demo_run_id)
    assert len(stored) > 100
    assert seqs(full) == stored
    assert full[0]["type"] == "state"
    assert [m["type"] for m in full[-2:]] == ["state", "end"]
    assert full[-2]["data"]["status"] == "completed"
    assert full[-1]["data"] == {"run_id": demo_run_id, "status": "completed"}
    assert code == 1000  # the server closes normally after the end

    assert mid_run, "the disconnect should happen while the run is going"
    assert seqs(first) + seqs(second) == stored
    assert second_code == 1000
    states = [m for m in full if m["type"] == "state"]
    assert 2 <= len(states) <= 4 * 60  # rate-limited (the exact bound is tested over SSE)


async def test_system_socket_with_and_without_focus(
    live_server: LiveServer, demo_run_id: str
) -> None:
    focused_url = ws_url(live_server, f"/ws/system?run_id={demo_run_id}&after_seq=0")
    (messages, code), (plain, _) = await asyncio.gather(
        read_ws(focused_url, stop=lambda m: m[-1]["type"] == "end"),
        read_ws(
            ws_url(live_server, "/ws/system"),
            stop=lambda m: {"system", "state"} <= {x["type"] for x in m},
            timeout=10,
        ),
    )
    assert code is None  # the installation stream stays open after the focus ended
    assert {"system", "state", "activity", "end"} <= {m["type"] for m in messages}
    assert seqs(messages) == await stored_seqs(live_server, demo_run_id)
    assert any(m["data"]["workers"] for m in messages if m["type"] == "state")

    system = next(m["data"] for m in plain if m["type"] == "system")
    assert system["subscribers"] >= 1
    states = [m["data"] for m in plain if m["type"] == "state"]
    assert [s["run_id"] for s in states] == [demo_run_id]
    assert states[0]["workers"] == []  # compact without focus


async def test_refusals_close_with_readable_codes(
    live_server: LiveServer, demo_run_id: str
) -> None:
    messages, code = await read_ws(ws_url(live_server, "/ws/runs/no-such-run"), timeout=10)
    assert (messages, code) == ([], 4404)
    messages, code = await read_ws(
        ws_url(live_server, f"/ws/runs/{demo_run_id}?after_seq=soon"), timeout=10
    )
    assert (messages, code) == ([], 4400)
    _, code = await read_ws(ws_url(live_server, "/ws/system?run_id=no-such-run"), timeout=10)
    assert code == 4404


async def test_a_socket_that_reads_nothing_gets_gaps(live_server: LiveServer) -> None:
    monitor = live_server.services.monitor
    feeds_for(live_server.app).config.queue_size = 8
    await monitor.open_run("slow", "test", {}, None)
    monitor.emit(ActivityEvent(run_id="slow", action=Action.RUN_STARTED))
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)  # no autotuning to 32 MB
    port = int(live_server.url.rsplit(":", 1)[1])
    sock.connect(("127.0.0.1", port))
    messages: list[Message] = []
    ws: ClientConnection
    async with (
        asyncio.timeout(30),
        connect(ws_url(live_server, "/ws/runs/slow"), sock=sock, max_queue=4) as ws,
    ):
        messages.append(json.loads(await ws.recv()))  # connected: the first state
        for i in range(600):  # ~10 MB while the client reads nothing
            monitor.emit(
                ActivityEvent(
                    run_id="slow",
                    action=Action.FETCHING,
                    worker_id=1,
                    extra={"pad": str(i) * 16_000},
                )
            )
            if i % 20 == 0:
                await asyncio.sleep(0.005)
        monitor.emit(ActivityEvent(run_id="slow", action=Action.RUN_COMPLETED))
        # Iteration ends when the server closes normally after the end.
        messages.extend([json.loads(raw) async for raw in ws])
    assert ws.close_code == 1000
    covered: list[int] = []
    for m in messages:
        if m["type"] == "gap":
            assert m["data"]["after_seq"] == (covered[-1] if covered else 1)
            covered.extend(
                range(m["data"]["after_seq"] + 1, m["data"]["after_seq"] + 1 + m["data"]["missed"])
            )
        elif m["type"] == "activity":
            covered.append(m["data"]["seq"])
    assert any(m["type"] == "gap" for m in messages)
    assert covered == list(range(2, 603))
    assert messages[-1]["type"] == "end"
