"""``crawlscope runs``: list, show, pause, resume and cancel runs in a database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crawlscope.cli.common import (
    DbOption,
    console,
    database_url,
    fail,
    open_database,
    parse_ts,
    run_async,
)

if TYPE_CHECKING:
    from crawlscope.store import Database

__all__ = ["runs_app"]

runs_app = typer.Typer(no_args_is_help=True, help="List, inspect and control runs.")


async def _open_existing(db: str | None) -> Database:
    """Open the database the runs live in; a SQLite file that does not exist is an error.

    These commands only read and control existing runs: a mistyped ``--db`` must not
    create an empty database and then report "no run with id ...".
    """
    from sqlalchemy.engine import make_url

    from crawlscope.store import normalize_url

    url = database_url(db)
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        missing = await asyncio.to_thread(_missing_file, str(parsed.database))
        if missing is not None:
            raise fail(f"no database at {missing} (option --db)", 2)
    return await open_database(url)


def _missing_file(name: str) -> Path | None:
    path = Path(name).expanduser()
    return None if path.exists() else path


@runs_app.command("list")
def runs_list(
    db: DbOption = None,
    status: Annotated[str | None, typer.Option(help="Only runs with this status.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many runs.")] = 20,
) -> None:
    """Recent runs, newest first."""
    from rich.table import Table

    from crawlscope.store import RunStore
    from crawlscope.terminal import format_duration

    async def go() -> list[Any]:
        database = await _open_existing(db)
        try:
            return await RunStore(database).list(status=status, limit=limit)
        finally:
            await database.close()

    records = run_async(go)
    table = Table(
        "run",
        "collection",
        "status",
        "started",
        "duration",
        "requests",
        "items",
        "new",
        "errors",
        "dataset",
    )
    for r in records:
        duration = None
        if r.started_at and r.ended_at:
            duration = (parse_ts(r.ended_at) - parse_ts(r.started_at)).total_seconds()
        table.add_row(
            r.id,
            r.collection,
            r.status,
            r.started_at or "",
            format_duration(duration),
            str(r.totals.requests),
            str(r.totals.items_found),
            str(r.totals.new_items),
            str(r.totals.errors),
            "" if r.dataset_size is None else str(r.dataset_size),
        )
    console.print(table)


@runs_app.command("show")
def runs_show(run_id: str, db: DbOption = None) -> None:
    """One run as JSON: the shape ``GET /api/runs/{id}`` returns."""
    import msgspec

    from crawlscope.frame_source import run_detail, stored_frame
    from crawlscope.store import RunStore

    async def go() -> Any:
        database = await _open_existing(db)
        try:
            record = await RunStore(database).get(run_id)
        finally:
            await database.close()
        return None if record is None else run_detail(stored_frame(record), record, live=False)

    record = run_async(go)
    if record is None:
        raise fail(f"no run with id {run_id!r} in the database")
    print(msgspec.json.format(msgspec.json.encode(record)).decode())


def _control(command: str, run_id: str, db: str | None, wait: float) -> None:
    from crawlscope.status import ControlCommand
    from crawlscope.store import CommandQueue, RunStore

    order = ControlCommand(command)

    async def go() -> tuple[int, str]:
        database = await _open_existing(db)
        try:
            record = await RunStore(database).get(run_id)
            if record is None:
                return 1, f"no run with id {run_id!r} in the database"
            if record.status.terminal:
                return 1, f"run {run_id} is {record.status}; it cannot be {order.done}"
            queue = CommandQueue(database)
            command_id = await queue.enqueue(run_id, order)
            deadline = asyncio.get_running_loop().time() + wait
            while asyncio.get_running_loop().time() < deadline:
                outcome = await queue.outcome(command_id)
                if outcome is not None:
                    return (0 if outcome.applied else 1), f"run {run_id}: {outcome.text()}"
                await asyncio.sleep(0.1)
            age = (datetime.now(UTC) - record.last_sign_of_life).total_seconds()
            return 3, (
                f"{command} queued for run {run_id}, but no runner acknowledged it "
                f"within {wait:g}s (last heartbeat {age:.0f}s ago)"
            )
        finally:
            await database.close()

    code, message = run_async(go)
    if code:
        raise fail(message, code)
    console.print(message)


WaitOption = Annotated[float, typer.Option(min=0, help="Seconds to wait for the runner.")]


@runs_app.command("pause")
def runs_pause(run_id: str, db: DbOption = None, wait: WaitOption = 5.0) -> None:
    """Pause a running run (in any process using the same database)."""
    _control("pause", run_id, db, wait)


@runs_app.command("resume")
def runs_resume(run_id: str, db: DbOption = None, wait: WaitOption = 5.0) -> None:
    """Resume a paused run."""
    _control("resume", run_id, db, wait)


@runs_app.command("cancel")
def runs_cancel(run_id: str, db: DbOption = None, wait: WaitOption = 5.0) -> None:
    """Cancel a run: workers stop within a second, in-flight tasks are recorded as cancelled."""
    _control("cancel", run_id, db, wait)
