"""Run control (runner/control.py): pause/resume/cancel and the consecutive-failure rule."""

from __future__ import annotations

import asyncio

import pytest

from crawlscope.runner.control import RunControl
from crawlscope.runner.task import Task


def _control(limit: int = 3) -> tuple[RunControl, list[tuple[str | None, bool, int]], list[str]]:
    control = RunControl(limit)
    pauses: list[tuple[str | None, bool, int]] = []
    other: list[str] = []
    control.on_pause = lambda reason, auto, requeued: pauses.append((reason, auto, requeued))
    control.on_resume = lambda: other.append("resumed")
    control.on_cancel = lambda: other.append("cancelled")
    return control, pauses, other


def test_pause_resume_cancel_report_whether_they_did_something() -> None:
    control, pauses, other = _control()
    assert control.resume() is False
    assert control.pause("operator") is True
    assert control.pause("again") is False
    assert pauses == [("operator", False, 0)]
    assert control.pause_reason == "operator"
    assert control.resume() is True
    assert control.pause_reason is None
    assert control.cancel() is True
    assert control.cancel() is False
    assert control.pause("late") is False
    assert control.resume() is False
    assert other == ["resumed", "cancelled"]


async def test_wait_running_blocks_while_paused_until_resume() -> None:
    control, _, _ = _control()
    await asyncio.wait_for(control.wait_running(), 1)
    control.pause()
    waiter = asyncio.create_task(control.wait_running())
    await asyncio.sleep(0.02)
    assert not waiter.done()
    control.resume()
    await asyncio.wait_for(waiter, 1)


async def test_cancel_does_not_release_paused_workers() -> None:
    # The run cancels its worker tasks; releasing the gate first would let them start work.
    control, _, _ = _control()
    control.pause()
    waiter = asyncio.create_task(control.wait_running())
    await asyncio.sleep(0.01)
    control.cancel()
    await asyncio.sleep(0.01)
    assert control.cancel_requested.is_set()
    assert not waiter.done()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter


def test_streak_pauses_and_hands_back_its_tasks() -> None:
    control, pauses, _ = _control(3)
    tasks = [Task(f"t{i}") for i in range(3)]
    assert control.task_failed("p", tasks[0], "e0") == (False, [])
    assert control.task_failed("p", tasks[1], "e1") == (False, [])
    requeue_self, earlier = control.task_failed("p", tasks[2], "boom")
    assert requeue_self is True
    assert earlier == [("p", tasks[0]), ("p", tasks[1])]
    assert control.paused
    ((reason, auto, requeued),) = pauses
    assert auto is True
    assert requeued == 2
    assert reason is not None
    assert "3 consecutive task failures" in reason
    assert "boom" in reason


def test_a_task_failing_while_paused_goes_back() -> None:
    control, _, _ = _control(3)
    control.pause("operator")
    assert control.task_failed("p", Task("t"), "e") == (True, [])


def test_success_ends_the_streak() -> None:
    control, pauses, _ = _control(3)
    for _ in range(5):
        control.task_failed("p", Task("a"), "e")
        control.task_failed("p", Task("b"), "e")
        control.task_succeeded()
    assert pauses == []
    assert not control.paused


def test_resume_and_new_phase_reset_the_streak() -> None:
    control, pauses, _ = _control(2)
    control.task_failed("p", Task("a"), "e")
    control.reset_streak()
    assert control.task_failed("q", Task("b"), "e") == (False, [])
    control.task_failed("q", Task("c"), "e")  # pauses
    assert control.resume()
    assert control.task_failed("q", Task("d"), "e") == (False, [])
    assert len(pauses) == 1


def test_rule_disabled_with_zero_and_after_cancel() -> None:
    control, pauses, _ = _control(0)
    for _ in range(20):
        assert control.task_failed("p", Task("t"), "e") == (False, [])
    assert pauses == []
    control, pauses, _ = _control(1)
    control.cancel()
    assert control.task_failed("p", Task("t"), "e") == (False, [])
    assert pauses == []


def test_finished_tasks_are_counted_as_the_outcome_sees_them() -> None:
    control, _, _ = _control(limit=3)
    control.task_succeeded()
    assert control.task_failed("p", Task("a"), "boom") == (False, [])
    assert (control.tasks_done, control.tasks_failed) == (1, 1)
    # The third failure in a row pauses the run: the streak goes back on its queues, so
    # none of its tasks counts as failed (they will run again).
    control.task_failed("p", Task("b"), "boom")
    requeue, earlier = control.task_failed("p", Task("c"), "boom")
    assert (requeue, [t.label for _, t in earlier]) == (True, ["a", "b"])
    assert (control.tasks_done, control.tasks_failed) == (1, 0)
    # A task that fails while paused goes back too.
    assert control.task_failed("p", Task("d"), "boom") == (True, [])
    assert control.tasks_failed == 0
    control.resume()
    control.task_succeeded()
    control.task_failed("p", Task("e"), "boom")
    assert (control.tasks_done, control.tasks_failed) == (2, 1)


def test_without_the_rule_every_failure_counts() -> None:
    control, pauses, _ = _control(limit=0)
    for label in "abcdef":
        assert control.task_failed("p", Task(label), "boom") == (False, [])
    assert control.tasks_failed == 6
    assert pauses == []


def test_a_cancel_keeps_its_reason() -> None:
    control, _, _ = _control()
    assert control.cancel("interrupted by a signal") is True
    assert control.cancel("again") is False
    assert control.cancel_reason == "interrupted by a signal"
