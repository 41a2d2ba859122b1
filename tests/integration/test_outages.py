"""Redis or PostgreSQL goes away for a while (30 s) under a server receiving a remote run.

A ``crawlscope serve`` process uses a Redis of this test's own (``redis-server`` on a free
port, killed with SIGKILL for the outage and started again on the same port, empty: no
persistence; or frozen with SIGSTOP, its connections open and silent, then resumed) and a
fresh PostgreSQL database reached through a TCP proxy that the test cuts (every
connection closed, new ones refused) and restores. The machine's own Redis and
PostgreSQL are never touched.

A real ``HttpReporter`` in this process carries the events of three simulated workers,
which do what the runner's workers do (``crawlscope/runner/worker.py``): before each task,
if the reporter is ``congested`` they wait (``wait_ready``). Its buffer is small (2,000),
so the outage fills it and the workers are slowed down.

The server also runs a run of its own meanwhile (``local_collection``, from a
``crawlscope.toml`` in the test's folder): short tasks, four workers. While PostgreSQL is
away its recorder keeps what cannot be stored, up to ``max_unstored_events`` (1,000 here),
and its workers wait before their next task; while Redis is away it goes on, its stored
events waiting in the bus's outbox to be shown live.

Afterwards: the remote run's stored events are exactly the ones the reporter emitted, in
order, seq 1..N without hole or double; a live SSE reader saw each once; the reporter
dropped nothing and its buffer never held more than its bound; the refused batches were
answered 503 with a JSON message; the server's own run completed with every task done and
contiguous seqs, its recorder backlog bounded; ``GET /api/health/services`` said the
service was down during the outage and up after it. ``CRAWLSCOPE_TEST_OUTAGE_S`` sets the
outage's length (default 30, the issue's; about 40 s per case in all).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import time
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import httpx_sse
import msgspec
import pytest
import redis.asyncio as aioredis
from httpx_sse import aconnect_sse

from crawlscope.client import HttpReporter
from crawlscope.events import Action, ActivityEvent
from crawlscope.runner import Collection, Task, TaskContext
from tests.conftest import RedisSpace, fresh_database
from tests.processes import Process, serve_process
from tests.tcp_proxy import TcpProxy

OUTAGE_S = float(os.environ.get("CRAWLSCOPE_TEST_OUTAGE_S", "30"))
REPO = Path(__file__).resolve().parents[2]
RUN = "outage-run"
MAX_BUFFER = 2_000
WORKERS = 3

LOCAL_TASKS = int(80 * (OUTAGE_S + 8))  # four workers at 20 tasks/s each: outlasts the outage
MAX_UNSTORED = 1_000

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server")


class LocalParams(msgspec.Struct):
    """Tasks take 50 ms each until ``until`` (epoch seconds), then none."""

    until: float
    tasks: int = LOCAL_TASKS


local_collection = Collection("outage-local", params=LocalParams)


@local_collection.seed
def _seed(params: dict[str, Any]) -> list[Task]:
    return [Task(f"t{i}") for i in range(params["tasks"])]


@local_collection.phase("work", workers=4)
async def _work(ctx: TaskContext, task: Task) -> None:
    if time.time() < ctx.params["until"]:
        await asyncio.sleep(0.05)
        ctx.emit(Action.FOUND, url="http://local.test/x", status_code=200)


class RedisProcess:
    """A ``redis-server`` of this test's own on a free port, without persistence."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            *["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"],
            *["--save", "", "--appendonly", "no"],
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        client = aioredis.from_url(self.url)
        try:
            for _ in range(100):
                with contextlib.suppress(OSError, aioredis.RedisError):
                    await client.ping()
                    return
                await asyncio.sleep(0.05)
        finally:
            await client.aclose()
        raise AssertionError("redis-server did not answer")

    def freeze(self) -> None:
        """SIGSTOP: connections stay open and nothing answers (a hung host, a partition)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGCONT)  # a stopped process dies only once resumed
            self.proc.kill()
            await self.proc.wait()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(database_url: str, redis_url: str, folder: Path) -> AbstractAsyncContextManager[Process]:
    """``crawlscope serve`` in a process of its own on a free port, its project in
    ``folder``; killed afterwards (its output in ``.lines``)."""
    (folder / "crawlscope.toml").write_text(
        'collections = ["tests.integration.test_outages:local_collection"]\n'
        '[project]\nname = "outages"\n'
    )
    return serve_process(
        database_url,
        RedisSpace(redis_url, "outage"),
        CRAWLSCOPE_AUTH="off",
        CRAWLSCOPE_MAX_UNSTORED_EVENTS=str(MAX_UNSTORED),
        # Shorter than the outage: a runner whose batches are refused is still alive.
        CRAWLSCOPE_STALE_RUN_AFTER_S="15",
        CRAWLSCOPE_PROJECT=str(folder / "crawlscope.toml"),
        PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "src")]),
    )


@dataclass
class Workers:
    """Three simulated workers emitting through the reporter, as the runner's do."""

    reporter: HttpReporter
    emitted: list[ActivityEvent] = field(default_factory=list)
    waits: int = 0
    max_buffered: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def emit(self, event: ActivityEvent) -> None:
        self.reporter.emit(event)
        self.emitted.append(event)
        self.max_buffered = max(self.max_buffered, self.reporter.buffered)

    async def worker(self, worker_id: int) -> None:
        while not self.stop.is_set():
            if self.reporter.congested():  # what runner/worker.py does before a task
                self.waits += 1
                await self.reporter.wait_ready()
            self.emit(ActivityEvent(run_id=RUN, action=Action.FETCHING, worker_id=worker_id))
            self.emit(ActivityEvent(run_id=RUN, action=Action.FOUND, worker_id=worker_id))
            await asyncio.sleep(0.01)


