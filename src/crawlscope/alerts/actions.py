"""What a firing rule does to its run: pause, cancel, open a site's breaker, lower a
site's concurrency. Each action is recorded as an ``alert_action`` event in the run's
log (naming the rule, the action and what came of it), so the feeds show it.

Pause and cancel reach a run wherever it executes (``RunManager.control``, through the
command queue for remote runners). Breaker and concurrency changes act on the runner's
sites, so they apply to runs executing in this server's process; for other runs the
event records that they were not possible.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from crawlscope.alerts.model import ActionKind, AlertRecord, Rule, RuleAction
from crawlscope.events import Action, ActivityEvent
from crawlscope.frame_source import FrameSource
from crawlscope.manager import RunManager, TransitionNotAllowed, UnknownRun
from crawlscope.status import ControlCommand

__all__ = ["RunActions"]

log = logging.getLogger("crawlscope.alerts")


class RunActions:
    """Takes rules' actions on runs held by a ``RunManager``."""

    def __init__(
        self, manager: RunManager, frames: FrameSource, emit: Callable[[ActivityEvent], None]
    ) -> None:
        self.manager = manager
        self.frames = frames
        self.emit = emit

    async def take(self, rule: Rule, alert: AlertRecord) -> None:
        """Do each of ``rule.actions`` to the alert's run (and site), recording each."""
        run_id = alert.run_id
        if run_id is None:
            log.warning("rule %s has actions but its alert is not about a run", rule.name)
            return
        for action in rule.actions:
            outcome = await self._do(action, run_id, rule, alert)
            log.warning("alert rule %s: %s on run %s: %s", rule.name, action.kind, run_id, outcome)
            live = self.frames.live(run_id)
            if live is not None and not live.ended:
                self.emit(
                    ActivityEvent(
                        run_id=run_id,
                        action=Action.ALERT_ACTION,
                        site=alert.labels.get("site"),
                        extra={
                            "rule": rule.name,
                            "alert_id": alert.id,
                            "action": action.kind.value,
                            "outcome": outcome,
                            "severity": alert.severity.value,
                            "summary": alert.summary,
                        },
                    )
                )

    async def _do(self, action: RuleAction, run_id: str, rule: Rule, alert: AlertRecord) -> str:
        kind = action.kind
        reason = f"alert rule {rule.name}: {alert.summary or rule.name}"
        if kind in (ActionKind.PAUSE, ActionKind.CANCEL):
            local = self.manager.local(run_id)
            if local is not None:
                done = local.pause(reason) if kind is ActionKind.PAUSE else local.cancel(reason)
                return "done" if done else f"not possible: run is {local.effective_status}"
            command = ControlCommand.PAUSE if kind is ActionKind.PAUSE else ControlCommand.CANCEL
            try:
                result = await self.manager.control(run_id, command)
            except (TransitionNotAllowed, UnknownRun) as exc:
                return f"not possible: {exc}"
            return str(result.outcome)
        site = alert.labels.get("site")
        if site is None:
            return "not possible: the rule's alerts are not about a site"
        local = self.manager.local(run_id)
        if local is None:
            return "not possible: the run does not execute in this server"
        if kind is ActionKind.OPEN_BREAKER:
            seconds = action.duration_s or 120.0
            ok = local.open_breaker(site, seconds)
            return f"breaker of {site} open for {seconds:g} s" if ok else f"no site {site}"
        concurrency = action.concurrency or 1
        ok = local.limit_site(site, concurrency)
        return f"concurrency of {site} set to {concurrency}" if ok else f"no site {site}"
