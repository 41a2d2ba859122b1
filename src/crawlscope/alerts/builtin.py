"""The rules every installation has unless switched off (docs/alerts.md, "Built-in rules").

They are ordinary rules, written in the same language as users' rules, so each can be
read, changed (a rule file's ``builtin:`` section overrides any field) or switched off.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["BUILTIN_RULES", "STALL_FACTOR", "STALL_MIN_S"]

STALL_FACTOR: Final = 5.0
"""A worker is stalled after this many times its median task time in one busy state..."""
STALL_MIN_S: Final = 30.0
"""...and never before this many seconds (short tasks make tiny medians)."""

BUILTIN_RULES: Final[tuple[dict[str, Any], ...]] = (
    {
        "name": "run_failed",
        "subject": "run",
        "condition": "run.ended and (run.status == 'failed' or run.status == 'interrupted')",
        "severity": "critical",
        "summary": "Run {{ run.id }} of {{ run.collection }} ended {{ run.status }}: "
        "{{ run.finish_reason }}",
        "description": "A run failed, or its runner went away without ending it.",
    },
    {
        "name": "run_completed_with_errors",
        "subject": "run",
        "condition": "run.ended and run.status == 'completed_with_errors'",
        "severity": "warning",
        "summary": "Run {{ run.id }} of {{ run.collection }} completed with errors: "
        "{{ run.tasks_failed }} tasks failed",
        "description": "A run reached its end, but more tasks failed than it tolerates.",
    },
    {
        "name": "run_auto_paused",
        "subject": "run",
        "condition": "run.auto_paused",
        "severity": "warning",
        "summary": "Run {{ run.id }} of {{ run.collection }} paused itself: "
        "{{ run.paused_reason }}",
        "description": "Consecutive failed tasks paused the run; it waits for a resume.",
    },
    {
        "name": "breaker_open",
        "subject": "site",
        "condition": "site.breaker != 'closed' and site.breaker_open_s >= 120",
        "severity": "warning",
        "value": "site.breaker_open_s",
        "summary": "The circuit breaker of {{ site.name }} has been open for "
        "{{ site.breaker_open_s }} s (run {{ run.id }})",
        "description": "A site keeps failing: requests to it wait instead of being sent.",
    },
    {
        "name": "worker_stalled",
        "subject": "worker",
        "condition": "worker.stalled",
        "severity": "warning",
        "value": "worker.state_s",
        "summary": "Worker {{ worker.id }} of run {{ run.id }} has been {{ worker.state }} "
        "for {{ worker.state_s }} s (its tasks usually take {{ worker.median_task_s }} s)",
        "description": "No event from a busy worker for several times its median task time.",
    },
    {
        "name": "yield_anomaly",
        "subject": "run",
        "condition": "run.status == 'running' and run.yield_drop >= 0.8 and run.successes_5m > 0",
        "for": "1m",
        "severity": "warning",
        "value": "run.items_per_min_5m",
        "summary": "{{ run.collection }} finds {{ run.items_per_min_5m }} items/min, down from "
        "{{ run.baseline_items_per_min }}, while its requests still succeed",
        "description": "Items per minute fell by 80% or more against the run's earlier pace "
        "or the collection's past runs while requests succeed: a broken selector?",
    },
    {
        "name": "error_ratio_high",
        "subject": "run",
        "condition": "run.status == 'running' and run.requests_5m >= 20 "
        "and run.error_ratio_5m > 0.5",
        "for": "1m",
        "severity": "warning",
        "value": "run.error_ratio_5m",
        "summary": "{{ run.collection }}: {{ run.error_ratio_5m }} of requests failed over "
        "5 minutes",
        "description": "More than half the requests of the last 5 minutes failed.",
    },
    {
        "name": "schedule_missed",
        "subject": "schedule",
        "condition": "schedule.enabled and schedule.interval_s > 0 "
        "and schedule.seconds_since_last_run > 2.0 * schedule.interval_s",
        "severity": "warning",
        "value": "schedule.seconds_since_last_run",
        "summary": "Schedule {{ schedule.name }} has started no run for "
        "{{ schedule.seconds_since_last_run }} s (every {{ schedule.interval_s }} s)",
        "description": "A scheduled collection has had no run for twice its interval.",
    },
    {
        "name": "disk_full",
        "subject": "system",
        "condition": "system.disk_percent > 90.0",
        "for": "1m",
        "severity": "critical",
        "value": "system.disk_percent",
        "summary": "The disk of the database is {{ system.disk_percent }}% full",
        "description": "The disk holding the database is above 90%.",
    },
)
"""Each a rule mapping as a rule file would have it (``parsing.parse_rule``)."""
