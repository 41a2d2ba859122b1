"""Whether a stored run can be resumed or retried, and if not, why (in words for the user)."""

from __future__ import annotations

from crawlscope.status import RunStatus
from crawlscope.store.run_store import RunRecord

__all__ = ["ResumeRefused", "check_resumable", "check_retryable"]


class ResumeRefused(ValueError):
    """A run cannot be resumed or retried; the message says why."""


def check_resumable(record: RunRecord | None, run_id: str, collection: str) -> RunRecord:
    """``record`` if the run can be resumed by ``collection``; else ``ResumeRefused``.

    Only an interrupted run of that collection whose events are all still stored can
    continue: its totals and numbering continue the stored ones. (Whether it saved a
    frontier is the caller's to check.)
    """
    if record is None:
        raise ResumeRefused(f"no run with id {run_id!r}")
    if record.status is not RunStatus.INTERRUPTED:
        raise ResumeRefused(
            f"run {run_id} is {record.status}: only an interrupted run can be resumed"
        )
    if record.collection != collection:
        raise ResumeRefused(
            f"run {run_id} is of collection {record.collection!r}, not {collection!r}"
        )
    if record.events_pruned_at is not None:
        # Its totals and numbering would restart from no events.
        raise ResumeRefused(f"run {run_id}'s events were pruned (retention): it cannot be resumed")
    return record


def check_retryable(record: RunRecord | None, run_id: str) -> RunRecord:
    """``record`` if the run has ended (its failed tasks can run again); else
    ``ResumeRefused``."""
    if record is None:
        raise ResumeRefused(f"no run with id {run_id!r}")
    if record.status.active:
        raise ResumeRefused(f"run {run_id} is {record.status}: wait until it has ended")
    return record
