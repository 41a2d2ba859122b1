"""Schedules and their slots: the ``schedules`` and ``schedule_slots`` tables.

A slot is claimed by inserting its row; the unique ``(schedule_id, slot_at)`` index makes
the insert fail for every server but the first, on SQLite (one writer at a time) and on
PostgreSQL (the second insert waits for the first to commit, then conflicts). The insert
also checks, in the same statement, that the schedule still exists and is enabled, so a
server with an old view of a schedule that was paused or deleted claims nothing.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

import msgspec
import sqlalchemy as sa

from crawlscope.schedules.model import (
    CatchUpPolicy,
    OverlapPolicy,
    ScheduleSource,
    ScheduleSpec,
    SlotOutcome,
)
from crawlscope.schedules.timing import Timing
from crawlscope.status import ACTIVE_STATUSES, RunStatus
from crawlscope.store.database import Database
from crawlscope.store.schema import runs, schedule_slots, schedules

__all__ = ["ScheduleExists", "ScheduleRecord", "ScheduleStore", "SlotRecord"]

_encode = msgspec.json.Encoder().encode
_decode_params = msgspec.json.Decoder(dict[str, Any]).decode


class ScheduleExists(ValueError):
    """Another schedule has this name."""


class ScheduleRecord(msgspec.Struct, kw_only=True):
    """A stored schedule, with the newest slot any server claimed for it."""

    id: int
    name: str
    collection: str
    params: dict[str, Any]
    interval_s: float | None = None
    cron: str | None = None
    timezone: str
    enabled: bool
    overlap: OverlapPolicy
    catch_up: CatchUpPolicy
    source: ScheduleSource
    anchor_at: datetime
    created_at: datetime
    updated_at: datetime
    last_slot_at: datetime | None = None

    def timing(self) -> Timing:
        """When its slots fall (``crawlscope.schedules.timing``)."""
        return Timing(
            anchor=self.anchor_at,
            interval_s=self.interval_s,
            cron=self.cron,
            timezone=self.timezone,
        )

    def spec(self) -> ScheduleSpec:
        """The schedule as it would be given again."""
        return ScheduleSpec(
            name=self.name,
            collection=self.collection,
            params=self.params,
            interval_s=self.interval_s,
            cron=self.cron,
            timezone=self.timezone,
            enabled=self.enabled,
            overlap=self.overlap,
            catch_up=self.catch_up,
        )

    @property
    def cursor(self) -> datetime:
        """Slots after this moment are yet to be decided."""
        if self.last_slot_at is None or self.last_slot_at < self.anchor_at:
            return self.anchor_at
        return self.last_slot_at


class SlotRecord(msgspec.Struct, kw_only=True):
    """A claimed slot: what became of it, and the status of the run it started."""

    id: int
    schedule_id: int
    slot_at: datetime
    claimed_at: datetime
    claimed_by: str
    outcome: SlotOutcome
    reason: str | None = None
    run_id: str | None = None
    missed: int = 0
    run_status: RunStatus | None = None


_LAST_SLOT = (
    sa.select(sa.func.max(schedule_slots.c.slot_at))
    .where(schedule_slots.c.schedule_id == schedules.c.id)
    .scalar_subquery()
    .label("last_slot_at")
)
_SCHEDULE_QUERY = sa.select(*schedules.c, _LAST_SLOT)
_SLOT_QUERY = sa.select(*schedule_slots.c, runs.c.status.label("run_status")).select_from(
    schedule_slots.outerjoin(runs, runs.c.id == schedule_slots.c.run_id)
)


def _schedule(row: Any) -> ScheduleRecord:
    m = {str(k): v for k, v in row._mapping.items()}
    m["params"] = _decode_params(m["params"] or "{}")
    m["enabled"] = bool(m["enabled"])
    return msgspec.convert(m, ScheduleRecord)


def _slot(row: Any) -> SlotRecord:
    return msgspec.convert({str(k): v for k, v in row._mapping.items()}, SlotRecord)


def _timing_changed(old: Any, spec: ScheduleSpec) -> bool:
    return (old.interval_s, old.cron, old.timezone) != (spec.interval_s, spec.cron, spec.timezone)


class ScheduleStore:
    """Reads and writes schedules and claims their slots."""

    def __init__(self, database: Database) -> None:
        self.database = database

    # -- schedules ------------------------------------------------------------------------

    async def create(
        self, spec: ScheduleSpec, *, now: datetime, source: ScheduleSource = ScheduleSource.API
    ) -> ScheduleRecord:
        """Store a (checked) schedule; ``ScheduleExists`` if the name is taken."""
        try:
            async with self.database.begin() as conn:
                result = await conn.execute(
                    schedules.insert().values(
                        **self._values(spec),
                        source=str(source),
                        anchor_at=now,
                        created_at=now,
                        updated_at=now,
                    )
                )
                schedule_id = int(result.inserted_primary_key[0])
        except sa.exc.IntegrityError as exc:
            raise ScheduleExists(f"a schedule named {spec.name!r} exists") from exc
        created = await self.get(schedule_id)
        assert created is not None
        return created

    @staticmethod
    def _values(spec: ScheduleSpec) -> dict[str, Any]:
        return {
            "name": spec.name,
            "collection": spec.collection,
            "params": _encode(spec.params).decode(),
            "interval_s": spec.interval_s,
            "cron": spec.cron,
            "timezone": spec.timezone,
            "enabled": spec.enabled,
            "overlap": str(spec.overlap),
            "catch_up": str(spec.catch_up),
        }

    async def get(self, schedule_id: int) -> ScheduleRecord | None:
        """One schedule by id."""
        async with self.database.connect() as conn:
            row = (await conn.execute(_SCHEDULE_QUERY.where(schedules.c.id == schedule_id))).first()
        return None if row is None else _schedule(row)

    async def find(self, id_or_name: str) -> ScheduleRecord | None:
        """One schedule by id (digits) or name."""
        text = id_or_name.strip()
        if text.isdigit() and len(text) < 12:
            found = await self.get(int(text))
            if found is not None:
                return found
        async with self.database.connect() as conn:
            row = (await conn.execute(_SCHEDULE_QUERY.where(schedules.c.name == text))).first()
        return None if row is None else _schedule(row)

    async def list(self) -> builtins.list[ScheduleRecord]:
        """Every schedule, by name."""
        async with self.database.connect() as conn:
            rows = await conn.execute(_SCHEDULE_QUERY.order_by(schedules.c.name))
            return [_schedule(row) for row in rows]

    async def update(
        self,
        schedule_id: int,
        spec: ScheduleSpec,
        *,
        now: datetime,
        source: ScheduleSource | None = None,
    ) -> ScheduleRecord | None:
        """Replace a schedule's definition (None if it does not exist).

        A new timing (interval, cron or zone) starts from ``now``: its slots before then
        are not due, and an interval counts from ``now``. Enabling a paused schedule does
        the same (``set_enabled``).
        """
        try:
            async with self.database.begin() as conn:
                old = (
                    await conn.execute(
                        sa.select(schedules).where(schedules.c.id == schedule_id).with_for_update()
                    )
                ).first()
                if old is None:
                    return None
                values = self._values(spec)
                values["updated_at"] = now
                if source is not None:
                    values["source"] = str(source)
                if _timing_changed(old, spec) or (spec.enabled and not old.enabled):
                    values["anchor_at"] = now
                await conn.execute(
                    schedules.update().where(schedules.c.id == schedule_id).values(**values)
                )
        except sa.exc.IntegrityError as exc:
            raise ScheduleExists(f"a schedule named {spec.name!r} exists") from exc
        return await self.get(schedule_id)

    async def set_enabled(
        self, schedule_id: int, enabled: bool, *, now: datetime
    ) -> ScheduleRecord | None:
        """Pause or resume. Resuming starts from ``now``: slots passed while paused are
        neither run nor caught up."""
        async with self.database.begin() as conn:
            values: dict[str, Any] = {"enabled": enabled, "updated_at": now}
            if enabled:
                # Only a paused schedule is re-anchored: resuming a running one changes nothing.
                await conn.execute(
                    schedules.update()
                    .where(schedules.c.id == schedule_id, schedules.c.enabled.is_(False))
                    .values(anchor_at=now)
                )
            await conn.execute(
                schedules.update().where(schedules.c.id == schedule_id).values(**values)
            )
        return await self.get(schedule_id)

    async def delete(self, schedule_id: int) -> bool:
        """Remove a schedule and its slot records (its runs stay); whether it existed."""
        async with self.database.begin() as conn:
            result = await conn.execute(schedules.delete().where(schedules.c.id == schedule_id))
            await conn.execute(
                schedule_slots.delete().where(schedule_slots.c.schedule_id == schedule_id)
            )
        return bool(result.rowcount)

    # -- slots --------------------------------------------------------------------------

    async def claim(
        self,
        schedule_id: int,
        slot_at: datetime,
        *,
        outcome: SlotOutcome,
        claimed_by: str,
        now: datetime,
        reason: str | None = None,
        missed: int = 0,
    ) -> int | None:
        """Take a slot: its row id if this call inserted it; None if another server had it
        already or the schedule is gone or paused."""
        values = {
            "schedule_id": sa.literal(schedule_id, sa.Integer),
            "slot_at": sa.literal(slot_at, schedule_slots.c.slot_at.type),
            "claimed_at": sa.literal(now, schedule_slots.c.claimed_at.type),
            "claimed_by": sa.literal(claimed_by[:200], sa.String),
            "outcome": sa.literal(str(outcome), sa.String),
            "reason": sa.literal(reason, sa.Text),
            "missed": sa.literal(missed, sa.Integer),
        }
        source = sa.select(*values.values()).where(
            sa.exists().where(schedules.c.id == schedule_id, schedules.c.enabled.is_(True))
        )
        try:
            async with self.database.begin() as conn:
                inserted = await conn.execute(
                    schedule_slots.insert().from_select(list(values), source)
                )
                if not inserted.rowcount:
                    return None  # the schedule is gone or paused
                row = await conn.scalar(
                    sa.select(schedule_slots.c.id).where(
                        schedule_slots.c.schedule_id == schedule_id,
                        schedule_slots.c.slot_at == slot_at,
                    )
                )
        except sa.exc.IntegrityError:
            return None  # another server claimed it first
        return None if row is None else int(row)

    async def settle(
        self,
        slot_id: int,
        outcome: SlotOutcome,
        *,
        run_id: str | None = None,
        reason: str | None = None,
    ) -> None:
        """Record what became of a claimed slot."""
        values: dict[str, Any] = {"outcome": str(outcome)}
        if run_id is not None:
            values["run_id"] = run_id
        if reason is not None:
            values["reason"] = reason
        async with self.database.begin() as conn:
            await conn.execute(
                schedule_slots.update().where(schedule_slots.c.id == slot_id).values(**values)
            )

    async def take_queued(self, slot_id: int, *, claimed_by: str, now: datetime) -> bool:
        """Move a queued slot to ``starting`` for this server; False if another took it."""
        async with self.database.begin() as conn:
            result = await conn.execute(
                schedule_slots.update()
                .where(
                    schedule_slots.c.id == slot_id,
                    schedule_slots.c.outcome == str(SlotOutcome.QUEUED),
                )
                .values(
                    outcome=str(SlotOutcome.STARTING),
                    claimed_by=claimed_by[:200],
                    claimed_at=now,
                )
            )
        return bool(result.rowcount)

    async def fail_unstarted(self, claimed_before: datetime) -> int:
        """Slots still ``starting`` that were claimed before ``claimed_before`` become
        ``failed``, naming the server that claimed them; returns how many."""
        slots = schedule_slots.c
        async with self.database.begin() as conn:
            result = await conn.execute(
                schedule_slots.update()
                .where(
                    slots.outcome == str(SlotOutcome.STARTING),
                    slots.claimed_at < claimed_before,
                )
                .values(
                    outcome=str(SlotOutcome.FAILED),
                    reason=sa.literal("not started: its server (")
                    + sa.func.coalesce(slots.claimed_by, "?")
                    + sa.literal(") stopped before starting the run"),
                )
            )
        return int(result.rowcount or 0)

    async def slots(
        self, schedule_id: int, *, limit: int = 20, offset: int = 0
    ) -> builtins.list[SlotRecord]:
        """A schedule's slots, newest first, with the status of the runs they started."""
        query = (
            _SLOT_QUERY.where(schedule_slots.c.schedule_id == schedule_id)
            .order_by(schedule_slots.c.slot_at.desc())
            .limit(limit)
            .offset(offset)
        )
        async with self.database.connect() as conn:
            return [_slot(row) for row in await conn.execute(query)]

    async def slot_count(self, schedule_id: int) -> int:
        """How many slots of a schedule are recorded."""
        query = sa.select(sa.func.count()).where(schedule_slots.c.schedule_id == schedule_id)
        async with self.database.connect() as conn:
            return int(await conn.scalar(query) or 0)

    async def queued(self) -> builtins.list[SlotRecord]:
        """Slots waiting for their schedule's previous run to end, oldest first."""
        query = _SLOT_QUERY.where(schedule_slots.c.outcome == str(SlotOutcome.QUEUED)).order_by(
            schedule_slots.c.slot_at
        )
        async with self.database.connect() as conn:
            return [_slot(row) for row in await conn.execute(query)]

    async def active_runs(self, schedule_id: int) -> builtins.list[str]:
        """Runs this schedule started that are still pending, running or paused."""
        query = (
            sa.select(runs.c.id)
            .select_from(schedule_slots.join(runs, runs.c.id == schedule_slots.c.run_id))
            .where(
                schedule_slots.c.schedule_id == schedule_id,
                runs.c.status.in_([str(s) for s in ACTIVE_STATUSES]),
            )
            .order_by(schedule_slots.c.slot_at)
        )
        async with self.database.connect() as conn:
            return [str(run_id) for run_id in (await conn.scalars(query)).all()]

    async def schedule_of_run(self, run_id: str) -> int | None:
        """The schedule that started a run, if one did."""
        query = sa.select(schedule_slots.c.schedule_id).where(schedule_slots.c.run_id == run_id)
        async with self.database.connect() as conn:
            found = await conn.scalar(query.limit(1))
        return None if found is None else int(found)
