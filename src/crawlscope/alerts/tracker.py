"""Alertmanager's state machine for every (rule, subject): inactive -> pending -> firing
-> resolved, one step per evaluation.

Pure: given whether the condition holds now, the tracker says which alerts changed. The
evaluator stores the changes and hands them to the dispatcher.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from crawlscope.alerts.model import AlertRecord, AlertState, Rule

__all__ = ["FOR_SLACK_S", "AlertTracker", "Change", "fingerprint"]

FOR_SLACK_S = 0.1
"""How much short of ``for`` a pending alert may be and still fire. Ticks are due every
interval, but each starts a few milliseconds late (the event loop's timers, other work
on the loop), so the tick ``for`` seconds after the one that saw the condition measured
anything from a hair under ``for`` to a hair over: a ``for`` of 5 s on 1 s ticks took 5
or 6 ticks at random (bench/alert_eval.py: 0.56 s more at the median than ``for: 0``)."""


def fingerprint(rule: str, labels: Mapping[str, str]) -> str:
    """A stable id for one rule on one subject: the same subject gets the same alert."""
    text = rule + "\x00" + "\x00".join(f"{k}={labels[k]}" for k in sorted(labels))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@dataclass(slots=True)
class Change:
    """An alert that changed: ``transition`` is true when its state changed (a timeline
    entry); ``value_only`` when nothing but its value or summary did."""

    alert: AlertRecord
    transition: bool
    value_only: bool = False


class AlertTracker:
    """The open (pending or firing) alerts, by fingerprint."""

    def __init__(self) -> None:
        self.open: dict[str, AlertRecord] = {}
        self._pending_since: dict[str, float] = {}

    def restore(self, alerts: Iterable[AlertRecord], now_mono: float) -> None:
        """Take back alerts that were open when the server stopped: pending ones start
        their ``for`` again (the server could not watch while it was down)."""
        for alert in alerts:
            self.open[alert.fingerprint] = alert
            self._pending_since[alert.fingerprint] = now_mono

    def step(
        self,
        rule: Rule,
        labels: dict[str, str],
        holds: bool,
        *,
        key: str | None = None,
        now: str,
        now_mono: float,
        value: float | None,
        summary: str,
        run_id: str | None,
    ) -> Change | None:
        """One evaluation of ``rule`` on one subject (``key``: its fingerprint, if the
        caller has it already); the change, if any."""
        key = key or fingerprint(rule.name, labels)
        alert = self.open.get(key)
        if alert is None:
            if not holds:
                return None
            alert = AlertRecord(
                id=uuid.uuid4().hex[:16],
                rule=rule.name,
                fingerprint=key,
                state=AlertState.PENDING,
                severity=rule.severity,
                labels=labels,
                summary=summary,
                value=value,
                pending_since=now,
                updated_at=now,
                run_id=run_id,
            )
            self.open[key] = alert
            self._pending_since[key] = now_mono
            if rule.for_s <= 0:
                alert.state = AlertState.FIRING
                alert.fired_at = now
            return Change(alert, transition=True)
        if not holds:
            return self._close(key, now)
        changed = alert.value != value or alert.summary != summary
        alert.value = value
        alert.summary = summary
        if alert.state is AlertState.PENDING and (
            now_mono - self._pending_since.get(key, now_mono) >= rule.for_s - FOR_SLACK_S
        ):
            alert.state = AlertState.FIRING
            alert.fired_at = now
            alert.updated_at = now
            return Change(alert, transition=True)
        if changed:
            alert.updated_at = now
            return Change(alert, transition=False, value_only=True)
        return None

    def _close(self, key: str, now: str) -> Change:
        alert = self.open.pop(key)
        self._pending_since.pop(key, None)
        # A pending alert that clears never fired: it is stored resolved with no fired_at
        # (history shows it), and nobody is told.
        alert.state = AlertState.RESOLVED
        alert.resolved_at = now
        alert.updated_at = now
        return Change(alert, transition=True)

    def close_missing(self, seen: set[str], rules: Mapping[str, Rule], now: str) -> list[Change]:
        """Resolve open alerts whose subject or rule is gone (a run that ended and was
        forgotten, a deleted or switched-off rule)."""
        gone = [
            key
            for key, alert in self.open.items()
            if key not in seen or alert.rule not in rules or not rules[alert.rule].enabled
        ]
        return [self._close(key, now) for key in gone]
