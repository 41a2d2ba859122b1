"""``crawlscope runs list`` and ``runs show``: for people by default, JSON with ``--json``;
run ids are never cut, however narrow the output."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from typer.testing import CliRunner

from crawlscope.cli import app as cli_app
from crawlscope.monitor import Monitor
from crawlscope.runner import Collection, Task, TaskContext


async def _database_with_runs(path: Path) -> list[str]:
    """Two finished runs: a short collection name with a dataset, and a long name without."""
    short = Collection("tiny", dataset="things", key="id")

    @short.phase("one", workers=2)
    async def one(ctx: TaskContext, task: Task) -> None:
        ctx.add_item({"id": task.label})

    short.seed(lambda params: [Task("a"), Task("b"), Task("c")])
    long = Collection("a-collection-with-a-rather-long-name")

    @long.phase("only", workers=1)
    async def only(ctx: TaskContext, task: Task) -> None:
        return None

    long.seed(lambda params: [Task("x")])
    ids = []
    async with Monitor(str(path)) as monitor:
        for collection in (short, long):
            run = monitor.new_run(collection, {"note": "test"})
            assert await run.execute() == "completed"
            ids.append(run.run_id)
    return ids


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli_app, list(args))
    return result.exit_code, result.output


async def test_list_in_a_narrow_pipe_keeps_every_id_whole(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    ids = await _database_with_runs(db)
    env = {**os.environ, "COLUMNS": "60", "NO_COLOR": "1"}
    env.pop("CRAWLSCOPE_DATABASE_URL", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crawlscope.cli",
        "runs",
        "list",
        "--db",
        str(db),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    text = out.decode()
    assert (proc.returncode, err) == (0, b""), text
    for run_id in ids:
        assert run_id in text
    # A pipe gets every column at full width: nothing cut, nothing wrapped.
    assert "…" not in text
    assert "a-collection-with-a-rather-long-name" in text
    rows = [line for line in text.splitlines() if any(run_id in line for run_id in ids)]
    assert len(rows) == 2, text


async def test_list_and_show_as_text_and_as_json(tmp_path: Path) -> None:
    db = str(tmp_path / "runs.db")
    short_id, long_id = await _database_with_runs(Path(db))

    code, out = await asyncio.to_thread(_cli, "runs", "list", "--db", db, "--json")
    assert code == 0, out
    listed = json.loads(out)
    assert isinstance(listed, list)
    assert [r["id"] for r in listed] == [long_id, short_id]  # newest first
    first = listed[1]
    assert first["collection"] == "tiny"
    assert first["status"] == "completed"
    assert first["params"] == {"note": "test"}
    assert first["totals"]["items_found"] == 3
    assert first["dataset"] == "things"
    assert first["dataset_size"] == 3
    assert isinstance(first["duration_s"], float)
    assert "frame" not in first

    code, out = await asyncio.to_thread(
        _cli, "runs", "list", "--db", db, "--status", "COMPLETED", "--limit", "1", "--json"
    )
    assert (code, [r["id"] for r in json.loads(out)]) == (0, [long_id])
    code, out = await asyncio.to_thread(_cli, "runs", "list", "--db", db, "--status", "paused")
    assert (code, out.strip()) == (0, "no runs with status paused")

    code, out = await asyncio.to_thread(_cli, "runs", "show", short_id, "--db", db)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == f"run {short_id} (tiny): completed"
    assert "  items:     3 found (3 new, 0 duplicates)" in lines
    assert "  dataset:   things: 3 items" in lines
    assert lines[-1] == f"  (all of it: crawlscope runs show {short_id} --json)"

    code, out = await asyncio.to_thread(_cli, "runs", "show", short_id, "--db", db, "--json")
    assert code == 0, out
    shown = json.loads(out)  # what GET /api/runs/{id} returns
    assert shown["run_id"] == short_id
    assert shown["totals"] == first["totals"]
    assert (shown["status"], shown["origin"], shown["live"]) == (first["status"], "local", False)

    code, out = await asyncio.to_thread(_cli, "runs", "show", "nope", "--db", db, "--json")
    assert code == 1
    assert "no run with id 'nope'" in out
