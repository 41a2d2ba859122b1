"""``crawlscope schedules`` on a SQLite file a running server shares: a schedule added on
the command line fires in the server; errors name the option."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from crawlscope.api import create_app
from crawlscope.cli import app as cli_app
from crawlscope.config import Settings
from crawlscope.serving import serve_in_loop
from tests.integration.schedule_support import eventually, quick_registry

ENV = {"CRAWLSCOPE_SCHEDULE_MIN_INTERVAL_S": "0.5", "COLUMNS": "200"}


async def cli(*args: str) -> Result:
    """``crawlscope ARGS`` in a thread (the CLI runs its own event loop)."""
    return await asyncio.to_thread(CliRunner().invoke, cli_app, list(args), env=ENV)


def one_line(result: Result) -> str:
    return " ".join(result.output.split())


@pytest.fixture
async def server(db_path: Path) -> AsyncIterator[str]:
    settings = Settings(
        database_url=str(db_path), schedule_min_interval_s=0.5, schedule_recheck_s=0.5
    )
    async with serve_in_loop(create_app(settings, registry=quick_registry())) as url:
        yield url


async def show(db: Path, name: str) -> dict[str, Any]:
    result = await cli("schedules", "show", name, "--json", "--db", str(db))
    assert result.exit_code == 0, result.output
    view: dict[str, Any] = json.loads(result.output)
    return view


async def test_added_on_the_command_line_fires_in_the_server(server: str, db_path: Path) -> None:
    db = str(db_path)
    added = await cli(
        "schedules", "add", "cli-made", "--collection", "quick", "--every", "1",
        "--param", "items=3", "--overlap", "allow", "--db", db,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "added schedule 1 'cli-made': quick, every 1 s" in one_line(added)

    async def started() -> bool:
        slots = (await show(db_path, "cli-made"))["slots"]
        return any(s["run_status"] == "completed" for s in slots)

    await eventually(started, "a run of the CLI's schedule completed")
    paused = await cli("schedules", "pause", "cli-made", "--db", db)
    assert paused.exit_code == 0, paused.output
    assert one_line(paused) == "paused schedule 1 'cli-made'"
    view = await show(db_path, "1")
    assert view["status"] == "paused"
    assert view["params"] == {"items": 3}
    run = next(s for s in view["slots"] if s["run_id"])
    listed = await cli("schedules", "list", "--json", "--db", db)
    assert [s["name"] for s in json.loads(listed.output)] == ["cli-made"]
    table = await cli("schedules", "list", "--db", db)
    assert "cli-made" in table.output
    assert "paused" in table.output
    text = await cli("schedules", "show", "cli-made", "--db", db)
    assert run["run_id"] in text.output
    resumed = await cli("schedules", "resume", "1", "--db", db)
    assert one_line(resumed) == "resumed schedule 1 'cli-made'"
    deleted = await cli("schedules", "delete", "cli-made", "--db", db)
    assert one_line(deleted) == "deleted schedule 1 'cli-made'"
    assert json.loads((await cli("schedules", "list", "--json", "--db", db)).output) == []


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["--every", "0.1"], "Error: --every: the interval must be at least 0.5 seconds"),
        (["--cron", "61 * * * *"], "Error: --cron: bad cron expression '61 * * * *'"),
        ([], "Error: --every/--cron: give exactly one of --every and --cron"),
        (["--every", "5", "--cron", "* * * * *"], "give exactly one of --every and --cron"),
        (["--every", "5", "--timezone", "Mars/Base"], "Error: --timezone: unknown time zone"),
        (["--every", "5", "--param", "novalue"], "Error: --param: 'novalue' is not key=value"),
        (["--every", "5", "--params", "[1]"], "Error: --params: must be a JSON object"),
        (["--every", "5", "--overlap", "never"], "Invalid value for '--overlap'"),
        (["--every", "5", "--catch-up", "all"], "Invalid value for '--catch-up'"),
    ],
)
async def test_errors_name_the_option(tmp_path: Path, args: list[str], shown: str) -> None:
    db = str(tmp_path / "cli.db")
    result = await cli("schedules", "add", "x", "--collection", "quick", *args, "--db", db)
    assert result.exit_code == 2, result.output
    assert shown in one_line(result)


async def test_unknown_schedules_and_databases(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    result = await cli("schedules", "list", "--db", str(missing))
    assert result.exit_code == 2
    assert f"no database at {missing} (option --db)" in one_line(result)
    assert not missing.exists()
    db = str(tmp_path / "cli.db")
    assert (
        await cli("schedules", "add", "a", "--collection", "q", "--every", "60", "--db", db)
    ).exit_code == 0
    again = await cli("schedules", "add", "a", "--collection", "q", "--every", "60", "--db", db)
    assert again.exit_code == 2
    assert "Error: NAME: a schedule named 'a' exists" in one_line(again)
    for command in ("show", "pause", "resume", "delete"):
        result = await cli("schedules", command, "nope", "--db", db)
        assert result.exit_code == 1, command
        assert "no schedule with id or name 'nope'" in one_line(result)


async def test_an_error_naming_a_long_path_keeps_it_on_one_line(tmp_path: Path) -> None:
    """Errors are not wrapped at 80 columns: a path stays whole to copy (and in a log)."""
    missing = tmp_path / ("a-rather-long-folder-name-" * 4) / "missing.db"
    result = await cli("schedules", "list", "--db", str(missing))
    assert result.exit_code == 2
    assert f"Error: no database at {missing} (option --db)" in result.output.splitlines()
