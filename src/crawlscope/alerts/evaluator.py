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
from dataclasses import dataclass
from typing import Protocol

from crawlscope.alerts.expressions import Fields, render_summary
from crawlscope.alerts.grouping import Grouper, Outgoing, notification_of
from crawlscope.alerts.model import AlertRecord, AlertState, Rule, Scope, Silence, SubjectKind
from crawlscope.alerts.notifier import Notifier
from crawlscope.alerts.rulebook import CompiledRule, RuleBook
from crawlscope.alerts.silencing import Inhibitors, active_silences, silence_for
from crawlscope.alerts.subject_source import (
    PaceSource,
    ScheduleSource,
    Subject,
    SubjectSource,
    SystemProbe,
    fields_by_kind,
)
from crawlscope.alerts.tracker import AlertTracker, Change, fingerprint
from crawlscope.frame_source import FrameSource
from crawlscope.timestamps import format_ts, utc_now

__all__ = ["ActionRunner", "AlertEvaluator", "RuleStatus", "Subject"]

log = logging.getLogger("crawlscope.alerts")

VALUE_SAVE_INTERVAL_S = 30.0
"""How often an open alert whose value or summary alone changed is saved. Its state changes
are saved at once; the API and the dashboard read open alerts from memory, and the
stored copy serves a restart, whose first tick recomputes the value anyway."""

RULE_VALUE_EVERY = 5
"""Every how many ticks a rule's value is read on the subjects where it does not hold
(the Alerts page's "current value", the highest over its subjects). Where it holds, or an
alert of it is open, the value is read on every tick."""


class ActionRunner(Protocol):
    """Takes a firing rule's actions (``alerts.actions``)."""

    async def take(self, rule: Rule, alert: AlertRecord) -> None:
        """Do what ``rule.actions`` say to the alert's run or site."""


class AlertSink(Protocol):
    """Where changed alerts are saved (the store's ``AlertStore``)."""

    async def save_alerts(self, alerts: list[tuple[AlertRecord, bool]]) -> None:
        """Save alerts; ``True`` with one appends its state to the timeline."""


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
        self.interval_s = interval_s
        self.clock = clock
        self.subjects = SubjectSource(
            frames, system=system, schedules=schedules, past_pace=past_pace
        )
        self.tracker = AlertTracker()
        self.grouper = Grouper(book.grouping)
        self.silences: list[Silence] = []
        self.status: dict[str, RuleStatus] = {}
        self.ticks = 0
        self.last_tick_s = 0.0
        self._task: asyncio.Task[None] | None = None
        self._side_tasks: set[asyncio.Task[None]] = set()
        self._save_failing = False
        self._fields: tuple[RuleBook, dict[SubjectKind, Fields]] | None = None
        self._unsaved_values: dict[str, AlertRecord] = {}
        self._values_saved_at = clock()

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
        await self.flush()
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
        subjects = await self.subjects.collect(self._fields[1], now_mono, now_dt)
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
        for index, compiled in enumerate(enabled):
            subjects_of = by_kind.get(compiled.rule.subject, [])
            runs_open = open_runs.get(compiled.rule.name, set())
            # Rules take turns reading their value everywhere, so each tick does a fifth.
            everywhere = (self.ticks + index) % RULE_VALUE_EVERY == 0
            self._evaluate(
                compiled, subjects_of, runs_open, now, now_mono, seen, changes, everywhere
            )
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
        await self._save(changes, now_mono)
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
        everywhere: bool = True,
    ) -> None:
        """One rule on its subjects. ``runs_open``: the runs it has open alerts on (None
        for an alert about no run); where it does not hold on a subject of another run
        there is nothing to do beyond its value (an alert's labels, hence its fingerprint,
        include its run), and that only if ``everywhere``."""
        rule = compiled.rule
        status = self.status.setdefault(rule.name, RuleStatus())
        first = status.evaluated_at is None
        status.evaluated_at = now
        status.subjects = 0
        status.holding = 0
        status.error = None
        everywhere = everywhere or first
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
            if holds:
                status.holding += 1
            elif subject.run_id not in runs_open:
                if everywhere and probe is not None:
                    value = probe(subject.context)
                    if value is not None and (best is None or value > best):
                        best = value
                continue
            value = probe(subject.context) if probe is not None else None
            if value is not None and (best is None or value > best):
                best = value
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
        if everywhere:
            status.value = best
        elif best is not None and (status.value is None or best > status.value):
            status.value = best  # a subject where it holds went past the last reading

    async def _save(self, changes: list[Change], now_mono: float) -> None:
        """Save state changes now; value-only changes every ``VALUE_SAVE_INTERVAL_S``."""
        unsaved = self._unsaved_values
        due: list[tuple[AlertRecord, bool]] = []
        for change in changes:
            alert = change.alert
            if change.value_only:
                unsaved[alert.fingerprint] = alert
            else:
                unsaved.pop(alert.fingerprint, None)
                due.append((alert, change.transition))
        if unsaved and now_mono - self._values_saved_at >= VALUE_SAVE_INTERVAL_S:
            due.extend((alert, False) for alert in unsaved.values())
            unsaved.clear()
            self._values_saved_at = now_mono
        if not due or self.sink is None:
            return
        try:
            await self.sink.save_alerts(due)
        except Exception:  # storage trouble is reported by health; alerting goes on
            if not self._save_failing:  # once per failing streak, not every second
                log.exception("could not save %d alert changes", len(due))
            self._save_failing = True
        else:
            self._save_failing = False

    async def flush(self) -> None:
        """Save the value-only changes not saved yet (at shutdown)."""
        self._values_saved_at = -1e18
        await self._save([], self.clock())

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


def _in_scope(scope: Scope, labels: dict[str, str]) -> bool:
    """Whether a subject with ``labels`` is in a rule's ``scope``."""
    if scope.collection is not None and labels.get("collection") != scope.collection:
        return False
    if scope.site is not None and labels.get("site", scope.site) != scope.site:
        return False
    return scope.schedule is None or labels.get("schedule") == scope.schedule
