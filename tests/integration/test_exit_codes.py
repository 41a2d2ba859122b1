"""`crawlscope run` and `crawlscope demo` exit codes tell outcomes apart (docs/configuration.md):
0 completed, 1 failed, 3 completed with errors, 4 cancelled. Real processes: the runner
is a subprocess reporting to a real server in this process, crawling a scripted site on
127.0.0.1; the demo runs its own site."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.serving import serve_in_loop
from tests.conftest import Reply, ScriptedSite

CLI = [sys.executable, "-m", "crawlscope.cli"]

JOBS = """
import asyncio

from crawlscope import Collection, SitePolicy, Task

FAST = SitePolicy(max_attempts=1, breaker_threshold=100)


def _pages(name, tasks, delay=0.0):
    collection = Collection(name, site_policy=FAST, task_attempts=1, max_consecutive_failures=0)

    @collection.phase("pages", workers=2)
    async def pages(ctx, task):
        await asyncio.sleep(delay)
        await ctx.http.get(ctx.params["base"] + "/p/" + str(task.payload["n"]))

    collection.seed(lambda params: [Task(f"page {n}", payload={"n": n}) for n in range(tasks)])
    return collection


clean = _pages("clean", 4)
partial = _pages("partial", 4)  # the site answers /p/3 with 404
broken = _pages("broken", 4)  # run against a base where every page is 500
slow = _pages("slow", 200, delay=0.2)
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
    env.update(NO_COLOR="1", COLUMNS="200")
    return env


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[str]:
    app = create_app(Settings(database_url=str(tmp_path / "server.db")))
    async with serve_in_loop(app) as url:
        yield url


@pytest.fixture
def jobs(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "outcome_jobs.py").write_text(JOBS)
    return folder


async def _start(jobs: Path, server: str, name: str, base: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *CLI,
        "run",
        f"outcome_jobs:{name}",
        "--server",
        server,
        "--param",
        f"base={base}",
        "--json",
        cwd=jobs,
        env=_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _finish(process: asyncio.subprocess.Process) -> tuple[int, dict[str, Any], str]:
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    summary: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1]) if out else {}
    return process.returncode, summary, err.decode()


@pytest.mark.parametrize(
    ("name", "code", "status", "reason"),
    [
        ("clean", 0, "completed", "all 4 tasks done"),
        ("partial", 3, "completed_with_errors", "1 of 4 tasks failed (25%)"),
        ("broken", 1, "failed", "4 of 4 tasks failed (100%), more than the 50% that fails a run"),
    ],
)
async def test_crawlscope_run_exit_codes(
    server: str,
    jobs: Path,
    scripted_site: ScriptedSite,
    name: str,
    code: int,
    status: str,
    reason: str,
) -> None:
    base = scripted_site.url
    if name == "partial":
        scripted_site.default["/p/3"] = Reply(404, "gone")
    if name == "broken":
        base += "/down"
        scripted_site.fallback = Reply(500, "broken")
    process = await _start(jobs, server, name, base)
    returncode, summary, err = await _finish(process)
    assert returncode == code, err
    assert (summary["status"], summary["finish_reason"]) == (status, reason)
    assert "Traceback" not in err, err


async def test_crawlscope_run_interrupted_exits_4(
    server: str, jobs: Path, scripted_site: ScriptedSite
) -> None:
    process = await _start(jobs, server, "slow", scripted_site.url)
    deadline = asyncio.get_running_loop().time() + 60
    while sum(scripted_site.hits.values()) < 4:  # it is crawling
        assert asyncio.get_running_loop().time() < deadline, "the runner never started"
        await asyncio.sleep(0.05)
    process.send_signal(signal.SIGINT)
    returncode, summary, err = await _finish(process)
    assert returncode == 4, err
    assert summary["status"] == "cancelled"
    assert summary["finish_reason"].startswith("interrupted by a signal (Ctrl-C or SIGTERM); ")
    assert "Traceback" not in err, err


async def test_crawlscope_demo_exit_code_and_reason(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        *CLI,
        "demo",
        "--scale",
        "tiny",
        "--faults",
        "off",
        "--once",
        "--json",
        "--db",
        str(tmp_path / "demo.db"),
        env=_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    returncode, summary, err = await _finish(process)
    assert returncode == 0, err
    assert summary["status"] == "completed"
    assert summary["finish_reason"] == f"all {summary['totals']['tasks_done']} tasks done"
    assert summary["matches_ground_truth"] is True
