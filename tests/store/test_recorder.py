"""The recorder over every kind of event log (``EVENT_LOGS``): in-process on both backends,
and a SQLite file's writer process.

Failing and slow logs are the store's real event log behind a wrapper that fails or delays
``append_events``: the recorder sees only the ``EventRepository`` Protocol.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence

import pytest

from crawlscope.events import ActivityEvent
from crawlscope.store import EventQuery, Recorder, SqlStore
from crawlscope.store.repositories import EventRepository
from tests.store.event_logs import EVENT_LOGS, sample_events

pytestmark = EVENT_LOGS


class _Wrapped:
    """An ``EventRepository`` that hands everything to another; subclasses change appends."""

    def __init__(self, inner: EventRepository) -> None:
        self.inner = inner

    async def start(self) -> None:
        await self.inner.start()

    async def close(self) -> None:
        await self.inner.close()

    async def append_events(self, events: Sequence[ActivityEvent]) -> None:
        await self.inner.append_events(events)

    async def read(self, query: EventQuery) -> list[ActivityEvent]:
        return await self.inner.read(query)

    async def read_all(self, run_id: str, batch: int = 5000) -> list[ActivityEvent]:
        return await self.inner.read_all(run_id, batch)

    async def max_seq(self, run_id: str) -> int:
        return await self.inner.max_seq(run_id)

    async def count(self, run_id: str) -> int:
        return await self.inner.count(run_id)

    async def known_ids(self, ids: Iterable[str]) -> set[str]:
        return await self.inner.known_ids(ids)


class _Flaky(_Wrapped):
    """Its first ``failures`` appends fail with ``error``."""

    def __init__(self, inner: EventRepository, failures: int, error: Exception) -> None:
        super().__init__(inner)
        self.failures_left = failures
        self.error = error

    async def append_events(self, events: Sequence[ActivityEvent]) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise self.error
        await super().append_events(events)


class _Slow(_Wrapped):
    """Every append takes 20 ms longer (a busy disk)."""

    async def append_events(self, events: Sequence[ActivityEvent]) -> None:
        await asyncio.sleep(0.02)
        await super().append_events(events)


async def test_recorder_stores_everything_and_survives_a_conflicting_row(store: SqlStore) -> None:
    log = store.events
    await log.append_events(sample_events("r", 1, start=7))  # seq 7 is already taken
    recorder = Recorder(log, batch_size=10, interval=0.01)
    recorder.start()
    events = sample_events("r", 25)
    for event in events:
        recorder(event)
    assert recorder.backlog == 25
    await recorder.flush()
    assert recorder.backlog == 0
    await recorder.stop()
    assert recorder.rejected == 1
    assert recorder.duplicates == 0
    assert recorder.written == 24
    stored = await log.read_all("r")
    assert [e.seq for e in stored] == list(range(1, 26))
    assert [e.id for e in stored if e.seq != 7] == [e.id for e in events if e.seq != 7]


async def test_recorder_counts_rows_already_stored_as_duplicates(store: SqlStore) -> None:
    events = sample_events("r", 12)
    await store.events.append_events(events[3:5])  # stored by an attempt whose answer was lost
    recorder = Recorder(store.events, batch_size=100, interval=0.01)
    for event in events:
        recorder(event)
    await recorder.flush()
    await recorder.stop()
    stats = recorder.stats()
    assert (stats.written, stats.duplicates, stats.rejected, stats.backlog) == (10, 2, 0, 0)
    assert await store.events.read_all("r") == events


async def test_recorder_flush_without_the_background_writer(store: SqlStore) -> None:
    log = store.events
    recorder = Recorder(log)
    for event in sample_events("r", 5):
        recorder(event)
    await recorder.flush()
    assert await log.count("r") == 5
    await recorder.stop()


async def test_recorder_batches_a_steady_trickle_by_interval(store: SqlStore) -> None:
    """Events arriving while a batch is written wait for the next round (``interval``),
    rather than each write being followed at once by another for what came meanwhile."""
    log = _Slow(store.events)
    recorder = Recorder(log, batch_size=1000, interval=0.25)
    recorder.start()
    events = sample_events("r", 400)
    started = time.monotonic()
    for event in events:  # one every millisecond or so: many arrive during every write
        recorder(event)
        await asyncio.sleep(0.001)
    elapsed = time.monotonic() - started
    await recorder.flush()
    await recorder.stop()
    assert recorder.written == 400
    # One batch per interval that passed, plus the flush (not one per 20 ms write).
    assert recorder.batches <= elapsed / 0.25 + 2
    assert [e.seq for e in await log.read_all("r")] == list(range(1, 401))


@pytest.mark.parametrize(
    "error",
    [OSError("disk I/O error"), RuntimeError("unexpected")],
    ids=["os-error", "unexpected-error"],
)
async def test_recorder_keeps_events_while_writes_fail(store: SqlStore, error: Exception) -> None:
    log = _Flaky(store.events, failures=2, error=error)
    recorder = Recorder(log, batch_size=10, interval=0.01)
    recorder.start()
    for event in sample_events("r", 15):
        recorder(event)
    await asyncio.wait_for(recorder.flush(), 10)
    await recorder.stop()
    assert recorder.failures == 2
    assert [e.seq for e in await log.read_all("r")] == list(range(1, 16))
