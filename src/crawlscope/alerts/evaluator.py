"""Every second: each enabled rule on each of its subjects, the alerts' states, what is
held back, what to send and what to do.

The evaluator reads runs only through the ``FrameSource`` (the same frames REST and the
streams show), so an alert says what the dashboard says. One tick builds each subject's
variables once, as a prepared CEL context shared by all rules of that subject, steps the
state machine (``tracker``), marks silenced and inhibited alerts, hands firing and
resolved alerts to their groups (``grouping``), sends what is due through the notifier
without waiting for it, starts actions, and saves the alerts that changed in one
transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import cel

from crawlscope.aggregate.frames import QualityCard
from crawlscope.alerts.expressions import Fields, merge_fields, narrow, render_summary
from crawlscope.alerts.grouping import Grouper, Outgoing
from crawlscope.alerts.model import (
    AlertRecord,
    AlertState,
    Rule,
    Scope,
    Silence,
    SubjectKind,
)
from crawlscope.alerts.notifier import Notification, Notifier
from crawlscope.alerts.rulebook import CompiledRule, RuleBook
from crawlscope.alerts.silencing import Inhibitors, active_silences, silence_for
from crawlscope.alerts.subjects import (
    WorkerHistory,
    run_variables,
    schedule_variables,
    site_variables,
    worker_variables,
)
from crawlscope.alerts.tracker import AlertTracker, Change, fingerprint
from crawlscope.alerts.windows import Reading, RunWindows
from crawlscope.frame_source import FrameSource
from crawlscope.timestamps import format_ts, utc_now

__all__ = ["ActionRunner", "AlertEvaluator", "RuleStatus", "Subject"]

log = logging.getLogger("crawlscope.alerts")

ENDED_GRACE_S = 60.0
"""How long an ended run stays a subject, so rules on outcomes see it."""


class ActionRunner(Protocol):
    """Takes a firing rule's actions (``alerts.actions``)."""

    async def take(self, rule: Rule, alert: AlertRecord) -> None:
        """Do what ``rule.actions`` say to the alert's run or site."""


class AlertSink(Protocol):
    """Where changed alerts are saved (the store's ``AlertStore``)."""

    async def save_alerts(self, alerts: list[tuple[AlertRecord, bool]]) -> None:
        """Save alerts; ``True`` with one appends its state to the timeline."""


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
class RuleStatus:
    """How a rule did at its last evaluation (the Alerts page's rule list)."""

    evaluated_at: str | None = None
    subjects: int = 0
    value: float | None = None
    """The highest value over its subjects (None if it has no value)."""
    holding: int = 0
    """Subjects on which the condition held."""
    error: str | None = None
    """Why the condition could not be evaluated on some subject (treated as false)."""


@dataclass(slots=True)
class _RunState:
    windows: RunWindows = field(default_factory=RunWindows)
    workers: dict[int, WorkerHistory] = field(default_factory=dict)
    ended_at: float | None = None


SystemProbe = Callable[[], dict[str, Any]]
ScheduleSource = Callable[[], Awaitable[list[Any]]]
PaceSource = Callable[[str], Awaitable[float | None]]


