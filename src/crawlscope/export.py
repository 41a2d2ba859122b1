"""Exports: a dataset, or one run's items, as JSONL or CSV, produced window by window.

``export_chunks`` reads the items by key in windows (``DatasetRepository.rows_after``,
keyset paging, never OFFSET) and yields one chunk of bytes per window, so memory stays
flat whatever the size. The API streams the chunks (``GET /api/datasets/{name}/export``,
``GET /api/runs/{id}/items/export``); ``crawlscope export`` writes them to a file.

* **JSONL**: one item per line, the JSON text as stored (keys sorted, compact, UTF-8).
* **CSV** (RFC 4180, UTF-8, ``\\r\\n``): the columns are the fields asked for, or else the
  union of the top-level field names of every exported item, sorted (collected by the
  database in one pass before the first row, so no field is left out). An item that is not
  a JSON object is put in a column ``value``. Cells: missing and null are empty, text as
  is, numbers and booleans as JSON writes them, lists and objects as compact JSON. A text
  cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
  ``'`` so a spreadsheet shows it as text instead of running it as a formula (OWASP's
  advice on CSV injection); the header is treated alike.

An export is not a snapshot: items written while it runs appear if their key is still
ahead of the window being read.
"""

from __future__ import annotations

import csv
import enum
import io
import re
import urllib.parse
from collections.abc import AsyncIterator, Sequence
from typing import Any, Final

import msgspec

from crawlscope.store.datasets import MAX_FIELDS
from crawlscope.store.repositories import DatasetRepository

__all__ = [
    "MEDIA_TYPES",
    "VALUE_COLUMN",
    "WINDOW",
    "ExportFormat",
    "attachment",
    "csv_cell",
    "export_chunks",
    "export_columns",
    "export_filename",
    "parse_fields",
]

WINDOW: Final = 2000
"""Items read per query (and per chunk written)."""
VALUE_COLUMN: Final = "value"
"""The CSV column of items that are not JSON objects."""
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
_json = msgspec.json.Encoder()
_decode = msgspec.json.Decoder()


class ExportFormat(enum.StrEnum):
    """What an export is written as."""

    JSONL = "jsonl"
    CSV = "csv"


MEDIA_TYPES: Final = {
    ExportFormat.JSONL: "application/x-ndjson",
    ExportFormat.CSV: "text/csv; charset=utf-8",
}


def parse_fields(text: str) -> list[str]:
    """``"title, price"`` -> ``["title", "price"]``; ``ValueError`` says what is wrong."""
    names = [name.strip() for name in text.split(",")]
    if not names or any(not name for name in names):
        raise ValueError("a comma-separated list of field names, none of them empty")
    if len(names) > MAX_FIELDS:
        raise ValueError(f"{len(names)} fields; at most {MAX_FIELDS}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{', '.join(repeated)} named more than once")
    return names


async def export_columns(
    datasets: DatasetRepository, dataset: str, *, run_id: str | None = None
) -> list[str]:
    """The CSV columns of an export without declared fields (``TooManyFields`` beyond
    ``MAX_FIELDS``): every top-level field name, sorted, and ``value`` for non-objects."""
    found = await datasets.field_names(dataset, run_id=run_id)
    columns = list(found.names)
    if found.non_objects and VALUE_COLUMN not in columns:
        columns.append(VALUE_COLUMN)
    return columns


def _guard(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_cell(value: Any) -> str:
    """One CSV cell: text as is (formula-guarded), JSON for everything else, null empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _guard(value)
    return _json.encode(value).decode()


def _csv_rows(rows: Sequence[tuple[str, str]], columns: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    cell = csv_cell
    for _key, text in rows:
        item = _decode.decode(text)
        if isinstance(item, dict):
            get = item.get
            writer.writerow([cell(get(name)) for name in columns])
        else:
            writer.writerow([cell(item) if name == VALUE_COLUMN else "" for name in columns])
    return buffer.getvalue().encode()


def _csv_header(columns: Sequence[str]) -> bytes:
    if not columns:
        return b""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([_guard(name) for name in columns])
    return buffer.getvalue().encode()


async def export_chunks(
    datasets: DatasetRepository,
    dataset: str,
    fmt: ExportFormat,
    *,
    run_id: str | None = None,
    columns: Sequence[str] = (),
    window: int = WINDOW,
) -> AsyncIterator[bytes]:
    """The export as chunks of bytes, one per window of ``window`` items (CSV: the header
    first). ``columns`` are the CSV columns (``export_columns`` or declared fields)."""
    if fmt is ExportFormat.CSV:
        header = _csv_header(columns)
        if header:
            yield header
    after: str | None = None
    while True:
        rows = await datasets.rows_after(dataset, after, limit=window, run_id=run_id)
        if not rows:
            return
        after = rows[-1][0]
        if fmt is ExportFormat.JSONL:
            yield ("\n".join(text for _, text in rows) + "\n").encode()
        else:
            yield _csv_rows(rows, columns)
        if len(rows) < window:
            return


def export_filename(dataset: str, fmt: ExportFormat, run_id: str | None = None) -> str:
    """``products.jsonl``, or ``products-<run id>.csv`` for one run's items."""
    stem = dataset if run_id is None else f"{dataset}-{run_id}"
    return f"{stem}.{fmt.value}"


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` value: an ASCII ``filename`` every client reads, and the
    exact name as ``filename*`` (RFC 6266) for those that read that."""
    ascii_name = _UNSAFE_FILENAME.sub("_", filename).strip("._") or "export"
    exact = urllib.parse.quote(filename, safe="")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{exact}"
