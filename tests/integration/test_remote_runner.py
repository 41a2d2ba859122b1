"""A runner in its own OS process reports through /api/ingest to a server in another one.

The server (``crawlscope serve``) is killed with SIGKILL in the middle of the run and
started again on the same port and database; meanwhile the runner buffers and retries.
Afterwards the stored events must be complete: contiguous seq, no duplicate, exactly as
many as the runner emitted, and the run's totals (API, stored row, the runner's own
count) equal to the counts derived from the stored events. Pause and resume go from the
API to the remote runner through ingest responses. The items went to the server's dataset
(``POST /api/ingest/items``): it equals the site's ground truth, each item inserted once.

This module also defines the collection the runner process imports
(``tests.integration.test_remote_runner:collection``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
import httpx_sse
import msgspec
from aiohttp import web
from httpx_sse import aconnect_sse

from crawlscope.events import ActivityEvent
from crawlscope.runner import Collection, SitePolicy, Task, TaskContext
from crawlscope.store import Database, DatasetStore, EventLog, RunStore

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "crawlscope.cli"]

# -- the collection the runner process runs -------------------------------------------------


class RemoteParams(msgspec.Struct, forbid_unknown_fields=True):
    """``tasks`` items from ``base_url``; the site holds the last ``gated`` until told."""

    base_url: str
    tasks: int = 150
    gated: int = 4


collection = Collection(
    "remote-test",
    dataset="remote_items",
    key="id",
    params=RemoteParams,
    progress_levels=("items",),
    site_policy=SitePolicy(backoff_base=0.01, backoff_max=0.05, timeout=60.0),
)


@collection.seed
def _seed(params: dict[str, Any]) -> list[Task]:
    return [Task(f"item {i}", payload={"i": i}) for i in range(params["tasks"])]


@collection.phase("fetch", workers=4)
async def _fetch(ctx: TaskContext, task: Task) -> None:
    if task.payload["i"] == 0:
        ctx.progress.set_total("items", ctx.params["tasks"])
    response = await ctx.http.get(f"{ctx.params['base_url']}/item/{task.payload['i']}")
    ctx.add_item({"id": task.payload["i"], "body": response.text()})
    ctx.progress.advance("items")


# -- the pieces: a target site here, the server and the runner as subprocesses -------------


class TargetSite:
    """Answers /item/N; every 5th item fails once with a 503.

    Items from ``tasks // 2`` wait for ``middle`` (opened while the server is down, so
    the runner has to buffer), the last ``gated`` for ``end`` (opened after pause/resume).
    """

    def __init__(self, tasks: int, gated: int) -> None:
        self.middle_from = tasks // 2
        self.end_from = tasks - gated
        self.middle = asyncio.Event()
        self.end = asyncio.Event()
        self.failed: set[int] = set()
        self.served = 0
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        i = int(request.match_info["i"])
        if i % 5 == 1 and i not in self.failed:
            self.failed.add(i)
            return web.Response(status=503, text="try again")
        if i >= self.end_from:
            await self.end.wait()
        elif i >= self.middle_from:
            await self.middle.wait()
        self.served += 1
        return web.Response(text=f"item {i}")


@contextlib.asynccontextmanager
async def target_site(tasks: int, gated: int) -> AsyncIterator[TargetSite]:
    site = TargetSite(tasks, gated)
    app = web.Application()
    app.router.add_get("/item/{i}", site.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    site.url = f"http://127.0.0.1:{port}"
    try:
        yield site
    finally:
        site.middle.set()
        site.end.set()
        await runner.cleanup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "src")])
    env["CRAWLSCOPE_AUTH"] = "off"
    return env


class ServerProcess:
    """``crawlscope serve`` on a fixed port and database, restartable."""

    def __init__(self, port: int, db: Path, log: Path) -> None:
        self.port = port
        self.db = db
        self.log = log
        self.url = f"http://127.0.0.1:{port}"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *CLI,
                "serve",
                "--port",
                str(self.port),
                "--db",
                str(self.db),
                cwd=REPO,
                env=_env(),
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        async with httpx.AsyncClient() as client:
            for _ in range(600):
                if self.proc.returncode is not None:
                    raise AssertionError(f"server exited: {self.log.read_text()[-2000:]}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.05)
        raise AssertionError("server did not become ready in 30 s")

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


async def _read(db: Path, fn: Callable[[Database], Any]) -> Any:
    database = Database(str(db))
    await database.open()
    try:
        return await fn(database)
    finally:
        await database.close()


async def _stored_events(db: Path, run_id: str) -> list[ActivityEvent]:
    events: list[ActivityEvent] = await _read(db, lambda d: EventLog(d).read_all(run_id))
    return events


async def _wait_for(predicate: Callable[[], Any], what: str, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _run_id_from(log: Path) -> str | None:
    for line in log.read_text().splitlines():
        if line.startswith("run ") and " of remote-test " in line:
            return line.split()[1]
    return None


def ground_truth(tasks: int) -> list[dict[str, Any]]:
    """The items a complete run of ``collection`` stores: one per task, as the site says."""
    return [{"id": i, "body": f"item {i}"} for i in range(tasks)]


async def assert_dataset_is_ground_truth(db: Path, tasks: int) -> None:
    """The server's ``remote_items`` dataset holds each item of the site once, as served."""

    async def read(database: Database) -> tuple[list[str], list[Any]]:
        store = DatasetStore(database)
        return await store.keys("remote_items"), await store.items("remote_items", limit=10**6)

    keys, items = await _read(db, read)
    assert sorted(int(k) for k in keys) == list(range(tasks))  # no duplicate, none missing
    assert sorted(items, key=lambda i: i["id"]) == ground_truth(tasks)


