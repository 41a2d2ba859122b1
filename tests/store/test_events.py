"""The event log (``EventRepository``) on every backend, and on a SQLite file with both event
writers (``EVENT_LOGS``: a writer process, in-process)."""

from __future__ import annotations

import msgspec
import pytest

from crawlscope.events import ActivityEvent
from crawlscope.store import EventConflict, EventLog, EventQuery, ProcessEventLog, SqlStore
from tests.integration.event_rows import every_kind_of_event
from tests.store.event_logs import EVENT_LOGS, sample_events

pytestmark = EVENT_LOGS


async def test_the_event_log_is_the_one_asked_for(store: SqlStore, event_writer: str) -> None:
    expected = ProcessEventLog if store.backend == "sqlite" and event_writer == "process" else None
    assert type(store.events) is (expected or EventLog)


async def test_event_log_reads_filter_and_page(store: SqlStore) -> None:
    log = store.events
    events = sample_events("r", 30)
    await log.append_events(events)
    await log.append_events(sample_events("s", 3))
    assert await log.count("r") == 30
    assert await log.max_seq("r") == 30
    assert await log.max_seq("nobody") == 0
    assert await log.read_all("r", batch=7) == events
    page = await log.read(EventQuery(run_id="r", after_seq=10, limit=5))
    assert [e.seq for e in page] == [11, 12, 13, 14, 15]
    worker2 = await log.read(EventQuery(run_id="r", worker_id=2, limit=100))
    assert all(e.worker_id == 2 or e.source_worker_id == 2 for e in worker2)
    assert len(worker2) == 20  # its own events and the pipeline's on its behalf
    errors = await log.read(EventQuery(run_id="r", action="error", limit=100))
    assert [e.seq for e in errors] == [5, 10, 15, 20, 25, 30]
    assert await log.read(EventQuery(run_id="r", error_type="timeout", limit=100)) == errors
    known = await log.known_ids([events[0].id, "missing", events[-1].id])
    assert known == {events[0].id, events[-1].id}


async def test_filters_combine_and_pages_follow_seq(store: SqlStore) -> None:
    await store.events.append_events(sample_events("r", 60))
    query = EventQuery(run_id="r", worker_id=2, action="error", limit=3)
    first = await store.events.read(query)
    # errors are seqs 5, 10, ..., 60; worker 2's own are seq % 3 == 2, the pipeline's for it
    # seq % 3 == 0
    assert [e.seq for e in first] == [5, 15, 20]
    rest = await store.events.read(msgspec.structs.replace(query, after_seq=first[-1].seq))
    assert [e.seq for e in rest] == [30, 35, 45]
    assert await store.events.read(EventQuery(run_id="r", after_seq=60)) == []
    assert await store.events.read(EventQuery(run_id="nobody")) == []
    assert await store.events.read_all("nobody") == []
    assert await store.events.count("nobody") == 0
    assert await store.events.known_ids([]) == set()


async def test_every_kind_of_value_reads_back_unchanged(store: SqlStore) -> None:
    events = every_kind_of_event("r", 40)
    await store.events.append_events(events)
    assert await store.events.read_all("r") == events
    stored = (await store.events.read(EventQuery(run_id="r", after_seq=2, limit=1)))[0]
    assert stored.extra == {"big": 2**53 + 3}  # beyond a double's exact integers
    assert stored.params == {"page": 3, "nested": {"x": [1.5, None, "ü"]}}


async def test_a_taken_run_and_seq_is_a_conflict_that_stores_nothing(store: SqlStore) -> None:
    await store.events.append_events(sample_events("r", 3))
    clash = sample_events("r", 3, start=3)  # seq 3 again, under a new id
    with pytest.raises(EventConflict):
        await store.events.append_events(clash)
    assert [e.seq for e in await store.events.read_all("r")] == [1, 2, 3]
    # The log goes on serving; the same seq in another run is no conflict.
    await store.events.append_events(clash[1:])
    await store.events.append_events(sample_events("other", 3))
    assert await store.events.max_seq("r") == 5
    assert await store.events.count("other") == 3


async def test_a_taken_id_is_a_conflict_that_stores_nothing(store: SqlStore) -> None:
    stored = sample_events("r", 2)
    await store.events.append_events(stored)
    copied = ActivityEvent(
        run_id="s", action=stored[0].action, worker_id=1, seq=2, id=stored[0].id
    )  # another run and seq, a taken id
    batch = [*sample_events("s", 1), copied]
    with pytest.raises(EventConflict):
        await store.events.append_events(batch)
    assert await store.events.count("s") == 0
    assert await store.events.known_ids([copied.id, batch[0].id]) == {copied.id}


async def test_known_ids_of_many_at_once(store: SqlStore) -> None:
    events = sample_events("r", 1200)
    await store.events.append_events(events)
    asked = [e.id for e in events[::2]] + [f"missing-{i}" for i in range(700)]
    assert await store.events.known_ids(asked) == {e.id for e in events[::2]}
    assert await store.events.known_ids(iter([events[1].id])) == {events[1].id}


async def test_an_empty_batch_and_a_restart(store: SqlStore) -> None:
    await store.events.start()
    await store.events.append_events([])
    await store.events.append_events(sample_events("r", 2))
    await store.events.close()  # a later append starts again what it needs
    await store.events.append_events(sample_events("r", 2, start=3))
    assert [e.seq for e in await store.events.read_all("r")] == [1, 2, 3, 4]
