"""Storage that fails for real under a running server: a full disk, a read-only mount, a
deleted database file, and SIGTERM while writes fail.

The database lives on a small tmpfs mounted by the test (root is needed: CI runs as
root; elsewhere the tests skip, saying so, unless ``CRAWLSCOPE_REQUIRE_SERVICES`` is set).
A remote runner is played by httpx posting batches to ``/api/ingest``. What must hold:
the server answers ``503`` naming the cause instead of hanging, ``/readyz`` says the same,
it recovers by itself once the cause is gone, and every event it acknowledged is stored,
numbered without gap or duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.events import Action, ActivityEvent
from crawlscope.serving import serve_in_loop
from tests.integration.test_remote_runner import CLI, REPO, free_port
from tests.tmpfs import fill, mount, tmpfs

PATIENCE = 30.0


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A fresh 8 MB tmpfs: a disk the test can fill up and make read-only."""
    with tmpfs(tmp_path / "disk") as path:
        yield path


def _batch(run_id: str, n: int, *, first: bool = False) -> list[ActivityEvent]:
    events = [
        ActivityEvent(
            run_id=run_id,
            action=Action.FETCHING,
            worker_id=1 + i % 4,
            site="shop.test",
            url=f"http://shop.test/item/{i}?" + "q" * 300,  # about 0.4 KB a row
        )
        for i in range(n)
    ]
    if first:
        events.insert(
            0, ActivityEvent(run_id=run_id, action=Action.RUN_STARTED, extra={"collection": "far"})
        )
    return events


async def _post(client: httpx.AsyncClient, events: list[ActivityEvent]) -> httpx.Response:
    return await client.post("/api/ingest", content=msgspec.json.encode({"events": events}))


