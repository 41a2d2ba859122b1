"""An event log whose appends are inserted by a writer process (SQLite files only).

Inserting through SQLAlchemy and aiosqlite binds every row in a thread of this process,
which competes with the event loop for the GIL: measured with a no-op task, the
in-process writes cost the runner about 13 µs of main-thread CPU per task, most of it
handing the GIL back and forth, where encoding the same rows with msgpack costs 1.5. So
``ProcessEventLog.append`` encodes a batch once, writes it to a pipe and awaits the
answer of a child program (``event_writer.py``) that inserts it with the standard
library's ``sqlite3`` in its own process. Reads stay on the database's engine: the file
is in WAL mode, so they proceed while the child writes and see every batch it answered.

``event_log_for`` picks the kind of event log for a database: this one for SQLite files
unless turned off (argument or ``CRAWLSCOPE_EVENT_WRITER=inline``), the in-process one
otherwise (PostgreSQL, in-memory SQLite).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import msgspec

from crawlscope.events import EVENT_FIELDS
from crawlscope.store import event_writer
from crawlscope.store.database import Database, DatabaseFileGone, StoreError
from crawlscope.store.event_log import EventConflict, EventLog
from crawlscope.store.rollups import writer_process_sql

__all__ = ["WRITER_ENV", "WRITER_MODES", "EventWriterError", "ProcessEventLog", "event_log_for"]

log = logging.getLogger(__name__)

WRITER_ENV: Final = "CRAWLSCOPE_EVENT_WRITER"
"""Environment variable choosing the event writer when the code does not: see WRITER_MODES."""

WRITER_MODES: Final = ("process", "inline")
"""``process``: a writer process for SQLite files (the default); ``inline``: in-process."""

_PROGRAM: Final = str(Path(event_writer.__file__).resolve())
_PIPE_SIZE: Final = 1 << 20
_ROLLUP_SQL: Final = json.dumps(writer_process_sql())
_encoder = msgspec.msgpack.Encoder()
_decode_answer = msgspec.msgpack.Decoder(tuple[int, str, Any]).decode


class EventWriterError(StoreError):
    """The writer process could not start, died, or could not store a batch (retryable)."""


def event_log_for(database: Database, writer: str | None = None) -> EventLog:
    """The event log to use for ``database``.

    ``writer`` is ``"process"`` or ``"inline"``; ``None`` reads ``CRAWLSCOPE_EVENT_WRITER``
    (default ``process``). ``process`` applies to SQLite files only: PostgreSQL and
    in-memory SQLite always use the in-process log.
    """
    source = "event_writer" if writer is not None else WRITER_ENV
    mode = (writer if writer is not None else os.environ.get(WRITER_ENV, "")) or "process"
    if mode not in WRITER_MODES:
        raise ValueError(f"{source}: expected one of {', '.join(WRITER_MODES)}, got {mode!r}")
    if mode == "process" and ProcessEventLog.supports(database):
        return ProcessEventLog(database)
    return EventLog(database)


def _widen_pipe(stdin: asyncio.StreamWriter) -> None:
    """Let a whole batch (about 200 KB) fit in the pipe: one write instead of four, which
    halved the parent's CPU per batch here (Linux only; elsewhere the default stays)."""
    try:
        import fcntl

        set_size = fcntl.F_SETPIPE_SZ
    except (ImportError, AttributeError):
        return
    pipe = stdin.get_extra_info("pipe")
    if pipe is not None:
        with contextlib.suppress(OSError):  # above /proc/sys/fs/pipe-max-size: keep default
            fcntl.fcntl(pipe.fileno(), set_size, _PIPE_SIZE)


