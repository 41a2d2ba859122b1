"""``crawlscope export``: a dataset, or one run's items, to a JSONL or CSV file.

On a local database (``--db``) the items are read window by window (``crawlscope.export``);
against a server (``--server``/``CRAWLSCOPE_SERVER`` with ``--token``/``CRAWLSCOPE_TOKEN``,
a viewer token is enough) the server's export is streamed to the file. Either way the file
is written as ``FILE.part`` and renamed when complete, so an interrupted export leaves no
half file under the name asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from crawlscope.cli.common import DbOption, database_url, err_console, fail

if TYPE_CHECKING:
    from crawlscope.export import ExportFormat

__all__ = ["export"]

_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


class _Failed(Exception):
    """The export cannot be made; the message names the option or argument at fault."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def export(
    ctx: typer.Context,
    dataset: Annotated[
        str | None,
        typer.Argument(
            metavar="DATASET",
            help="The dataset to export (optional with --run: the run's dataset).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Where to write: a .jsonl/.ndjson or .csv file, or - for standard output.",
        ),
    ] = "",
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="jsonl|csv",
            help="jsonl or csv (default: from the file's extension; jsonl for -).",
            show_default=False,
        ),
    ] = None,
    run: Annotated[
        str | None,
        typer.Option("--run", metavar="RUN_ID", help="Only the items of this run."),
    ] = None,
    fields: Annotated[
        str | None,
        typer.Option(help="CSV columns, comma-separated (default: every top-level field, sorted)."),
    ] = None,
    db: DbOption = None,
    server: Annotated[
        str | None,
        typer.Option(
            "--server",
            envvar="CRAWLSCOPE_SERVER",
            help="Export from this crawlscope server instead of --db.",
            show_default=False,
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="CRAWLSCOPE_TOKEN",
            help="A token of the server (viewer role or more; not needed when its auth is off).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Export a dataset, or one run's items, as JSONL or CSV."""
    from crawlscope.export import ExportFormat, parse_fields

    if not output:
        raise fail("say where to write with -o FILE (or -o - for standard output)", 2)
    if dataset is None and run is None:
        raise fail("give DATASET, or --run RUN_ID for one run's items", 2)
    chosen = _format(fmt, output)
    columns: list[str] = []
    if fields is not None:
        if chosen is not ExportFormat.CSV:
            raise fail("--fields: only for CSV exports", 2)
        try:
            columns = parse_fields(fields)
        except ValueError as exc:
            raise fail(f"--fields: {exc}", 2) from exc
    if server:
        # Typer carries its own copy of click: compare the source by name.
        source = ctx.get_parameter_source("db")
        if source is not None and source.name == "COMMANDLINE":
            raise fail("--db and --server: export from one of them, not both", 2)
        if not server.startswith(("http://", "https://")):
            raise fail(f"--server must be an http:// or https:// URL, got {server!r}", 2)
    target = Path(output) if output != "-" else None
    if target is not None and target.is_dir():
        raise fail(f"-o {output}: is a folder; name a file", 2)

    async def produce(sink: Sink) -> str:
        if server:
            return await _from_server(server, token, dataset, run, chosen, fields, sink)
        return await _from_database(database_url(db), dataset, run, chosen, columns, sink)

    try:
        written, where = _write(target, produce)
    except _Failed as exc:
        raise fail(str(exc), exc.code) from exc
    lines = f"{written.lines:,} items, " if chosen is ExportFormat.JSONL else ""
    err_console.print(
        f"exported {where} as {chosen.value}: {lines}{written.size:,} bytes to "
        f"{output if target is not None else 'standard output'}",
        highlight=False,
        soft_wrap=True,
    )


def _format(fmt: str | None, output: str) -> ExportFormat:
    from crawlscope.export import ExportFormat

    if fmt is not None:
        try:
            return ExportFormat(fmt.lower())
        except ValueError:
            raise fail(f"--format must be jsonl or csv, got {fmt!r}", 2) from None
    if output == "-":
        return ExportFormat.JSONL
    suffix = Path(output).suffix.lower()
    if suffix not in _EXTENSIONS:
        raise fail(
            f"-o {output}: cannot tell the format from {suffix or 'no extension'!r}; "
            "name a .jsonl or .csv file, or give --format",
            2,
        )
    return ExportFormat(_EXTENSIONS[suffix])


class _Written:
    def __init__(self) -> None:
        self.size = 0
        self.lines = 0


Sink = Callable[[bytes], None]


def _write(
    target: Path | None, produce: Callable[[Sink], Coroutine[None, None, str]]
) -> tuple[_Written, str]:
    """Run ``produce`` with a sink writing to ``target`` (``.part`` first) or stdout."""
    written = _Written()
    part = target.with_name(target.name + ".part") if target is not None else None
    handle: BinaryIO = part.open("wb") if part is not None else sys.stdout.buffer
    try:

        def sink(chunk: bytes) -> None:
            handle.write(chunk)
            written.size += len(chunk)
            written.lines += chunk.count(b"\n")

        where = asyncio.run(produce(sink))
        handle.flush()
    except BaseException:
        if part is not None:
            handle.close()
            with contextlib.suppress(OSError):
                part.unlink()
        raise
    if part is not None and target is not None:
        handle.close()
        os.replace(part, target)
    return written, where


async def _from_database(
    url: str,
    dataset: str | None,
    run_id: str | None,
    fmt: ExportFormat,
    columns: list[str],
    sink: Sink,
) -> str:
    from crawlscope.export import ExportFormat, export_chunks, export_columns
    from crawlscope.store import Database, DatasetStore, RunStore, StoreError
    from crawlscope.store.datasets import TooManyFields

    database = Database(url)
    # Only reading: a mistyped --db must not create an empty database.
    if database.is_file and not await asyncio.to_thread(_exists, database.path):
        raise _Failed(f"no database at {database.path} (option --db)", 2)
    try:
        await database.open()
    except StoreError as exc:
        raise _Failed(f"{exc} (option --db)", 2) from exc
    try:
        datasets = DatasetStore(database)
        if run_id is None:
            assert dataset is not None
            name = dataset
        else:
            record = await RunStore(database).get(run_id)
            if record is None:
                raise _Failed(f"no run with id {run_id!r} (option --run)")
            name = _run_dataset(run_id, record.dataset, dataset)
        if run_id is None and not await datasets.rows_after(name, None, limit=1):
            raise _Failed(f"no dataset named {name!r} holds items in {database.display_url}")
        if fmt is ExportFormat.CSV and not columns:
            try:
                columns = await export_columns(datasets, name, run_id=run_id)
            except TooManyFields as exc:
                raise _Failed(f"{exc}; name the columns with --fields", 2) from exc
        async for chunk in export_chunks(datasets, name, fmt, run_id=run_id, columns=columns):
            sink(chunk)
    finally:
        await database.close()
    return _described(name, run_id)


def _exists(path: str) -> bool:
    return Path(path).expanduser().exists()


def _run_dataset(run_id: str, actual: str | None, asked: str | None) -> str:
    if actual is None:
        raise _Failed(f"run {run_id!r} has no dataset (option --run)")
    if asked is not None and asked != actual:
        raise _Failed(f"run {run_id!r} wrote to dataset {actual!r}, not {asked!r} (DATASET)")
    return actual


def _described(dataset: str, run_id: str | None) -> str:
    return f"dataset {dataset!r}" + (f" (run {run_id})" if run_id else "")


async def _from_server(
    server: str,
    token: str | None,
    dataset: str | None,
    run_id: str | None,
    fmt: ExportFormat,
    fields: str | None,
    sink: Sink,
) -> str:
    import urllib.parse

    import httpx

    from crawlscope.client.answers import describe, error_field, error_message

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    params = {"format": fmt.value}
    if fields is not None:
        params["fields"] = fields
    quote = urllib.parse.quote
    timeout = httpx.Timeout(60.0, connect=10.0)
    async with httpx.AsyncClient(
        base_url=server.rstrip("/"), headers=headers, timeout=timeout
    ) as client:

        def refused(response: httpx.Response) -> _Failed:
            message = f"{response.status_code} from {server}: {error_message(response)}"
            if response.status_code in (401, 403):
                return _Failed(f"the server refused the token: {message} (option --token)", 2)
            named = {"run_id": "option --run", "name": "DATASET", "fields": "option --fields"}
            where = named.get(error_field(response) or "")
            return _Failed(f"{message} ({where})" if where else message)

        try:
            if run_id is not None:
                run_path = f"/api/runs/{quote(run_id, safe='')}"
                answer = await client.get(run_path)
                if answer.status_code != 200:
                    raise refused(answer)
                name = _run_dataset(run_id, answer.json().get("dataset"), dataset)
                path = f"{run_path}/items/export"
            else:
                assert dataset is not None
                name = dataset
                path = f"/api/datasets/{quote(dataset, safe='')}/export"
            async with client.stream("GET", path, params=params) as response:
                if response.status_code != 200:
                    await response.aread()
                    raise refused(response)
                async for chunk in response.aiter_bytes():
                    sink(chunk)
        except httpx.TransportError as exc:
            raise _Failed(
                f"the export from {server} failed: {describe(exc)} (option --server)", 2
            ) from exc
    return _described(name, run_id) + f" from {server}"
