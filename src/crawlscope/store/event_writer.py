"""The event writer process: inserts batches of event rows into a SQLite file.

``ProcessEventLog`` runs this file as a child program, so that binding and inserting rows
happens outside the parent's GIL (the parent only encodes a batch and writes it to a pipe)::

    python -P .../event_writer.py DB_PATH COLUMN,COLUMN,... [ROLLUP_SQL]

It is started by file path rather than with ``-m crawlscope.store.event_writer`` on
purpose: ``-m`` imports the ``crawlscope`` package first (SQLAlchemy, Alembic, the
runner: about 0.8 s and 70 MB here), while this program needs only ``sqlite3`` and
``msgspec`` (about 0.05 s and 15 MB). So this module imports nothing from crawlscope and
must stay that way. ``-P`` keeps this directory off ``sys.path``; the one sibling it
needs, ``rollup_fold.py`` (standard library only), is loaded by its path.

Rollups. With ``ROLLUP_SQL`` (a JSON object: table name -> an upsert with ``:column``
parameters, rendered by ``crawlscope.store.rollups.writer_process_sql``), each batch of
events is also folded into rollup rows (``rollup_fold.fold``) and those are upserted in
the batch's transaction, so the events and their rollups are stored together or not at
all. Run ids are mapped to collections from the ``runs`` table (cached).

Protocol. Every message, both ways, is a 4-byte big-endian length and a msgpack array.

* Once at start-up the child sends ``[0, "ready", sqlite_version]``, or
  ``[0, "error", message]`` and exits with status 1 (file missing, not a database, no
  ``events`` table: the parent's ``Database.open`` creates and migrates the schema, this
  program never does).
* Requests: ``[batch_id, rows]``, rows being arrays in the order of COLUMNS; or
  ``[batch_id, "frontier", [tasks, changes, meta]]``, a run's frontier changes
  (``crawlscope.store.frontier``): ``tasks`` rows of ``run_tasks`` (run_id, no, phase, key,
  state, task) inserted, or their state updated when there (a batch sent again after a
  lost answer writes the same rows), ``changes`` (state, run_id, no) applied to
  ``run_tasks``, ``meta`` (run_id, next_no, finished_phases, progress, items, saved_at)
  upserted into ``run_frontiers``.
  The runner's CPU is the scarce one; these writes were its second-largest cost.
* Each request is carried out in one transaction and answered, in order, with
  ``[batch_id, "ok", row_count]``, ``[batch_id, "conflict", message]`` (a constraint
  failed; nothing of the batch was stored) or ``[batch_id, "error", message]`` (e.g. the
  database stayed locked past ``busy_timeout``; nothing stored).

The program exits with status 0 when its stdin closes, which also happens when the parent
dies. It ignores SIGINT and SIGTERM: they are sent to a whole process group (Ctrl-C, a
service manager stopping the server) while the parent still has its last events to write.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sqlite3
import sys
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO, Final

import msgspec

__all__ = ["CONFLICT", "ERROR", "OK", "READY", "main", "serve"]

READY: Final = "ready"
OK: Final = "ok"
CONFLICT: Final = "conflict"
ERROR: Final = "error"

_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder().decode


def _send(out: BinaryIO, message: list[Any]) -> None:
    body = _encode(message)
    out.write(len(body).to_bytes(4, "big") + body)
    out.flush()


def _connect(db_path: str, columns: list[str]) -> sqlite3.Connection:
    """Open an existing database (never create one) with the store's pragmas."""
    # mode=rw: a missing file is an error here, not a new empty database.
    uri = "file:" + urllib.parse.quote(os.path.abspath(db_path)) + "?mode=rw"
    con = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
    try:
        # The same pragmas as crawlscope.store.database (WAL, NORMAL sync, 30 s busy wait).
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("PRAGMA busy_timeout=30000")
        con.execute(f"SELECT {','.join(columns)} FROM events LIMIT 0").fetchall()
    except BaseException:
        con.close()
        raise
    return con


def _why(db_path: str) -> str:
    """What the file system says about ``db_path`` when SQLite only says it cannot open it
    (its message is the same for a missing file and a read-only file system)."""
    path = os.path.abspath(db_path)
    if not os.path.exists(path):
        return " (no such file: the database was deleted)"
    try:
        if os.statvfs(os.path.dirname(path)).f_flag & os.ST_RDONLY:
            return " (read-only file system)"
    except OSError:
        return ""
    if not os.access(path, os.W_OK):
        return " (permission denied: the file is read-only)"
    return ""


_TASKS_SQL: Final = (
    "INSERT INTO run_tasks (run_id, no, phase, key, state, task) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (run_id, no) DO UPDATE SET state = excluded.state"
)
_STATES_SQL: Final = "UPDATE run_tasks SET state = ? WHERE run_id = ? AND no = ?"
_FRONTIER_SQL: Final = (
    "INSERT INTO run_frontiers (run_id, next_no, finished_phases, progress, items, saved_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET next_no = excluded.next_no, "
    "finished_phases = excluded.finished_phases, progress = excluded.progress, "
    "items = excluded.items, saved_at = excluded.saved_at"
)


