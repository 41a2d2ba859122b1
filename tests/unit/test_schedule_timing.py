"""When slots fall (``schedules.timing``) and what a due slot becomes (``schedules.decide``),
with fixed moments: intervals, cron in Europe/Berlin across both DST changes, catch-up and
overlap decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crawlscope.schedules import CatchUpPolicy, OverlapPolicy, SlotOutcome, Timing
from crawlscope.schedules.decide import decide_overlap, decide_slot
from crawlscope.schedules.model import ScheduleError, ScheduleSpec, check_spec
from crawlscope.schedules.timing import MAX_COUNTED, Due, due_slots, next_slot

BERLIN = ZoneInfo("Europe/Berlin")
ANCHOR = datetime(2026, 12, 4, 9, 0, 0, 250000, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# -- intervals ----------------------------------------------------------------------------


def test_interval_slots_count_from_the_anchor() -> None:
    timing = Timing(anchor=ANCHOR, interval_s=90)
    assert next_slot(timing, ANCHOR) == ANCHOR + timedelta(seconds=90)
    assert next_slot(timing, ANCHOR - timedelta(days=1)) == ANCHOR + timedelta(seconds=90)
    assert next_slot(timing, ANCHOR + timedelta(seconds=89.999)) == ANCHOR + timedelta(seconds=90)
    # strictly after: a slot is never its own successor
    assert next_slot(timing, ANCHOR + timedelta(seconds=90)) == ANCHOR + timedelta(seconds=180)
    assert next_slot(timing, ANCHOR + timedelta(hours=1, seconds=1)) == ANCHOR + timedelta(
        seconds=41 * 90
    )


def test_interval_slots_are_whole_milliseconds_and_agree_everywhere() -> None:
    timing = Timing(anchor=ANCHOR, interval_s=0.3333)
    moment = next_slot(timing, ANCHOR + timedelta(seconds=10))
    assert moment is not None
    assert moment.microsecond % 1000 == 0
    assert moment == ANCHOR + timedelta(milliseconds=31 * 333)


def test_due_interval_slots() -> None:
    timing = Timing(anchor=ANCHOR, interval_s=10)
    assert due_slots(timing, ANCHOR, ANCHOR + timedelta(seconds=9)) == Due(0, None)
    assert due_slots(timing, ANCHOR, ANCHOR + timedelta(seconds=10)) == Due(
        1, ANCHOR + timedelta(seconds=10)
    )
    # a day of downtime: counted, not listed
    day = due_slots(timing, ANCHOR + timedelta(seconds=10), ANCHOR + timedelta(days=1, seconds=5))
    assert day == Due(8639, ANCHOR + timedelta(days=1))  # 20 s .. 86,400 s
    # a clock that went back: nothing is due
    assert due_slots(timing, ANCHOR + timedelta(hours=1), ANCHOR) == Due(0, None)


# -- cron ----------------------------------------------------------------------------------


def berlin(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold)  # type: ignore[misc]


def test_cron_in_a_zone_is_in_that_zones_wall_time() -> None:
    timing = Timing(anchor=ANCHOR, cron="30 9 * * 1-5", timezone="Europe/Berlin")
    # Friday 2026-12-04 10:00 Berlin: next is Monday 09:30 CET = 08:30 UTC
    assert next_slot(timing, utc(2026, 12, 4, 9, 0)) == utc(2026, 12, 7, 8, 30)
    summer = next_slot(timing, utc(2026, 7, 1, 0, 0))
    assert summer == utc(2026, 7, 1, 7, 30)  # CEST: UTC+2


def test_cron_across_the_spring_gap_fires_once_after_it() -> None:
    # 2026-03-29: 02:00-03:00 does not exist in Berlin. Debian cron runs a 02:30 job at
    # 03:00 (the first moment after the gap), once.
    timing = Timing(anchor=ANCHOR, cron="30 2 * * *", timezone="Europe/Berlin")
    slots = []
    moment = berlin(2026, 3, 27, 12, 0).astimezone(UTC)
    for _ in range(4):
        found = next_slot(timing, moment)
        assert found is not None
        slots.append(found.astimezone(BERLIN).isoformat())
        moment = found
    assert slots == [
        "2026-03-28T02:30:00+01:00",
        "2026-03-29T03:00:00+02:00",
        "2026-03-30T02:30:00+02:00",
        "2026-03-31T02:30:00+02:00",
    ]
    # one day's difference in UTC is 23 hours across the change
    assert utc(2026, 3, 29, 1, 0) - utc(2026, 3, 28, 1, 30) == timedelta(hours=23, minutes=30)


def test_cron_across_the_autumn_repeat_fires_in_both_hours() -> None:
    # 2026-10-25: 02:00-03:00 happens twice in Berlin (CEST, then CET). An hourly job
    # fires at each distinct UTC moment, the repeated wall time included.
    timing = Timing(anchor=ANCHOR, cron="0 * * * *", timezone="Europe/Berlin")
    moment = berlin(2026, 10, 25, 0, 30).astimezone(UTC)
    seen = []
    for _ in range(4):
        found = next_slot(timing, moment)
        assert found is not None
        seen.append(found)
        moment = found
    assert seen == [
        utc(2026, 10, 24, 23, 0),  # 01:00 CEST
        utc(2026, 10, 25, 0, 0),  # 02:00 CEST
        utc(2026, 10, 25, 1, 0),  # 02:00 CET (the same wall time again)
        utc(2026, 10, 25, 2, 0),  # 03:00 CET
    ]
    due = due_slots(timing, utc(2026, 10, 24, 22, 30), utc(2026, 10, 25, 2, 0))
    assert due == Due(4, utc(2026, 10, 25, 2, 0))


def test_a_long_downtime_with_a_per_minute_cron_is_capped() -> None:
    timing = Timing(anchor=ANCHOR, cron="* * * * *")
    due = due_slots(timing, utc(2026, 1, 1, 0, 0), utc(2026, 3, 1, 0, 0, 30))
    assert due.capped
    assert due.count == MAX_COUNTED
    assert due.latest == utc(2026, 3, 1, 0, 0)


# -- checks ---------------------------------------------------------------------------------


def spec(**changes: object) -> ScheduleSpec:
    values: dict[str, object] = {"name": "s", "collection": "demo", "interval_s": 60.0}
    values.update(changes)
    return ScheduleSpec(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"cron": "61 * * * *", "interval_s": None}, "cron", "bad cron expression"),
        ({"cron": "* * * *", "interval_s": None}, "cron", "five fields"),
        ({"cron": "0 0 30 2 *", "interval_s": None}, "cron", "bad cron expression"),
        ({"cron": "* * * * *"}, "interval_s", "exactly one"),
        ({"interval_s": None}, "cron", "exactly one"),
        ({"interval_s": 5.0}, "interval_s", "at least 10"),
        ({"interval_s": float("nan")}, "interval_s", "at least 10"),
        ({"interval_s": 1e12}, "interval_s", "at most"),
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
        ({"timezone": "../../etc/passwd"}, "timezone", "unknown time zone"),
        ({"name": ""}, "name", "empty"),
        ({"name": "a" * 101}, "name", "at most 100"),
        ({"name": "<b>x</b>"}, "name", "may only hold"),
        ({"collection": " "}, "collection", "empty"),
    ],
)
def test_bad_input_names_its_field(changes: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(ScheduleError, match=words) as caught:
        check_spec(spec(**changes))
    assert caught.value.field == field


def test_checks_normalise() -> None:
    checked = check_spec(
        spec(name=" nightly ", cron="  0   3 * * * ", interval_s=None, timezone="Europe/Berlin")
    )
    assert (checked.name, checked.cron, checked.timezone) == (
        "nightly",
        "0 3 * * *",
        "Europe/Berlin",
    )
    assert check_spec(spec(interval_s=2.0), min_interval_s=1.0).interval_s == 2.0


# -- decisions ------------------------------------------------------------------------------

GRACE = timedelta(seconds=60)
SLOT = utc(2026, 12, 4, 12, 0)


def test_nothing_due_decides_nothing() -> None:
    assert decide_slot(Due(0, None), SLOT, catch_up=CatchUpPolicy.ONCE, grace=GRACE) is None


def test_an_on_time_slot_starts_and_counts_earlier_missed_ones() -> None:
    on_time = decide_slot(
        Due(1, SLOT), SLOT + timedelta(seconds=2), catch_up=CatchUpPolicy.SKIP, grace=GRACE
    )
    assert on_time is not None
    assert (on_time.slot_at, on_time.outcome, on_time.missed, on_time.reason) == (
        SLOT,
        SlotOutcome.STARTING,
        0,
        None,
    )
    # a short downtime: the newest slot is within the grace, the three before it were missed
    after_restart = decide_slot(
        Due(4, SLOT), SLOT + timedelta(seconds=59), catch_up=CatchUpPolicy.SKIP, grace=GRACE
    )
    assert after_restart is not None
    assert after_restart.outcome is SlotOutcome.STARTING
    assert after_restart.missed == 3
    assert after_restart.reason == "3 slots before it missed (no server ran then)"


def test_missed_slots_follow_the_catch_up_policy() -> None:
    now = SLOT + timedelta(hours=2)
    skip = decide_slot(Due(3, SLOT), now, catch_up=CatchUpPolicy.SKIP, grace=GRACE)
    assert skip is not None
    assert (skip.slot_at, skip.outcome, skip.missed) == (SLOT, SlotOutcome.MISSED, 2)
    assert skip.reason == "missed: no server ran at the time (3 slots; catch-up policy skip)"
    once = decide_slot(Due(3, SLOT), now, catch_up=CatchUpPolicy.ONCE, grace=GRACE)
    assert once is not None
    assert (once.slot_at, once.outcome, once.missed) == (SLOT, SlotOutcome.STARTING, 2)
    assert once.reason == ("catch-up: 3 slots missed while no server ran; one run now, 2 h late")
    capped = decide_slot(Due(10_000, SLOT, capped=True), now, catch_up="skip", grace=GRACE)  # type: ignore[arg-type]
    assert capped is not None
    assert "10000+ slots" in (capped.reason or "")


@pytest.mark.parametrize(
    ("policy", "queued", "outcome", "reason"),
    [
        ("skip", False, SlotOutcome.SKIPPED, "overlap: run r1 was still active"),
        ("queue", False, SlotOutcome.QUEUED, "overlap: waits for run r1 to end"),
        (
            "queue",
            True,
            SlotOutcome.SKIPPED,
            "overlap: run r1 was still active and a slot already waits for it",
        ),
        ("allow", False, SlotOutcome.STARTING, None),
    ],
)
def test_overlap_policies(
    policy: str, queued: bool, outcome: SlotOutcome, reason: str | None
) -> None:
    start = decide_slot(Due(1, SLOT), SLOT, catch_up=CatchUpPolicy.SKIP, grace=GRACE)
    assert start is not None
    decided = decide_overlap(
        start, overlap=OverlapPolicy(policy), active_runs=["r1"], queued_already=queued
    )
    assert (decided.outcome, decided.reason, decided.slot_at) == (outcome, reason, SLOT)
    # nothing active: every policy starts
    free = decide_overlap(
        start, overlap=OverlapPolicy(policy), active_runs=[], queued_already=queued
    )
    assert free.outcome is SlotOutcome.STARTING


def test_a_missed_slot_is_not_subject_to_overlap() -> None:
    missed = decide_slot(
        Due(1, SLOT), SLOT + timedelta(hours=1), catch_up=CatchUpPolicy.SKIP, grace=GRACE
    )
    assert missed is not None
    assert (
        decide_overlap(missed, overlap=OverlapPolicy.QUEUE, active_runs=["r"], queued_already=False)
        is missed
    )
