"""``crawlscope.track``: an existing httpx or aiohttp script, watched live through a server.

The script (below) is what a user would already have: a pool of asyncio tasks pulling
product ids from a queue and paging through the demo site's offer search with one client,
yielding sellers. Wrapped with two lines, its requests, workers and items must show up in
the server's API while it runs (it waits at a gate until the test has seen them), and the
dataset must equal the site's ground truth when it ends. A 404 and a refused connection
show up as ``http_4xx`` and ``connection`` errors. A cancel from the API ends the block
quietly with the run cancelled.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest

import crawlscope
from crawlscope.demo import FaultConfig, build_catalog, create_site, serve_site
from crawlscope.demo.target_site import RunningSite
from crawlscope.integrations.track import TrackedRun
from crawlscope.runner import OutcomeRules
from crawlscope.store import SqlStore
from tests.integration.conftest import LiveServer

WORKERS = 4
Get = Callable[[str], Awaitable[tuple[int, Any]]]


@pytest.fixture
async def site() -> AsyncIterator[RunningSite]:
    catalog = build_catalog(seed=7, scale="tiny")
    async with serve_site(create_site(catalog, FaultConfig(latency_s=(0.005, 0.01)))) as running:
        yield running


@pytest.fixture
async def api(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as c:
        yield c


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def sellers_script(
    get: Get, base: str, run: TrackedRun, gate: asyncio.Event, dead_url: str
) -> None:
    """The user's script: catalog pages first, then a pool of tasks over the products."""
    _, home = await get(f"{base}/")
    products: asyncio.Queue[str] = asyncio.Queue()
    for slug in re.findall(r'href="/d/([^"]+)"', home):
        _, department = await get(f"{base}/d/{slug}")
        for category in re.findall(r'href="/c/(\d+)"', department):
            _, listing = await get(f"{base}/c/{category}")
            for product in re.findall(r'data-id="(\d+)"', listing):
                products.put_nowait(product)
    status, _ = await get(f"{base}/p/999999")  # a product that does not exist
    assert status == 404
    with pytest.raises((httpx.ConnectError, aiohttp.ClientConnectionError)):
        await get(dead_url)

    async def worker(number: int) -> None:
        while not products.empty():
            product = products.get_nowait()
            page, pages = 1, 1
            while page <= pages:
                _, data = await get(
                    f"{base}/api/offers?product={product}&min_price=0&max_price=100000&page={page}"
                )
                for offer in data["offers"]:
                    run.item({"seller_id": offer["seller_id"], "name": offer["seller_name"]})
                pages = data["pages"]
                page += 1
            await gate.wait()  # the test looks at the live run here

    await asyncio.gather(*(worker(n) for n in range(WORKERS)))


def _httpx_get(client: httpx.AsyncClient) -> Get:
    async def get(url: str) -> tuple[int, Any]:
        response = await client.get(url)
        is_json = response.headers.get("content-type") == "application/json"
        return response.status_code, response.json() if is_json else response.text

    return get


def _aiohttp_get(session: aiohttp.ClientSession) -> Get:
    async def get(url: str) -> tuple[int, Any]:
        async with session.get(url) as response:
            if response.content_type == "application/json":
                return response.status, await response.json()
            return response.status, await response.text()

    return get


async def _watch_live(api: httpx.AsyncClient, gate: asyncio.Event) -> dict[str, Any]:
    """Wait until the run shows every worker with items while the script waits, then
    let it finish; returns the run as the API showed it then."""
    async with asyncio.timeout(30):
        while True:
            runs = (await api.get("/api/runs")).json()["runs"]
            if runs:
                run: dict[str, Any] = (await api.get(f"/api/runs/{runs[0]['id']}")).json()
                if run["totals"]["new_items"] and len(run["workers"]) == WORKERS + 1:
                    gate.set()
                    return run
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("library", ["httpx", "aiohttp"])
async def test_tracked_script_reports_live_and_matches_ground_truth(
    live_server: LiveServer, api: httpx.AsyncClient, site: RunningSite, library: str
) -> None:
    gate = asyncio.Event()
    dead_url = f"http://127.0.0.1:{_closed_port()}/"
    watcher = asyncio.create_task(_watch_live(api, gate))
    async with crawlscope.track(
        f"sellers-{library}",
        server=live_server.url,
        dataset=f"sellers_{library}",
        key="seller_id",
        outcome=OutcomeRules(tolerated_failed_share=0.1),
    ) as run:
        if library == "httpx":
            async with run.wrap(httpx.AsyncClient(timeout=10)) as client:
                await sellers_script(_httpx_get(client), site.url, run, gate, dead_url)
        else:
            async with run.wrap(aiohttp.ClientSession()) as session:
                await sellers_script(_aiohttp_get(session), site.url, run, gate, dead_url)
    seen_live = await watcher
    assert seen_live["status"] == "running"
    assert seen_live["totals"]["requests"] > 0

    assert run.status == "completed"
    final = (await api.get(f"/api/runs/{run.run_id}")).json()
    assert final["status"] == "completed"
    assert final["collection"] == f"sellers-{library}"
    totals = final["totals"]
    # Every request through the wrapped client is one task: found or failed.
    assert totals["requests"] == site.app.requests + 1  # + the refused connection
    assert totals["tasks_done"] + totals["tasks_failed"] == totals["requests"]
    assert totals["failures_by_type"] == {"http_4xx": 1, "connection": 1}
    # The main task and the pool's four tasks are the workers.
    assert {w["worker_id"] for w in final["workers"]} == set(range(1, WORKERS + 2))
    assert sum(w.get("items", 0) for w in final["workers"]) == totals["items_found"]

    truth = site.app.catalog.ground_truth_seller_ids()
    keys = await live_server.services.store.datasets.keys(f"sellers_{library}")
    assert sorted(int(k) for k in keys) == sorted(truth)
    assert final["dataset_size"] == len(truth) == totals["new_items"]

    events = (await api.get(f"/api/runs/{run.run_id}/events", params={"limit": 5000})).json()
    found = [e for e in events["events"] if e["action"] == "found"]
    assert found
    assert all(e["status_code"] == 200 and e["duration_ms"] >= 0 for e in found)
    errors = {e["error_type"]: e for e in events["events"] if e["action"] == "error"}
    assert errors["http_4xx"]["status_code"] == 404
    assert errors["connection"]["url"] == dead_url


