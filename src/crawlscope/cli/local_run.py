"""Running a collection in this process on a local database (``crawlscope run`` without
``--server``, ``crawlscope runs resume``/``retry`` of an interrupted or failed run).

The run writes its events, its items and its frontier to the database; a server on the
same database (``crawlscope serve --db ...``) shows it live and can pause, resume or cancel
it. The first line says where to watch it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import msgspec
import typer

from crawlscope.cli.common import err_console, exit_code

if TYPE_CHECKING:
    from crawlscope.monitor import Monitor
    from crawlscope.runner import Run

__all__ = ["finish", "run_here"]

MakeRun = Callable[["Monitor"], Awaitable["Run"]]


async def run_here(db_url: str, make_run: MakeRun, *, as_json: bool) -> dict[str, Any]:
    """Open the database, make the run (``make_run(monitor)``), execute it to its end
    (Ctrl-C or SIGTERM cancels it) and return its summary."""
    from crawlscope.monitor import Monitor

    async with Monitor(db_url, announce=False) as monitor:
        run = await make_run(monitor)
        status = await _execute(monitor, run, db_url, as_json)
        await monitor.flush()
        frame = await monitor.frames.frame(run.run_id, with_workers=False)
    return {
        "run_id": run.run_id,
        "status": str(status),
        "finish_reason": run.finish_reason,
        "collection": run.collection.name,
        "database": db_url,
        "dataset": run.collection.dataset,
        "dataset_size": frame.dataset_size if frame else None,
        "totals": msgspec.to_builtins(frame.totals) if frame else None,
    }


def finish(summary: dict[str, Any], as_json: bool) -> typer.Exit:
    """Print the summary (JSON, or one line with the finish reason); the exit to raise,
    its code by the run's outcome (``exit_code``)."""
    if as_json:
        print(json.dumps(summary), flush=True)
    else:
        err_console.print(
            f"run {summary['run_id']} {summary['status']} ({summary['finish_reason']})",
            highlight=False,
            markup=False,
        )
    return typer.Exit(exit_code(summary["status"]))


async def _execute(monitor: Monitor, run: Run, db_url: str, as_json: bool) -> str:
    loop = asyncio.get_running_loop()

    def interrupt() -> None:
        run.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):  # a second signal stops the process
            loop.remove_signal_handler(sig)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, interrupt)
    try:
        await run.start()
        err_console.print(
            f"run {run.run_id} of {run.collection.name} on {db_url}: watch it with "
            f"`crawlscope serve --db {db_url}` (http://127.0.0.1:8000/runs/{run.run_id}) or "
            f"`crawlscope runs show {run.run_id} --db {db_url}`",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
        if as_json or not err_console.is_terminal:
            return await run.wait()
        return await _watch(monitor, run)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def _watch(monitor: Monitor, run: Run) -> str:
    from rich.live import Live

    from crawlscope.terminal import render_frame

    waiter = asyncio.ensure_future(run.wait())
    with Live(console=err_console, refresh_per_second=4, transient=False) as live:
        while not waiter.done():
            frame = monitor.live_frame(run.run_id)
            if frame is not None:
                live.update(render_frame(frame))
            await asyncio.wait({waiter}, timeout=0.25)
        frame = monitor.live_frame(run.run_id)
        if frame is not None:
            live.update(render_frame(frame))
    with contextlib.suppress(asyncio.CancelledError):
        return str(waiter.result())
    return "cancelled"
