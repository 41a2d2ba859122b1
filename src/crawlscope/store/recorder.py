"""The recorder: a hub listener that persists every event, in batches, without losing any."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import sqlalchemy as sa

from crawlscope.events import ActivityEvent
from crawlscope.store.event_log import EventLog, event_row

__all__ = ["Recorder"]

log = logging.getLogger(__name__)


class Recorder:
    """Buffers events in memory and appends them to the event log in batches.

    Listening costs one tuple conversion and a list append per event. A background task
    writes a batch when ``batch_size`` events are waiting or ``interval`` seconds have
    passed. If the database is unavailable the batch is kept and retried with backoff;
    events are never dropped (memory grows instead, and ``backlog`` shows it).
    """

    def __init__(self, log_: EventLog, *, batch_size: int = 1000, interval: float = 0.05) -> None:
        self.event_log = log_
        self.batch_size = batch_size
        self.interval = interval
        self.written = 0
        self.batches = 0
        self.failures = 0
        self.rejected = 0
        self._buffer: list[tuple[Any, ...]] = []
        self._in_flight = 0
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def backlog(self) -> int:
        """Events received but not yet stored."""
        return len(self._buffer) + self._in_flight

    def __call__(self, event: ActivityEvent) -> None:
        self._buffer.append(event_row(event))
        self._idle.clear()
        if len(self._buffer) >= self.batch_size:
            self._wake.set()

    def start(self) -> None:
        """Start the background writer (idempotent)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="crawlscope-recorder")

    async def flush(self) -> None:
        """Wait until every event received so far is stored."""
        if self._task is None or self._task.done():
            await self._write_all()
            return
        self._wake.set()
        await self._idle.wait()

    async def stop(self) -> None:
        """Write what is buffered, then stop the writer."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._write_all()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            await self._write_all()
            if self._closing:
                return

    async def _write_all(self) -> None:
        delay = 0.2
        while self._buffer:
            batch = self._buffer[: self.batch_size]
            del self._buffer[: self.batch_size]
            self._in_flight = len(batch)
            try:
                await self._write(batch)
            except Exception as exc:
                # The database is locked, gone or full (or something unexpected broke):
                # keep the batch and try again. Dying here would leave flush() waiting.
                self.failures += 1
                self._buffer[:0] = batch
                reason = exc.orig if isinstance(exc, sa.exc.DBAPIError) else repr(exc)
                log.warning("event write failed (%s); retrying in %.1fs", reason, delay)
                self._in_flight = 0
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            finally:
                self._in_flight = 0
            delay = 0.2
        self._idle.set()

    async def _write(self, batch: list[tuple[Any, ...]]) -> None:
        try:
            await self.event_log.append(batch)
        except sa.exc.IntegrityError:
            # One bad row must not cost the batch: store row by row, skipping conflicts.
            for row in batch:
                try:
                    await self.event_log.append([row])
                except sa.exc.IntegrityError as exc:
                    self.rejected += 1
                    log.error("event %s rejected by the store: %s", row[4], exc.orig)
                else:
                    self.written += 1
            self.batches += 1
            return
        self.written += len(batch)
        self.batches += 1
