"""The scheduler a server runs: wakes at the next due slot, claims it, starts its run.

Every server on a database runs one; they need not know of each other. For each due slot
the server records a row in ``schedule_slots`` (``ScheduleRepository.claim``); the
database lets exactly one insert succeed, and only the server that inserted the row starts
the run (or records why none: skipped for an overlap, missed, failed to start). Stored
schedules and slots are all a server needs, so schedules survive restarts, and another
server's changes are seen at the next wake-up (at most ``recheck_s`` later).

The loop sleeps until the earliest next slot of every enabled schedule (``Clock``), or
until ``wake()`` (a schedule changed here, a run it started ended here).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from crawlscope.schedules.clock import Clock, SystemClock
from crawlscope.schedules.decide import Decision, decide_overlap, decide_slot
from crawlscope.schedules.model import OverlapPolicy, SlotOutcome
from crawlscope.schedules.timing import due_slots, next_slot
from crawlscope.store.repositories import ScheduleRepository
from crawlscope.store.schedules import ScheduleRecord

__all__ = ["RunStarter", "Scheduler", "StartedRun", "server_identity"]

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(seconds=5)
"""How soon a tick that failed (the database unavailable) is tried again."""

UNSTARTED_AFTER = timedelta(minutes=5)
"""A slot ``starting`` for this long was claimed by a server that died before it started
the run (starting one takes well under a second): it is marked ``failed``."""


class StartedRun(Protocol):
    """What the scheduler needs of a run it started (``crawlscope.runner.Run``)."""

    @property
    def run_id(self) -> str:
        """The run's id."""

    def wait(self) -> Awaitable[Any]:
        """Finishes when the run has ended."""


class RunStarter(Protocol):
    """Starts a registered collection by name (``crawlscope.manager.RunManager``)."""

    async def start(self, name: str, params: Mapping[str, Any] | None = None) -> StartedRun:
        """Start it; raises for an unknown collection or refused parameters."""


