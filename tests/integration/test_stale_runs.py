"""Runs whose runner went silent while the server stays up become ``interrupted``.

A real server with a short ``stale_run_after_s``; remote runs report through
``POST /api/ingest`` (httpx) and then stop. What must hold: a silent remote run is marked
``interrupted`` in the store, over REST and on its live stream, without any event being
made up; a runner that reports again (events, or only command polls) gets its run back;
runs executing in the server, and runs of a CLI process on the same database that keeps
its heartbeat, are never swept.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from httpx_sse import aconnect_sse

from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.events import Action, ActivityEvent
from crawlscope.monitor import Monitor
from crawlscope.registry import CollectionRegistry
from crawlscope.runner import Collection, Task, TaskContext
from crawlscope.serving import serve_in_loop
from tests.integration.conftest import LiveServer

STALE = 1.0
"""Seconds of silence before a run is swept (the sweep looks every STALE / 4)."""
PATIENCE = 20.0
"""How long a test waits for something that should happen after about STALE."""


class _Gate:
    """Holds the tasks of the blocking collection until released."""

    def __init__(self) -> None:
        self.open = asyncio.Event()


def _blocking(gate: _Gate) -> Collection:
    async def wait(ctx: TaskContext, task: Task) -> None:
        await gate.open.wait()

    collection = Collection("blocking")
    collection.seed(lambda params: [Task("hold")])
    collection.add_phase("only", wait, workers=1)
    return collection


@pytest.fixture
def gate() -> _Gate:
    return _Gate()


@pytest.fixture
def server_settings(tmp_path: Path) -> Settings:
    return Settings(database_url=str(tmp_path / "server.db"), stale_run_after_s=STALE)


@pytest.fixture
async def server(server_settings: Settings, gate: _Gate) -> AsyncIterator[LiveServer]:
    registry = CollectionRegistry()
    registry.register(_blocking(gate), description="one task that waits for the test")
    app = create_app(server_settings, registry=registry)
    try:
        async with serve_in_loop(app) as url:
            yield LiveServer(url, app, server_settings)
    finally:
        gate.open.set()


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as c:
        yield c


async def ingest(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/ingest", content=msgspec.json.encode(body))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def started(run_id: str) -> list[ActivityEvent]:
    return [
        ActivityEvent(run_id=run_id, action=Action.RUN_STARTED, extra={"collection": "far"}),
        ActivityEvent(run_id=run_id, action=Action.FETCHING, worker_id=1, site="x.test"),
    ]


async def status(client: httpx.AsyncClient, run_id: str) -> str:
    response = await client.get(f"/api/runs/{run_id}")
    assert response.status_code == 200, response.text
    value: str = response.json()["status"]
    return value


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not await check():
        assert time.monotonic() < deadline, f"not within {PATIENCE}s: {what}"
        await asyncio.sleep(0.05)


async def stream_end(client: httpx.AsyncClient, run_id: str) -> dict[str, Any]:
    """Follow the run's SSE stream until its ``end`` event."""
    async with aconnect_sse(client, "GET", f"/api/runs/{run_id}/stream") as source:
        async for sse in source.aiter_sse():
            if sse.event == "end":
                data: dict[str, Any] = json.loads(sse.data)
                return data
    raise AssertionError("the stream closed without an end event")


