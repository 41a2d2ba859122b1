"""The subjects rules are evaluated on, built once per tick from the live frames: each
run, each of its sites and workers, each schedule, the system; each with its labels and
a CEL context holding only the variables its kind's rules read.

It also keeps what a subject's variables need across ticks: each run's windows of
readings (rates and percentiles over 1, 5 and 15 minutes), each worker's task-time
history, the schedules (read every 15 s) and the collections' past pace (every 5 min).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import cel

from crawlscope.aggregate.frames import QualityCard
from crawlscope.alerts.expressions import Fields, merge_fields, narrow
from crawlscope.alerts.model import SubjectKind
from crawlscope.alerts.rulebook import CompiledRule
from crawlscope.alerts.subjects import (
    WorkerHistory,
    run_variables,
    schedule_variables,
    site_variables,
    worker_variables,
)
from crawlscope.alerts.windows import Reading, RunWindows
from crawlscope.frame_source import FrameSource

__all__ = [
    "PaceSource",
    "ScheduleSource",
    "Subject",
    "SubjectSource",
    "SystemProbe",
    "fields_by_kind",
    "quality_values",
]

log = logging.getLogger("crawlscope.alerts")

ENDED_GRACE_S = 60.0
"""How long an ended run stays a subject, so rules on outcomes see it."""

SystemProbe = Callable[[], dict[str, Any]]
ScheduleSource = Callable[[], Awaitable[list[Any]]]
PaceSource = Callable[[str], Awaitable[float | None]]


@dataclass(slots=True)
class Subject:
    """One thing rules are evaluated on: its labels and its variables (``context`` holds
    the ones the rules of its kind read, ``variables`` all of them, for summaries)."""

    kind: SubjectKind
    labels: dict[str, str]
    context: cel.Context
    variables: dict[str, Any]
    run_id: str | None = None


def fields_by_kind(rules: Iterable[CompiledRule]) -> dict[SubjectKind, Fields]:
    """Per kind of subject, the variables its rules' conditions and values read."""
    found: dict[SubjectKind, list[Fields]] = {}
    for compiled in rules:
        used = found.setdefault(compiled.rule.subject, [])
        used.append(compiled.condition.fields)
        if compiled.value is not None:
            used.append(compiled.value.fields)
    return {kind: merge_fields(used) for kind, used in found.items()}


@dataclass(slots=True)
class _RunState:
    windows: RunWindows = field(default_factory=RunWindows)
    workers: dict[int, WorkerHistory] = field(default_factory=dict)
    ended_at: float | None = None


