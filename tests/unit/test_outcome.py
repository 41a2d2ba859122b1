"""How a finished run is judged (runner/outcome.py): every rule of ``decide``, and the
checks ``OutcomeRules`` makes of its settings."""

from __future__ import annotations

import pytest

from crawlscope.runner import ConfigError, OutcomeRules
from crawlscope.runner.outcome import TaskCounts, Verdict, decide
from crawlscope.status import RunStatus

DEFAULT = OutcomeRules()


def _counts(done: int, failed: int, items: int = 0, dataset: str | None = None) -> TaskCounts:
    return TaskCounts(done=done, failed=failed, items=items, dataset=dataset)


@pytest.mark.parametrize(
    ("rules", "counts", "expected"),
    [
        # everything went well
        (DEFAULT, _counts(40, 0), Verdict(RunStatus.COMPLETED, "all 40 tasks done")),
        (
            DEFAULT,
            _counts(3, 0, items=12, dataset="sellers"),
            Verdict(RunStatus.COMPLETED, "all 3 tasks done"),
        ),
        # some tasks failed: shown by default
        (
            DEFAULT,
            _counts(37, 3),
            Verdict(RunStatus.COMPLETED_WITH_ERRORS, "3 of 40 tasks failed (7.5%)"),
        ),
        # ... unless within the tolerance
        (
            OutcomeRules(tolerated_failed_share=0.1),
            _counts(37, 3),
            Verdict(RunStatus.COMPLETED, "3 of 40 tasks failed (7.5%), within the 10% tolerated"),
        ),
        (
            OutcomeRules(tolerated_failed_share=0.05),
            _counts(37, 3),
            Verdict(
                RunStatus.COMPLETED_WITH_ERRORS,
                "3 of 40 tasks failed (7.5%), more than the 5% tolerated",
            ),
        ),
        # exactly half: not more than the 50% that fails a run
        (
            DEFAULT,
            _counts(1, 1),
            Verdict(RunStatus.COMPLETED_WITH_ERRORS, "1 of 2 tasks failed (50%)"),
        ),
        # most or all tasks failed (the target is down)
        (
            DEFAULT,
            _counts(1, 2),
            Verdict(
                RunStatus.FAILED, "2 of 3 tasks failed (66.7%), more than the 50% that fails a run"
            ),
        ),
        (
            DEFAULT,
            _counts(0, 12, dataset="sellers"),
            Verdict(
                RunStatus.FAILED, "12 of 12 tasks failed (100%), more than the 50% that fails a run"
            ),
        ),
        # ... which 1 disables
        (
            OutcomeRules(fail_above_share=1),
            _counts(0, 12),
            Verdict(RunStatus.COMPLETED_WITH_ERRORS, "12 of 12 tasks failed (100%)"),
        ),
        # no items although the collection keeps a dataset
        (
            DEFAULT,
            _counts(5, 0, items=0, dataset="sellers"),
            Verdict(RunStatus.FAILED, "no items collected for dataset 'sellers' (5 tasks done)"),
        ),
        (
            OutcomeRules(fail_without_items=False),
            _counts(5, 0, items=0, dataset="sellers"),
            Verdict(RunStatus.COMPLETED, "all 5 tasks done"),
        ),
        # no dataset: no items expected
        (DEFAULT, _counts(5, 0, items=0), Verdict(RunStatus.COMPLETED, "all 5 tasks done")),
        # no task at all
        (DEFAULT, _counts(0, 0), Verdict(RunStatus.FAILED, "no task ran: the seed returned none")),
        (
            OutcomeRules(fail_without_tasks=False),
            _counts(0, 0, dataset="sellers"),
            Verdict(RunStatus.COMPLETED, "no task ran: the seed returned none"),
        ),
    ],
)
def test_decide(rules: OutcomeRules, counts: TaskCounts, expected: Verdict) -> None:
    assert decide(rules, counts) == expected


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"tolerated_failed_share": -0.1}, "tolerated_failed_share must be a number from 0 to 1"),
        ({"tolerated_failed_share": 1.5}, "tolerated_failed_share"),
        ({"tolerated_failed_share": "0.1"}, "tolerated_failed_share"),
        ({"tolerated_failed_share": True}, "tolerated_failed_share"),
        ({"fail_above_share": 2}, "fail_above_share must be a number from 0 to 1"),
        (
            {"tolerated_failed_share": 0.6, "fail_above_share": 0.5},
            "fail_above_share (0.5) must be at least tolerated_failed_share (0.6)",
        ),
        ({"fail_without_items": 0}, "fail_without_items must be True or False"),
        ({"fail_without_tasks": "yes"}, "fail_without_tasks must be True or False"),
    ],
)
def test_bad_rules_name_the_setting(settings: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError) as info:
        OutcomeRules(**settings)  # type: ignore[arg-type]
    assert named in str(info.value)
    assert str(info.value).startswith("outcome: ")
