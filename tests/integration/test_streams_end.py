"""Every run stream ends after ``end``: the server closes it, whoever holds the run.

Three kinds of run, each followed over SSE (httpx-sse) and WebSocket (websockets) against
a real server on a SQLite file:

* ``in memory``: run by the server's own monitor; the server still aggregates it;
* ``from the store``: finished before the server started, so it is only a stored row;
* ``another process``: a CLI-style runner with its own ``Monitor`` on the same database,
  still running when the stream opens; the server follows it through the store.

The readers do not stop by themselves: a stream that stayed open after ``end`` would run
into the test's timeout.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import aconnect_sse
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.monitor import Monitor
from crawlscope.runner import Collection, Task, TaskContext
from crawlscope.serving import serve_in_loop

CLOSE_WITHIN = 15.0
"""Seconds a stream may take to end: the other process's run lasts about a second."""


def _collection(name: str, pause: float = 0.0) -> Collection:
    async def work(ctx: TaskContext, task: Task) -> None:
        await asyncio.sleep(pause)

    collection = Collection(name)
    collection.seed(lambda params: [Task(f"t{i}") for i in range(10)])
    collection.add_phase("only", work, workers=2)
    return collection


@dataclass
class Runs:
    url: str
    in_memory: str
    from_the_store: str
    another_process: str
    other: asyncio.Task[Any]


@pytest.fixture
async def runs(tmp_path: Path) -> AsyncIterator[Runs]:
    db = str(tmp_path / "server.db")
    async with Monitor(db) as before:
        stored = before.new_run(_collection("earlier"))
        await stored.execute()
    app = create_app(Settings(database_url=db))
    async with serve_in_loop(app) as url:
        server_monitor: Monitor = app.state.services.monitor
        here = server_monitor.new_run(_collection("here"))
        await here.execute()
        async with Monitor(db, save_interval=0.1) as elsewhere:
            slow = elsewhere.new_run(_collection("elsewhere", pause=0.2))
            await slow.start()
            runner = asyncio.create_task(slow.wait())
            yield Runs(url, here.run_id, stored.run_id, slow.run_id, runner)
            await runner


KINDS = ["in_memory", "from_the_store", "another_process"]


async def _sse(url: str, run_id: str) -> list[tuple[str, dict[str, Any]]]:
    seen: list[tuple[str, dict[str, Any]]] = []
    async with (
        httpx.AsyncClient(base_url=url, timeout=30) as client,
        asyncio.timeout(CLOSE_WITHIN),
        aconnect_sse(client, "GET", f"/api/runs/{run_id}/stream", params={"after_seq": 0}) as src,
    ):
        async for sse in src.aiter_sse():
            seen.append((sse.event, json.loads(sse.data)))
    return seen


async def _ws(url: str, run_id: str) -> tuple[list[tuple[str, dict[str, Any]]], int | None]:
    seen: list[tuple[str, dict[str, Any]]] = []
    ws_url = url.replace("http://", "ws://", 1) + f"/ws/runs/{run_id}?after_seq=0"
    async with asyncio.timeout(CLOSE_WITHIN), connect(ws_url) as ws:
        try:
            async for raw in ws:
                message = json.loads(raw)
                seen.append((message["type"], message["data"]))
        except ConnectionClosed:
            pass
        return seen, ws.close_code


def _check_ending(seen: list[tuple[str, dict[str, Any]]], run_id: str) -> None:
    kinds = [kind for kind, _ in seen]
    assert kinds[-1] == "end", kinds[-5:]
    assert kinds[-2] == "state"
    assert seen[-1][1] == {"run_id": run_id, "status": "completed"}
    assert seen[-2][1]["status"] == "completed"
    activity = [data["seq"] for kind, data in seen if kind == "activity"]
    assert activity == list(range(1, len(activity) + 1))
    assert activity[-1] == seen[-2][1]["last_seq"]  # the whole run, once


@pytest.mark.parametrize("kind", KINDS)
async def test_sse_stream_closes_after_end(runs: Runs, kind: str) -> None:
    run_id = getattr(runs, kind)
    seen = await _sse(runs.url, run_id)
    _check_ending(seen, run_id)


@pytest.mark.parametrize("kind", KINDS)
async def test_websocket_closes_normally_after_end(runs: Runs, kind: str) -> None:
    run_id = getattr(runs, kind)
    seen, code = await _ws(runs.url, run_id)
    _check_ending(seen, run_id)
    assert code == 1000