async def _until_ready(client: httpx.AsyncClient) -> None:
    deadline = time.monotonic() + PATIENCE
    while (await client.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, "the server did not recover"
        await asyncio.sleep(0.2)


async def _stored_ids(client: httpx.AsyncClient, run_id: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    after = 0
    while True:
        page = (
            await client.get(
                f"/api/runs/{run_id}/events", params={"after_seq": after, "limit": 5000}
            )
        ).json()
        out.extend((e["seq"], e["id"]) for e in page["events"])
        if page["next_after_seq"] is None:
            return out
        after = page["next_after_seq"]


@contextlib.asynccontextmanager
async def _server(db: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    settings = Settings(database_url=str(db), ingest_store_timeout_s=1.5, shutdown_timeout_s=2)
    app = create_app(settings)
    async with (
        serve_in_loop(app) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        yield client, app.state.services


def _error(response: httpx.Response) -> str:
    message: str = response.json()["error"]["message"]
    return message


async def _everything_acknowledged_is_stored(
    client: httpx.AsyncClient, run_id: str, acknowledged: list[ActivityEvent]
) -> None:
    stored = await _stored_ids(client, run_id)
    assert [seq for seq, _ in stored] == list(range(1, len(stored) + 1))
    ids = [event_id for _, event_id in stored]
    assert len(set(ids)) == len(ids)
    assert {e.id for e in acknowledged} <= set(ids)


async def test_a_full_disk_answers_503_then_recovers_losing_nothing(disk: Path) -> None:
    run_id = "far-full"
    async with _server(disk / "c.db") as (client, _):
        first = _batch(run_id, 50, first=True)
        assert (await _post(client, first)).status_code == 200
        filler = fill(disk)

        second = _batch(run_id, 1500)
        started = time.monotonic()
        refused = await _post(client, second)
        assert refused.status_code == 503
        assert time.monotonic() - started < 10  # answered, not left hanging
        assert refused.headers["retry-after"] == "1"
        assert "disk_full" in _error(refused)

        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert "disk_full" in _error(ready)
        storage = (await client.get("/api/health/services")).json()["storage"]
        assert (storage["ok"], storage["cause"]) == (False, "disk_full")
        assert storage["unstored"] >= len(second)
        system = (await client.get("/api/health/system")).json()
        assert system["subscribers"] >= 0

        # While writes fail, a new batch is refused at once: nothing of it is taken.
        third = _batch(run_id, 10)
        started = time.monotonic()
        assert (await _post(client, third)).status_code == 503
        assert time.monotonic() - started < 1.0

        filler.unlink()
        await _until_ready(client)
        # The runner's retries: the second batch was kept and stored meanwhile.
        again = await _post(client, second)
        assert again.status_code == 200, again.text
        assert again.json()["duplicates"] == len(second)
        assert (await _post(client, third)).json()["accepted"] == len(third)
        await _everything_acknowledged_is_stored(client, run_id, first + second + third)


async def test_a_read_only_mount_answers_503_then_recovers(disk: Path) -> None:
    run_id = "far-ro"
    async with _server(disk / "c.db") as (client, services):
        first = _batch(run_id, 50, first=True)
        assert (await _post(client, first)).status_code == 200
        # Read-only from here on for whoever opens a file (an overmount: files already
        # open stay writable, as on a real remount): the writer process is replaced, as
        # after a crash, and the new one cannot write.
        await asyncio.to_thread(mount, "--bind", "-o", "ro", str(disk), str(disk))
        writer_pid = services.store.events.pid
        assert writer_pid is not None
        os.kill(writer_pid, signal.SIGKILL)

        second = _batch(run_id, 200)
        refused = await _post(client, second)
        assert refused.status_code == 503
        assert "read_only" in _error(refused)
        ready = await client.get("/readyz")
        assert (ready.status_code, "read_only" in _error(ready)) == (503, True)

        await asyncio.to_thread(subprocess.run, ["umount", str(disk)], check=True)
        await _until_ready(client)
        assert (await _post(client, second)).status_code == 200
        assert services.store.events.pid not in (None, writer_pid)  # a new writer
        await _everything_acknowledged_is_stored(client, run_id, first + second)


async def test_a_deleted_database_is_reported_never_recreated_and_can_be_restored(
    disk: Path,
) -> None:
    db = disk / "c.db"
    run_id = "far-gone"
    async with _server(db) as (client, _):
        first = _batch(run_id, 50, first=True)
        assert (await _post(client, first)).status_code == 200
        keep = disk / "kept-link"
        os.link(db, keep)  # what a backup tool restores: the same file, put back
        db.unlink()

        second = _batch(run_id, 100)
        refused = await _post(client, second)
        assert refused.status_code == 503
        assert "file_gone" in _error(refused)
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert "was deleted" in _error(ready)
        await asyncio.sleep(1.0)
        assert not db.exists()  # no connection, reader or writer, made a new empty one

        os.link(keep, db)
        await _until_ready(client)
        assert (await _post(client, second)).status_code == 200
        await _everything_acknowledged_is_stored(client, run_id, first + second)


async def test_sigterm_stops_the_server_in_bounded_time_while_storage_fails(
    disk: Path, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "src")]),
        CRAWLSCOPE_SHUTDOWN_TIMEOUT_S="2",
        CRAWLSCOPE_INGEST_STORE_TIMEOUT_S="1",
        NO_COLOR="1",
        COLUMNS="300",
    )
    proc = await asyncio.create_subprocess_exec(
        *CLI,
        "serve",
        "--port",
        str(port),
        "--db",
        str(disk / "c.db"),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            deadline = time.monotonic() + PATIENCE
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/readyz")).status_code == 200:
                        break
                assert time.monotonic() < deadline, "the server did not start"
                await asyncio.sleep(0.1)
            assert (await _post(client, _batch("far-term", 50, first=True))).status_code == 200
            fill(disk)
            held = _batch("far-term", 1500)
            assert (await _post(client, held)).status_code == 503
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), 20)
        took = time.monotonic() - started
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    text = out.decode()
    assert "(new: there was no database there" in text  # the first start said so
    assert took < 2 + 3 + 3  # shutdown_timeout_s + open connections + start-up slack
    assert proc.returncode == 1, text[-2000:]
    assert f"{len(held)} events could not be stored within 2s" in text
    assert "Traceback" not in text
    assert sys.executable  # the server ran under this interpreter
