"""Schedules: recurring runs of registered collections.

``model`` (what a schedule is and the checks of user input), ``timing`` (when its slots
fall), ``decide`` (what a due slot becomes), ``scheduler`` (the loop a server runs),
``service`` (create/update/pause checked against the registered collections) and
``declared`` (making stored schedules match a project file's list). Only the first two
are imported here: they are what the store needs, and they import nothing of crawlscope
that imports the store.
"""

from crawlscope.schedules.model import (
    CatchUpPolicy,
    OverlapPolicy,
    ScheduleError,
    ScheduleSource,
    ScheduleSpec,
    SlotOutcome,
    check_spec,
)
from crawlscope.schedules.timing import Due, Timing, due_slots, next_slot

__all__ = [
    "CatchUpPolicy",
    "Due",
    "OverlapPolicy",
    "ScheduleError",
    "ScheduleSource",
    "ScheduleSpec",
    "SlotOutcome",
    "Timing",
    "check_spec",
    "due_slots",
    "next_slot",
]
