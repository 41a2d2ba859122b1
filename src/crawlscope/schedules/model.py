"""What a schedule is: its timing (an interval or a cron expression in a time zone), the
collection and parameters it starts, and its policies; plus the checks that turn user
input into one, each failure naming its field (``ScheduleError.field``).

Nothing here touches the store or the clock: the same checks serve the API, the command
line and declared schedules (a project file).
"""

from __future__ import annotations

import enum
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from cronsim import CronSim, CronSimError

__all__ = [
    "DEFAULT_MIN_INTERVAL_S",
    "MAX_INTERVAL_S",
    "CatchUpPolicy",
    "OverlapPolicy",
    "ScheduleError",
    "ScheduleSource",
    "ScheduleSpec",
    "SlotOutcome",
    "check_cron",
    "check_name",
    "check_spec",
    "check_timezone",
    "zone",
]

DEFAULT_MIN_INTERVAL_S = 10.0
"""The shortest interval accepted unless the server is configured lower (tests are)."""
MAX_INTERVAL_S = 366 * 24 * 3600.0
"""A year and a day: longer intervals are better said with cron."""
MAX_NAME = 100
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._:-]*$")


class OverlapPolicy(enum.StrEnum):
    """What a slot does while the previous run of the same schedule is still active."""

    SKIP = "skip"
    """Record the slot as skipped; no run."""
    QUEUE = "queue"
    """Start it when the previous run ends (at most one slot waits; later ones are skipped)."""
    ALLOW = "allow"
    """Start it anyway: runs of the schedule overlap."""


class CatchUpPolicy(enum.StrEnum):
    """What happens to slots missed while no server ran (downtime, a clock jump)."""

    SKIP = "skip"
    """Record them as missed; the next slot runs on time."""
    ONCE = "once"
    """Start one run now for all of them."""


class ScheduleSource(enum.StrEnum):
    """Where a schedule was defined: through the API/CLI/dashboard, or a project file."""

    API = "api"
    FILE = "file"


class SlotOutcome(enum.StrEnum):
    """What became of a claimed slot (the ``schedule_slots`` row)."""

    STARTING = "starting"
    """Claimed; the run is being started (a server that died here leaves it so)."""
    STARTED = "started"
    QUEUED = "queued"
    """Waits for the previous run to end (overlap policy ``queue``)."""
    SKIPPED = "skipped"
    """Not started: the previous run was still active (overlap policy ``skip``)."""
    MISSED = "missed"
    """Not started: no server ran at the time (catch-up policy ``skip``)."""
    FAILED = "failed"
    """The run could not be started (collection not registered, parameters refused)."""


class ScheduleError(ValueError):
    """Bad schedule input; ``field`` names it as the API does (``cron``, ``timezone``...)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class ScheduleSpec(msgspec.Struct, kw_only=True, frozen=True):
    """A schedule as given (API body, CLI options, a project file), before it is stored."""

    name: str
    collection: str
    params: dict[str, Any] = {}
    interval_s: float | None = None
    cron: str | None = None
    timezone: str = "UTC"
    enabled: bool = True
    overlap: OverlapPolicy = OverlapPolicy.SKIP
    catch_up: CatchUpPolicy = CatchUpPolicy.SKIP


def check_name(name: str) -> str:
    """A schedule name: 1-100 characters, letters, digits, space and ``._:-``."""
    text = name.strip()
    if not text:
        raise ScheduleError("name must not be empty", "name")
    if len(text) > MAX_NAME:
        raise ScheduleError(f"name is {len(text)} characters; at most {MAX_NAME}", "name")
    if not _NAME.match(text):
        raise ScheduleError(
            f"name {text!r} may only hold letters, digits, spaces and . _ : - "
            "(starting with a letter or digit)",
            "name",
        )
    return text


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; ``ScheduleError`` (field ``timezone``) if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        shown = name if len(name) <= 64 else name[:64] + "…"
        raise ScheduleError(
            f"unknown time zone {shown!r} (an IANA name such as Europe/Berlin or UTC)",
            "timezone",
        ) from exc


def check_timezone(name: str) -> str:
    """``name`` if it is a known IANA time zone."""
    zone(name)
    return name


def check_cron(expression: str) -> str:
    """A cron expression (five fields, Debian cron's syntax), normalised to single spaces."""
    text = " ".join(expression.split())
    if len(text) > 200:
        raise ScheduleError("cron expression is longer than 200 characters", "cron")
    if len(text.split(" ")) != 5:
        raise ScheduleError(
            f"cron expression {text!r} must have five fields: minute hour day month weekday",
            "cron",
        )
    try:
        # cronsim checks the expression when it is built; the start moment is irrelevant.
        CronSim(text, datetime(2000, 1, 1))
    except CronSimError as exc:
        raise ScheduleError(f"bad cron expression {text!r}: {exc}", "cron") from exc
    return text


def check_interval(interval_s: float, min_interval_s: float) -> float:
    """An interval in seconds within ``[min_interval_s, MAX_INTERVAL_S]``."""
    if not interval_s >= min_interval_s:  # also refuses NaN
        raise ScheduleError(
            f"interval_s must be at least {min_interval_s:g} seconds (got {interval_s:g})",
            "interval_s",
        )
    if interval_s > MAX_INTERVAL_S:
        raise ScheduleError(
            f"interval_s must be at most {MAX_INTERVAL_S:g} seconds (a year); use cron",
            "interval_s",
        )
    return float(interval_s)


def check_spec(
    spec: ScheduleSpec, *, min_interval_s: float = DEFAULT_MIN_INTERVAL_S
) -> ScheduleSpec:
    """``spec`` with its name, timing and time zone checked and normalised.

    Exactly one of ``interval_s`` and ``cron``. The collection and its parameters are
    checked by whoever knows the registered collections (``ScheduleService``).
    """
    name = check_name(spec.name)
    if not spec.collection.strip():
        raise ScheduleError("collection must not be empty", "collection")
    if (spec.interval_s is None) == (spec.cron is None):
        field = "cron" if spec.interval_s is None else "interval_s"
        raise ScheduleError("give exactly one of interval_s and cron", field)
    interval = None if spec.interval_s is None else check_interval(spec.interval_s, min_interval_s)
    cron = None if spec.cron is None else check_cron(spec.cron)
    return msgspec.structs.replace(
        spec,
        name=name,
        collection=spec.collection.strip(),
        interval_s=interval,
        cron=cron,
        timezone=check_timezone(spec.timezone),
        overlap=OverlapPolicy(spec.overlap),
        catch_up=CatchUpPolicy(spec.catch_up),
    )