async def test_a_silent_remote_run_is_interrupted_then_revived(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    run_id = "remote-silent"
    await ingest(client, events=started(run_id))
    assert await status(client, run_id) == "running"
    stored_before = await server.services.monitor.store.events.read_all(run_id)
    end = asyncio.create_task(stream_end(client, run_id))

    async def interrupted() -> bool:
        return await status(client, run_id) == "interrupted"

    await eventually(interrupted, "the silent run is interrupted")
    # The stream of the run ends with that status; REST lists it; the row says it too.
    assert (await asyncio.wait_for(end, PATIENCE)) == {"run_id": run_id, "status": "interrupted"}
    listed = (await client.get("/api/runs", params={"status": "interrupted"})).json()
    assert [r["id"] for r in listed["runs"]] == [run_id]
    record = await server.services.monitor.store.runs.get(run_id)
    assert record is not None
    assert record.status == "interrupted"
    assert record.ended_at is not None
    # Nothing was made up: the stored events are exactly the ones the runner sent.
    await server.services.monitor.flush_events()
    stored = await server.services.monitor.store.events.read_all(run_id)
    assert [e.id for e in stored] == [e.id for e in stored_before]

    # The runner reports again: the run is back, with every event counted once.
    more = ActivityEvent(run_id=run_id, action=Action.FOUND, worker_id=1, site="x.test")
    assert (await ingest(client, events=[more]))["accepted"] == 1
    detail = (await client.get(f"/api/runs/{run_id}")).json()
    assert (detail["status"], detail["live"], detail["ended_at"]) == ("running", True, None)
    assert (detail["totals"]["requests"], detail["totals"]["successes"]) == (1, 1)
    assert [e.seq for e in await server.services.monitor.store.events.read_all(run_id)] == [1, 2, 3]

    async def row_running() -> bool:
        row = await server.services.monitor.store.runs.get(run_id)
        return row is not None and row.status == "running" and row.ended_at is None

    await eventually(row_running, "the revived run's row says running again")


async def test_command_polls_keep_a_paused_remote_run_alive(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    run_id = "remote-paused"
    paused = ActivityEvent(run_id=run_id, action=Action.RUN_PAUSED, extra={"reason": "test"})
    await ingest(client, events=[*started(run_id), paused])
    assert await status(client, run_id) == "paused"
    # A paused runner sends no events, only polls for commands: two STALE periods of that.
    until = time.monotonic() + 2 * STALE
    while time.monotonic() < until:
        await ingest(client, runs=[run_id])
        await asyncio.sleep(STALE / 5)
    assert await status(client, run_id) == "paused"

    async def interrupted() -> bool:
        return await status(client, run_id) == "interrupted"

    await eventually(interrupted, "the paused run whose runner stopped polling is interrupted")
    # A poll alone brings it back, paused as its events say, so it can still hear resume.
    await ingest(client, runs=[run_id])
    assert await status(client, run_id) == "paused"
    resume = asyncio.create_task(client.post(f"/api/runs/{run_id}/resume"))
    commands: list[dict[str, Any]] = []

    async def command_arrives() -> bool:
        commands[:] = (await ingest(client, runs=[run_id]))["commands"]
        return bool(commands)

    await eventually(command_arrives, "the resume command reaches the runner")
    assert [c["command"] for c in commands] == ["resume"]
    resumed = ActivityEvent(run_id=run_id, action=Action.RUN_RESUMED)
    ack = {"command_id": commands[0]["id"], "outcome": "resumed"}
    await ingest(client, events=[resumed], acks=[ack], runs=[run_id])
    answer = await asyncio.wait_for(resume, PATIENCE)
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "resumed"
    assert await status(client, run_id) == "running"


async def test_runs_executing_here_or_in_a_live_cli_process_are_not_swept(
    server: LiveServer, client: httpx.AsyncClient, gate: _Gate
) -> None:
    services = server.services
    here = await services.manager.start("blocking")
    # A CLI runner on the same database: its Monitor writes the run's heartbeat.
    cli = Monitor(services.settings.database_url, save_interval=0.1, heartbeat_interval=0.2)
    await cli.start()
    try:
        elsewhere = cli.new_run(_blocking(gate))
        await elsewhere.start()
        # A runner that died without a word: a row nobody updates.
        await services.monitor.store.runs.create("dead-cli-run", "blocking", status="running")

        async def dead_is_interrupted() -> bool:
            return await status(client, "dead-cli-run") == "interrupted"

        await eventually(dead_is_interrupted, "the row nobody updates is interrupted")
        await asyncio.sleep(2 * STALE)  # many sweeps later
        assert await status(client, here.run_id) == "running"
        assert await status(client, elsewhere.run_id) == "running"
        gate.open.set()
        await asyncio.wait_for(here.wait(), PATIENCE)
        await asyncio.wait_for(elsewhere.wait(), PATIENCE)
    finally:
        gate.open.set()
        await cli.stop()
    for run in (here, elsewhere):

        async def completed(run_id: str = run.run_id) -> bool:
            return await status(client, run_id) == "completed"

        await eventually(completed, f"run {run.run_id} completes")
