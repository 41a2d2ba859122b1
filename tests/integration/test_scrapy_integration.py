"""A real Scrapy spider, in a process of its own, watched through crawlscope's add-on.

The spider (``tests/integration/scrapy_demo_spider.py``) crawls the demo site, which
answers some requests with 500 and 429 (Scrapy retries them), and reports to a real
crawlscope server. Checked through the server's API: events arrive live on the run's SSE
stream while the spider runs; a pause from the API stops the spider's requests (the site
counts none while it is paused) and a resume lets it finish; the dataset equals the
site's ground truth; the run's totals agree with Scrapy's own stats.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import aconnect_sse

from crawlscope.demo import FaultConfig, build_catalog, create_site, serve_site
from crawlscope.demo.target_site import RunningSite
from crawlscope.status import ControlCommand
from crawlscope.store import SqlStore
from tests.integration.conftest import LiveServer

pytest.importorskip("scrapy")

REPO = Path(__file__).resolve().parents[2]

# Retried by Scrapy (500 and 429 are in RETRY_HTTP_CODES; the spider allows 5 retries and
# the site serves at most two faults per URL). The latency keeps the crawl running long
# enough to pause it.
FAULTS = FaultConfig(
    server_error_rate=0.06,
    rate_limit_rate=0.04,
    retry_after_s=0,
    latency_s=(0.04, 0.08),
    seed=3,
)


@pytest.fixture
async def site() -> AsyncIterator[RunningSite]:
    async with serve_site(create_site(build_catalog(seed=7, scale="tiny"), FAULTS)) as running:
        yield running


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as c:
        yield c


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "src")])
    return env


async def _spider(site_url: str, server_url: str, log: Path) -> asyncio.subprocess.Process:
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.integration.scrapy_demo_spider",
            site_url,
            "--server",
            server_url,
            "--concurrency",
            "3",
            cwd=REPO,
            env=_env(),
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )


async def _run_id(client: httpx.AsyncClient, proc: asyncio.subprocess.Process, log: Path) -> str:
    async with asyncio.timeout(60):
        while True:
            runs = (await client.get("/api/runs")).json()["runs"]
            if runs:
                return str(runs[0]["id"])
            if proc.returncode is not None:
                output = await asyncio.to_thread(log.read_text)
                raise AssertionError(f"the spider ended before reporting: {output}")
            await asyncio.sleep(0.05)


async def _run(client: httpx.AsyncClient, run_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/runs/{run_id}")
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


async def _wait_for(client: httpx.AsyncClient, run_id: str, check: Any, what: str) -> Any:
    async with asyncio.timeout(60):
        while True:
            run = await _run(client, run_id)
            if check(run):
                return run
            if run["status"] not in ("pending", "running", "paused"):
                raise AssertionError(f"waited for {what}, but the run ended: {run['status']}")
            await asyncio.sleep(0.05)
    raise AssertionError(what)  # pragma: no cover


async def test_scrapy_spider_reports_live_obeys_pause_and_matches_ground_truth(
    live_server: LiveServer, client: httpx.AsyncClient, site: RunningSite, tmp_path: Path
) -> None:
    log = tmp_path / "spider.log"
    proc = await _spider(site.url, live_server.url, log)
    try:
        run_id = await _run_id(client, proc, log)

        # Live: the run's stream carries the spider's events while it crawls.
        live: list[dict[str, Any]] = []
        async with (
            asyncio.timeout(30),
            aconnect_sse(client, "GET", f"/api/runs/{run_id}/stream") as source,
        ):
            async for sse in source.aiter_sse():
                if sse.event == "activity":
                    live.append(sse.json())
                if sum(1 for e in live if e["action"] == "complete") >= 3:
                    break
        assert {"fetching", "found", "complete"} <= {e["action"] for e in live}
        assert all(e["run_id"] == run_id for e in live)

        # Pause from the API: the spider stops sending (in-flight requests finish).
        assert (await client.post(f"/api/runs/{run_id}/pause")).status_code < 300
        paused = await _wait_for(client, run_id, lambda r: r["status"] == "paused", "paused")
        assert paused["paused_reason"] == "paused by operator"
        await asyncio.sleep(0.5)  # what was in flight is answered
        served = site.app.requests
        await asyncio.sleep(1.5)
        assert site.app.requests == served, "the site got requests while the run was paused"
        assert proc.returncode is None

        assert (await client.post(f"/api/runs/{run_id}/resume")).status_code < 300
        async with asyncio.timeout(120):
            code = await proc.wait()
        assert code == 0, log.read_text()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()

    run = await _wait_for(
        client, run_id, lambda r: r["status"] not in ("running", "paused"), "the run to end"
    )
    assert run["status"] == "completed", run["finish_reason"]
    assert run["collection"] == "demo_sellers"
    totals = run["totals"]

    # The dataset is the site's ground truth: every seller once, nothing else.
    truth = site.app.catalog.ground_truth_seller_ids()
    store = live_server.services.store
    keys = await store.datasets.keys("demo_sellers")
    assert sorted(int(k) for k in keys) == sorted(truth)
    assert run["dataset_size"] == len(truth)
    assert totals["new_items"] == len(truth)
    assert totals["items_found"] == totals["new_items"] + totals["duplicates"]

    # Retries and errors were reported with their types; the worker cards are Scrapy's
    # concurrency slots (CONCURRENT_REQUESTS = 3).
    assert totals["retries"] > 0
    assert set(totals["failures_by_type"]) <= {"http_5xx", "rate_limit"}
    assert sum(totals["failures_by_type"].values()) == totals["retries"]
    assert totals["tasks_failed"] == 0
    assert totals["requests"] == totals["successes"] + totals["failures"]
    assert {w["worker_id"] for w in run["workers"]} == {1, 2, 3}

    # The last event carries Scrapy's stats, which agree with what the run counted.
    events = (await client.get(f"/api/runs/{run_id}/events", params={"limit": 5000})).json()
    last = events["events"][-1]
    assert last["action"] == "run_completed"
    stats = last["extra"]["stats"]
    assert stats["finish_reason"] == "finished"
    assert stats["downloader/request_count"] == totals["requests"]
    assert stats["retry/count"] == totals["retries"]
    assert stats["item_scraped_count"] == totals["items_found"]
    assert stats.get("dupefilter/filtered", 0) > 0
    dropped = [e for e in events["events"] if e.get("operation_type") == "request_dedupe"]
    assert len(dropped) == stats["dupefilter/filtered"]
    assert {e["action"] for e in events["events"]} >= {"run_paused", "run_resumed"}
    # The bodies' sizes (priced per GB): Scrapy's own count adds the headers.
    received = sum((e.get("extra") or {}).get("bytes", 0) for e in events["events"])
    assert 0 < received <= stats["downloader/response_bytes"]
    # ... and land in the run's summary, as the run page shows them.
    assert run["crawler_stats"] == stats


async def _exists(path: Path) -> bool:
    return await asyncio.to_thread(path.exists)


async def _until(check: Callable[[], Awaitable[Any]]) -> Any:
    """``check()``'s first true answer (polled)."""
    while True:
        value = await check()
        if value:
            return value
        await asyncio.sleep(0.05)