class SubjectSource:
    """Builds every tick's subjects from a ``FrameSource`` and what it keeps between
    ticks."""

    def __init__(
        self,
        frames: FrameSource,
        *,
        system: SystemProbe | None = None,
        schedules: ScheduleSource | None = None,
        past_pace: PaceSource | None = None,
    ) -> None:
        self.frames = frames
        self.system = system
        self.schedules = schedules
        self.past_pace = past_pace
        self._runs: dict[str, _RunState] = {}
        self._schedule_views: list[Any] = []
        self._schedules_read_at = -1e9
        self._pace: dict[str, tuple[float, float | None]] = {}

    async def collect(
        self, kinds: dict[SubjectKind, Fields], now_mono: float, now_dt: datetime
    ) -> list[Subject]:
        """Every subject of the kinds rules are written for; each subject's CEL context
        holds only what those rules read (``kinds``): building a context converts every
        value handed to it, and a run has about 70."""
        system = dict(self.system()) if self.system is not None else {}
        system.setdefault("cpu_percent", 0.0)
        system.setdefault("memory_percent", 0.0)
        system.setdefault("disk_percent", 0.0)
        live = self.frames.live_runs()
        system["active_runs"] = sum(1 for run in live if not run.ended)
        subjects: list[Subject] = []
        if kinds.keys() & {SubjectKind.RUN, SubjectKind.SITE, SubjectKind.WORKER}:
            await self._run_subjects(kinds, live, system, now_mono, now_dt, subjects)
        if SubjectKind.SCHEDULE in kinds and self.schedules is not None:
            if now_mono - self._schedules_read_at >= 15.0:
                self._schedules_read_at = now_mono
                try:
                    self._schedule_views = await self.schedules()
                except Exception:
                    log.exception("could not read schedules for alert rules")
            for view in self._schedule_views:
                variables = {"schedule": schedule_variables(view, now_dt), "system": system}
                subjects.append(
                    Subject(
                        SubjectKind.SCHEDULE,
                        {"schedule": view.name, "collection": view.collection},
                        cel.Context(narrow(variables, kinds[SubjectKind.SCHEDULE])),
                        variables,
                    )
                )
        if SubjectKind.SYSTEM in kinds:
            variables = {"system": system}
            context = cel.Context(narrow(variables, kinds[SubjectKind.SYSTEM]))
            subjects.append(Subject(SubjectKind.SYSTEM, {}, context, variables))
        return subjects

    async def _run_subjects(
        self,
        kinds: dict[SubjectKind, Fields],
        live: list[Any],
        system: dict[str, Any],
        now_mono: float,
        now_dt: datetime,
        subjects: list[Subject],
    ) -> None:
        held = set()
        schedule_of = self._schedule_of_runs()
        for run in live:
            state = self._runs.get(run.run_id)
            if state is None:
                state = self._runs[run.run_id] = _RunState()
            held.add(run.run_id)
            if run.ended:
                if state.ended_at is None:
                    state.ended_at = now_mono
                if now_mono - state.ended_at > ENDED_GRACE_S:
                    continue
            frame = await self.frames.frame(run.run_id)
            if frame is None:
                continue
            totals = frame.totals
            histogram = self.frames.latency_histogram(run.run_id)
            state.windows.add(
                Reading(
                    at=now_mono,
                    requests=totals.requests,
                    successes=totals.successes,
                    failures=totals.failures,
                    items=totals.items_found,
                    events=frame.last_seq,
                    latency=tuple(histogram) if histogram else (),
                )
            )
            workers: list[tuple[Any, dict[str, Any]]] = []
            for card in frame.workers:
                history = state.workers.get(card.worker_id)
                if history is None:
                    history = state.workers[card.worker_id] = WorkerHistory()
                history.observe(card)
                workers.append((card, worker_variables(card, history, now_dt)))
            stalled = sum(1 for _, values in workers if values["stalled"])
            collection = frame.collection or ""
            quality = frame.quality
            run_values = run_variables(
                frame,
                state.windows,
                stalled,
                now_dt,
                schedule=schedule_of.get(run.run_id, ""),
                past_items_per_min=await self._past_pace(collection, now_mono),
                quality=quality_values(quality),
            )
            base = {"collection": collection, "run_id": run.run_id}
            if (fields := kinds.get(SubjectKind.RUN)) is not None:
                variables = {"run": run_values, "system": system}
                labels = dict(base)
                if run_values["schedule"]:
                    labels["schedule"] = run_values["schedule"]
                context = cel.Context(narrow(variables, fields))
                subjects.append(Subject(SubjectKind.RUN, labels, context, variables, run.run_id))
            if (fields := kinds.get(SubjectKind.SITE)) is not None:
                for site in frame.sites:
                    variables = {
                        "run": run_values,
                        "site": site_variables(site, now_dt),
                        "system": system,
                    }
                    subjects.append(
                        Subject(
                            SubjectKind.SITE,
                            {**base, "site": site.site},
                            cel.Context(narrow(variables, fields)),
                            variables,
                            run.run_id,
                        )
                    )
            if (fields := kinds.get(SubjectKind.WORKER)) is not None:
                for card, values in workers:
                    variables = {"run": run_values, "worker": values, "system": system}
                    subjects.append(
                        Subject(
                            SubjectKind.WORKER,
                            {**base, "worker": str(card.worker_id)},
                            cel.Context(narrow(variables, fields)),
                            variables,
                            run.run_id,
                        )
                    )
        for run_id in set(self._runs) - held:
            del self._runs[run_id]

    def _schedule_of_runs(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for view in self._schedule_views:
            for slot in getattr(view, "slots", ()):
                if slot.run_id:
                    found[slot.run_id] = view.name
        return found

    async def _past_pace(self, collection: str, now_mono: float) -> float | None:
        if self.past_pace is None or not collection:
            return None
        cached = self._pace.get(collection)
        if cached is not None and now_mono - cached[0] < 300.0:
            return cached[1]
        try:
            pace = await self.past_pace(collection)
        except Exception:
            log.exception("could not read past runs of %s", collection)
            pace = None
        self._pace[collection] = (now_mono, pace)
        return pace


def quality_values(quality: QualityCard | None) -> dict[str, Any] | None:
    """``run.items_checked`` and friends from a frame's data-quality card, if any."""
    if quality is None:
        return None
    return {
        "checked": quality.checked,
        "invalid": quality.invalid,
        "coverage": {f.field: float(f.coverage) for f in quality.fields},
    }