class RecordingTransport(httpx.AsyncBaseTransport):
    """The reporter's real transport, keeping the status and body of each failed answer."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.failed: list[tuple[int, dict[str, Any]]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if response.status_code != 200:
            body = await response.aread()
            self.failed.append((response.status_code, json.loads(body)))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def watch_stream(url: str, seen: list[int]) -> None:
    """Follow the run's SSE stream, as a browser does (reconnecting with ``Last-Event-ID``
    after an error), recording every activity seq until the stream says ``end``."""
    last = 0
    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(30, read=60)) as client:
        while True:
            with contextlib.suppress(httpx.TransportError, httpx_sse.SSEError):
                async with aconnect_sse(
                    client, "GET", f"/api/runs/{RUN}/stream", headers={"Last-Event-ID": str(last)}
                ) as source:
                    async for sse in source.aiter_sse():
                        assert sse.event != "gap", sse.data
                        if sse.event == "activity":
                            last = json.loads(sse.data)["seq"]
                            seen.append(last)
                        elif sse.event == "end":
                            return
            await asyncio.sleep(0.2)


@dataclass
class HealthLog:
    """``GET /api/health/services`` every half second: (monotonic time, redis, database),
    and the most the recorder (events waiting to be stored) and the bus's outbox (stored
    events waiting for Redis) held."""

    seen: list[tuple[float, str, str]] = field(default_factory=list)
    max_backlog: int = 0
    max_waiting: int = 0
    statuses: set[str] = field(default_factory=set)
    """The remote run's status as the API gave it (when the database answered)."""

    async def watch(self, client: httpx.AsyncClient) -> None:
        while True:
            with contextlib.suppress(httpx.HTTPError):
                body = (await client.get("/api/health/services", timeout=10)).json()
                self.seen.append(
                    (time.monotonic(), body["redis"]["state"], body["database"]["state"])
                )
                self.max_backlog = max(self.max_backlog, body["recorder"]["backlog"])
                self.max_waiting = max(self.max_waiting, body["redis"]["waiting"])
                run = await client.get(f"/api/runs/{RUN}", timeout=10)
                if run.status_code == 200:
                    self.statuses.add(run.json()["status"])
            await asyncio.sleep(0.5)

    def states(self, index: int, start: float, end: float) -> set[str]:
        return {row[index] for row in self.seen if start <= row[0] <= end}


async def stored_events(client: httpx.AsyncClient, run_id: str = RUN) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    after = 0
    while True:
        page = (
            await client.get(
                f"/api/runs/{run_id}/events", params={"after_seq": after, "limit": 5000}
            )
        ).json()
        out.extend(page["events"])
        if page.get("next_after_seq") is None:
            return out
        after = page["next_after_seq"]


