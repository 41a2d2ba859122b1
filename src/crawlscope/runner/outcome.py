"""How a run that reached its end is judged: ``completed``, ``completed_with_errors`` or
``failed``, and the sentence that says why (its finish reason).

The rules are declared per collection (``Collection(outcome=OutcomeRules(...))``) and
applied by ``decide`` to the run's own task counts, a pure function so every case is
unit-tested without a run.
"""

from __future__ import annotations

from dataclasses import dataclass

from crawlscope.runner.errors import ConfigError
from crawlscope.status import RunStatus

__all__ = ["OutcomeRules", "TaskCounts", "Verdict", "decide"]


def _share(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ConfigError(f"outcome: {name} must be a number from 0 to 1, got {value!r}")
    return float(value)


def _flag(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ConfigError(f"outcome: {name} must be True or False, got {value!r}")


@dataclass(frozen=True)
class OutcomeRules:
    """When a run that reached its end counts as ``completed``, ``completed_with_errors``
    or ``failed``. Every field is checked on construction (``ConfigError`` names it).

    Shares are failed tasks over finished tasks (done + failed, every phase; tasks put
    back on their queue by a pause are neither).

    Attributes:
        tolerated_failed_share: up to this share of failed tasks the run is still
            ``completed``; above it, ``completed_with_errors``. 0 (default): any failed
            task shows.
        fail_above_share: above this share of failed tasks the run is ``failed`` (every
            task failing, say because the target is down). 1 disables the rule.
        fail_without_items: a run whose collection has a dataset and that collected no
            item at all is ``failed``.
        fail_without_tasks: a run in which no task ran (the seed returned none) is
            ``failed``.
    """

    tolerated_failed_share: float = 0.0
    fail_above_share: float = 0.5
    fail_without_items: bool = True
    fail_without_tasks: bool = True

    def __post_init__(self) -> None:
        tolerated = _share("tolerated_failed_share", self.tolerated_failed_share)
        fail_above = _share("fail_above_share", self.fail_above_share)
        if fail_above < tolerated:
            raise ConfigError(
                f"outcome: fail_above_share ({fail_above:g}) must be at least "
                f"tolerated_failed_share ({tolerated:g})"
            )
        _flag("fail_without_items", self.fail_without_items)
        _flag("fail_without_tasks", self.fail_without_tasks)


@dataclass(frozen=True)
class TaskCounts:
    """What a run did, as far as its outcome is concerned."""

    done: int
    failed: int
    items: int
    dataset: str | None = None
    """The collection's dataset (None: it keeps no items, so none are expected)."""


@dataclass(frozen=True)
class Verdict:
    """A finished run's status and the sentence that says why."""

    status: RunStatus
    reason: str


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.3g}%"


def _limit(share: float) -> str:
    return f"{100 * share:.3g}%"


def decide(rules: OutcomeRules, counts: TaskCounts) -> Verdict:
    """The status of a run that ran to its end (not cancelled, no exception) and why."""
    done, failed = counts.done, counts.failed
    total = done + failed
    if total == 0:
        reason = "no task ran: the seed returned none"
        if rules.fail_without_tasks:
            return Verdict(RunStatus.FAILED, reason)
        return Verdict(RunStatus.COMPLETED, reason)
    share = failed / total
    failed_text = f"{failed} of {total} tasks failed ({_percent(failed, total)})"
    if share > rules.fail_above_share:
        return Verdict(
            RunStatus.FAILED,
            f"{failed_text}, more than the {_limit(rules.fail_above_share)} that fails a run",
        )
    if counts.dataset is not None and counts.items == 0 and rules.fail_without_items:
        return Verdict(
            RunStatus.FAILED,
            f"no items collected for dataset {counts.dataset!r} ({done} tasks done)",
        )
    if share > rules.tolerated_failed_share:
        tolerated = rules.tolerated_failed_share
        limit = f", more than the {_limit(tolerated)} tolerated" if tolerated else ""
        return Verdict(RunStatus.COMPLETED_WITH_ERRORS, failed_text + limit)
    if failed:
        return Verdict(
            RunStatus.COMPLETED,
            f"{failed_text}, within the {_limit(rules.tolerated_failed_share)} tolerated",
        )
    return Verdict(RunStatus.COMPLETED, f"all {total} tasks done")
