"""``crawlscope runs ...`` against a server (``--server``/``--token``) instead of a database.

A real server with authentication on and a collection registered; the commands run as
real subprocesses and talk to it over HTTP. What must hold: the same answers as locally
(``runs show --json`` is what ``GET /api/runs/{id}`` returns), and errors naming the
option to fix (a wrong token, an unreachable server).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crawlscope.access import Authenticator, Role
from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.registry import CollectionRegistry
from crawlscope.runner import Collection, Task, TaskContext
from crawlscope.serving import serve_in_loop

REPO = Path(__file__).resolve().parents[2]


def _slow() -> Collection:
    async def work(ctx: TaskContext, task: Task) -> None:
        await asyncio.sleep(0.05)

    collection = Collection("slow")
    collection.seed(lambda params: [Task(f"t{i}") for i in range(int(params.get("n", 400)))])
    collection.add_phase("only", work, workers=2)
    return collection


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
    full.update(PYTHONPATH=str(REPO / "src"), NO_COLOR="1", COLUMNS="200", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "crawlscope.cli", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(_cli, *args, env=env)


@pytest.mark.parametrize("via", ["options", "environment"])
async def test_runs_commands_against_a_server_with_a_token(tmp_path: Path, via: str) -> None:
    registry = CollectionRegistry()
    registry.register(_slow(), description="hundreds of 50 ms tasks")
    app = create_app(Settings(database_url=str(tmp_path / "s.db"), auth="on"), registry=registry)
    async with serve_in_loop(app) as url:
        secret, _ = await Authenticator(app.state.services.store.tokens).create_token(
            "cli", Role.OPERATOR
        )
        if via == "options":
            where: tuple[str, ...] = ("--server", url, "--token", secret)
            env: dict[str, str] = {}
        else:
            where, env = (), {"CRAWLSCOPE_SERVER": url, "CRAWLSCOPE_TOKEN": secret}

        started = await _run("runs", "start", "slow", "--param", "n=400", *where, env=env)
        assert started.returncode == 0, started.stderr
        run_id = started.stdout.split()[1]
        assert f"watch it: {url}/runs/{run_id}" in started.stdout

        listed = await _run("runs", "list", "--json", *where, env=env)
        assert [r["id"] for r in json.loads(listed.stdout)] == [run_id]
        table = await _run("runs", "list", *where, env=env)
        assert run_id in table.stdout

        paused = await _run("runs", "pause", run_id, *where, env=env)
        assert (paused.returncode, paused.stdout.strip()) == (0, f"run {run_id}: paused"), (
            paused.stderr
        )
        shown = await _run("runs", "show", run_id, "--json", *where, env=env)
        detail: dict[str, Any] = json.loads(shown.stdout)
        assert (detail["run_id"], detail["status"], detail["live"]) == (run_id, "paused", True)
        text = await _run("runs", "show", run_id, *where, env=env)
        assert text.stdout.startswith(f"run {run_id} (slow): paused")
        resumed = await _run("runs", "resume", run_id, *where, env=env)
        assert resumed.stdout.strip() == f"run {run_id}: resumed"
        cancelled = await _run("runs", "cancel", run_id, *where, env=env)
        assert cancelled.stdout.strip() == f"run {run_id}: cancelled"
        again = await _run("runs", "cancel", run_id, *where, env=env)
        assert again.returncode == 1
        assert "cannot cancel run" in again.stderr

        bad = await _run("runs", "list", "--server", url, "--token", "cs_wrong")
        assert bad.returncode == 2
        assert "(option --token, or CRAWLSCOPE_TOKEN)" in bad.stderr
        unknown = await _run("runs", "start", "nope", *where, env=env)
        assert unknown.returncode == 1
        assert "no collection named 'nope'" in unknown.stderr
        wrong_param = await _run("runs", "start", "slow", "--param", "oops", *where, env=env)
        assert wrong_param.returncode == 2
        assert "(option --param)" in wrong_param.stderr


def test_an_unreachable_server_names_the_option() -> None:
    done = _cli("runs", "list", "--server", "http://127.0.0.1:1")
    assert done.returncode == 2
    assert "cannot reach the server at http://127.0.0.1:1" in done.stderr
    assert "(option --server)" in done.stderr
    wrong = _cli("runs", "list", "--server", "ftp://x")
    assert wrong.returncode == 2
    assert "--server must be an http:// or https:// URL" in wrong.stderr