async def test_scrapy_spider_on_a_local_database_is_cancelled_by_a_command(
    site: RunningSite, tmp_path: Path
) -> None:
    """``CRAWLSCOPE_DATABASE`` instead of a server; a cancel left in the database (what
    ``crawlscope runs cancel`` does) closes the spider, and the run ends ``cancelled``."""
    db = tmp_path / "spider.db"
    log = tmp_path / "spider.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.integration.scrapy_demo_spider",
            site.url,
            "--database",
            str(db),
            "--concurrency",
            "1",
            cwd=REPO,
            env=_env(),
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    store = SqlStore(str(db))
    try:
        async with asyncio.timeout(60):
            await _until(lambda: _exists(db))
            await store.open()
            while True:
                runs = await store.runs.list(limit=1)
                if runs and runs[0].totals.requests >= 3:
                    break
                await asyncio.sleep(0.05)
            command = await store.commands.enqueue(runs[0].id, ControlCommand.CANCEL)
            outcome = await _until(lambda: store.commands.outcome(command))
            assert outcome.text() == "cancelled"
            assert await proc.wait() == 0, await asyncio.to_thread(log.read_text)
        record = await store.runs.get(runs[0].id)
        assert record is not None
        assert record.status == "cancelled"
        assert record.finish_reason == "cancelled by operator"
        last = (await store.events.read_all(record.id))[-1]
        assert last.action == "run_cancelled"
        assert last.extra is not None
        assert last.extra["stats"]["finish_reason"] == "cancelled"
        # Closed early: far fewer pages than the whole site (126 requests with retries).
        assert record.totals.requests < 60
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await store.close()