def server_identity() -> str:
    """``host:pid:random``: which server claimed a slot (two apps in one process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Scheduler:
    """Claims due slots of stored schedules and starts their runs through ``starter``.

    ``grace``: how late a slot may be taken and still be on time; later, it was missed
    and the schedule's catch-up policy applies.
    """

    def __init__(
        self,
        repository: ScheduleRepository,
        starter: RunStarter,
        *,
        clock: Clock | None = None,
        grace: timedelta = timedelta(seconds=60),
        identity: str | None = None,
    ) -> None:
        self.repository = repository
        self.starter = starter
        self.clock: Clock = clock or SystemClock()
        self.grace = grace
        self.identity = identity or server_identity()
        self._wake = asyncio.Event()
        self._watchers: set[asyncio.Task[None]] = set()
        # Runs started here that have ended: their rows may say "running" for up to a
        # second more (the monitor writes rows about once a second).
        self._ended: set[str] = set()
        self.ticks = 0
        """How many times the loop has looked at the schedules (tests, diagnostics)."""
        self.claimed = 0
        """Slots this scheduler claimed."""
        self.lost = 0
        """Slots it tried to claim that another server (or a pause) had taken first."""

    def wake(self) -> None:
        """Look at the schedules now (one was created, changed or a run of one ended)."""
        self._wake.set()

    async def run_forever(self) -> None:
        """Tick, sleep until the next slot or a wake-up, repeat (until cancelled)."""
        try:
            while True:
                self._wake.clear()
                try:
                    moment = await self.tick()
                except Exception:
                    log.exception("the scheduler could not read or claim slots; will retry")
                    moment = self.clock.now() + RETRY_AFTER
                await self.clock.sleep_until(moment, self._wake)
        finally:
            for watcher in list(self._watchers):
                watcher.cancel()

    async def tick(self) -> datetime | None:
        """Handle everything due now; the moment of the next slot (None: no schedule)."""
        self.ticks += 1
        now = self.clock.now()
        schedules = await self.repository.list()
        by_id = {s.id: s for s in schedules}
        if unstarted := await self.repository.fail_unstarted(now - UNSTARTED_AFTER):
            log.warning("%d schedule slots were claimed by a server that stopped", unstarted)
        await self._start_queued(by_id, now)
        next_moment: datetime | None = None
        for schedule in schedules:
            if not schedule.enabled:
                continue
            try:
                await self._handle(schedule, now)
            except Exception:
                log.exception("schedule %s: handling its due slot failed", schedule.name)
                candidate: datetime | None = now + RETRY_AFTER
            else:
                candidate = next_slot(schedule.timing(), max(schedule.cursor, now))
            if candidate is not None and (next_moment is None or candidate < next_moment):
                next_moment = candidate
        return next_moment

    async def _handle(self, schedule: ScheduleRecord, now: datetime) -> None:
        due = due_slots(schedule.timing(), schedule.cursor, now)
        decision = decide_slot(due, now, catch_up=schedule.catch_up, grace=self.grace)
        if decision is None:
            return
        if decision.starts and schedule.overlap is not OverlapPolicy.ALLOW:
            active = await self._active_runs(schedule.id)
            queued = any(s.schedule_id == schedule.id for s in await self.repository.queued())
            decision = decide_overlap(
                decision, overlap=schedule.overlap, active_runs=active, queued_already=queued
            )
        await self._record(schedule, decision, now)

    async def _record(self, schedule: ScheduleRecord, decision: Decision, now: datetime) -> None:
        slot_id = await self.repository.claim(
            schedule.id,
            decision.slot_at,
            outcome=decision.outcome,
            claimed_by=self.identity,
            now=now,
            reason=decision.reason,
            missed=decision.missed,
        )
        if slot_id is None:
            self.lost += 1  # another server has this slot (or the schedule was paused)
            return
        self.claimed += 1
        if decision.outcome is SlotOutcome.STARTING:
            await self._start(schedule, slot_id, decision.reason)
        elif decision.outcome is not SlotOutcome.QUEUED:
            log.info("schedule %s: slot %s %s", schedule.name, decision.slot_at, decision.reason)

    async def _start_queued(self, by_id: Mapping[int, ScheduleRecord], now: datetime) -> None:
        for slot in await self.repository.queued():
            schedule = by_id.get(slot.schedule_id)
            if schedule is None or not schedule.enabled:
                if await self.repository.take_queued(slot.id, claimed_by=self.identity, now=now):
                    await self.repository.settle(
                        slot.id,
                        SlotOutcome.SKIPPED,
                        reason="the schedule was paused or deleted while the slot waited",
                    )
                continue
            if await self._active_runs(schedule.id):
                continue
            if await self.repository.take_queued(slot.id, claimed_by=self.identity, now=now):
                await self._start(schedule, slot.id, slot.reason)

    async def _active_runs(self, schedule_id: int) -> list[str]:
        active = await self.repository.active_runs(schedule_id)
        return [run_id for run_id in active if run_id not in self._ended]

    async def _start(self, schedule: ScheduleRecord, slot_id: int, reason: str | None) -> None:
        try:
            run = await self.starter.start(schedule.collection, schedule.params)
        except Exception as exc:
            message = str(exc) or type(exc).__name__
            log.warning("schedule %s: could not start its run: %s", schedule.name, message)
            await self.repository.settle(
                slot_id, SlotOutcome.FAILED, reason=f"not started: {message}"
            )
            return
        await self.repository.settle(slot_id, SlotOutcome.STARTED, run_id=run.run_id, reason=reason)
        log.info("schedule %s started run %s", schedule.name, run.run_id)
        watcher = asyncio.create_task(self._wake_when_done(run))
        self._watchers.add(watcher)
        watcher.add_done_callback(self._watchers.discard)

    async def _wake_when_done(self, run: StartedRun) -> None:
        # A slot may be queued behind this run: look again as soon as it ends.
        with contextlib.suppress(Exception):
            await run.wait()
        if len(self._ended) > 10_000:
            self._ended.clear()  # by then their rows are long final
        self._ended.add(run.run_id)
        self.wake()
