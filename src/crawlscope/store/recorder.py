"""The recorder: a hub listener that persists every event, in batches, without losing any."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import msgspec
import sqlalchemy as sa

from crawlscope.events import ActivityEvent
from crawlscope.store.event_log import EventConflict

if TYPE_CHECKING:
    from crawlscope.store.repositories import EventRepository

__all__ = ["Recorder", "RecorderStats"]

log = logging.getLogger(__name__)


class RecorderStats(msgspec.Struct, kw_only=True):
    """What the recorder has done: stored, waiting, failed attempts, refused events."""

    backlog: int
    written: int
    failures: int
    rejected: int
    duplicates: int


class Recorder:
    """Buffers events in memory and appends them to the event log in batches.

    Listening costs a list append per event: the events themselves are buffered (they
    are not changed once published, and being untracked by the garbage collector they
    cost it nothing while they wait) and turned into rows when their batch is written.
    A background task writes a batch when ``batch_size`` events are waiting or
    ``interval`` seconds have passed. If the database is unavailable the batch is kept
    and retried with backoff; events are never dropped (memory grows instead, and
    ``backlog`` shows it). A batch the store refuses (``EventConflict``) is stored event
    by event: an event whose id is already stored counts as ``duplicates`` (a retried
    batch whose first attempt was committed after all), any other refused event as
    ``rejected``.
    """

    def __init__(
        self,
        log_: EventRepository,
        *,
        batch_size: int = 1000,
        interval: float = 0.05,
        on_stored: Callable[[Sequence[ActivityEvent]], None] | None = None,
    ) -> None:
        self.event_log = log_
        self.batch_size = batch_size
        self.interval = interval
        self.written = 0
        self.batches = 0
        self.failures = 0
        self.rejected = 0
        self.duplicates = 0
        self._buffer: list[ActivityEvent] = []
        self._in_flight = 0
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._flushing = 0
        self._progress = asyncio.Event()
        self.on_stored = on_stored
        """Called with each batch once it is stored (what the bus may show readers)."""
        self.last_error: BaseException | None = None
        """The last write failure, while writes keep failing; None once one succeeds."""
        self.failing_since: float | None = None
        """``time.monotonic()`` of the first failure of the current streak."""

    @property
    def backlog(self) -> int:
        """Events received but not yet stored."""
        return len(self._buffer) + self._in_flight

    async def wait_below(self, limit: int) -> None:
        """Return once at most ``limit`` events wait to be stored."""
        while self.backlog > limit:
            self._progress.clear()
            await self._progress.wait()

    def stats(self) -> RecorderStats:
        """Its figures for health reports."""
        return RecorderStats(
            backlog=self.backlog,
            written=self.written,
            failures=self.failures,
            rejected=self.rejected,
            duplicates=self.duplicates,
        )

    def __call__(self, event: ActivityEvent) -> None:
        self._buffer.append(event)
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
        self._flushing += 1
        try:
            self._wake.set()
            await self._idle.wait()
        finally:
            self._flushing -= 1

    async def stop(self, timeout: float | None = None) -> int:
        """Write what is buffered, stop the background task and close the event log's
        writer (a writer process, if it has one).

        With ``timeout``, gives up writing after that many seconds (the database stays
        unusable) and returns how many events could not be stored; 0 when all were.
        """
        self._closing = True
        self._wake.set()
        try:
            async with asyncio.timeout(timeout):
                if self._task is not None:
                    # wait, not await: a cancellation of the task must not be taken for
                    # one of this stop (which would swallow the time limit's).
                    await asyncio.wait([self._task])
                    self._task = None
                await self._write_all()
        except TimeoutError:
            if self._task is not None:
                self._task.cancel()
                await asyncio.wait([self._task])
                self._task = None
        lost = len(self._buffer)
        if lost:
            log.error(
                "%d events could not be stored within %ss and are lost (%s)",
                lost,
                timeout,
                self.last_error,
            )
            self._buffer.clear()
        self._idle.set()
        self._progress.set()
        with contextlib.suppress(Exception):
            await self.event_log.close()
        return lost

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
            self._wake.clear()
            await self._write_all(drain=False)
            if self._closing:
                return

    async def _write_all(self, *, drain: bool = True) -> None:
        """Write the buffer in batches; with ``drain``, until it is empty.

        Without it (the background task's rounds), events that arrive while this round
        writes wait for the next round (a full batch or ``interval``) unless a flush or
        stop is waiting: writing them at once made a round trip every few milliseconds
        under steady load, each waking the writer, for batches of a few dozen events.
        """
        delay = 0.2
        pending = len(self._buffer)  # what this round is for
        while self._buffer:
            if (
                pending <= 0
                and len(self._buffer) < self.batch_size
                and not (drain or self._flushing or self._closing)
            ):
                return  # still buffered: ``_idle`` stays clear
            batch = self._buffer[: self.batch_size]
            del self._buffer[: self.batch_size]
            self._in_flight = len(batch)
            try:
                await self._write(batch)
            except asyncio.CancelledError:
                self._buffer[:0] = batch  # not known to be stored: still owed
                raise
            except Exception as exc:
                # The database is locked, gone or full (or something unexpected broke):
                # keep the batch and try again. Dying here would leave flush() waiting.
                self.failures += 1
                self.last_error = exc
                if self.failing_since is None:
                    self.failing_since = time.monotonic()
                self._buffer[:0] = batch
                reason = exc.orig if isinstance(exc, sa.exc.DBAPIError) else repr(exc)
                log.warning("event write failed (%s); retrying in %.1fs", reason, delay)
                self._in_flight = 0
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            finally:
                self._in_flight = 0
            if self.failing_since is not None:
                log.warning(
                    "event writes work again after %.1fs of failures",
                    time.monotonic() - self.failing_since,
                )
            self.last_error = None
            self.failing_since = None
            delay = 0.2
            pending -= len(batch)
        self._idle.set()

    async def _write(self, batch: list[ActivityEvent]) -> None:
        try:
            await self.event_log.append_events(batch)
        except EventConflict:
            # One bad row must not cost the batch: store one by one, skipping conflicts.
            stored: list[ActivityEvent] = []
            for event in batch:
                try:
                    await self.event_log.append_events([event])
                except EventConflict as exc:
                    if await self._refused(event, exc):
                        stored.append(event)
                else:
                    self.written += 1
                    stored.append(event)
            self.batches += 1
            self._stored(stored)
            return
        self.written += len(batch)
        self.batches += 1
        self._stored(batch)

    def _stored(self, events: Sequence[ActivityEvent]) -> None:
        self._progress.set()
        if self.on_stored is not None and events:
            self.on_stored(events)

    async def _refused(self, event: ActivityEvent, exc: EventConflict) -> bool:
        """Count a refused event; whether it is stored all the same."""
        event_id = event.id
        if event_id in await self.event_log.known_ids([event_id]):
            # Stored already: an earlier attempt was committed although its answer was
            # lost (a writer process killed between commit and reply).
            self.duplicates += 1
            log.info("event %s was already stored", event_id)
            return True
        self.rejected += 1
        log.error("event %s rejected by the store: %s", event_id, exc)
        return False
