"""Schedules declared in a file (a project's ``crawlscope.toml``): make the stored ones match.

The project-file loader parses the file into ``ScheduleSpec``s and calls
``sync_declared``. Declared schedules are matched by name:

* a name not stored yet is created, marked ``source = file``;
* a stored schedule of that name takes the declared definition (the file wins, also over
  a pause made in the dashboard) and becomes ``file``; one whose definition and source
  already match is left alone, so loading an unchanged file changes nothing (an interval
  keeps counting from where it was);
* a stored ``file`` schedule the file no longer declares is deleted. Schedules made
  through the API, the CLI or the dashboard (``api``) are never deleted here.

Everything is checked before anything is written: one bad entry (``ScheduleError`` whose
``field`` is ``schedules[i].<field>``) leaves the stored schedules as they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from crawlscope.registry import CollectionRegistry
from crawlscope.schedules.model import (
    DEFAULT_MIN_INTERVAL_S,
    ScheduleError,
    ScheduleSource,
    ScheduleSpec,
    check_spec,
)
from crawlscope.schedules.service import check_runnable
from crawlscope.store.repositories import ScheduleRepository
from crawlscope.timestamps import utc_now

__all__ = ["SyncReport", "sync_declared"]


class SyncReport(msgspec.Struct, kw_only=True):
    """What ``sync_declared`` did, by schedule name."""

    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    removed: list[str] = []

    @property
    def changed(self) -> bool:
        """Anything was written."""
        return bool(self.created or self.updated or self.removed)


def _checked(
    declared: Sequence[ScheduleSpec],
    registry: CollectionRegistry | None,
    min_interval_s: float,
) -> list[ScheduleSpec]:
    checked: list[ScheduleSpec] = []
    seen: dict[str, int] = {}
    for index, spec in enumerate(declared):
        try:
            one = check_spec(spec, min_interval_s=min_interval_s)
            if registry is not None:
                check_runnable(one, registry)
        except ScheduleError as exc:
            raise ScheduleError(
                f"schedules[{index}]: {exc}", f"schedules[{index}].{exc.field}"
            ) from exc
        if one.name in seen:
            raise ScheduleError(
                f"schedules[{index}]: the name {one.name!r} is declared twice "
                f"(also schedules[{seen[one.name]}])",
                f"schedules[{index}].name",
            )
        seen[one.name] = index
        checked.append(one)
    return checked


async def sync_declared(
    repository: ScheduleRepository,
    declared: Sequence[ScheduleSpec],
    *,
    registry: CollectionRegistry | None = None,
    min_interval_s: float = DEFAULT_MIN_INTERVAL_S,
    now: datetime | None = None,
) -> SyncReport:
    """Create, update and remove stored schedules so the file's are exactly as declared.

    ``registry``: when given, each collection must be registered and accept its
    parameters.
    """
    now = now or utc_now()
    checked = _checked(declared, registry, min_interval_s)
    report = SyncReport()
    stored = {record.name: record for record in await repository.list()}
    for spec in checked:
        existing = stored.get(spec.name)
        if existing is None:
            await repository.create(spec, now=now, source=ScheduleSource.FILE)
            report.created.append(spec.name)
        elif existing.spec() == spec and existing.source is ScheduleSource.FILE:
            report.unchanged.append(spec.name)
        else:
            await repository.update(existing.id, spec, now=now, source=ScheduleSource.FILE)
            report.updated.append(spec.name)
    names = {spec.name for spec in checked}
    for name, record in stored.items():
        if record.source is ScheduleSource.FILE and name not in names:
            await repository.delete(record.id)
            report.removed.append(name)
    return report