@pytest.mark.parametrize("service", ["redis", "redis-frozen", "postgresql"])
async def test_an_outage_is_buffered_reported_and_survived(service: str, tmp_path: Path) -> None:
    redis = RedisProcess(free_port())
    proxy = TcpProxy("127.0.0.1", 5432)
    async with contextlib.AsyncExitStack() as stack:
        direct_url = await stack.enter_async_context(fresh_database("postgresql", tmp_path))
        await redis.start()
        stack.push_async_callback(redis.kill)
        await proxy.start()
        stack.push_async_callback(proxy.close)
        database_url = re.sub(r"@127\.0\.0\.1:5432/", f"@127.0.0.1:{proxy.port}/", direct_url)
        server = await stack.enter_async_context(serve(database_url, redis.url, tmp_path))
        url = server.url
        client = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=30))
        transport = RecordingTransport()
        reporter = HttpReporter(
            url,
            batch_size=200,
            max_delay=0.05,
            max_buffer=MAX_BUFFER,
            backoff_max=1.0,
            transport=transport,
        )
        await stack.enter_async_context(reporter)
        health = HealthLog()
        watcher = asyncio.create_task(health.watch(client))
        stack.callback(watcher.cancel)

        workers = Workers(reporter)
        workers.emit(
            ActivityEvent(
                run_id=RUN, action=Action.RUN_STARTED, extra={"collection": "remote"}, params={}
            )
        )
        tasks = [asyncio.create_task(workers.worker(i)) for i in range(1, WORKERS + 1)]
        until = time.time() + 5 + OUTAGE_S
        started = await client.post(
            "/api/runs",
            json={
                "collection": "outage-local",
                "params": {"until": until, "tasks": LOCAL_TASKS},
            },
        )
        assert started.status_code in (200, 201, 202), started.text
        local_id = started.json()["run_id"]
        await asyncio.sleep(1)
        streamed: list[int] = []  # a dashboard following the run across the outage
        reader = asyncio.create_task(watch_stream(url, streamed))
        stack.callback(reader.cancel)
        await asyncio.sleep(1)
        assert reporter.stats.delivered > 0, "nothing delivered before the outage"

        # The outage.
        began = time.monotonic()
        if service == "redis":
            await redis.kill()
        elif service == "redis-frozen":
            redis.freeze()
        else:
            await proxy.cut()
        await asyncio.sleep(OUTAGE_S)
        waits_during_outage = workers.waits
        buffered_at_end = reporter.buffered
        if service == "redis":
            await redis.start()
        elif service == "redis-frozen":
            redis.thaw()
        else:
            await proxy.restore()
        ended = time.monotonic()

        # Everything resumes on its own: the workers go on, the buffer drains.
        await asyncio.sleep(3)
        workers.stop.set()
        await asyncio.gather(*tasks)
        workers.emit(ActivityEvent(run_id=RUN, action=Action.RUN_COMPLETED))
        assert await reporter.drain(60), f"{reporter.undelivered} events still undelivered"
        async with asyncio.timeout(30):
            await reader

        async def local_done() -> dict[str, Any]:
            while True:
                run = (await client.get(f"/api/runs/{local_id}")).json()
                if run["status"] not in ("pending", "running", "paused"):
                    return dict(run)
                await asyncio.sleep(0.5)

        async with asyncio.timeout(60):
            local = await local_done()
        local_events = await stored_events(client, local_id)
        await asyncio.sleep(1.5)  # a last health check after recovery
        stored = await stored_events(client)
        final = (await client.get("/api/health/services")).json()

    # Nothing acknowledged lost, nothing doubled: what was emitted is stored, in order.
    emitted = workers.emitted
    assert [e["seq"] for e in stored] == list(range(1, len(emitted) + 1))
    assert [e["id"] for e in stored] == [e.id for e in emitted]
    # The live reader saw every event once, in order, across the outage.
    assert streamed == list(range(streamed[0], len(emitted) + 1))
    # Refused batches were answered 503 with a JSON message (the reporter sent them again).
    assert transport.failed
    assert {status for status, _ in transport.failed} == {503}, transport.failed
    assert all(body["error"]["message"] for _, body in transport.failed)
    stats = reporter.stats
    assert (stats.dropped, stats.rejected, stats.abandoned) == (0, 0, 0)
    assert stats.delivered == stats.emitted == len(emitted)
    # Bounded, then the workers were slowed down rather than events dropped.
    assert workers.max_buffered <= MAX_BUFFER
    assert waits_during_outage > 0
    assert buffered_at_end > MAX_BUFFER // 2
    # The remote run was never taken for dead while its batches were refused.
    assert "interrupted" not in health.statuses, health.statuses
    # The server's own run went through it: every task done, every event stored once.
    assert local["status"] == "completed", local
    assert local["totals"]["tasks_done"] == LOCAL_TASKS
    assert [e["seq"] for e in local_events] == list(range(1, len(local_events) + 1))
    assert len({e["id"] for e in local_events}) == len(local_events)
    assert [e["action"] for e in local_events].count("found") > 0
    if service == "postgresql":
        # Bounded: the limit plus what running tasks emitted (a remote batch or two).
        assert MAX_UNSTORED <= health.max_backlog <= MAX_UNSTORED + 1_000, health.max_backlog
    else:
        assert health.max_waiting > 0  # stored events waited for Redis, then were shown
        assert final["redis"]["waiting"] == 0
        assert final["redis"]["not_shown"] == 0

    # The health endpoint said so during the outage, and that it was over after it.
    index = 2 if service == "postgresql" else 1
    other = 1 if service == "postgresql" else 2
    assert "down" in health.states(index, began, ended), health.seen
    assert health.states(other, began, ended) == {"up"}, health.seen
    name = "database" if service == "postgresql" else "redis"
    assert final[name]["state"] == "up"
    assert final[name]["outages"] == 1
    assert final[name]["last_error"]
    print(
        f"\n{service} away {OUTAGE_S:g}s: {len(emitted)} events, {stats.requests} requests "
        f"({stats.failed_requests} failed), {workers.waits} worker waits, "
        f"max buffered {workers.max_buffered}; local run {len(local_events)} events, "
        f"max recorder backlog {health.max_backlog}, max outbox {health.max_waiting}; "
        f"answers {transport.failed[:1]}, recovered in "
        f"{time.monotonic() - ended:.1f}s incl. 3 s of work; health: {final[name]}"
    )
    for line in server.lines:
        if "WARNING" in line or "ERROR" in line or " 50" in line:
            print("server:", line[:300])
