"""``Ingestor`` (crawlscope.ingest.ingestor): idempotent publishing into a real ``Monitor`` on a
SQLite file, read back from the store."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest

from crawlscope.events import Action, ActivityEvent, utc_now_iso
from crawlscope.ingest import (
    IngestBatch,
    Ingestor,
    IngestRejected,
    IngestUnavailable,
    decode_batch,
)
from crawlscope.monitor import Monitor
from crawlscope.store import Database, EventLog, SqlStore


def batch_of(events: list[ActivityEvent], **rest: Any) -> IngestBatch:
    data = msgspec.json.encode({"events": events, **rest})
    return decode_batch(data, max_events=5000)


def remote_events(run_id: str, n: int) -> list[ActivityEvent]:
    started = ActivityEvent(
        run_id=run_id,
        action=Action.RUN_STARTED,
        params={"p": 1},
        extra={"collection": "remote-c", "dataset": "ds"},
    )
    return [started] + [
        ActivityEvent(run_id=run_id, action=Action.FETCHING, worker_id=1 + i % 3)
        for i in range(n - 1)
    ]


async def test_publishes_once_per_event_id(monitor: Monitor) -> None:
    ingestor = Ingestor(monitor, monitor.store)
    events = remote_events("run-a", 20)
    first = await ingestor.ingest(batch_of(events[:12]))
    assert (first.accepted, first.duplicates) == (12, 0)
    # A retry of the first batch plus new events, one of them twice within the batch.
    again = await ingestor.ingest(batch_of(events[:12] + events[12:] + [events[15]]))
    assert (again.accepted, again.duplicates) == (8, 13)
    stored = await monitor.store.events.read_all("run-a")
    assert [e.id for e in stored] == [e.id for e in events]
    assert [e.seq for e in stored] == list(range(1, 21))
    frame = await monitor.frames.frame("run-a")
    assert frame is not None
    assert frame.totals.requests == 19
    record = await monitor.store.runs.get("run-a")
    assert record is not None
    assert (record.origin, record.collection, record.params) == ("remote", "remote-c", {"p": 1})


async def test_concurrent_copies_of_a_batch_publish_once(monitor: Monitor) -> None:
    ingestor = Ingestor(monitor, monitor.store)
    events = remote_events("run-b", 300)
    results = await asyncio.gather(*(ingestor.ingest(batch_of(events)) for _ in range(5)))
    assert sorted(r.accepted for r in results) == [0, 0, 0, 0, 300]
    assert await monitor.store.events.count("run-b") == 300


class HeldEventLog(EventLog):
    """The real event log, whose writes wait until ``release`` is set."""

    def __init__(self, database: Any) -> None:
        super().__init__(database)
        self.release = asyncio.Event()

    async def append(self, rows: list[tuple[Any, ...]]) -> None:
        await self.release.wait()
        await super().append(rows)


async def test_ids_still_in_the_recorders_buffer_are_not_published_twice(
    db_path: Any,
) -> None:
    database = Database(str(db_path))
    held = HeldEventLog(database)
    async with Monitor(SqlStore(database, event_log=held)) as monitor:
        await _ids_in_the_buffer_are_not_published_twice(monitor, held)


async def _ids_in_the_buffer_are_not_published_twice(monitor: Monitor, held: HeldEventLog) -> None:
    ingestor = Ingestor(monitor, monitor.store)
    events = remote_events("run-c", 50)
    first = asyncio.ensure_future(ingestor.ingest(batch_of(events)))
    for _ in range(200):
        if monitor.unstored == 50:
            break
        await asyncio.sleep(0.01)
    # Published, not yet written: invisible to the store check.
    assert monitor.unstored == 50
    assert await monitor.store.events.count("run-c") == 0
    retry = asyncio.ensure_future(ingestor.ingest(batch_of(events)))
    await asyncio.sleep(0.3)
    # Neither copy is answered before the events are stored, and the retry published
    # nothing a second time.
    assert not first.done()
    assert not retry.done()
    assert monitor.unstored == 50
    held.release.set()
    result = await asyncio.wait_for(first, 5)
    assert (result.accepted, result.duplicates) == (50, 0)
    repeated = await asyncio.wait_for(retry, 5)
    assert (repeated.accepted, repeated.duplicates) == (0, 50)
    assert await monitor.store.events.count("run-c") == 50
    # Once written, the store check alone catches the next retry.
    again = await ingestor.ingest(batch_of(events))
    assert (again.accepted, again.duplicates) == (0, 50)
    assert await monitor.store.events.count("run-c") == 50


async def test_events_not_stored_in_time_are_a_503_and_stored_later(db_path: Any) -> None:
    database = Database(str(db_path))
    held = HeldEventLog(database)
    async with Monitor(SqlStore(database, event_log=held)) as monitor:
        ingestor = Ingestor(monitor, monitor.store, store_timeout=0.3)
        events = remote_events("run-slow", 20)
        with pytest.raises(IngestUnavailable, match=r"could not be stored within 0\.3s"):
            await ingestor.ingest(batch_of(events))
        with pytest.raises(IngestUnavailable):  # the runner's retry: still not stored
            await ingestor.ingest(batch_of(events))
        held.release.set()
        retry = await asyncio.wait_for(ingestor.ingest(batch_of(events)), 5)
        assert (retry.accepted, retry.duplicates) == (0, 20)  # kept, stored once, now
        assert await monitor.store.events.count("run-slow") == 20


async def test_a_restarted_server_continues_a_run_from_its_stored_events(db_path: Any) -> None:
    events = remote_events("run-d", 40)
    events.insert(5, ActivityEvent(run_id="run-d", action=Action.FOUND, worker_id=1))
    async with Monitor(str(db_path)) as first:
        await Ingestor(first, first.store).ingest(batch_of(events[:25]))
    async with Monitor(str(db_path)) as second:
        assert second.frames.live("run-d") is None
        result = await Ingestor(second, second.store).ingest(batch_of(events[20:]))
        assert (result.accepted, result.duplicates) == (16, 5)
        stored = await second.store.events.read_all("run-d")
        assert [e.seq for e in stored] == list(range(1, 42))
        assert [e.id for e in stored] == [e.id for e in events]
        frame = await second.frames.frame("run-d")
        assert frame is not None
        assert frame.totals.events == 41
        assert frame.totals.requests == 39
        assert frame.totals.successes == 1
        assert frame.collection == "remote-c"
        assert frame.status == "running"


async def test_events_for_a_local_run_are_refused(monitor: Monitor) -> None:
    await monitor.store.runs.create("local-run", "c", {})
    ingestor = Ingestor(monitor, monitor.store)
    events = remote_events("fine-run", 3) + remote_events("local-run", 2)
    with pytest.raises(IngestRejected) as info:
        await ingestor.ingest(batch_of(events))
    assert info.value.status == 409
    assert info.value.field == "events[3].run_id"
    # All or nothing: the other run's events were not published either.
    assert await monitor.store.events.count("fine-run") == 0
    assert monitor.frames.live("fine-run") is None
    with pytest.raises(IngestRejected) as info:
        await ingestor.ingest(batch_of([], runs=["local-run"]))
    assert info.value.field == "runs[0]"


async def test_commands_are_returned_until_acknowledged(monitor: Monitor) -> None:
    ingestor = Ingestor(monitor, monitor.store, commands_ttl=0)
    await ingestor.ingest(batch_of(remote_events("run-e", 2)))
    command_id = await monitor.store.commands.enqueue("run-e", "pause")
    # Pending commands come back with events of the run, or when the run is named.
    more = [ActivityEvent(run_id="run-e", action=Action.FETCHING, worker_id=1)]
    result = await ingestor.ingest(batch_of(more))
    assert [(c.id, c.run_id, c.command) for c in result.commands] == [
        (command_id, "run-e", "pause")
    ]
    result = await ingestor.ingest(batch_of([], runs=["run-e", "never-seen"]))
    assert [c.id for c in result.commands] == [command_id]
    ack = {"command_id": command_id, "outcome": "paused"}
    result = await ingestor.ingest(batch_of([], acks=[ack], runs=["run-e"]))
    assert result.commands == []
    outcome = await monitor.store.commands.outcome(command_id)
    assert outcome is not None
    assert outcome.text() == "paused"
    assert outcome.applied


async def test_ids_and_times_come_from_the_runner(monitor: Monitor) -> None:
    # The server keeps the runner's id and ts (and ignores its seq).
    event = ActivityEvent(run_id="run-f", action=Action.RUN_STARTED, seq=77)
    event.ts = utc_now_iso(0)
    await Ingestor(monitor, monitor.store).ingest(batch_of([event]))
    (stored,) = await monitor.store.events.read_all("run-f")
    assert (stored.id, stored.ts, stored.seq) == (event.id, "1970-01-01T00:00:00.000Z", 1)


async def test_commands_are_read_at_most_once_per_ttl(monitor: Monitor) -> None:
    now = [100.0]
    ingestor = Ingestor(monitor, monitor.store, commands_ttl=0.2, clock=lambda: now[0])
    await ingestor.ingest(batch_of(remote_events("run-g", 2)))
    command_id = await monitor.store.commands.enqueue("run-g", "cancel")
    poll = batch_of([], runs=["run-g"])
    assert (await ingestor.ingest(poll)).commands == []  # read before it existed
    now[0] += 0.25
    (command,) = (await ingestor.ingest(poll)).commands
    assert command.id == command_id
    # The acknowledgement is seen at once, not after the TTL.
    ack = batch_of([], acks=[{"command_id": command_id, "outcome": "cancelled"}], runs=["run-g"])
    assert (await ingestor.ingest(ack)).commands == []