def _comparable(totals: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return {k: totals[k] for k in keys}


async def _watch_stream(url: str, run_id: str, seen: dict[int, str]) -> None:
    """Follow the run's SSE stream across server restarts, recording seq -> event id.

    Reconnects with ``Last-Event-ID`` (what a browser does) until the stream says ``end``.
    """
    last = 0
    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(30, read=60)) as client:
        while True:
            headers = {"Last-Event-ID": str(last)}
            try:
                async with aconnect_sse(
                    client, "GET", f"/api/runs/{run_id}/stream", headers=headers
                ) as source:
                    async for sse in source.aiter_sse():
                        if sse.event == "activity":
                            event = json.loads(sse.data)
                            seen[event["seq"]] = event["id"]
                            last = event["seq"]
                        elif sse.event == "end":
                            return
            except (httpx.TransportError, httpx_sse.SSEError):
                pass  # the server is down: try again, as EventSource does
            await asyncio.sleep(0.1)


# -- the tests ------------------------------------------------------------------------------


async def test_remote_runner_survives_a_server_kill_and_restart(
    tmp_path: Path, derive_totals: Callable[[Iterable[ActivityEvent]], dict[str, Any]]
) -> None:
    tasks, gated = 150, 4
    server = ServerProcess(free_port(), tmp_path / "server.db", tmp_path / "server.log")
    runner_log = tmp_path / "runner.log"
    async with target_site(tasks, gated) as site:
        await server.start()
        runner: asyncio.subprocess.Process | None = None
        watcher: asyncio.Task[None] | None = None
        try:
            with runner_log.open("wb") as err:
                runner = await asyncio.create_subprocess_exec(
                    *CLI,
                    "run",
                    "tests.integration.test_remote_runner:collection",
                    "--server",
                    server.url,
                    "--token",
                    "unused-auth-is-off",
                    "--param",
                    f"base_url={site.url}",
                    "--param",
                    f"tasks={tasks}",
                    "--param",
                    f"gated={gated}",
                    "--json",
                    cwd=REPO,
                    env=_env(),
                    stdout=asyncio.subprocess.PIPE,
                    stderr=err,
                )

            async def run_started() -> bool:
                return _run_id_from(runner_log) is not None

            await _wait_for(run_started, "the runner to start")
            run_id = _run_id_from(runner_log)
            assert run_id is not None

            # A reader that follows the run across the kill: every seq it is shown must
            # still name the same event afterwards (shown means stored).
            seen: dict[int, str] = {}
            watcher = asyncio.create_task(_watch_stream(server.url, run_id, seen))

            async def some_stored() -> bool:
                return len(await _stored_events(server.db, run_id)) >= 50

            await _wait_for(some_stored, "events to reach the server")

            # Kill the server, then let the runner go on: it must buffer and retry.
            await server.kill()
            stored_before_restart = len(await _stored_events(server.db, run_id))
            site.middle.set()

            async def middle_served() -> bool:
                return site.served >= site.end_from

            await _wait_for(middle_served, "the runner to work while the server is down")
            await server.start()

            # The restarted server rebuilt the run from its stored events and continues it.
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:

                async def caught_up() -> bool:
                    stored = await _stored_events(server.db, run_id)
                    return len(stored) > stored_before_restart

                await _wait_for(caught_up, "new events after the restart")

                # Pause and resume from the API reach the remote runner (through the
                # run_commands table and ingest responses).
                for command, outcome in (("pause", "paused"), ("resume", "resumed")):
                    response = await client.post(f"/api/runs/{run_id}/{command}")
                    assert response.status_code == 200, response.text
                    assert response.json()["outcome"] == outcome

                site.end.set()
                stdout, _ = await asyncio.wait_for(runner.communicate(), 120)
                assert runner.returncode == 0, runner_log.read_text()[-3000:]
                summary = json.loads(stdout.decode().strip().splitlines()[-1])

                assert summary["status"] == "completed"
                delivery = summary["delivery"]
                assert delivery["dropped"] == delivery["rejected"] == delivery["abandoned"] == 0
                assert delivery["delivered"] == delivery["emitted"]
                assert delivery["failed_requests"] > 0  # the kill was felt

                stored = await _stored_events(server.db, run_id)
                await asyncio.wait_for(watcher, 30)
                by_seq = {e.seq: e.id for e in stored}
                assert seen  # the reader was shown events before and after the kill
                assert {seq: by_seq.get(seq) for seq in seen} == seen
                # Every emitted event arrived exactly once, numbered without a gap.
                assert len(stored) == delivery["emitted"]
                assert [e.seq for e in stored] == list(range(1, len(stored) + 1))
                assert len({e.id for e in stored}) == len(stored)
                derived = derive_totals(stored)
                assert derived["tasks_done"] == tasks
                assert derived["retries"] >= (tasks - 1) // 5
                assert [e.action for e in stored].count("run_paused") == 1
                assert stored[-1].action == "run_completed"

                # The runner's own count of what it emitted agrees.
                keys = list(derived)
                assert _comparable(summary["totals"], keys) == derived

                # The server's live view (rebuilt after the restart) agrees.
                response = await client.get(f"/api/runs/{run_id}")
                assert response.status_code == 200, response.text
                body = response.json()
                assert body["status"] == "completed"
                assert _comparable(body["totals"], keys) == derived
                assert body["last_seq"] == len(stored)

                # The items panel of the server shows the remote run's items.
                response = await client.get(f"/api/runs/{run_id}/items", params={"limit": 1000})
                assert response.status_code == 200, response.text
                panel = response.json()
                assert (panel["dataset"], panel["total"]) == ("remote_items", tasks)
                assert panel["items"] == sorted(ground_truth(tasks), key=lambda i: str(i["id"]))
        finally:
            if watcher is not None and not watcher.done():
                watcher.cancel()
            if runner is not None and runner.returncode is None:
                runner.kill()
                await runner.wait()
            await server.stop()

    # After a clean stop the stored row agrees too, and the items are in the server's
    # dataset: the site's ground truth, every item inserted exactly once.
    record = await _read(server.db, lambda d: RunStore(d).get(run_id))
    assert record.origin == "remote"
    assert record.status == "completed"
    assert _comparable(msgspec.to_builtins(record.totals), derived) == derived
    await assert_dataset_is_ground_truth(server.db, tasks)
    assert summary["dataset_size"] == tasks
    items = summary["items"]
    assert (items["items"], items["inserted"], items["rejected"]) == (tasks, tasks, 0)
    assert items["failed_requests"] > 0  # items were sent while the server was down
    assert (derived["new_items"], derived["updated_items"], derived["duplicates"]) == (tasks, 0, 0)
