"""The dashboard of a server whose runs go to ``crawlscope worker`` processes
(``work_queue = "redis"``): the overview lists the worker processes with their busy
slots, and the demo run's page shows the worker cards of both processes, each naming its
process; once one process is killed (``kill -9``) its busy cards say "process gone".
Screenshots are saved under artifacts/screenshots/. Needs Redis (skipped without it
unless CRAWLSCOPE_REQUIRE_SERVICES is set)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from playwright.sync_api import Page, expect

from tests.conftest import REDIS_URL
from tests.e2e.support import SCREENSHOTS, TERMINAL, ServerThread, running_server, wait_for

BUSY = {"waiting", "requesting", "processing", "rate_limited", "backing_off"}


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CRAWLSCOPE_REQUIRE_SERVICES"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    prefix = f"crawlscope-e2e-{uuid.uuid4().hex[:10]}"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@dataclass
class Distributed:
    server: ServerThread
    workers: dict[str, subprocess.Popen[bytes]]
    """The worker processes by name (w1, w2)."""

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
def distributed(tmp_path: Path, redis_prefix: str) -> Iterator[Distributed]:
    """The server (demo on, its run going to the workers) and two worker processes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
    env.update(CRAWLSCOPE_REDIS_URL=REDIS_URL, CRAWLSCOPE_REDIS_PREFIX=redis_prefix)
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "crawlscope.cli", "worker", "--name", f"w{i}", "-c", "3"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in (1, 2)
    ]
    try:
        with running_server(
            tmp_path / "c.db",
            auth="off",
            redis_url=REDIS_URL,
            redis_prefix=redis_prefix,
            work_queue="redis",
        ) as server:
            yield Distributed(server, {f"w{i}": w for i, w in enumerate(workers, start=1)})
            with httpx.Client(base_url=server.url, timeout=10) as client:
                for run in client.get("/api/runs").json()["runs"]:
                    if run["status"] not in TERMINAL:
                        client.post(f"/api/runs/{run['id']}/cancel")
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()


def test_overview_and_run_page_show_the_worker_processes(
    distributed: Distributed, page: Page
) -> None:
    with httpx.Client(base_url=distributed.url, timeout=10) as client:

        def both_working() -> bool:
            """both workers listed, with the demo run"""
            listed = client.get("/api/health/workers").json()["workers"]
            return len(listed) == 2 and all(w["runs"] and w["tasks_done"] for w in listed)

        wait_for(both_working, timeout=30)
        run_id = client.get("/api/runs").json()["runs"][0]["id"]

        def blocks_listed() -> dict[str, set[int]]:
            """each worker lists its block of the run's worker ids"""
            found = {
                w["name"]: {
                    i
                    for b in w["blocks"]
                    if b["run_id"] == run_id
                    for i in range(b["first"], b["last"] + 1)
                }
                for w in client.get("/api/health/workers").json()["workers"]
            }
            return found if all(found.values()) else {}

        blocks = wait_for(blocks_listed, timeout=15)
    # The run's worker cards are the slots of both processes: ids 1-3 and 4-6.
    assert sorted(blocks) == ["w1", "w2"]
    assert blocks["w1"] | blocks["w2"] == {1, 2, 3, 4, 5, 6}

    page.goto(distributed.url + "/")
    panel = page.get_by_test_id("worker-processes")
    expect(panel.get_by_test_id("worker-process")).to_have_count(2)
    expect(panel).to_contain_text("w1")
    expect(panel).to_contain_text("w2")
    expect(panel).to_contain_text("slots busy")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    panel.screenshot(path=str(SCREENSHOTS / "overview-worker-processes.png"))

    # Each card names the process whose block holds its id.
    page.goto(f"{distributed.url}/runs/{run_id}")
    cards = page.get_by_test_id("worker-card")
    expect(cards).to_have_count(6, timeout=20_000)
    for name, ids in blocks.items():
        for worker_id in ids:
            card = page.locator(f"[data-testid=worker-card][data-worker='{worker_id}']")
            expect(card).to_have_attribute("data-process", name)
            expect(card.get_by_test_id("worker-process-name")).to_have_text(name)
    expect(page.locator("[data-testid=worker-card][data-gone]")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "run-distributed-workers.png"), full_page=True)

    # w2 is killed without a word. Its presence expires (15 s), its block leaves the list,
    # and its cards that were busy say "process gone"; w1's cards never do.
    # Killed while the page shows one of its cards busy (a card idle at the kill claims
    # nothing, so it has nothing to correct).
    w2_cards = [
        page.locator(f"[data-testid=worker-card][data-worker='{worker_id}']")
        for worker_id in blocks["w2"]
    ]
    wait_for(lambda: any(c.get_attribute("data-state") in BUSY for c in w2_cards), timeout=20)
    distributed.workers["w2"].send_signal(signal.SIGKILL)
    distributed.workers["w2"].wait()
    gone = page.locator("[data-testid=worker-card][data-gone]")
    expect(gone.first).to_be_visible(timeout=40_000)
    for worker_id in blocks["w2"]:
        card = page.locator(f"[data-testid=worker-card][data-worker='{worker_id}']")
        expect(card).to_have_attribute("data-process", "w2")  # remembered from before
        if card.get_attribute("data-state") in BUSY:
            expect(card).to_have_attribute("data-gone", "true")
            expect(card.get_by_test_id("worker-gone")).to_have_text("process gone")
        else:  # an idle card claims nothing: nothing to correct
            expect(card).not_to_have_attribute("data-gone", "true")
    for worker_id in blocks["w1"]:
        card = page.locator(f"[data-testid=worker-card][data-worker='{worker_id}']")
        expect(card).not_to_have_attribute("data-gone", "true")
    page.screenshot(path=str(SCREENSHOTS / "run-distributed-worker-gone.png"), full_page=True)
