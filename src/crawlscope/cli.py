"""The ``crawlscope`` command line (typer + rich)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from crawlscope.aggregate import TERMINAL_STATUSES
from crawlscope.config import Settings
from crawlscope.monitor import Monitor
from crawlscope.runner import ConfigError, Run
from crawlscope.store import CommandQueue, Database, RunStore, StoreError
from crawlscope.terminal import format_duration, render_frame

__all__ = ["app", "main"]

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
runs_app = typer.Typer(no_args_is_help=True, help="List, inspect and control runs.")
db_app = typer.Typer(no_args_is_help=True, help="Database maintenance.")
app.add_typer(runs_app, name="runs")
app.add_typer(db_app, name="db")

console = Console()
err_console = Console(stderr=True)
T = TypeVar("T")

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="SQLite file or database URL [env: CRAWLSCOPE_DATABASE_URL]"),
]


def _database_url(db: str | None) -> str:
    return db or Settings().database_url


def _fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]Error:[/] {message}", highlight=False)
    return typer.Exit(code)


def _run_async(fn: Callable[[], Awaitable[T]]) -> T:
    try:
        return asyncio.run(fn())  # type: ignore[arg-type]
    except StoreError as exc:
        raise _fail(f"{exc} (option --db)", 2) from exc
    except ConfigError as exc:
        raise _fail(str(exc), 2) from exc


async def _open_database(url: str) -> Database:
    database = Database(url)
    await database.open()
    return database


# -- demo -------------------------------------------------------------------------------


@app.command()
def demo(
    scale: Annotated[
        str, typer.Option(help="Size of the demo site: tiny, small, medium, large.")
    ] = "small",
    seed: Annotated[int, typer.Option(help="Seed of the demo site's catalog.")] = 7,
    workers: Annotated[int, typer.Option(help="Workers per phase (1-1000).")] = 5,
    faults: Annotated[str, typer.Option(help="Fault injection: demo or off.")] = "demo",
    db: DbOption = None,
    once: Annotated[bool, typer.Option("--once", help="One run, then exit.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="No live view; print a JSON summary of each run.")
    ] = False,
    site_port: Annotated[int, typer.Option(help="Port of the demo site (0: any free).")] = 0,
) -> None:
    """Start the demo marketplace on 127.0.0.1 and crawl it with a live terminal view."""
    from crawlscope.demo.faults import FaultConfig

    if scale not in ("tiny", "small", "medium", "large"):
        raise _fail(f"--scale must be tiny, small, medium or large, got {scale!r}", 2)
    if faults not in ("demo", "off"):
        raise _fail(f"--faults must be demo or off, got {faults!r}", 2)
    if not 1 <= workers <= 1000:
        raise _fail(f"--workers must be between 1 and 1000, got {workers}", 2)
    fault_config = FaultConfig.demo() if faults == "demo" else FaultConfig.off()
    status = _run_async(
        lambda: _demo(
            scale, seed, workers, fault_config, _database_url(db), once, as_json, site_port
        )
    )
    raise typer.Exit(0 if status == "completed" else 1)


async def _demo(
    scale: str,
    seed: int,
    workers: int,
    faults: Any,
    db_url: str,
    once: bool,
    as_json: bool,
    site_port: int,
) -> str:
    from crawlscope.demo.session import demo_run, run_summary, running_demo_site

    monitor = Monitor(db_url)
    await monitor.start()
    stop = asyncio.Event()
    current: list[Run] = []

    def interrupt() -> None:
        stop.set()
        for run in current:
            run.cancel()

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, interrupt)
    loop.add_signal_handler(signal.SIGTERM, interrupt)
    status = "cancelled"
    try:
        async with running_demo_site(scale=scale, seed=seed, faults=faults, port=site_port) as site:
            if not as_json:
                console.print(
                    f"demo site on [bold]{site.url}[/] ({scale}, seed {seed}); "
                    f"database {monitor.database.display_url}; Ctrl-C stops"
                )
            while not stop.is_set():
                run = demo_run(monitor, site, workers=workers, scale=scale, seed=seed)
                current[:] = [run]
                await run.start()
                if as_json:
                    status = await run.wait()
                else:
                    status = await _watch(monitor, run)
                if as_json:
                    print(json.dumps(await run_summary(monitor, run, site)), flush=True)
                else:
                    summary = await run_summary(monitor, run, site)
                    console.print(
                        f"run {run.run_id} {status}: dataset "
                        f"{summary['dataset_size']} sellers, ground truth "
                        f"{summary['ground_truth_count']}, match "
                        f"{summary['matches_ground_truth']}"
                    )
                if once:
                    break
                # A short breather so the finished run can be read before the next one.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 3.0)
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        loop.remove_signal_handler(signal.SIGTERM)
        await monitor.stop()
    return status


async def _watch(monitor: Monitor, run: Run) -> str:
    waiter = asyncio.ensure_future(run.wait())
    with Live(console=console, refresh_per_second=4, transient=False) as live:
        while not waiter.done():
            frame = monitor.aggregator.frame(run.run_id)
            if frame is not None:
                live.update(render_frame(frame))
            await asyncio.wait({waiter}, timeout=0.25)
        frame = await monitor.frame(run.run_id)
        if frame is not None:
            live.update(render_frame(frame))
    return waiter.result()


# -- runs -------------------------------------------------------------------------------


@runs_app.command("list")
def runs_list(
    db: DbOption = None,
    status: Annotated[str | None, typer.Option(help="Only runs with this status.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many runs.")] = 20,
) -> None:
    """Recent runs, newest first."""

    async def go() -> list[Any]:
        database = await _open_database(_database_url(db))
        try:
            return await RunStore(database).list(status=status, limit=limit)
        finally:
            await database.close()

    records = _run_async(go)
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
            duration = (_ts(r.ended_at) - _ts(r.started_at)).total_seconds()
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
    """One run's stored state as JSON."""
    import msgspec

    async def go() -> Any:
        database = await _open_database(_database_url(db))
        try:
            return await RunStore(database).get(run_id)
        finally:
            await database.close()

    record = _run_async(go)
    if record is None:
        raise _fail(f"no run with id {run_id!r} in the database")
    print(msgspec.json.format(msgspec.json.encode(record)).decode())


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _control(command: str, run_id: str, db: str | None, wait: float) -> None:
    async def go() -> tuple[int, str]:
        database = await _open_database(_database_url(db))
        try:
            record = await RunStore(database).get(run_id)
            if record is None:
                return 1, f"no run with id {run_id!r} in the database"
            if record.status in TERMINAL_STATUSES:
                return 1, f"run {run_id} is {record.status}; it cannot be {command}d"
            queue = CommandQueue(database)
            command_id = await queue.enqueue(run_id, command)
            deadline = asyncio.get_running_loop().time() + wait
            while asyncio.get_running_loop().time() < deadline:
                outcome = await queue.outcome(command_id)
                if outcome is not None:
                    return (1 if outcome.startswith("refused") else 0), f"run {run_id}: {outcome}"
                await asyncio.sleep(0.1)
            beat = record.heartbeat_at or record.updated_at or record.created_at
            age = (datetime.now(UTC) - _ts(beat)).total_seconds()
            return 3, (
                f"{command} queued for run {run_id}, but no runner acknowledged it "
                f"within {wait:g}s (last heartbeat {age:.0f}s ago)"
            )
        finally:
            await database.close()

    code, message = _run_async(go)
    if code:
        raise _fail(message, code)
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


# -- db ---------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create the database or bring its schema up to date."""

    async def go() -> str:
        database = await _open_database(_database_url(db))
        await database.close()
        return database.display_url

    console.print(f"database {_run_async(go)} is up to date")


def main() -> None:
    """Entry point of the ``crawlscope`` script."""
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        app()
    except ConfigError as exc:
        err_console.print(f"[bold red]Error:[/] {exc}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
