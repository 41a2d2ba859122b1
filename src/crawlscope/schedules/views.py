"""How a schedule is shown (API, CLI ``--json``, dashboard): its definition, its next slot
in UTC and in its own zone, its newest slot and run, and the slots it recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from crawlscope.schedules.model import (
    CatchUpPolicy,
    OverlapPolicy,
    ScheduleSource,
    SlotOutcome,
    zone,
)
from crawlscope.schedules.timing import next_slot
from crawlscope.status import RunStatus
from crawlscope.store.schedules import ScheduleRecord, SlotRecord

__all__ = ["ScheduleView", "SlotView", "schedule_view", "slot_view"]


class SlotView(msgspec.Struct, kw_only=True):
    """One slot a server claimed: the run it started (``run_id``, ``run_status``), or why
    none (``outcome`` skipped, missed, failed, with ``reason``). ``missed``: earlier slots
    that went unrun with it (a downtime)."""

    slot_at: datetime
    outcome: SlotOutcome
    reason: str | None = None
    run_id: str | None = None
    run_status: RunStatus | None = None
    missed: int = 0
    claimed_at: datetime
    claimed_by: str


class ScheduleView(msgspec.Struct, kw_only=True):
    """A schedule as the API shows it."""

    id: int
    name: str
    collection: str
    params: dict[str, Any]
    interval_s: float | None
    cron: str | None
    timezone: str
    enabled: bool
    status: Literal["active", "paused"]
    overlap: OverlapPolicy
    catch_up: CatchUpPolicy
    source: ScheduleSource
    created_at: datetime
    updated_at: datetime
    next_run_at: datetime | None
    """The next slot (UTC); null while paused."""
    next_run_local: str | None
    """The same moment in the schedule's time zone, ISO 8601 with its offset."""
    last_slot: SlotView | None
    """The newest slot, whatever became of it."""
    last_run: SlotView | None
    """The newest slot that started a run (among ``slots``)."""
    slots: list[SlotView]
    """The newest slots, newest first: the runs the schedule started, and why others did not."""
    slot_count: int
    """How many slots are recorded in all."""


def slot_view(slot: SlotRecord) -> SlotView:
    """A stored slot as shown."""
    return SlotView(
        slot_at=slot.slot_at,
        outcome=slot.outcome,
        reason=slot.reason,
        run_id=slot.run_id,
        run_status=slot.run_status,
        missed=slot.missed,
        claimed_at=slot.claimed_at,
        claimed_by=slot.claimed_by,
    )


def schedule_view(
    record: ScheduleRecord, slots: list[SlotRecord], slot_count: int, *, now: datetime
) -> ScheduleView:
    """``record`` with its recent ``slots`` (newest first) as of ``now``."""
    upcoming = next_slot(record.timing(), max(record.cursor, now)) if record.enabled else None
    shown = [slot_view(s) for s in slots]
    return ScheduleView(
        id=record.id,
        name=record.name,
        collection=record.collection,
        params=record.params,
        interval_s=record.interval_s,
        cron=record.cron,
        timezone=record.timezone,
        enabled=record.enabled,
        status="active" if record.enabled else "paused",
        overlap=record.overlap,
        catch_up=record.catch_up,
        source=record.source,
        created_at=record.created_at,
        updated_at=record.updated_at,
        next_run_at=upcoming,
        next_run_local=upcoming.astimezone(zone(record.timezone)).isoformat() if upcoming else None,
        last_slot=shown[0] if shown else None,
        last_run=next((s for s in shown if s.run_id is not None), None),
        slots=shown,
        slot_count=slot_count,
    )
