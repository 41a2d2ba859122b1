"""``crawlscope runs pause|resume|cancel`` as real subprocesses against a run executing in this
test process on the same SQLite file; and bad input to the CLI, which must fail clearly and
leave existing data alone."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crawlscope.monitor import Monitor
from crawlscope.runner import Collection, SitePolicy, Task, TaskContext
from tests.conftest import Reply, ScriptedSite


async def _cli(*args: str) -> tuple[int, str, str]:
    """Run ``crawlscope ARGS`` in a subprocess without blocking the event loop.

    Each call costs about 1.5 s of CPU (imports), so the tests keep their number small;
    the in-process store tests cover the other unusable database locations.
    """
    env = {**os.environ, "COLUMNS": "400", "NO_COLOR": "1"}
    env.pop("CRAWLSCOPE_DATABASE_URL", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crawlscope.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, " ".join(out.decode().split()), " ".join(err.decode().split())


async def _until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def _slow_collection() -> Collection:
    """Hundreds of 20 ms requests on 2 workers: runs for many seconds unless stopped."""
    collection = Collection("slow", site_policy=SitePolicy(max_concurrency=2))

    @collection.phase("fetch", workers=2)
    async def fetch(ctx: TaskContext, task: Task) -> None:
        await ctx.http.get(f"{ctx.params['base']}/item/{task.label}")

    collection.seed(lambda params: [Task(str(n)) for n in range(2000)])
    return collection


async def test_cli_pauses_resumes_and_cancels_a_run_of_another_process(
    monitor: Monitor, scripted_site: ScriptedSite, db_path: Path
) -> None:
    scripted_site.fallback = Reply(delay=0.02)
    run = monitor.new_run(_slow_collection(), {"base": scripted_site.url})
    await run.start()

    def done() -> int:
        frame = monitor.live_frame(run.run_id)
        return frame.totals.tasks_done if frame else 0

    await _until(lambda: done() >= 3)
    db = str(db_path)

    code, out, err = await _cli("runs", "pause", run.run_id, "--db", db)
    assert (code, err) == (0, "")
    assert out == f"run {run.run_id}: paused"
    frame = monitor.live_frame(run.run_id)
    assert frame is not None
    assert frame.status == "paused"
    assert frame.paused_reason == "paused by operator"
    await monitor.flush()
    record = await monitor.store.runs.get(run.run_id)
    assert record is not None
    assert record.status == "paused"
    # Paused means paused: in-flight requests end, then nothing more is fetched.
    await asyncio.sleep(0.2)
    hits = sum(scripted_site.hits.values())
    await asyncio.sleep(0.3)
    assert sum(scripted_site.hits.values()) == hits

    code, out, err = await _cli("runs", "resume", run.run_id, "--db", db)
    assert (code, out, err) == (0, f"run {run.run_id}: resumed", "")
    resumed_at = done()
    await _until(lambda: done() >= resumed_at + 3)
    assert monitor.live_frame(run.run_id).status == "running"  # type: ignore[union-attr]

    code, out, err = await _cli("runs", "cancel", run.run_id, "--db", db)
    assert (code, out, err) == (0, f"run {run.run_id}: cancelled", "")
    assert await asyncio.wait_for(run.wait(), 10) == "cancelled"
    assert done() < 2000

    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT command, outcome FROM run_commands WHERE run_id = ? ORDER BY id", (run.run_id,)
        ).fetchall()
    assert rows == [("pause", "paused"), ("resume", "resumed"), ("cancel", "cancelled")]
    events = await monitor.store.events.read_all(run.run_id)
    assert [e.action for e in events if e.worker_id == 0 and e.action.startswith("run_")] == [
        "run_started",
        "run_paused",
        "run_resumed",
        "run_cancelled",
    ]


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def _dump(path: Path) -> dict[str, Any]:
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: sorted(map(repr, conn.execute(f"SELECT * FROM {t}"))) for t in tables}


async def _database_with_a_finished_run(path: Path) -> str:
    collection = Collection("tiny", dataset="things", key="id")

    @collection.phase("one", workers=2)
    async def one(ctx: TaskContext, task: Task) -> None:
        ctx.add_item({"id": task.label})

    collection.seed(lambda params: [Task("a"), Task("b"), Task("c")])
    async with Monitor(str(path)) as monitor:
        run = monitor.new_run(collection)
        assert await run.execute() == "completed"
        return run.run_id


async def test_bad_input_fails_clearly_and_corrupts_nothing(tmp_path: Path) -> None:
    good = tmp_path / "good.db"
    finished = await _database_with_a_finished_run(good)
    before = await asyncio.to_thread(_dump, good)
    assert len(before["dataset_items"]) == 3
    blocker = tmp_path / "a-file"
    blocker.write_text("I am a file")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"definitely not sqlite\n" * 50)
    taken = socket.socket()  # a port someone else listens on
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]

    cases: list[tuple[list[str], int, list[str]]] = [
        (["runs", "pause", "no-such-run", "--db", str(good)], 1, ["no run with id 'no-such-run'"]),
        (
            ["runs", "pause", finished, "--db", str(good)],
            1,
            [f"run {finished} is completed; it cannot be paused"],
        ),
        (
            ["runs", "cancel", finished, "--db", str(good)],
            1,
            [f"run {finished} is completed; it cannot be cancelled"],
        ),
        (
            # a command that writes, pointed at a path under a regular file
            ["demo", "--scale", "tiny", "--once", "--json", "--db", str(blocker / "x.db")],
            2,
            ["cannot create the directory for database", str(blocker), "--db"],
        ),
        (
            # a mistyped path: reported, and no empty database is created there
            ["runs", "pause", "x", "--db", str(tmp_path / "typo.db")],
            2,
            [f"no database at {tmp_path / 'typo.db'}", "--db"],
        ),
        (
            ["runs", "pause", "x", "--db", str(garbage)],
            2,
            ["file is not a database", "--db"],
        ),
        (
            ["demo", "--workers", "0", "--db", str(good)],
            2,
            ["--workers must be between 1 and 1000"],
        ),
        (
            ["demo", "--scale", "tiny", "--once", "--site-port", str(port), "--db", str(good)],
            2,
            [f"cannot serve the demo site on 127.0.0.1:{port}", "--site-port"],
        ),
    ]
    results = await asyncio.gather(*(_cli(*args) for args, _, _ in cases))
    taken.close()
    for (args, expected_code, phrases), (code, out, err) in zip(cases, results, strict=True):
        assert code == expected_code, (args, code, out, err)
        assert err.startswith("Error: "), (args, err)
        for phrase in phrases:
            assert phrase in err, (args, err)
        assert "Traceback" not in err + out, args

    # Nothing was changed or created by the failed commands.
    assert await asyncio.to_thread(_dump, good) == before
    assert garbage.read_bytes() == b"definitely not sqlite\n" * 50
    assert blocker.read_text() == "I am a file"
    leftovers = [name for name in _names(tmp_path) if not name.startswith("good.db")]
    assert leftovers == ["a-file", "garbage.db"]
