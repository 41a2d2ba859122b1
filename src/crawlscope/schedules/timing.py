"""When a schedule's slots fall: the next slot after a moment, and the slots due by now.

A *slot* is a moment a schedule fires, in UTC, to the millisecond (what the store keeps),
computed the same way by every server from stored values only, so two servers agree on
each slot and the database can give it to exactly one of them.

* Interval schedules fire at ``anchor + k * interval`` for ``k >= 1``; ``anchor`` is when
  the schedule was created, its timing changed, or it was resumed.
* Cron schedules fire when their expression matches the wall clock of their time zone,
  computed by cronsim, which follows Debian cron across daylight-saving changes: a time
  skipped in spring fires at the first minute after the gap, and a time repeated in
  autumn fires in both, once per UTC moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cronsim import CronSim

from crawlscope.schedules.model import zone

__all__ = ["Due", "Timing", "due_slots", "next_slot"]

MAX_COUNTED = 10_000
"""Due cron slots are counted up to this many (a long downtime with a per-minute cron)."""


@dataclass(frozen=True)
class Timing:
    """A schedule's timing: an interval or a cron expression, its zone and its anchor."""

    anchor: datetime
    interval_s: float | None = None
    cron: str | None = None
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if (self.interval_s is None) == (self.cron is None):
            raise ValueError("a timing has exactly one of interval_s and cron")
        if self.anchor.tzinfo is None:
            raise ValueError("the anchor must be an aware datetime")


def _ms(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def next_slot(timing: Timing, after: datetime) -> datetime | None:
    """The first slot strictly after ``after`` (aware), in UTC; None if there is none."""
    if timing.interval_s is not None:
        anchor = _ms(timing.anchor)
        step = max(1, round(timing.interval_s * 1000))  # whole milliseconds
        elapsed = (after - anchor) // timedelta(milliseconds=1)
        k = max(1, elapsed // step + 1)
        return anchor + timedelta(milliseconds=k * step)
    assert timing.cron is not None
    local = after.astimezone(zone(timing.timezone))
    try:
        found = next(CronSim(timing.cron, local))
    except StopIteration:  # an expression that never matches again
        return None
    return _ms(found)


@dataclass(frozen=True)
class Due:
    """The slots in ``(since, now]``: how many and the newest (None when none are due)."""

    count: int
    latest: datetime | None
    capped: bool = False
    """``count`` stopped at ``MAX_COUNTED``: at least that many."""


def due_slots(timing: Timing, since: datetime, now: datetime) -> Due:
    """The slots after ``since`` and at or before ``now``."""
    if now <= since:
        return Due(0, None)
    if timing.interval_s is not None:
        first = next_slot(timing, since)
        assert first is not None
        if first > now:
            return Due(0, None)
        step = timedelta(milliseconds=max(1, round(timing.interval_s * 1000)))
        extra = (now - first) // step
        return Due(extra + 1, first + extra * step)
    count = 0
    latest: datetime | None = None
    moment = next_slot(timing, since)
    while moment is not None and moment <= now:
        count += 1
        latest = moment
        if count >= MAX_COUNTED:
            # Count no further; the newest due slot is found by stepping back from now.
            return Due(count, _latest_cron_slot(timing, moment, now), capped=True)
        moment = next_slot(timing, moment)
    return Due(count, latest)


def _latest_cron_slot(timing: Timing, known: datetime, now: datetime) -> datetime:
    """The newest cron slot at or before ``now``, given one (``known``) that is."""
    window = timedelta(hours=1)
    while True:
        start = max(known, now - window)
        latest = start if start == known else None
        moment = next_slot(timing, start)
        while moment is not None and moment <= now:
            latest = moment
            moment = next_slot(timing, moment)
        if latest is not None:
            return latest
        window *= 2
