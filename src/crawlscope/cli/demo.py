"""``crawlscope demo``: the demo marketplace and a live terminal view of crawling it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crawlscope.cli.choices import DemoFaults, DemoScale
from crawlscope.cli.common import (
    DbOption,
    console,
    database_url,
    exit_code,
    fail,
    run_async,
)

if TYPE_CHECKING:
    from crawlscope.monitor import Monitor
    from crawlscope.runner import Run

__all__ = ["demo"]


def demo(
    scale: Annotated[
        DemoScale, typer.Option(case_sensitive=False, help="Size of the demo site.")
    ] = DemoScale.SMALL,
    seed: Annotated[int, typer.Option(help="Seed of the demo site's catalog.")] = 7,
    workers: Annotated[int, typer.Option(help="Workers per phase (1-1000).")] = 5,
    faults: Annotated[
        DemoFaults,
        typer.Option(
            case_sensitive=False,
            help="demo: slow pages, 429, 500s, timeouts and broken HTML; off: a well-behaved site.",
        ),
    ] = DemoFaults.DEMO,
    db: DbOption = None,
    once: Annotated[bool, typer.Option("--once", help="One run, then exit.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="No live view; print a JSON summary of each run.")
    ] = False,
    site_port: Annotated[int, typer.Option(help="Port of the demo site (0: any free).")] = 0,
) -> None:
    """Start the demo marketplace on 127.0.0.1 and crawl it with a live terminal view.

    Exit code (of the last run): 0 completed, 1 failed, 3 completed with errors,
    4 cancelled (Ctrl-C or SIGTERM cancel it); 2 for a bad option or an unusable database.
    """
    from crawlscope.demo.faults import FaultConfig

    if not 1 <= workers <= 1000:
        raise fail(f"--workers must be between 1 and 1000, got {workers}", 2)
    if not 0 <= site_port <= 65535:
        raise fail(f"--site-port must be between 0 and 65535, got {site_port}", 2)
    fault_config = FaultConfig.demo() if faults is DemoFaults.DEMO else FaultConfig.off()
    status = run_async(
        lambda: _demo(
            scale.value, seed, workers, fault_config, database_url(db), once, as_json, site_port
        )
    )
    raise typer.Exit(exit_code(status))


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
    from crawlscope.monitor import Monitor

    stop = asyncio.Event()
    current: list[Run] = []

    def interrupt() -> None:
        stop.set()
        for run in current:
            run.cancel("interrupted by a signal (Ctrl-C or SIGTERM)")

    # Installed before anything starts, so a signal during start-up also ends cleanly.
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, interrupt)
    loop.add_signal_handler(signal.SIGTERM, interrupt)
    monitor = Monitor(db_url, announce=False)
    status = "cancelled"
    try:
        async with contextlib.AsyncExitStack() as stack:
            await monitor.start()
            stack.push_async_callback(monitor.stop)  # after the site has stopped
            try:
                site = await stack.enter_async_context(
                    running_demo_site(scale=scale, seed=seed, faults=faults, port=site_port)
                )
            except OSError as exc:  # the port is taken (or not ours to bind)
                reason = exc.strerror or str(exc)
                raise fail(
                    f"cannot serve the demo site on 127.0.0.1:{site_port}: {reason} "
                    "(option --site-port)",
                    2,
                ) from exc
            if not as_json:
                console.print(
                    f"demo site on [bold]{site.url}[/] ({scale}, seed {seed}); "
                    f"database {monitor.store.display_url}; Ctrl-C stops"
                )
            while not stop.is_set():
                # Paused by itself, the run waits for `crawlscope runs resume` (the warning
                # logged says so) while the view shows why.
                run = demo_run(
                    monitor, site, workers=workers, scale=scale, seed=seed, on_auto_pause="wait"
                )
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
                        f"run {run.run_id} {status} ({run.finish_reason}): dataset "
                        f"{summary['dataset_size']} sellers, ground truth "
                        f"{summary['ground_truth_count']}, match "
                        f"{summary['matches_ground_truth']}",
                        markup=False,
                        highlight=False,
                    )
                if once:
                    break
                # A short breather so the finished run can be read before the next one.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 3.0)
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        loop.remove_signal_handler(signal.SIGTERM)
    return status


async def _watch(monitor: Monitor, run: Run) -> str:
    from rich.live import Live

    from crawlscope.terminal import render_frame

    waiter = asyncio.ensure_future(run.wait())
    with Live(console=console, refresh_per_second=4, transient=False) as live:
        while not waiter.done():
            frame = monitor.live_frame(run.run_id)
            if frame is not None:
                live.update(render_frame(frame))
            await asyncio.wait({waiter}, timeout=0.25)
        frame = await monitor.frames.frame(run.run_id)
        if frame is not None:
            live.update(render_frame(frame))
    return waiter.result()