class _Writer:
    """One running writer process and its two pipes."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        if proc.stdin is None or proc.stdout is None:
            raise EventWriterError("the event writer was started without pipes")
        self.proc = proc
        self.stdin = proc.stdin
        self.stdout = proc.stdout
        self.usable = True

    @property
    def alive(self) -> bool:
        return self.usable and self.proc.returncode is None

    async def read(self) -> tuple[int, str, Any]:
        header = await self.stdout.readexactly(4)
        return _decode_answer(await self.stdout.readexactly(int.from_bytes(header, "big")))

    async def request(self, frame: bytearray) -> tuple[int, str, Any]:
        self.stdin.write(frame)
        await self.stdin.drain()
        return await self.read()

    def kill(self) -> None:
        # The watcher reaps it; nothing needs to await that.
        self.usable = False
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()

    async def close(self, timeout: float) -> int:
        """Close its stdin (it exits once it has answered what it read) and reap it."""
        self.usable = False
        if not self.stdin.is_closing():
            self.stdin.close()
        try:
            async with asyncio.timeout(timeout):
                return await self.proc.wait()
        except TimeoutError:
            self.kill()
            return await self.proc.wait()


class ProcessEventLog(EventLog):
    """``EventLog`` whose ``append`` is carried out by a writer process.

    The process starts with ``start()`` (``Monitor.start`` calls it) or at the first
    append, and again at the next append after it died; ``close()`` ends it. ``append``
    returns once the batch is committed, so ``Recorder.flush()`` still means "stored".
    A constraint failure raises ``EventConflict`` (nothing of the batch stored); a writer
    that cannot start, dies or cannot write raises ``EventWriterError`` and the batch
    may be retried.
    """

    def __init__(
        self,
        database: Database,
        *,
        python: str | None = None,
        start_timeout: float = 30.0,
        stop_timeout: float = 10.0,
    ) -> None:
        if not self.supports(database):
            raise ValueError(
                f"a writer process needs a SQLite file database, not {database.display_url}"
            )
        super().__init__(database)
        # Absolute: a child started later still writes to the file this log was made for.
        self.path = os.path.abspath(database.path)
        self.python = python or sys.executable
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.starts = 0
        self._writer: _Writer | None = None
        self._lock = asyncio.Lock()
        self._batch_ids = itertools.count(1)

    @staticmethod
    def supports(database: Database) -> bool:
        """Whether ``database`` is a SQLite file (and this interpreter can start a child)."""
        in_file = database.is_sqlite and database.path not in ("", ":memory:")
        return in_file and bool(sys.executable)

    @property
    def pid(self) -> int | None:
        """The writer process's id while it runs."""
        writer = self._writer
        return writer.proc.pid if writer is not None and writer.alive else None

    async def start(self) -> None:
        """Start the writer process now (and wait until it has opened the database)."""
        async with self._lock:
            await self._ensure()

    async def close(self) -> None:
        """End the writer process (after its current batch); a later append starts another."""
        async with self._lock:
            writer, self._writer = self._writer, None
            if writer is not None:
                await writer.close(self.stop_timeout)

    async def append(self, rows: list[tuple[Any, ...]]) -> None:
        """Have the writer process insert ``rows`` in one transaction; returns when stored."""
        if not rows:
            return
        await self._request(lambda batch_id: (batch_id, rows))

    async def save_frontier(
        self,
        tasks: list[tuple[Any, ...]],
        changes: list[tuple[Any, ...]],
        meta: tuple[Any, ...],
    ) -> None:
        """Have the writer process store a run's frontier changes in one transaction
        (``crawlscope.store.frontier`` builds the rows; ``event_writer`` says what they
        are). Same answers and errors as ``append``."""
        await self._request(lambda batch_id: (batch_id, "frontier", (tasks, changes, meta)))

    async def _request(self, message: Callable[[int], Any]) -> None:
        """Send ``message(batch_id)`` and check the answer (see ``append``)."""
        batch_id = next(self._batch_ids)
        # One encode into a buffer that already has room for the length prefix.
        frame = bytearray(4)
        _encoder.encode_into(message(batch_id), frame, 4)
        frame[:4] = (len(frame) - 4).to_bytes(4, "big")
        async with self._lock:
            writer = await self._ensure()
            try:
                answer_id, status, detail = await writer.request(frame)
            except BaseException as exc:
                # EOF, a broken pipe or a cancelled wait: the pipe may hold half a message,
                # so this process is done. Whether it committed the batch is unknown; the
                # Recorder retries it and recognises rows that were stored.
                writer.kill()
                if isinstance(exc, Exception):
                    raise EventWriterError(
                        f"event writer process {writer.proc.pid} died: {exc!r}"
                    ) from exc
                raise
            if answer_id != batch_id:
                writer.kill()
                raise EventWriterError(
                    f"event writer answered batch {answer_id} to batch {batch_id}: {detail}"
                )
        if status == event_writer.OK:
            return
        if status == event_writer.CONFLICT:
            raise EventConflict(str(detail))
        # Replace a writer that failed: after some failures (a file system that was
        # read-only for a while) its connection never writes again, where a new one does.
        async with self._lock:
            if self._writer is writer:
                self._writer = None
                await writer.close(self.stop_timeout)
        raise EventWriterError(f"event writer could not store a batch: {detail}")

    async def _check_file(self) -> None:
        try:
            self.database.check_file()
        except DatabaseFileGone:
            # The child still holds the old file open and would write into it unseen.
            await self.close()
            raise

    async def _ensure(self) -> _Writer:
        """The running writer, started (again) if needed. Call with the lock held."""
        writer = self._writer
        if writer is not None and writer.alive:
            return writer
        if writer is not None:
            self._writer = None
            code = await writer.close(self.stop_timeout)
            log.warning(
                "event writer process %d ended (exit code %s); starting another",
                writer.proc.pid,
                code,
            )
        self._writer = await self._spawn()
        return self._writer

    async def _spawn(self) -> _Writer:
        path = self.path
        try:
            proc = await asyncio.create_subprocess_exec(
                self.python,
                "-P",  # keep the program's own directory (store/) off sys.path
                _PROGRAM,
                path,
                ",".join(EVENT_FIELDS),
                # The rollup upserts, rendered by SQLAlchemy here (the child has no SQLAlchemy).
                _ROLLUP_SQL,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise EventWriterError(f"cannot start the event writer ({self.python}): {exc}") from exc
        writer = _Writer(proc)
        _widen_pipe(writer.stdin)
        try:
            async with asyncio.timeout(self.start_timeout):
                _, status, detail = await writer.read()
        except BaseException as exc:
            writer.kill()
            if isinstance(exc, Exception):
                raise EventWriterError(
                    f"the event writer for {path} did not start: {exc!r}"
                ) from exc
            raise
        if status != event_writer.READY:
            await writer.close(self.stop_timeout)
            raise EventWriterError(f"the event writer did not start: {detail}")
        self.starts += 1
        log.debug("event writer process %d writes to %s (SQLite %s)", proc.pid, path, detail)
        return writer
