"""Alerts into notifications: grouped by labels, per channel, with Alertmanager's timing.

A group is one channel and one value of the grouping labels (by default the rule and
the collection), so 50 workers stalling on one run become one notification. A new group
waits ``group_wait`` (more alerts may join), later changes are sent at most every
``group_interval``, and a group that keeps firing unchanged is sent again every
``repeat_interval``. Resolved alerts that had fired are sent once, as resolved.
Silenced and inhibited alerts are left out; a group with nothing left sends nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from crawlscope.alerts.model import AlertRecord, AlertState, Grouping, Severity
from crawlscope.alerts.notifier import Notification

__all__ = ["GroupKey", "Grouper", "Outgoing", "notification_of"]

GroupKey = tuple[str, tuple[str, ...]]
"""(channel name, values of the grouping labels)."""


@dataclass(slots=True)
class _Group:
    created_at: float
    urgent: bool = False
    """Sent without waiting ``group_wait`` (an alert whose rule acts joined it)."""
    firing: dict[str, AlertRecord] = field(default_factory=dict)
    resolved: dict[str, AlertRecord] = field(default_factory=dict)
    last_sent_at: float | None = None
    last_sent: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One notification to send: a group's alerts that are not held back."""

    channel: str
    key: str
    firing: list[AlertRecord]
    resolved: list[AlertRecord]

    @property
    def status(self) -> str:
        """``firing`` while any alert of the group fires, else ``resolved``."""
        return "firing" if self.firing else "resolved"

    @property
    def severity(self) -> Severity:
        """The highest severity among the alerts sent."""
        alerts = self.firing or self.resolved
        return max((a.severity for a in alerts), key=lambda s: s.rank)


def _held(alert: AlertRecord) -> bool:
    return alert.silenced_by is not None or alert.inhibited_by is not None


class Grouper:
    """The notification groups of one installation."""

    def __init__(self, grouping: Grouping | None = None) -> None:
        self.grouping = grouping or Grouping()
        self._groups: dict[GroupKey, _Group] = {}

    def __len__(self) -> int:
        return len(self._groups)

    def key_of(self, channel: str, alert: AlertRecord) -> GroupKey:
        """The group ``alert`` belongs to on ``channel``."""
        labels = alert.labels
        return channel, tuple(
            alert.rule if name == "rule" else labels.get(name, "") for name in self.grouping.by
        )

    def add(
        self, alert: AlertRecord, channels: Iterable[str], now: float, *, urgent: bool = False
    ) -> None:
        """Put a firing or resolved alert into its group on each channel.

        ``urgent`` (an alert whose rule acts on the run) skips the group wait: its action
        usually ends the condition at once, and the people it concerns must hear of it."""
        for channel in channels:
            key = self.key_of(channel, alert)
            group = self._groups.get(key)
            if group is None:
                if alert.state is not AlertState.FIRING:
                    continue  # resolved before its group ever existed: nothing to say
                group = self._groups[key] = _Group(created_at=now)
            if urgent and group.last_sent_at is None:
                # A flag, not a creation time moved back by group_wait: ``now - (now -
                # wait) >= wait`` is false for most clocks past 8192 s (rounding), and the
                # notice would wait a tick, by when the action has often resolved it.
                group.urgent = True
            if alert.state is AlertState.FIRING:
                group.firing[alert.fingerprint] = alert
                group.resolved.pop(alert.fingerprint, None)
            elif alert.state is AlertState.RESOLVED and alert.fired_at is not None:
                group.firing.pop(alert.fingerprint, None)
                # Only worth saying if the firing was said.
                if any(fp == alert.fingerprint for fp, _ in group.last_sent):
                    group.resolved[alert.fingerprint] = alert

    def due(self, now: float) -> list[Outgoing]:
        """The notifications to send now; groups with nothing left are dropped."""
        settings = self.grouping
        outgoing: list[Outgoing] = []
        for key, group in list(self._groups.items()):
            firing = [a for a in group.firing.values() if not _held(a)]
            resolved = list(group.resolved.values())
            if not group.firing and not resolved:
                del self._groups[key]
                continue
            signature = frozenset(
                [(a.fingerprint, "firing") for a in firing]
                + [(a.fingerprint, "resolved") for a in resolved]
            )
            if not signature:
                continue  # everything is silenced or inhibited
            if group.last_sent_at is None:
                send = group.urgent or now - group.created_at >= settings.group_wait_s
            elif signature - group.last_sent:
                send = now - group.last_sent_at >= settings.group_interval_s
            else:
                send = bool(firing) and now - group.last_sent_at >= settings.repeat_interval_s
            if not send:
                continue
            channel, values = key
            group_key = f"{channel}:{'/'.join(values)}"
            outgoing.append(Outgoing(channel, group_key, firing, resolved))
            group.last_sent_at = now
            group.last_sent = frozenset((a.fingerprint, "firing") for a in firing)
            group.resolved.clear()
        return outgoing


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
