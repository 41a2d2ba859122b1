"""FrontierRecorder: batching, failed saves, and a close that never cuts a save short."""

from __future__ import annotations

import asyncio

from crawlscope.runner.frontier import FrontierRecorder, FrontierUpdate, TaskState
from crawlscope.runner.task import Task


class SlowSink:
    """Takes ``delay`` seconds per save; records the saves that ran to the end."""

    def __init__(self, delay: float = 0.0, failures: int = 0) -> None:
        self.delay = delay
        self.failures = failures
        self.started = 0
        self.in_save = asyncio.Event()
        self.completed: list[FrontierUpdate] = []

    async def save(self, run_id: str, update: FrontierUpdate) -> None:
        self.started += 1
        self.in_save.set()
        await asyncio.sleep(self.delay)
        if self.failures:
            self.failures -= 1
            raise OSError("disk I/O error")
        self.completed.append(update)


def _recorder(sink: SlowSink, interval: float = 0.01) -> FrontierRecorder:
    return FrontierRecorder(
        sink,
        "r",
        next_no=lambda: 10,
        finished_phases=lambda: [],
        progress=lambda: [],
        interval=interval,
    )


async def test_close_waits_for_a_save_in_progress_instead_of_cancelling_it() -> None:
    sink = SlowSink(delay=0.2)
    recorder = _recorder(sink)
    recorder.added(1, "work", Task("t1"))
    recorder.start()
    await sink.in_save.wait()  # the background save is now inside its "transaction"
    recorder.finished(1, failed=False)
    await recorder.close()
    # Every save that started also ended: none was cancelled half-way.
    assert sink.started == len(sink.completed) == recorder.saves
    added = [no for update in sink.completed for no, _, _ in update.added]
    states = [change for update in sink.completed for change in update.states]
    assert added == [1]
    assert states == [(1, TaskState.DONE)]


async def test_a_failed_save_keeps_its_changes_for_the_next() -> None:
    sink = SlowSink(failures=1)
    recorder = _recorder(sink, interval=60)
    recorder.added(1, "work", Task("t1"))
    assert not await recorder.save()
    recorder.added(2, "work", Task("t2"))
    recorder.finished(1, failed=True)
    assert await recorder.save()
    (update,) = sink.completed
    assert [no for no, _, _ in update.added] == [1, 2]
    assert update.states == [(1, TaskState.FAILED)]
    assert (recorder.saves, recorder.failures) == (1, 1)
