"""``FrameNotices``: the newest frame notice per run owned elsewhere, bounded and expiring."""

from __future__ import annotations

import asyncio

from crawlscope.bus.frame_notices import FrameNotices, notice
from crawlscope.status import RunStatus

RUNNING, COMPLETED = RunStatus.RUNNING, RunStatus.COMPLETED


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def entry(owner: str, *notices: tuple[str, int, RunStatus]) -> tuple[bytes, dict[bytes, bytes]]:
    """A stream entry as ``PUBLISH_FRAMES`` writes it."""
    body = b"[" + b",".join(notice(*n) for n in notices) + b"]"
    return b"1-0", {b"o": owner.encode(), b"n": body}


def test_a_run_keeps_its_newest_notice_and_a_version_that_moves_only_with_the_aggregate() -> None:
    notices = FrameNotices(clock=Clock())
    notices.take([entry("a", ("r1", 5, RUNNING), ("r2", 1, RUNNING))])
    first = notices.get("r1")
    assert first is not None
    assert (first.status, first.owner) == (RUNNING, "a")
    # The owner's heartbeat: the same aggregate version again, so nothing new to send.
    notices.take([entry("a", ("r1", 5, RUNNING))])
    assert notices.get("r1") == first
    notices.take([entry("a", ("r1", 6, COMPLETED))])
    ended = notices.get("r1")
    assert ended is not None
    assert ended.ended
    assert ended.version > first.version
    # Another owner whose aggregate happens to have the same version number is a change.
    notices.take([entry("b", ("r1", 6, COMPLETED))])
    taken_over = notices.get("r1")
    assert taken_over is not None
    assert taken_over.owner == "b"
    assert taken_over.version > ended.version
    assert {run.run_id for run in notices.runs()} == {"r1", "r2"}
    assert [run.run_id for run in notices.runs(besides="a")] == ["r1"]  # r2 is a's own


def test_runs_not_heard_of_for_a_while_are_dropped_and_the_oldest_beyond_the_limit() -> None:
    clock = Clock()
    notices = FrameNotices(expire_s=30.0, limit=3, clock=clock)
    notices.take([entry("a", ("old", 1, RUNNING))])
    clock.now += 20
    notices.take([entry("a", ("r1", 1, RUNNING), ("r2", 1, RUNNING))])
    clock.now += 11
    assert [run.run_id for run in notices.runs()] == ["r1", "r2"]
    # Heard of again (even unchanged): kept.
    notices.take([entry("a", ("r1", 1, RUNNING))])
    clock.now += 25
    assert [run.run_id for run in notices.runs()] == ["r1"]
    # Beyond the limit the run heard of longest ago goes first.
    notices.take([entry("a", ("n1", 1, RUNNING), ("n2", 1, RUNNING), ("n3", 1, RUNNING))])
    assert [run.run_id for run in notices.runs()] == ["n1", "n2", "n3"]
    assert len(notices) == 3


def test_an_entry_it_cannot_read_is_skipped_and_watchers_wake_on_changes_only() -> None:
    notices = FrameNotices(clock=Clock())
    wakeup = asyncio.Event()
    notices.watch(wakeup)
    notices.take([(b"1-0", {b"o": b"a", b"n": b'[["r1", 1, "no-such-status"]]'})])
    notices.take([(b"2-0", {b"o": b"a", b"n": b"not json"})])
    assert notices.runs() == []
    assert not wakeup.is_set()
    notices.take([entry("a", ("r1", 1, RUNNING))])
    assert wakeup.is_set()
    wakeup.clear()
    notices.take([entry("a", ("r1", 1, RUNNING))])  # unchanged
    assert not wakeup.is_set()
    notices.unwatch(wakeup)
    notices.take([entry("a", ("r1", 2, RUNNING))])
    assert not wakeup.is_set()
