"""The variables alert conditions are written over: their names, types and meanings.

This table is the contract of docs/alerts.md: rule conditions are checked against it
when they are loaded (an unknown variable is an error naming it), the API lists it for
the rule editor, and the evaluator fills exactly these names. Rates and counts suffixed
``_1m``, ``_5m`` and ``_15m`` are over the last 1, 5 and 15 minutes (or the run's whole
life while it is younger).
"""

from __future__ import annotations

from typing import Final, NamedTuple

from crawlscope.alerts.model import SubjectKind

__all__ = ["ROOTS_BY_SUBJECT", "VARIABLES", "WINDOWS", "Variable"]


class Variable(NamedTuple):
    """One documented variable: ``root.name``, its CEL type and what it means."""

    type: str
    doc: str


WINDOWS: Final = (("1m", 60.0), ("5m", 300.0), ("15m", 900.0))
"""The windows of windowed rates: suffix and seconds."""


def _windowed(name: str, type_: str, doc: str) -> dict[str, Variable]:
    return {
        f"{name}_{suffix}": Variable(type_, f"{doc} over the last {suffix[:-1]} minute(s)")
        for suffix, _ in WINDOWS
    }


_RUN: dict[str, Variable] = {
    "id": Variable("string", "the run's id"),
    "collection": Variable("string", "the collection it runs"),
    "schedule": Variable("string", "the schedule that started it ('' if none)"),
    "status": Variable(
        "string",
        "pending, running, paused, completed, completed_with_errors, failed, cancelled, "
        "interrupted",
    ),
    "ended": Variable("bool", "the run reached a terminal status"),
    "finish_reason": Variable("string", "why it ended as it did ('' while it runs)"),
    "paused_reason": Variable("string", "why it is paused ('' if not paused)"),
    "auto_paused": Variable("bool", "it paused itself (consecutive failed tasks)"),
    "phase": Variable("string", "the phase running now"),
    "duration_s": Variable("double", "seconds since it started"),
    "requests": Variable("int", "requests sent"),
    "successes": Variable("int", "requests answered as expected"),
    "failures": Variable("int", "requests that failed (any error type)"),
    "errors": Variable("int", "errors of every stage"),
    "retries": Variable("int", "retried attempts"),
    "items": Variable("int", "items found"),
    "new_items": Variable("int", "items new to the dataset"),
    "tasks_done": Variable("int", "tasks finished"),
    "tasks_failed": Variable("int", "tasks that failed for good"),
    "error_ratio": Variable("double", "failures / requests over the whole run (0 if none)"),
    **_windowed("requests", "int", "requests sent"),
    **_windowed("successes", "int", "successful requests"),
    **_windowed("failures", "int", "failed requests"),
    **_windowed("error_ratio", "double", "failures / requests (0 without requests)"),
    **_windowed("requests_per_s", "double", "requests per second"),
    **_windowed("items_per_min", "double", "items found per minute"),
    **_windowed("p95_ms", "double", "95th percentile of request durations (0 if none)"),
    "seconds_since_item": Variable(
        "double", "seconds since the last item was found (since the start if none)"
    ),
    "seconds_since_event": Variable("double", "seconds since the run's last event"),
    "yield_drop": Variable(
        "double",
        "how far items per minute over the last 5 minutes fell below the run's earlier "
        "pace or the collection's past runs (0..1; 0 when there is no baseline yet)",
    ),
    "baseline_items_per_min": Variable(
        "double", "the pace yield_drop compares against (0 when there is none)"
    ),
    "workers": Variable("int", "workers of the run"),
    "workers_busy": Variable("int", "workers with a task in hand"),
    "workers_waiting": Variable("int", "workers whose request waits at a site gate"),
    "workers_stalled": Variable("int", "workers stalled (see worker.stalled)"),
    "breakers_open": Variable("int", "sites whose circuit breaker is open"),
    "progress_percent": Variable("double", "progress of the deepest level (0..100)"),
    "eta_s": Variable("double", "estimated seconds to the end (-1 if unknown)"),
    "items_checked": Variable("int", "items validated against the collection's schema"),
    "validation_errors": Variable("int", "items that failed validation"),
    "validation_error_ratio": Variable("double", "validation_errors / items_checked"),
    "coverage": Variable(
        "map(string, double)",
        "per declared field, the share of checked items that have it (0..1)",
    ),
}

_SITE: dict[str, Variable] = {
    "name": Variable("string", "host[:port]"),
    "breaker": Variable("string", "closed, open or half_open"),
    "breaker_open_s": Variable("double", "seconds the breaker has been open (0 if closed)"),
    "requests": Variable("int", "requests to the site in this run"),
    "failures": Variable("int", "failed requests to the site in this run"),
    "error_ratio": Variable("double", "failures / requests for the site in this run"),
    "p95_ms": Variable("double", "95th percentile of recent request durations"),
}

_WORKER: dict[str, Variable] = {
    "id": Variable("int", "the worker's number in its run"),
    "state": Variable(
        "string",
        "idle, waiting, requesting, processing, rate_limited, backing_off, error, paused, complete",
    ),
    "state_s": Variable("double", "seconds in its current state"),
    "median_task_s": Variable("double", "median seconds of its recent tasks (0 if none)"),
    "stalled": Variable(
        "bool",
        "busy in one state for longer than the stall factor times its median task time "
        "(and at least the minimum stall time)",
    ),
    "tasks_done": Variable("int", "tasks it finished"),
    "site": Variable("string", "the site of its current request ('' if none)"),
}

_SCHEDULE: dict[str, Variable] = {
    "name": Variable("string", "the schedule's name"),
    "collection": Variable("string", "the collection it starts"),
    "enabled": Variable("bool", "whether it starts runs"),
    "interval_s": Variable("double", "seconds between its slots (cron: between the last two)"),
    "seconds_since_last_run": Variable(
        "double", "seconds since its last run started (since it was created if never)"
    ),
    "last_status": Variable("string", "status of its last run ('' if none)"),
}

_SYSTEM: dict[str, Variable] = {
    "cpu_percent": Variable("double", "CPU use of the server's host (0..100)"),
    "memory_percent": Variable("double", "memory use of the host (0..100)"),
    "disk_percent": Variable("double", "use of the disk holding the database (0..100)"),
    "active_runs": Variable("int", "runs active on this server"),
}

VARIABLES: Final[dict[str, dict[str, Variable]]] = {
    "run": _RUN,
    "site": _SITE,
    "worker": _WORKER,
    "schedule": _SCHEDULE,
    "system": _SYSTEM,
}
"""Root name -> variable name -> type and meaning."""

ROOTS_BY_SUBJECT: Final[dict[SubjectKind, frozenset[str]]] = {
    SubjectKind.RUN: frozenset({"run", "system"}),
    SubjectKind.SITE: frozenset({"run", "site", "system"}),
    SubjectKind.WORKER: frozenset({"run", "worker", "system"}),
    SubjectKind.SCHEDULE: frozenset({"schedule", "system"}),
    SubjectKind.SYSTEM: frozenset({"system"}),
}
"""The roots a condition may use, by the kind of subject its rule is evaluated on."""
