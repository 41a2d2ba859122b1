"""One run, one state: REST, the SSE and WebSocket ``state`` frames and ``crawlscope runs
show`` agree on an interrupted run, whether the server holds it in memory or only its row,
and on the outcome and finish reason of a run that ended with errors.

Two ways a run becomes ``interrupted`` outside the event flow, against a real server on a
SQLite file:

* abandoned: its row says ``running`` (with a stored frame saying so too) but its runner
  was gone before the server started; the server marks it at start-up;
* silent: a remote runner reported through ``/api/ingest`` and went quiet; the server held
  the run live and sweeps it.

Each time the four readers are asked and must all say ``interrupted``, with the same end
time, which is the run's last sign of life rather than the moment it was noticed.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import msgspec
from httpx_sse import aconnect_sse
from websockets.asyncio.client import connect

from crawlscope.aggregate import RunFrame
from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.events import Action, ActivityEvent
from crawlscope.monitor import Monitor
from crawlscope.registry import CollectionRegistry
from crawlscope.runner import Collection, SitePolicy, Task, TaskContext
from crawlscope.serving import serve_in_loop
from crawlscope.status import RunStatus
from crawlscope.timestamps import parse_ts, utc_now
from tests.conftest import Reply, ScriptedSite

PATIENCE = 20.0


async def _rest(client: httpx.AsyncClient, run_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/runs/{run_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _sse_state(client: httpx.AsyncClient, run_id: str) -> dict[str, Any]:
    async with (
        asyncio.timeout(PATIENCE),
        aconnect_sse(client, "GET", f"/api/runs/{run_id}/stream") as source,
    ):
        async for sse in source.aiter_sse():
            if sse.event == "state":
                state: dict[str, Any] = json.loads(sse.data)
                return state
    raise AssertionError("no state frame")


async def _ws_state(url: str, run_id: str) -> dict[str, Any]:
    async with (
        asyncio.timeout(PATIENCE),
        connect(url.replace("http", "ws", 1) + f"/ws/runs/{run_id}") as ws,
    ):
        async for raw in ws:
            message = json.loads(raw)
            if message["type"] == "state":
                state: dict[str, Any] = message["data"]
                return state
    raise AssertionError("no state frame")


async def _cli_show(db: str, run_id: str) -> dict[str, Any]:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("CRAWLSCOPE_DATABASE_URL", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crawlscope.cli",
        "runs",
        "show",
        run_id,
        "--json",
        "--db",
        db,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    shown: dict[str, Any] = json.loads(out)
    return shown


async def _all_readers(url: str, db: str, run_id: str) -> dict[str, dict[str, Any]]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        return {
            "rest": await _rest(client, run_id),
            "sse": await _sse_state(client, run_id),
            "websocket": await _ws_state(url, run_id),
            "cli": await _cli_show(db, run_id),
        }


def _agree(views: dict[str, dict[str, Any]], status: str) -> str:
    """All views say ``status`` for the same reason and end at one moment; returns that
    moment."""
    assert {name: view["status"] for name, view in views.items()} == dict.fromkeys(views, status)
    ends = {name: view["ended_at"] for name, view in views.items()}
    assert len({parse_ts(end) for end in ends.values()}) == 1, ends
    reasons = {name: view["finish_reason"] for name, view in views.items()}
    assert len(set(reasons.values())) == 1, reasons
    if status == "interrupted":
        assert reasons["rest"].startswith("its runner stopped reporting (last sign of life ")
    return str(ends["rest"])


async def test_an_abandoned_run_reads_interrupted_everywhere(tmp_path: Path) -> None:
    db = str(tmp_path / "server.db")
    run_id = "abandoned-1"
    async with Monitor(db) as runner:
        started = "2026-12-01T10:00:00.000Z"
        await runner.store.runs.save_frame(
            RunFrame(run_id=run_id, collection="c", status=RunStatus.RUNNING, started_at=started)
        )
        record = await runner.store.runs.get(run_id)
        assert record is not None
        assert record.frame is not None
        assert record.frame.status == "running"
        last_beat = record.last_sign_of_life
    await asyncio.sleep(0.3)
    app = create_app(Settings(database_url=db, stale_run_after_s=0.2))
    async with serve_in_loop(app) as url:
        views = await _all_readers(url, db, run_id)
    ended = _agree(views, "interrupted")
    # It ended when its runner was last heard of, not when the server noticed.
    assert abs((parse_ts(ended) - last_beat).total_seconds()) < 0.01


async def test_a_silent_remote_run_held_in_memory_reads_interrupted_everywhere(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "server.db")
    run_id = "silent-1"
    app = create_app(Settings(database_url=db, stale_run_after_s=1.0))
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        events = [
            ActivityEvent(run_id=run_id, action=Action.RUN_STARTED, extra={"collection": "far"}),
            ActivityEvent(run_id=run_id, action=Action.FETCHING, worker_id=1, site="x.test"),
        ]
        response = await client.post("/api/ingest", content=msgspec.json.encode({"events": events}))
        assert response.status_code == 200, response.text
        answered = utc_now()
        deadline = time.monotonic() + PATIENCE
        while (await _rest(client, run_id))["status"] != "interrupted":
            assert time.monotonic() < deadline, "the silent run was not interrupted"
            await asyncio.sleep(0.05)
        views = await _all_readers(url, db, run_id)
        assert views["rest"]["live"] is True  # the server still holds it in memory
    ended = parse_ts(_agree(views, "interrupted"))
    # Its last sign of life is its runner's last request, a second or so before the sweep.
    assert parse_ts(events[-1].ts) <= ended <= answered


def _partial() -> Collection:
    """Four pages, one of them gone: the run ends completed_with_errors."""
    collection = Collection("partial", task_attempts=1, site_policy=SitePolicy(max_attempts=1))

    @collection.phase("pages", workers=2)
    async def pages(ctx: TaskContext, task: Task) -> None:
        await ctx.http.get(f"{ctx.params['base']}/p/{task.label}")

    collection.seed(lambda params: [Task(str(n)) for n in range(4)])
    return collection


async def test_a_run_with_errors_reads_the_same_outcome_everywhere(
    tmp_path: Path, scripted_site: ScriptedSite
) -> None:
    scripted_site.default["/p/2"] = Reply(404)
    db = str(tmp_path / "server.db")
    registry = CollectionRegistry()
    registry.register(_partial(), defaults={"base": scripted_site.url})
    app = create_app(Settings(database_url=db), registry=registry)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        started = await client.post("/api/runs", json={"collection": "partial"})
        assert started.status_code == 201, started.text
        run_id = started.json()["run_id"]
        deadline = time.monotonic() + PATIENCE
        while (await _rest(client, run_id))["status"] in ("pending", "running"):
            assert time.monotonic() < deadline, "the run did not end"
            await asyncio.sleep(0.05)
        views = await _all_readers(url, db, run_id)
        listed = (await client.get("/api/runs", params={"status": "completed_with_errors"})).json()
    _agree(views, "completed_with_errors")
    assert views["rest"]["finish_reason"] == "1 of 4 tasks failed (25%)"
    assert [(r["id"], r["finish_reason"]) for r in listed["runs"]] == [
        (run_id, "1 of 4 tasks failed (25%)")
    ]
    # and the text `crawlscope runs show` prints
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("CRAWLSCOPE_DATABASE_URL", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crawlscope.cli",
        "runs",
        "show",
        run_id,
        "--db",
        db,
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    text = out.decode()
    assert f"run {run_id} (partial): completed_with_errors" in text
    assert "  reason:    1 of 4 tasks failed (25%)" in text
    assert "  tasks:     3 done, 1 failed" in text
