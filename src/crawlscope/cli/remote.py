"""``crawlscope run COLLECTION [--server URL]``: run a collection here, watch it there.

Without ``--server`` the run uses the local database (``cli/local_run.py``). With it, the
collection runs in this process and reports every event to the server through
``POST /api/ingest`` (``crawlscope.client.HttpReporter``); the run appears in the server's
API and streams like one of its own, and pause/resume/cancel from the server reach it.

Items go to the **server's** dataset through ``POST /api/ingest/items``
(``crawlscope.client.RemoteItemSink``), batched and acknowledged per batch, so the
server's items panel and exports show them. A remote run opens no local database (``--db`` with
``--server`` is refused); while the server is unreachable its items wait in memory and are retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib
import json
import os
import signal
import sys
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
import typer

from crawlscope.cli.common import (
    DbOption,
    database_url,
    err_console,
    exit_code,
    fail,
    run_async,
)

if TYPE_CHECKING:
    from crawlscope.aggregate import Aggregator
    from crawlscope.client import HttpReporter
    from crawlscope.client.items import RemoteItemSink
    from crawlscope.events import ActivityEvent
    from crawlscope.runner import Collection, Run

__all__ = ["load_collection", "parse_params", "run"]

_TARGET = "MODULE:COLLECTION"


class UsageError(ValueError):
    """A bad argument or option; the message names it."""


def load_collection(target: str) -> Collection:
    """Import ``package.module:name`` (from the current directory too) and check it; a
    plain name is a collection of the project in effect (crawlscope.toml)."""
    from crawlscope.project import ProjectError, project_collection
    from crawlscope.runner import Collection, ConfigError

    if ":" not in target and target:
        try:
            named = project_collection(target)
        except ProjectError as exc:
            raise UsageError(str(exc)) from exc
        if named is None:
            raise UsageError(
                f"{_TARGET}: no collection named {target!r} in this project "
                "(give MODULE:COLLECTION, or list it under collections in crawlscope.toml)"
            )
        return named

    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise UsageError(f"{_TARGET} must look like 'package.module:collection', got {target!r}")
    cwd = os.getcwd()
    if cwd not in sys.path:
        # Like `python -m`: a collection next to where the command runs is importable.
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"{_TARGET}: cannot import {module_name!r}: {exc}") from exc
    except Exception as exc:
        raise UsageError(
            f"{_TARGET}: importing {module_name!r} failed: {type(exc).__name__}: {exc}"
        ) from exc
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise UsageError(f"{_TARGET}: {module_name!r} has no attribute {attr!r}") from None
    if not isinstance(obj, Collection):
        raise UsageError(
            f"{_TARGET}: {target!r} is a {type(obj).__name__}, not a crawlscope Collection"
        )
    try:
        obj.validate()
    except ConfigError as exc:
        raise UsageError(f"{_TARGET}: {exc}") from exc
    return obj


def parse_params(values: list[str]) -> dict[str, Any]:
    """``["a=1", "b=x"]`` -> ``{"a": 1, "b": "x"}``: JSON values where they parse, else text."""
    params: dict[str, Any] = {}
    for value in values:
        key, sep, raw = value.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--param must look like NAME=VALUE, got {value!r}")
        if key in params:
            raise UsageError(f"--param {key} is given twice")
        try:
            params[key] = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            params[key] = raw
    return params


class _Tee:
    """The run's ``Reporter``: folds events into a local aggregate, then sends them on.

    The local aggregate drives the terminal view and the final summary, so what this
    process saw can be compared with what the server stored.
    """

    def __init__(self, reporter: HttpReporter, aggregator: Aggregator) -> None:
        self.reporter = reporter
        self.aggregator = aggregator

    def emit(self, event: ActivityEvent) -> None:
        self.aggregator(event)
        self.reporter.emit(event)

    def congested(self) -> bool:
        return self.reporter.congested()

    async def wait_ready(self) -> None:
        await self.reporter.wait_ready()

    async def open_run(
        self, run_id: str, collection: str, params: dict[str, Any], dataset: str | None
    ) -> None:
        await self.reporter.open_run(run_id, collection, params, dataset)

    async def flush(self) -> None:
        await self.reporter.flush()

    def resume_hint(self, run_id: str) -> str:
        return self.reporter.resume_hint(run_id)


def run(
    target: Annotated[
        str,
        typer.Argument(
            metavar=_TARGET, help="The Collection object to run, e.g. 'shop.jobs:catalog'."
        ),
    ],
    server: Annotated[
        str | None,
        typer.Option(
            "--server",
            envvar="CRAWLSCOPE_SERVER",
            help="The crawlscope server to report to, e.g. http://127.0.0.1:8000 "
            "(without it the run writes to the local database, --db).",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="CRAWLSCOPE_TOKEN",
            help="A token with the ingest role (not needed when the server has auth off).",
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A run parameter NAME=VALUE (repeatable)."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Workers per phase (1-1000).")
    ] = None,
    db: DbOption = None,
    seed: Annotated[int | None, typer.Option(help="Seed for retry jitter.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="No live view; print a JSON summary at the end.")
    ] = False,
    flush_timeout: Annotated[
        float,
        typer.Option(
            min=0, help="Seconds to keep trying to deliver buffered events after the run."
        ),
    ] = 120.0,
) -> None:
    """Run a collection in this process, on the project's database or a server.

    Without --server events and items go to the local database (--db, else the
    project's). With it, events and items go to that server, the items to its dataset as
    for a run started there (no local database: --db is refused). Exit code: 0 completed,
    1 failed, 3 completed with errors, 4 cancelled (Ctrl-C, SIGTERM, or a cancel from the
    server); 2 for a bad argument or option, an unreachable server or a refused token.
    """
    from crawlscope.runner import ConfigError

    try:
        if server is not None and not server.startswith(("http://", "https://")):
            raise UsageError(f"--server must be an http:// or https:// URL, got {server!r}")
        if server is not None and db is not None:
            raise UsageError(
                "--db: a run reported to --server stores its items in the server's dataset, "
                "not in a local database; give one or the other"
            )
        params = parse_params(param or [])
        collection = load_collection(target)
        if workers is not None:
            try:
                collection = collection.with_workers(workers)
            except ConfigError as exc:
                raise UsageError(f"--workers: {exc}") from exc
        try:
            params = collection.check_params(params)
        except ConfigError as exc:
            raise UsageError(f"--param: {exc}") from exc
    except UsageError as exc:
        raise fail(str(exc), 2) from exc
    if server is None:
        _run_locally(collection, params, database_url(db), seed, as_json)
        return
    summary = run_async(
        lambda: _run(collection, params, server, token, seed, as_json, flush_timeout)
    )
    if as_json:
        print(json.dumps(summary), flush=True)
    else:
        delivery = summary["delivery"]
        err_console.print(
            f"run {summary['run_id']} {summary['status']} ({summary['finish_reason']}): "
            f"{delivery['delivered']:,} of "
            f"{delivery['emitted']:,} events delivered"
            + (f", {delivery['dropped']:,} dropped" if delivery["dropped"] else "")
            + (f", {delivery['abandoned']:,} undelivered" if delivery["abandoned"] else "")
            + _items_line(summary.get("items")),
            highlight=False,
            markup=False,
        )
    raise typer.Exit(exit_code(summary["status"]))


def _run_locally(
    collection: Collection, params: dict[str, Any], db_url: str, seed: int | None, as_json: bool
) -> None:
    from crawlscope.cli.local_run import finish, run_here

    async def make(monitor: Any) -> Any:
        # Paused by itself, it waits: a server on the database can resume it.
        return monitor.new_run(collection, params, seed=seed, on_auto_pause="wait")

    summary = run_async(lambda: run_here(db_url, make, as_json=as_json))
    raise finish(summary, as_json)


def _items_line(items: dict[str, Any] | None) -> str:
    if not items:
        return ""
    stored = items["inserted"] + items["updated"] + items["unchanged"]
    line = f"; {stored:,} of {items['items']:,} items stored"
    return line + (f", {items['rejected']:,} refused" if items["rejected"] else "")


async def _run(
    collection: Collection,
    params: dict[str, Any],
    server: str,
    token: str | None,
    seed: int | None,
    as_json: bool,
    flush_timeout: float,
) -> dict[str, Any]:
    from crawlscope.aggregate import Aggregator
    from crawlscope.client import HttpReporter, ServerError, ServerUnreachable, TokenRefused
    from crawlscope.runner import Run, new_run_id

    reporter = HttpReporter(server, token, flush_timeout=flush_timeout)
    try:
        try:
            await reporter.check()
        except ServerUnreachable as exc:
            raise fail(f"{exc} (option --server)", 2) from exc
        except TokenRefused as exc:
            raise fail(f"the server refused the token: {exc} (option --token)", 2) from exc
        except ServerError as exc:
            raise fail(f"{exc} (option --server)", 2) from exc
        run_id = new_run_id()
        sink: RemoteItemSink | None = None
        if collection.dataset is not None:
            sink = reporter.item_sink(collection.dataset, run_id=run_id)
        aggregator = Aggregator()
        run = Run(
            collection,
            _Tee(reporter, aggregator),
            params=params,
            sink=sink,
            control_source=reporter.control,
            run_id=run_id,
            seed=seed,
            # Paused by itself, it waits: the server's dashboard and API resume it.
            on_auto_pause="wait",
        )
        status = await _execute(run, aggregator, server, as_json, sink)
        await reporter.close(flush_timeout)
        frame = aggregator.frame(run.run_id)
        return {
            "run_id": run.run_id,
            "status": status,
            "finish_reason": run.finish_reason,
            "server": server,
            "collection": collection.name,
            "dataset": collection.dataset,
            "dataset_size": frame.dataset_size if frame else None,
            "delivery": dataclasses.asdict(reporter.stats),
            "items": dataclasses.asdict(sink.stats) if sink else None,
            "totals": msgspec.to_builtins(frame.totals) if frame else None,
        }
    finally:
        await reporter.close(0)


async def _execute(
    run: Run, aggregator: Aggregator, server: str, as_json: bool, sink: RemoteItemSink | None
) -> str:
    loop = asyncio.get_running_loop()

    def interrupt() -> None:
        run.cancel("interrupted by a signal (Ctrl-C or SIGTERM)")
        # A second signal takes the default path and stops the process.
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, interrupt)
    try:
        await run.start()
        where = f"; items go to its dataset {sink.dataset!r} there" if sink else ""
        err_console.print(
            f"run [bold]{run.run_id}[/] of {run.collection.name} reporting to {server} "
            f"(GET /api/runs/{run.run_id}){where}",
            highlight=False,
            soft_wrap=True,
        )
        if as_json or not err_console.is_terminal:
            return await run.wait()
        return await _watch(run, aggregator)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def _watch(run: Run, aggregator: Aggregator) -> str:
    from rich.live import Live

    from crawlscope.terminal import render_frame

    waiter = asyncio.ensure_future(run.wait())
    with Live(console=err_console, refresh_per_second=4, transient=False) as live:
        while not waiter.done():
            frame = aggregator.frame(run.run_id)
            if frame is not None:
                live.update(render_frame(frame))
            await asyncio.wait({waiter}, timeout=0.25)
        frame = aggregator.frame(run.run_id)
        if frame is not None:
            live.update(render_frame(frame))
    with contextlib.suppress(asyncio.CancelledError):
        return waiter.result()
    return "cancelled"