async def test_cancel_from_the_api_ends_the_block_quietly(
    live_server: LiveServer, api: httpx.AsyncClient, site: RunningSite
) -> None:
    requests = 0
    async with (
        crawlscope.track("endless", server=live_server.url) as run,
        run.wrap(httpx.AsyncClient()) as client,
    ):
        while True:  # only a cancel ends this
            await client.get(f"{site.url}/")
            requests += 1
            if requests == 5:
                for _ in range(500):  # its first events are on their way
                    if (await api.get(f"/api/runs/{run.run_id}")).status_code == 200:
                        break
                    await asyncio.sleep(0.02)
                response = await api.post(f"/api/runs/{run.run_id}/cancel")
                assert response.status_code < 300
    assert run.status == "cancelled"
    final = (await api.get(f"/api/runs/{run.run_id}")).json()
    assert final["status"] == "cancelled"
    assert final["finish_reason"] == "cancelled by operator"
    assert final["totals"]["requests"] >= 5


async def test_tracked_script_on_a_local_database(site: RunningSite, tmp_path: Path) -> None:
    """Without a server the run, its events and its items go to a database file."""
    db = tmp_path / "local.db"
    async with (
        crawlscope.track("local", database=str(db), dataset="pages", key="url") as run,
        run.wrap(httpx.AsyncClient()) as client,
    ):
        for path in ("/", "/d/home"):
            response = await client.get(f"{site.url}{path}")
            run.item({"url": path, "bytes": len(response.content)})
    assert run.status == "completed"
    store = SqlStore(str(db))
    await store.open()
    try:
        record = await store.runs.get(run.run_id)
        assert record is not None
        assert record.status == "completed"
        assert record.totals.requests == 2
        assert record.dataset_size == 2
        assert sorted(await store.datasets.keys("pages")) == ["/", "/d/home"]
        actions = [e.action for e in await store.events.read_all(run.run_id)]
        assert actions[0] == "run_started"
        assert actions[-1] == "run_completed"
        assert actions.count("complete") == 2
    finally:
        await store.close()


async def test_pause_from_the_api_holds_the_wrapped_client(
    live_server: LiveServer, api: httpx.AsyncClient, site: RunningSite
) -> None:
    stop = asyncio.Event()
    async with crawlscope.track("pausable", server=live_server.url) as run:

        async def script() -> None:
            async with run.wrap(httpx.AsyncClient()) as client:
                while not stop.is_set():
                    await client.get(f"{site.url}/")

        task = asyncio.create_task(script())
        path = f"/api/runs/{run.run_id}"
        await _until_api(api, path, lambda r: r["totals"]["requests"] >= 3)
        assert (await api.post(f"{path}/pause")).status_code < 300
        await _until_api(api, path, lambda r: r["status"] == "paused")
        await asyncio.sleep(0.2)  # a request in flight is answered
        served = site.app.requests
        await asyncio.sleep(1.0)
        assert site.app.requests == served, "the client sent requests while paused"
        assert (await api.post(f"{path}/resume")).status_code < 300
        await _until_api(api, path, lambda r: r["status"] == "running")
        await _wait_until(lambda: site.app.requests > served + 3)
        stop.set()
        await task
    assert run.status == "completed"


async def _until_api(api: httpx.AsyncClient, path: str, check: Callable[[Any], bool]) -> None:
    async with asyncio.timeout(30):
        while True:
            response = await api.get(path)
            if response.status_code == 200 and check(response.json()):
                return
            await asyncio.sleep(0.05)


async def _wait_until(check: Callable[[], bool]) -> None:
    async with asyncio.timeout(30):
        while True:
            if check():
                return
            await asyncio.sleep(0.02)
