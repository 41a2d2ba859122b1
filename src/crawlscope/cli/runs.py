"""``crawlscope runs``: list, show, pause, resume and cancel runs in a database.

``list`` and ``show`` print for people by default (a table, a short summary) and JSON with
``--json``, like ``crawlscope demo`` and ``crawlscope run``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crawlscope.cli.common import (
    DEFAULT_DATABASE,
    DbOption,
    console,
    database_url,
    fail,
    open_database,
    run_async,
)
from crawlscope.status import ControlCommand, RunStatus

if TYPE_CHECKING:
    from crawlscope.store import Database, RunRecord

__all__ = ["runs_app"]

runs_app = typer.Typer(no_args_is_help=True, help="List, inspect and control runs.")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


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


def _when(ts: Any) -> str:
    """A stored time as ``2026-11-22 21:59:51`` (UTC), or empty."""
    from crawlscope.timestamps import parse_ts

    return f"{parse_ts(ts):%Y-%m-%d %H:%M:%S}" if ts else ""


def _duration(record: RunRecord) -> str:
    from crawlscope.terminal import format_duration
    from crawlscope.timestamps import seconds_between

    if not record.started_at:
        return format_duration(None)
    # A run that is not active has no end to wait for: its duration stops at its last word.
    end = record.ended_at or (
        None if RunStatus(record.status).active else record.updated_at or record.started_at
    )
    return format_duration(seconds_between(record.started_at, end))


def _print_json(value: Any) -> None:
    import msgspec

    print(msgspec.json.format(msgspec.json.encode(value), indent=2).decode())


@runs_app.command("list")
def runs_list(
    db: DbOption = DEFAULT_DATABASE,
    status: Annotated[
        RunStatus | None, typer.Option(case_sensitive=False, help="Only runs with this status.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many runs.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """Recent runs, newest first; times are UTC.

    With --json: one JSON array, each element a run as in GET /api/runs (id, collection,
    status, params, origin, created_at, started_at, ended_at, duration_s, totals, progress,
    dataset, dataset_size, ...).
    """
    from crawlscope.store import RunStore

    async def go() -> list[RunRecord]:
        database = await _open_existing(db)
        try:
            return await RunStore(database).list(status=status, limit=limit)
        finally:
            await database.close()

    records = run_async(go)
    if as_json:
        _print_json([record.summary() for record in records])
        return
    if not records:
        where = f" with status {status.value}" if status else ""
        console.print(f"no runs{where}", markup=False, highlight=False)
        return
    _print_table(records)


# The list's columns, in display order. A terminal too narrow for all of them loses
# them in _DROP order; "run" (what the other commands take) and "status" always stay.
_COLUMNS = (
    "run",
    "collection",
    "status",
    "started (UTC)",
    "duration",
    "requests",
    "items",
    "new",
    "errors",
    "dataset",
)
_DROP = (
    "dataset",
    "new",
    "started (UTC)",
    "requests",
    "duration",
    "collection",
    "errors",
    "items",
)


def _row(r: RunRecord) -> dict[str, str]:
    return {
        "run": r.id,
        "collection": r.collection,
        "status": r.status,
        "started (UTC)": _when(r.started_at),
        "duration": _duration(r),
        "requests": str(r.totals.requests),
        "items": str(r.totals.items_found),
        "new": str(r.totals.new_items),
        "errors": str(r.totals.errors),
        "dataset": "" if r.dataset_size is None else str(r.dataset_size),
    }


def _table(rows: list[dict[str, str]], columns: list[str]) -> Any:
    from rich.table import Table

    table = Table()
    for name in columns:
        if name == "run":
            # Never cut, folded or wrapped: an id is only useful whole.
            table.add_column(name, no_wrap=True, min_width=max(len(r[name]) for r in rows))
        elif name in ("status", "started (UTC)", "duration"):
            table.add_column(name, no_wrap=True)
        elif name == "collection":
            table.add_column(name)
        else:
            table.add_column(name, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*(row[name] for name in columns))
    return table


def _print_table(records: list[RunRecord]) -> None:
    """All columns at their full width into a pipe or file (nothing wraps or is cut); on a
    terminal, as many columns as fit its width."""
    from rich.console import Console
    from rich.measure import Measurement

    def natural_width(table: Any) -> int:
        return Measurement.get(console, console.options.update_width(10_000), table).maximum

    rows = [_row(r) for r in records]
    columns = list(_COLUMNS)
    table = _table(rows, columns)
    if not console.is_terminal:
        width = max(natural_width(table), console.width)
        Console(width=width, no_color=console.no_color, highlight=False).print(table)
        return
    for name in _DROP:
        if natural_width(table) <= console.width:
            break
        columns.remove(name)
        table = _table(rows, columns)
    console.print(table)


@runs_app.command("show")
def runs_show(run_id: str, db: DbOption = DEFAULT_DATABASE, as_json: JsonOption = False) -> None:
    """One run: a short summary, or with --json the object ``GET /api/runs/{id}`` returns
    (its frame: status, totals, progress, workers, sites, errors; origin, created_at)."""
    from crawlscope.frame_source import RunDetail, run_detail, stored_frame
    from crawlscope.store import RunStore

    async def go() -> tuple[RunRecord, RunDetail] | None:
        database = await _open_existing(db)
        try:
            record = await RunStore(database).get(run_id)
        finally:
            await database.close()
        if record is None:
            return None
        return record, run_detail(stored_frame(record), record, live=False)

    found = run_async(go)
    if found is None:
        raise fail(f"no run with id {run_id!r} in the database")
    record, detail = found
    if as_json:
        _print_json(detail)
        return
    console.print("\n".join(_summary(record)), markup=False, highlight=False, soft_wrap=True)


def _summary(r: RunRecord) -> list[str]:
    import json

    t = r.totals
    lines = [f"run {r.id} ({r.collection}): {r.status}"]
    if r.paused_reason and r.status == RunStatus.PAUSED:
        lines.append(f"  paused:    {r.paused_reason}")
    if r.finish_reason:
        lines.append(f"  reason:    {r.finish_reason}")
    if r.error:
        lines.append(f"  error:     {r.error}")
    times = f"created {_when(r.created_at)}"
    if r.started_at:
        times += f", started {_when(r.started_at)}"
    if r.ended_at:
        times += f", ended {_when(r.ended_at)}"
    lines.append(f"  time:      {times} UTC; duration {_duration(r)}")
    if r.params:
        lines.append(f"  params:    {json.dumps(r.params, ensure_ascii=False)}")
    levels = [p for p in r.progress if p.total > 0]
    if levels:
        shown = ", ".join(f"{p.level} {p.done}/{p.total} ({p.percent:.0f}%)" for p in levels)
        lines.append(f"  progress:  {shown}")
    lines.append(
        f"  requests:  {t.requests} ({t.successes} ok, {t.failures} failed, "
        f"{t.retries} retries); {t.errors} errors"
    )
    lines.append(
        f"  tasks:     {t.tasks_done} done, {t.tasks_failed} failed"
        + (f", {t.tasks_requeued} put back" if t.tasks_requeued else "")
    )
    lines.append(
        f"  items:     {t.items_found} found ({t.new_items} new, {t.duplicates} duplicates)"
    )
    if r.dataset:
        size = "" if r.dataset_size is None else f": {r.dataset_size} items"
        lines.append(f"  dataset:   {r.dataset}{size}")
    if r.frame is not None and r.frame.workers:
        lines.append(f"  workers:   {len(r.frame.workers)}")
    lines.append(f"  (all of it: crawlscope runs show {r.id} --json)")
    return lines


def _control(command: ControlCommand, run_id: str, db: str | None, wait: float) -> None:
    from crawlscope.store import CommandQueue, RunStore
    from crawlscope.timestamps import seconds_between

    async def go() -> tuple[int, str]:
        database = await _open_existing(db)
        try:
            record = await RunStore(database).get(run_id)
            if record is None:
                return 1, f"no run with id {run_id!r} in the database"
            if record.status.terminal:
                return 1, f"run {run_id} is {record.status}; it cannot be {command.done}"
            queue = CommandQueue(database)
            command_id = await queue.enqueue(run_id, command)
            deadline = asyncio.get_running_loop().time() + wait
            while asyncio.get_running_loop().time() < deadline:
                outcome = await queue.outcome(command_id)
                if outcome is not None:
                    if outcome.applied:
                        return 0, f"run {run_id}: {outcome.word}"
                    return 1, f"run {run_id}: {command} refused: {outcome.reason}"
                await asyncio.sleep(0.1)
            beat = record.last_sign_of_life
            return 3, (
                f"{command} queued for run {run_id}, but no runner acknowledged it "
                f"within {wait:g}s (last heartbeat {seconds_between(beat, None) or 0:.0f}s ago)"
            )
        finally:
            await database.close()

    code, message = run_async(go)
    if code:
        raise fail(message, code)
    console.print(message, markup=False, highlight=False)


WaitOption = Annotated[float, typer.Option(min=0, help="Seconds to wait for the runner.")]


@runs_app.command("pause")
def runs_pause(run_id: str, db: DbOption = DEFAULT_DATABASE, wait: WaitOption = 5.0) -> None:
    """Pause a running run (in any process using the same database)."""
    _control(ControlCommand.PAUSE, run_id, db, wait)


@runs_app.command("resume")
def runs_resume(run_id: str, db: DbOption = DEFAULT_DATABASE, wait: WaitOption = 5.0) -> None:
    """Resume a paused run."""
    _control(ControlCommand.RESUME, run_id, db, wait)


@runs_app.command("cancel")
def runs_cancel(run_id: str, db: DbOption = DEFAULT_DATABASE, wait: WaitOption = 5.0) -> None:
    """Cancel a run: workers stop within a second, in-flight tasks are recorded as cancelled."""
    _control(ControlCommand.CANCEL, run_id, db, wait)
