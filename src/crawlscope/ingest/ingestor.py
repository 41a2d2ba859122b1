"""Publishing validated batches into the event pipeline at most once per event id."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

import sqlalchemy as sa

from crawlscope.bus import BusUnavailable
from crawlscope.events import ActivityEvent
from crawlscope.ingest.wire import (
    IngestBatch,
    IngestRejected,
    IngestResult,
    IngestUnavailable,
    PendingCommand,
)
from crawlscope.store import StoreError
from crawlscope.store.health import StorageStatus
from crawlscope.store.repositories import Store

__all__ = ["IngestTarget", "Ingestor"]


class IngestTarget(Protocol):
    """Where ingested events go (``crawlscope.monitor.Monitor`` in a server)."""

    async def ingest(self, events: Sequence[ActivityEvent]) -> None:
        """Number and publish events of runners in other processes."""

    async def revive_runs(self, run_ids: Iterable[str]) -> list[str]:
        """Bring runs marked interrupted back, their runner reporting again."""

    async def flush_events(self) -> None:
        """Return once every event published so far is stored."""

    @property
    def unstored(self) -> int:
        """Events published but not stored yet."""

    @property
    def storage_failing(self) -> bool:
        """Whether storing events fails right now."""

    def storage_status(self) -> StorageStatus:
        """Why storing fails (for the 503's message)."""


class Ingestor:
    """Publishes validated batches into an ``IngestTarget`` at most once per event id.

    Ids are checked against the store, within the batch, and against the ids this object
    published that the recorder may not have written yet (``_unwritten``): a retry that
    arrives while the first attempt is still buffered must not pass the store check. The
    check and the publish run under one lock, so two concurrent copies of a batch cannot
    both pass. A response is sent only once the batch's events are stored, so an accepted
    event survives even a killed server.
    """

    def __init__(
        self,
        target: IngestTarget,
        store: Store,
        *,
        unwritten_limit: int = 200_000,
        commands_ttl: float = 0.2,
        store_timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.target = target
        self.store = store
        self.store_timeout = store_timeout
        self.unwritten_limit = unwritten_limit
        self.commands_ttl = commands_ttl
        self.clock = clock
        self._lock = asyncio.Lock()
        self._unwritten: set[str] = set()
        self._remote_runs: dict[str, None] = {}
        self._commands: dict[str, tuple[float, list[PendingCommand]]] = {}

    async def ingest(self, batch: IngestBatch) -> IngestResult:
        """Publish the batch's new events, record its acks, return pending commands.

        Raises ``IngestRejected`` (409) when an event names a run that is not a remote
        run, ``IngestUnavailable`` when the database cannot be used: storing is known to
        fail (nothing of the batch is published), or the batch's events were not stored
        within ``store_timeout`` seconds (they are kept and stored once storage works, so
        the runner's retry is answered as duplicates then). Nothing is acknowledged
        before it is stored.
        """
        try:
            return await self._ingest(batch)
        except BusUnavailable as exc:  # before OSError, which it is
            raise IngestUnavailable(f"seqs cannot be given now: {exc}") from exc
        except (sa.exc.DBAPIError, StoreError, OSError) as exc:
            raise IngestUnavailable.database(exc) from exc

    async def _ingest(self, batch: IngestBatch) -> IngestResult:
        target, store = self.target, self.store
        unique: dict[str, ActivityEvent] = {}
        for event in batch.events:
            unique.setdefault(event.id, event)
        async with self._lock:
            await self._check_origin(batch)
            # Decided before the store is read: ids written while the read runs may be
            # missing from its answer, so they must stay in ``_unwritten`` until the next
            # batch.
            if target.unstored == 0:
                self._unwritten.clear()  # everything published so far is in the store
            elif len(self._unwritten) > self.unwritten_limit:
                await self._stored_in_time()
                self._unwritten.clear()
            stored = await store.events.known_ids(unique) if unique else set()
            unwritten = self._unwritten
            fresh = [e for i, e in unique.items() if i not in stored and i not in unwritten]
            # Received earlier but not stored yet: the answer must wait for them as well.
            waiting = bool(fresh) or any(i in unwritten for i in unique)
            if fresh and target.storage_failing:
                raise IngestUnavailable(
                    f"events cannot be stored now ({target.storage_status().sentence()}); "
                    "none of this batch was accepted: retry later"
                )
            if fresh:
                await target.ingest(fresh)
                unwritten.update(e.id for e in fresh)
                self._remember_remote(e.run_id for e in fresh)
        for ack in batch.acks:
            await store.commands.acknowledge_text(ack.command_id, ack.outcome)
        if waiting:
            await self._stored_in_time()
        commands = await self._pending_commands(batch)
        return IngestResult(
            accepted=len(fresh), duplicates=len(batch.events) - len(fresh), commands=commands
        )

    async def _stored_in_time(self) -> None:
        """Wait for everything published to be stored, at most ``store_timeout`` seconds."""
        try:
            async with asyncio.timeout(self.store_timeout):
                await self.target.flush_events()
        except TimeoutError:
            raise IngestUnavailable(
                f"the events could not be stored within {self.store_timeout:g}s "
                f"({self.target.storage_status().sentence()}); they are kept and stored "
                "once storage works again: retry later"
            ) from None

    async def _check_origin(self, batch: IngestBatch) -> None:
        """Refuse runs that execute elsewhere (a server's own runs, CLI runs)."""
        first: dict[str, str] = {}
        for index, event in enumerate(batch.events):
            if event.run_id not in self._remote_runs:
                first.setdefault(event.run_id, f"events[{index}].run_id")
        for index, run_id in enumerate(batch.runs):
            if run_id not in self._remote_runs:
                first.setdefault(run_id, f"runs[{index}]")
        for run_id, path in first.items():
            record = await self.store.runs.get(run_id)
            if record is None:
                continue
            if record.origin != "remote":
                raise IngestRejected(
                    409,
                    f"{path}: run {run_id!r} is a {record.origin} run; only runs started "
                    "by a remote runner accept ingested events",
                    path,
                )
            self._remember_remote([run_id])

    def _remember_remote(self, run_ids: Iterable[str]) -> None:
        for run_id in run_ids:
            self._remote_runs[run_id] = None
        while len(self._remote_runs) > 10_000:
            del self._remote_runs[next(iter(self._remote_runs))]

    async def _pending_commands(self, batch: IngestBatch) -> list[PendingCommand]:
        """Unhandled commands of the batch's runs.

        A busy runner sends many batches a second: each run's commands are read at most
        once per ``commands_ttl`` (an acknowledgement forgets what was read), which
        delays a command by that much at most.
        """
        if batch.acks:
            self._commands.clear()
        run_ids = dict.fromkeys(event.run_id for event in batch.events)
        run_ids.update(dict.fromkeys(r for r in batch.runs if r in self._remote_runs))
        now = self.clock()
        out: list[PendingCommand] = []
        for run_id in run_ids:
            cached = self._commands.get(run_id)
            if cached is None or cached[0] <= now:
                pending = [
                    PendingCommand(c.id, c.run_id, c.command)
                    for c in await self.store.commands.unhandled(run_id)
                ]
                cached = self._commands[run_id] = (now + self.commands_ttl, pending)
            out.extend(cached[1])
        if len(self._commands) > 1000:
            self._commands = {k: v for k, v in self._commands.items() if v[0] > now}
        return out
