"""What a due slot becomes: started, queued, skipped or missed.

Pure functions of the schedule's policies, the due slots and the moment: the scheduler
(``crawlscope.schedules.scheduler``) asks the store what it needs (is a previous run still
active, is a slot already queued) and records what these functions decide.

* Only the newest due slot is ever run: older due slots (a downtime, a clock jump forward,
  a server too busy to wake) are counted as missed on its row (``missed``), not run one by
  one.
* The newest due slot is *on time* when it is at most ``grace`` old; a later one was
  missed, and the catch-up policy says whether it still runs (``once``) or is only
  recorded (``skip``).
* A slot that is to run while a run the schedule started earlier is still active follows
  the overlap policy: ``skip`` records it as skipped, ``queue`` lets it wait for the end
  of that run (one waiting slot at most: later ones are skipped), ``allow`` starts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from crawlscope.schedules.model import CatchUpPolicy, OverlapPolicy, SlotOutcome
from crawlscope.schedules.timing import Due

__all__ = ["Decision", "decide_overlap", "decide_slot"]


@dataclass(frozen=True)
class Decision:
    """The slot to record, what it becomes and why; ``missed`` earlier slots go with it."""

    slot_at: datetime
    outcome: SlotOutcome
    reason: str | None = None
    missed: int = 0

    @property
    def starts(self) -> bool:
        """A run is to be started for it now."""
        return self.outcome is SlotOutcome.STARTING


def _slots(count: int) -> str:
    return f"{count} slot{'s' if count != 1 else ''}"


def decide_slot(
    due: Due, now: datetime, *, catch_up: CatchUpPolicy, grace: timedelta
) -> Decision | None:
    """What to do with the due slots, before looking at overlaps; None if none is due.

    The result is ``STARTING`` (to run, subject to ``decide_overlap``) or ``MISSED``.
    """
    if due.latest is None or due.count == 0:
        return None
    earlier = due.count - 1
    count = f"{due.count}{'+' if due.capped else ''}"
    if now - due.latest <= grace:
        reason = None
        if earlier:
            reason = f"{_slots(earlier)} before it missed (no server ran then)"
        return Decision(due.latest, SlotOutcome.STARTING, reason, earlier)
    late = now - due.latest
    if CatchUpPolicy(catch_up) is CatchUpPolicy.ONCE:
        return Decision(
            due.latest,
            SlotOutcome.STARTING,
            f"catch-up: {count} slot{'s' if due.count != 1 else ''} missed while no server "
            f"ran; one run now, {_ago(late)} late",
            earlier,
        )
    return Decision(
        due.latest,
        SlotOutcome.MISSED,
        f"missed: no server ran at the time ({count} slot{'s' if due.count != 1 else ''}; "
        "catch-up policy skip)",
        earlier,
    )


def decide_overlap(
    decision: Decision,
    *,
    overlap: OverlapPolicy,
    active_runs: list[str],
    queued_already: bool,
) -> Decision:
    """``decision`` (to start) after the overlap policy, given the schedule's active runs."""
    if not decision.starts or not active_runs:
        return decision
    policy = OverlapPolicy(overlap)
    if policy is OverlapPolicy.ALLOW:
        return decision
    previous = active_runs[-1]
    if policy is OverlapPolicy.QUEUE and not queued_already:
        return Decision(
            decision.slot_at,
            SlotOutcome.QUEUED,
            _join(f"overlap: waits for run {previous} to end", decision.reason),
            decision.missed,
        )
    why = (
        f"overlap: run {previous} was still active and a slot already waits for it"
        if policy is OverlapPolicy.QUEUE
        else f"overlap: run {previous} was still active"
    )
    return Decision(
        decision.slot_at, SlotOutcome.SKIPPED, _join(why, decision.reason), decision.missed
    )


def _join(first: str, second: str | None) -> str:
    return first if not second else f"{first}; {second}"


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