def _load_fold() -> ModuleType:
    """``rollup_fold.py`` from this file's directory, without importing crawlscope."""
    path = Path(__file__).with_name("rollup_fold.py")
    spec = importlib.util.spec_from_file_location("_crawlscope_rollup_fold", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Rollups:
    """Folds a batch of rows and upserts its rollups on the writer's connection."""

    def __init__(self, con: sqlite3.Connection, columns: list[str], sql: dict[str, str]):
        self.con = con
        self.columns = columns
        self.sql = sql
        self.fold: Callable[..., Any] = _load_fold().fold
        self.collections: dict[str, str] = {}

    def collection_of(self, run_id: str) -> str:
        """The run's collection, read from ``runs`` the first time (the fold asks once per
        run x site x minute of a batch, not per event)."""
        collection = self.collections.get(run_id)
        if collection is None:
            found = self.con.execute("SELECT collection FROM runs WHERE id = ?", (run_id,))
            row = found.fetchone()
            if row is None:
                return "unknown"  # no row (yet): not remembered
            if len(self.collections) > 10_000:
                self.collections.clear()
            collection = self.collections[run_id] = row[0]
        return collection

    def write(self, rows: list[Any]) -> None:
        batch = self.fold(rows, self.columns, self.collection_of)
        for name, table_rows in batch.tables():
            self.con.executemany(self.sql[name], table_rows)


def _insert(
    con: sqlite3.Connection, sql: str, rows: list[Any], rollups: _Rollups | None
) -> list[Any]:
    """Insert one batch (and its rollups) in one transaction; the answer's status and detail."""

    def write() -> None:
        con.executemany(sql, rows)
        if rollups is not None:
            rollups.write(rows)

    return _transaction(con, write, len(rows))


def _save_frontier(con: sqlite3.Connection, frontier: list[Any]) -> list[Any]:
    """Write one frontier update in one transaction; the answer's status and detail."""
    tasks, changes, meta = frontier

    def write() -> None:
        if tasks:
            con.executemany(_TASKS_SQL, tasks)
        if changes:
            con.executemany(_STATES_SQL, changes)
        con.execute(_FRONTIER_SQL, meta)

    return _transaction(con, write, len(tasks) + len(changes))


def _transaction(con: sqlite3.Connection, write: Any, count: int) -> list[Any]:
    try:
        # IMMEDIATE takes the write lock up front, waiting (busy_timeout) for other writers.
        con.execute("BEGIN IMMEDIATE")
        write()
        con.execute("COMMIT")
    except Exception as exc:
        # Any failure of one batch (locked file, wrong value types) is answered; the
        # program keeps serving.
        if con.in_transaction:
            con.execute("ROLLBACK")
        status = CONFLICT if isinstance(exc, sqlite3.IntegrityError) else ERROR
        return [status, str(exc)]
    return [OK, count]


def serve(
    db_path: str,
    columns: list[str],
    stdin: BinaryIO,
    stdout: BinaryIO,
    rollup_sql: dict[str, str] | None = None,
) -> int:
    """Answer batches from ``stdin`` until it closes; the exit status."""
    bad = [name for name in columns if not name.isidentifier()]
    if not columns or bad:
        _send(stdout, [0, ERROR, f"invalid column names: {bad or columns}"])
        return 1
    try:
        con = _connect(db_path, columns)
    except sqlite3.Error as exc:
        _send(stdout, [0, ERROR, f"cannot open database {db_path}: {exc}{_why(db_path)}"])
        return 1
    rollups = _Rollups(con, columns, rollup_sql) if rollup_sql else None
    sql = f"INSERT INTO events ({','.join(columns)}) VALUES ({','.join('?' * len(columns))})"
    _send(stdout, [0, READY, sqlite3.sqlite_version])
    try:
        while True:
            header = stdin.read(4)
            if not header:
                return 0  # the parent closed the pipe: done
            size = int.from_bytes(header, "big")
            body = stdin.read(size) if len(header) == 4 else b""
            if len(body) != size or len(header) != 4:
                return 1  # the parent died mid-frame; nothing of that frame is stored
            try:
                request = _decode(body)
                batch_id = request[0]
                if len(request) == 3 and request[1] == "frontier":
                    answer = _save_frontier(con, request[2])
                else:
                    (rows,) = request[1:]
                    answer = _insert(con, sql, rows, rollups)
            except (msgspec.DecodeError, TypeError, ValueError, IndexError) as exc:
                # The stream can no longer be trusted: say why and stop.
                _send(stdout, [-1, ERROR, f"malformed request: {exc}"])
                return 2
            _send(stdout, [batch_id, *answer])
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``event_writer.py DB_PATH COLUMNS``."""
    args = sys.argv[1:] if argv is None else argv
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if len(args) not in (2, 3):
        print("usage: event_writer.py DB_PATH COLUMN,COLUMN,... [ROLLUP_SQL]", file=sys.stderr)
        return 2
    rollup_sql = json.loads(args[2]) if len(args) == 3 else None
    try:
        return serve(args[0], args[1].split(","), sys.stdin.buffer, sys.stdout.buffer, rollup_sql)
    except BrokenPipeError:
        return 0  # the parent is gone; so are its reads


if __name__ == "__main__":
    sys.exit(main())
