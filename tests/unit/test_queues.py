"""Phase queues (runner/queues.py): routing, keyed dedupe, finished phases, requeue."""

from __future__ import annotations

import pytest

from crawlscope.runner.queues import PhaseQueues
from crawlscope.runner.task import Task


def test_tasks_go_to_the_named_current_or_first_phase() -> None:
    queues = PhaseQueues(["a", "b"])
    assert queues.put(Task("seed"))
    assert queues.put(Task("own phase", phase="b"))
    assert queues.put(Task("explicit"), "b")
    queues.current = "b"
    assert queues.put(Task("current"))
    assert (queues.size("a"), queues.size("b")) == (1, 3)
    assert queues.pending_total() == 4


def test_keyed_tasks_are_deduped_per_phase() -> None:
    queues = PhaseQueues(["a", "b"])
    assert queues.put(Task("x", key="k"))
    assert not queues.put(Task("x again", key="k"))
    assert queues.put(Task("same key, other phase", key="k"), "b")
    assert queues.put(Task("no key"))
    assert queues.put(Task("no key"))
    assert queues.size("a") == 3


def test_unknown_and_finished_phases_are_errors() -> None:
    queues = PhaseQueues(["a", "b"])
    with pytest.raises(ValueError, match="unknown phase 'c'"):
        queues.put(Task("t"), "c")
    queues.finished.add("a")
    with pytest.raises(ValueError, match="phase 'a' has finished"):
        queues.put(Task("t"), "a")


def test_requeue_bypasses_dedupe_but_not_finished_phases() -> None:
    queues = PhaseQueues(["a", "b"])
    task = Task("t", key="k")
    queues.put(task)
    queues.queues["a"].get_nowait()
    queues.requeue("a", task)
    assert queues.size("a") == 1
    queues.finished.add("a")
    queues.requeue("a", task)
    assert queues.size("a") == 1
    assert queues.pending_total() == 0  # finished phases do not count
