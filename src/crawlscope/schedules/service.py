"""Creating, changing, pausing and deleting schedules, checked against what can run.

The API and the dashboard go through here: every input is checked (``check_spec``), and,
when the registered collections are known (a server), the collection and its parameters
are too, as ``POST /api/runs`` checks them. Each change wakes the scheduler, so a new
next slot is taken into account at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from crawlscope.registry import CollectionRegistry, InvalidParams, UnknownCollection
from crawlscope.schedules.model import (
    DEFAULT_MIN_INTERVAL_S,
    ScheduleError,
    ScheduleSource,
    ScheduleSpec,
    check_spec,
)
from crawlscope.schedules.views import ScheduleView, schedule_view
from crawlscope.store.repositories import ScheduleRepository
from crawlscope.store.schedules import ScheduleRecord
from crawlscope.timestamps import utc_now

if TYPE_CHECKING:
    from crawlscope.schedules.declared import SyncReport

__all__ = ["ScheduleService", "UnknownSchedule", "check_runnable"]

RECENT_SLOTS = 20
"""Slots a schedule's view lists."""


class UnknownSchedule(LookupError):
    """No schedule with that id."""


def check_runnable(spec: ScheduleSpec, registry: CollectionRegistry) -> None:
    """The collection is registered and accepts the parameters (``ScheduleError`` names
    ``collection`` or ``params.<name>``)."""
    try:
        entry = registry.get(spec.collection)
    except UnknownCollection as exc:
        raise ScheduleError(str(exc), "collection") from exc
    try:
        entry.check_params(spec.params)
    except InvalidParams as exc:
        raise ScheduleError(str(exc), exc.field) from exc


class ScheduleService:
    """Checked changes to stored schedules, and their views."""

    def __init__(
        self,
        repository: ScheduleRepository,
        registry: CollectionRegistry | None = None,
        *,
        min_interval_s: float = DEFAULT_MIN_INTERVAL_S,
        on_change: Callable[[], None] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.repository = repository
        self.registry = registry
        self.min_interval_s = min_interval_s
        self._on_change = on_change or (lambda: None)
        self._clock = clock

    def check(self, spec: ScheduleSpec) -> ScheduleSpec:
        """``spec`` checked and normalised; ``ScheduleError`` names the field at fault."""
        checked = check_spec(spec, min_interval_s=self.min_interval_s)
        if self.registry is not None:
            check_runnable(checked, self.registry)
        return checked

    async def create(
        self, spec: ScheduleSpec, *, source: ScheduleSource = ScheduleSource.API
    ) -> ScheduleRecord:
        """Store a new schedule (``ScheduleExists`` if the name is taken)."""
        record = await self.repository.create(self.check(spec), now=self._clock(), source=source)
        self._on_change()
        return record

    async def get(self, schedule_id: int) -> ScheduleRecord:
        """One schedule; ``UnknownSchedule`` if there is none."""
        record = await self.repository.get(schedule_id)
        if record is None:
            raise UnknownSchedule(f"no schedule with id {schedule_id}")
        return record

    async def update(self, schedule_id: int, changes: Mapping[str, Any]) -> ScheduleRecord:
        """Apply ``changes`` (fields of ``ScheduleSpec``) to a schedule.

        Giving ``interval_s`` clears ``cron`` and the other way round, so a schedule can
        move from one kind of timing to the other in one request.
        """
        current = (await self.get(schedule_id)).spec()
        values = dict(changes)
        if values.get("interval_s") is not None and "cron" not in values:
            values["cron"] = None
        if values.get("cron") is not None and "interval_s" not in values:
            values["interval_s"] = None
        spec = self.check(msgspec.structs.replace(current, **values))
        record = await self.repository.update(schedule_id, spec, now=self._clock())
        if record is None:
            raise UnknownSchedule(f"no schedule with id {schedule_id}")
        self._on_change()
        return record

    async def set_enabled(self, schedule_id: int, enabled: bool) -> ScheduleRecord:
        """Pause (False) or resume (True); resuming counts the next slots from now."""
        record = await self.repository.set_enabled(schedule_id, enabled, now=self._clock())
        if record is None:
            raise UnknownSchedule(f"no schedule with id {schedule_id}")
        self._on_change()
        return record

    async def delete(self, schedule_id: int) -> None:
        """Remove a schedule and its slot records; the runs it started stay."""
        if not await self.repository.delete(schedule_id):
            raise UnknownSchedule(f"no schedule with id {schedule_id}")
        self._on_change()

    async def view(self, record: ScheduleRecord, *, slots: int = RECENT_SLOTS) -> ScheduleView:
        """How the API shows ``record``, with its newest ``slots``."""
        recent = await self.repository.slots(record.id, limit=slots)
        count = await self.repository.slot_count(record.id) if len(recent) >= slots else len(recent)
        return schedule_view(record, recent, count, now=self._clock())

    async def views(self, *, slots: int = RECENT_SLOTS) -> list[ScheduleView]:
        """Every schedule, by name, as the API shows it."""
        return [await self.view(r, slots=slots) for r in await self.repository.list()]

    async def sync_declared(self, declared: Sequence[ScheduleSpec]) -> SyncReport:
        """Make the stored schedules match a project file's (``declared.sync_declared``)."""
        # Imported here: declared.py uses ``check_runnable`` from this module.
        from crawlscope.schedules.declared import sync_declared

        report = await sync_declared(
            self.repository,
            declared,
            registry=self.registry,
            min_interval_s=self.min_interval_s,
            now=self._clock(),
        )
        if report.changed:
            self._on_change()
        return report
