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
    DbOption,
    ServerOption,
    TokenOption,
    console,
    database_url,
    fail,
    open_database,
    run_async,
)
from crawlscope.status import RunStatus

if TYPE_CHECKING:
    from crawlscope.frame_source import RunDetail
    from crawlscope.store import Database, RunSummary

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


def _print_json(value: Any) -> None:
    import msgspec

    print(msgspec.json.format(msgspec.json.encode(value), indent=2).decode())


@runs_app.command("list")
def runs_list(
    db: DbOption = None,
    status: Annotated[
        RunStatus | None, typer.Option(case_sensitive=False, help="Only runs with this status.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many runs.")] = 20,
    as_json: JsonOption = False,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Recent runs, newest first; times are UTC.

    With --json: one JSON array, each element a run as in GET /api/runs (id, collection,
    status, params, origin, created_at, started_at, ended_at, duration_s, totals, progress,
    dataset, dataset_size, ...).
    """
    records = _listed(db, server, token, status, limit)
    if as_json:
        _print_json(records)
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


def _listed(
    db: str | None, server: str | None, token: str | None, status: RunStatus | None, limit: int
) -> list[RunSummary]:
    """The newest runs, from the local database or the server."""
    import msgspec

    from crawlscope.store import RunStore, RunSummary

    if server:
        from crawlscope.cli.server_api import ServerApi

        with ServerApi(server, token) as api:
            found = api.runs(status=status.value if status else None, limit=limit)
        return msgspec.convert(found, list[RunSummary])

    async def go() -> list[RunSummary]:
        database = await _open_existing(db)
        try:
            return [r.summary() for r in await RunStore(database).list(status=status, limit=limit)]
        finally:
            await database.close()

    return run_async(go)


def _row(r: RunSummary) -> dict[str, str]:
    from crawlscope.terminal import format_duration

    return {
        "run": r.id,
        "collection": r.collection,
        "status": r.status,
        "started (UTC)": _when(r.started_at),
        "duration": format_duration(r.duration_s),
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


def _print_table(records: list[RunSummary]) -> None:
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
def runs_show(
    run_id: str,
    db: DbOption = None,
    as_json: JsonOption = False,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """One run: a short summary, or with --json what GET /api/runs/ID returns.

    The JSON is the run's frame (status, totals, progress, workers, sites, errors) with
    origin and created_at.
    """
    detail = _detail(db, server, token, run_id)
    if as_json:
        _print_json(detail)
        return
    console.print("\n".join(_summary(detail)), markup=False, highlight=False, soft_wrap=True)


def _detail(db: str | None, server: str | None, token: str | None, run_id: str) -> RunDetail:
    """The run as GET /api/runs/{id} gives it: from the server, or the local database."""
    import msgspec

    from crawlscope.frame_source import RunDetail, run_detail, stored_frame
    from crawlscope.store import RunStore

    if server:
        from crawlscope.cli.server_api import ServerApi

        with ServerApi(server, token) as api:
            return msgspec.convert(api.run(run_id), RunDetail)

    async def go() -> RunDetail | None:
        database = await _open_existing(db)
        try:
            record = await RunStore(database).get(run_id)
        finally:
            await database.close()
        return None if record is None else run_detail(stored_frame(record), record, live=False)

    found = run_async(go)
    if found is None:
        raise fail(f"no run with id {run_id!r} in the database")
    return found


def _summary(r: RunDetail) -> list[str]:
    import json

    t = r.totals
    lines = [f"run {r.run_id} ({r.collection}): {r.status}"]
    if r.paused_reason and r.status == RunStatus.PAUSED:
        lines.append(f"  paused:    {r.paused_reason}")
    if r.finish_reason:
        lines.append(f"  reason:    {r.finish_reason}")
    if r.error:
        lines.append(f"  error:     {r.error}")
    from crawlscope.terminal import format_duration

    times = f"created {_when(r.created_at)}"
    if r.started_at:
        times += f", started {_when(r.started_at)}"
    if r.ended_at:
        times += f", ended {_when(r.ended_at)}"
    lines.append(f"  time:      {times} UTC; duration {format_duration(r.duration_s)}")
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
    if r.workers:
        lines.append(f"  workers:   {len(r.workers)}")
    lines.append(f"  (all of it: crawlscope runs show {r.run_id} --json)")
    return lines