class AlertEvaluator:
    """Evaluates a ``RuleBook`` against live frames, once per ``interval_s``."""

    def __init__(
        self,
        frames: FrameSource,
        book: RuleBook,
        *,
        notifier: Notifier,
        sink: AlertSink | None = None,
        actions: ActionRunner | None = None,
        system: SystemProbe | None = None,
        schedules: ScheduleSource | None = None,
        past_pace: PaceSource | None = None,
        interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.frames = frames
        self.book = book
        self.notifier = notifier
        self.sink = sink
        self.actions = actions
        self.system = system
        self.schedules = schedules
        self.past_pace = past_pace
        self.interval_s = interval_s
        self.clock = clock
        self.tracker = AlertTracker()
        self.grouper = Grouper(book.grouping)
        self.silences: list[Silence] = []
        self.status: dict[str, RuleStatus] = {}
        self.ticks = 0
        self.last_tick_s = 0.0
        self._runs: dict[str, _RunState] = {}
        self._schedule_views: list[Any] = []
        self._schedules_read_at = -1e9
        self._pace: dict[str, tuple[float, float | None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._side_tasks: set[asyncio.Task[None]] = set()
        self._save_failing = False
        self._fields: tuple[RuleBook, dict[SubjectKind, Fields]] | None = None

    # -- configuration ---------------------------------------------------------------------

    def use(self, book: RuleBook) -> None:
        """Evaluate ``book`` from the next tick on (alerts of removed rules resolve)."""
        self.book = book
        self.grouper.grouping = book.grouping
        self.status = {name: self.status.get(name, RuleStatus()) for name in book.rules}

    def restore(self, alerts: Iterable[AlertRecord]) -> None:
        """Take back the alerts that were open when the server stopped."""
        self.tracker.restore(alerts, self.clock())

    # -- the loop --------------------------------------------------------------------------

    def start(self) -> None:
        """Tick every ``interval_s`` in the background until ``stop``."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="crawlscope-alerts")

    async def stop(self) -> None:
        """Stop ticking and let pending notifications go out (bounded)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for side in list(self._side_tasks):
            side.cancel()
        await self.notifier.aclose()

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            try:
                await self.tick()
            except Exception:  # one bad tick must not end alerting
                log.exception("alert evaluation failed")
            next_at += self.interval_s
            delay = next_at - loop.time()
            if delay < 0:  # fell behind: start again from now, no burst of ticks
                next_at, delay = loop.time(), 0.0
            await asyncio.sleep(delay)

    # -- one tick --------------------------------------------------------------------------

    async def tick(self) -> list[Change]:
        """Evaluate every rule once; the alerts that changed."""
        began = time.perf_counter()
        now_mono = self.clock()
        now_dt = utc_now()
        now = format_ts(now_dt)
        book = self.book
        enabled = book.enabled
        if self._fields is None or self._fields[0] is not book:
            self._fields = (book, fields_by_kind(enabled))
        subjects = await self._subjects(self._fields[1], now_mono, now_dt)
        changes: list[Change] = []
        seen: set[str] = set()
        by_kind: dict[SubjectKind, list[Subject]] = {}
        for subject in subjects:
            by_kind.setdefault(subject.kind, []).append(subject)
        # The runs each rule has open alerts on: a subject where a rule does not hold
        # matters to it only if one of its alerts is open there.
        open_runs: dict[str, set[str | None]] = {}
        for alert in self.tracker.open.values():
            open_runs.setdefault(alert.rule, set()).add(alert.run_id)
        for compiled in enabled:
            subjects_of = by_kind.get(compiled.rule.subject, [])
            runs_open = open_runs.get(compiled.rule.name, set())
            self._evaluate(compiled, subjects_of, runs_open, now, now_mono, seen, changes)
        changes.extend(self.tracker.close_missing(seen, book.by_rule(), now))
        changes.extend(self._hold_back(now))
        self._group(changes, now_mono)
        for outgoing in self.grouper.due(now_mono):
            self._send(outgoing)
        for change in changes:
            alert = change.alert
            if change.transition and alert.state is AlertState.FIRING:
                acting = book.rules.get(alert.rule)
                if acting is not None and acting.rule.actions and self.actions is not None:
                    self._spawn(self.actions.take(acting.rule, alert))
        if changes and self.sink is not None:
            try:
                await self.sink.save_alerts([(c.alert, c.transition) for c in changes])
            except Exception:  # storage trouble is reported by health; alerting goes on
                if not self._save_failing:  # once per failing streak, not every second
                    log.exception("could not save %d alert changes", len(changes))
                self._save_failing = True
            else:
                self._save_failing = False
        self.ticks += 1
        self.last_tick_s = time.perf_counter() - began
        return changes

    def _evaluate(
        self,
        compiled: CompiledRule,
        subjects: Iterable[Subject],
        runs_open: set[str | None],
        now: str,
        now_mono: float,
        seen: set[str],
        changes: list[Change],
    ) -> None:
        """One rule on its subjects. ``runs_open``: the runs it has open alerts on (None
        for an alert about no run); where it does not hold on a subject of another run
        there is nothing to do beyond its value (an alert's labels, hence its fingerprint,
        include its run)."""
        rule = compiled.rule
        status = self.status.setdefault(rule.name, RuleStatus())
        status.evaluated_at = now
        status.subjects = 0
        status.holding = 0
        status.error = None
        best: float | None = None
        scope = rule.scope
        tracker = self.tracker
        open_alerts = tracker.open
        own_labels = {**rule.labels, "rule": rule.name, "severity": rule.severity.value}
        template = rule.summary or rule.name
        scoped = scope.collection is not None or scope.site is not None
        scoped = scoped or scope.schedule is not None
        condition = compiled.condition.holds
        probe = compiled.value.read if compiled.value is not None else None
        for subject in subjects:
            labels = subject.labels
            if scoped and not _in_scope(scope, labels):
                continue
            status.subjects += 1
            holds = condition(subject.context)
            if isinstance(holds, str):
                status.error = holds
                holds = False
            value = probe(subject.context) if probe is not None else None
            if value is not None and (best is None or value > best):
                best = value
            if holds:
                status.holding += 1
            elif subject.run_id not in runs_open:
                continue
            alert_labels = {**labels, **own_labels}
            key = fingerprint(rule.name, alert_labels)
            if not holds and key not in open_alerts:
                continue  # no alert here, none to start
            summary = render_summary(template, subject.variables)
            seen.add(key)
            change = tracker.step(
                rule,
                alert_labels,
                holds,
                key=key,
                now=now,
                now_mono=now_mono,
                value=value,
                summary=summary,
                run_id=subject.run_id,
            )
            if change is not None:
                changes.append(change)
        status.value = best

    def _hold_back(self, now: str) -> list[Change]:
        """Mark open alerts silenced or inhibited (or no longer); the ones that changed."""
        silences = active_silences(self.silences, now)
        open_alerts = list(self.tracker.open.values())
        inhibitors = Inhibitors(a for a in open_alerts if a.state is AlertState.FIRING)
        changed: list[Change] = []
        for alert in open_alerts:
            silenced = silence_for(alert.labels, silences)
            inhibited = inhibitors.of(alert)
            if silenced != alert.silenced_by or inhibited != alert.inhibited_by:
                alert.silenced_by = silenced
                alert.inhibited_by = inhibited
                alert.updated_at = now
                changed.append(Change(alert, transition=False))
        return changed

    def _group(self, changes: list[Change], now_mono: float) -> None:
        for change in changes:
            alert = change.alert
            if not change.transition or alert.state is AlertState.PENDING:
                continue
            compiled = self.book.rules.get(alert.rule)
            channels = self.book.channels_of(compiled.rule) if compiled else ()
            if channels:
                urgent = compiled is not None and bool(compiled.rule.actions)
                self.grouper.add(alert, channels, now_mono, urgent=urgent)

    def _send(self, outgoing: Outgoing) -> None:
        channel = self.book.channels.get(outgoing.channel)
        if channel is None:
            return
        self.notifier.submit(channel, notification_of(outgoing))

    def _spawn(self, work: Awaitable[None]) -> None:
        async def guarded() -> None:
            try:
                await work
            except Exception:
                log.exception("an alert action failed")

        task = asyncio.create_task(guarded())
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    # -- subjects --------------------------------------------------------------------------

    async def _subjects(
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
                quality=_quality_values(quality),
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


def _in_scope(scope: Scope, labels: dict[str, str]) -> bool:
    """Whether a subject with ``labels`` is in a rule's ``scope``."""
    if scope.collection is not None and labels.get("collection") != scope.collection:
        return False
    if scope.site is not None and labels.get("site", scope.site) != scope.site:
        return False
    return scope.schedule is None or labels.get("schedule") == scope.schedule


def _quality_values(quality: QualityCard | None) -> dict[str, Any] | None:
    """``run.items_checked`` and friends from a frame's data-quality card, if any."""
    if quality is None:
        return None
    return {
        "checked": quality.checked,
        "invalid": quality.invalid,
        "coverage": {f.field: float(f.coverage) for f in quality.fields},
    }


def notification_of(outgoing: Outgoing) -> Notification:
    """The title and body of one group's notification."""
    firing, resolved = outgoing.firing, outgoing.resolved
    rules = sorted({a.rule for a in firing + resolved})
    if firing:
        title = f"[FIRING:{len(firing)}] {', '.join(rules)}"
    else:
        title = f"[RESOLVED] {', '.join(rules)}"
    lines = [f"- {a.summary}" for a in firing]
    if resolved:
        if firing:
            lines.append("")
            lines.append("Resolved:")
        lines.extend(f"- {a.summary}" for a in resolved)
    return Notification(
        key=outgoing.key,
        status=outgoing.status,
        severity=outgoing.severity.value,
        title=title,
        body="\n".join(lines),
        alerts=[
            {
                "id": a.id,
                "rule": a.rule,
                "state": a.state.value,
                "severity": a.severity.value,
                "labels": a.labels,
                "summary": a.summary,
                "value": a.value,
                "fired_at": a.fired_at,
                "resolved_at": a.resolved_at,
            }
            for a in firing + resolved
        ],
    )
