"""A remote runner whose item answers get lost: the server's dataset and counts stay exact.

A proxy between the runner (a ``crawlscope run`` subprocess) and the server (uvicorn, SQLite
file) passes every request on, but for the first item batches it waits for the server's
answer, which means the items are stored, and then cuts the connection instead of
answering. The runner retries those batches with the same ``batch_id``; the server answers
them as the first time. Afterwards the dataset equals the site's ground truth, and the
run's ``new_items`` equal the number of items with no duplicates: a retry that had been
answered "unchanged" would have turned inserted items into duplicates.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.serving import serve_in_loop
from tests.integration.test_remote_runner import (
    CLI,
    REPO,
    _env,
    _stored_events,
    assert_dataset_is_ground_truth,
    target_site,
)


@dataclass
class LossyProxy:
    """Where the proxy listens, the batch ids whose answers it cut off, and an event set
    after each cut."""

    url: str = ""
    dropped: list[str] = field(default_factory=list)
    cut: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_for_cuts(self, count: int) -> None:
        while len(self.dropped) < count:
            self.cut.clear()
            await asyncio.wait_for(self.cut.wait(), 60)


@contextlib.asynccontextmanager
async def lossy_proxy(upstream: str, drop: int) -> AsyncIterator[LossyProxy]:
    """Forwards everything to ``upstream``; the first ``drop`` item batches are stored
    there but the answer to their first attempt is cut off."""
    proxy = LossyProxy()
    dropped = proxy.dropped
    session = aiohttp.ClientSession()

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        async with session.request(
            request.method, upstream + request.path_qs, data=body, headers=headers
        ) as answer:
            content = await answer.read()
            status, content_type = answer.status, answer.content_type
        if request.path == "/api/ingest/items" and status == 200 and len(dropped) < drop:
            sent = json.loads(body)
            if sent.get("items") and sent["batch_id"] not in dropped:
                dropped.append(sent["batch_id"])
                proxy.cut.set()
                assert request.transport is not None
                request.transport.close()  # stored upstream; the runner never hears it
                return web.Response(status=200)
        return web.Response(status=status, body=content, content_type=content_type)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = runner.addresses[0][1]
    proxy.url = f"http://127.0.0.1:{port}"
    try:
        yield proxy
    finally:
        await runner.cleanup()
        await session.close()


async def test_lost_item_answers_are_replayed_not_double_counted(
    tmp_path: Path, derive_totals: Any
) -> None:
    tasks, gated = 60, 10
    db = tmp_path / "server.db"
    app = create_app(Settings(database_url=str(db), auth="off"))
    async with (
        serve_in_loop(app) as server_url,
        target_site(tasks, gated) as site,
        lossy_proxy(server_url, drop=3) as proxy,
    ):
        runner = await asyncio.create_subprocess_exec(
            *CLI,
            "run",
            "tests.integration.test_remote_runner:collection",
            "--server",
            proxy.url,
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
            stderr=asyncio.subprocess.PIPE,
        )
        communicating = asyncio.ensure_future(runner.communicate())
        # The site holds the second and the last part of the items until told: three
        # batches at least, each of them cut off once.
        await proxy.wait_for_cuts(1)
        site.middle.set()
        await proxy.wait_for_cuts(2)
        site.end.set()
        stdout, stderr = await asyncio.wait_for(communicating, 120)
        assert runner.returncode == 0, stderr.decode()[-3000:]
        summary = json.loads(stdout.decode().strip().splitlines()[-1])
        assert len(proxy.dropped) == 3
        # Each cut-off batch was sent again with its id and answered as the first time.
        items = summary["items"]
        assert items["replayed"] == 3
        assert (items["items"], items["inserted"], items["unchanged"]) == (tasks, tasks, 0)
        assert items["failed_requests"] >= 3
        run_id = summary["run_id"]
        stored = await _stored_events(db, run_id)
    derived = derive_totals(stored)
    assert (derived["new_items"], derived["updated_items"], derived["duplicates"]) == (tasks, 0, 0)
    assert derived["items_found"] == tasks
    await assert_dataset_is_ground_truth(db, tasks)
