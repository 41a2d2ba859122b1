"""The item pipeline (runner/sink.py) writing to a real dataset table in SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from crawlscope.events import ActivityEvent
from crawlscope.runner.quality import compile_quality
from crawlscope.runner.sink import ItemPipeline
from crawlscope.store import Database, DatasetSink, DatasetStore, WriteOutcome


class HeldSink(DatasetSink):
    """A real dataset sink whose writes wait until the test lets them through."""

    def __init__(self, store: DatasetStore, dataset: str) -> None:
        super().__init__(store, dataset)
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.failures_left = 0

    async def write(self, run_id: str, items: Sequence[tuple[str, Any]]) -> WriteOutcome:
        self.entered.set()
        await self.release.wait()
        if self.failures_left:
            self.failures_left -= 1
            raise OSError("disk on fire")
        return await super().write(run_id, items)


@pytest.fixture
async def store(db_path: Path) -> Any:
    database = Database(str(db_path))
    await database.open()
    yield DatasetStore(database)
    await database.close()


def _counts(events: list[ActivityEvent], action: str) -> dict[int, int]:
    out: dict[int, int] = {}
    for event in events:
        if event.action == action:
            assert event.source_worker_id is not None
            out[event.source_worker_id] = out.get(event.source_worker_id, 0) + (
                event.items_count or 0
            )
    return out


async def test_close_during_a_write_loses_nothing(store: DatasetStore) -> None:
    sink = HeldSink(store, "d")
    events: list[ActivityEvent] = []
    pipeline = ItemPipeline(sink, "run", events.append, interval=0.01)
    pipeline.start()
    pipeline.add(1, [(str(i), {"i": i}) for i in range(10)])
    await asyncio.wait_for(sink.entered.wait(), 5)  # the flusher is inside a write now

    closing = asyncio.create_task(pipeline.close())
    await asyncio.sleep(0.05)
    sink.release.set()
    await asyncio.wait_for(closing, 5)

    assert await store.count("d") == 10
    assert _counts(events, "uploading") == {1: 10}
    assert _counts(events, "inserted") == {1: 10}


async def test_batches_are_attributed_and_deduplicated(store: DatasetStore) -> None:
    sink = HeldSink(store, "d")
    sink.release.set()
    events: list[ActivityEvent] = []
    pipeline = ItemPipeline(sink, "run", events.append, batch_size=4, interval=0.01)
    pipeline.set_phase("p")
    pipeline.add(1, [("a", {"v": 1}), ("b", {"v": 1})])
    pipeline.add(2, [("a", {"v": 1}), ("c", {"v": 1})])  # "a" twice in one batch
    await pipeline.close()
    pipeline.add(3, [("b", {"v": 2}), ("c", {"v": 1})])  # b changed, c unchanged
    await pipeline.flush()
    assert _counts(events, "uploading") == {1: 2, 2: 2, 3: 2}
    assert _counts(events, "inserted") == {2: 2, 1: 1}  # the later copy of "a" wins
    assert _counts(events, "deduped") == {1: 1, 3: 1}
    assert _counts(events, "updated") == {3: 1}
    assert {e.phase for e in events} == {"p"}
    assert all(e.worker_id == 0 and e.extra == {"dataset": "d"} for e in events)
    assert await store.count("d") == 3


async def test_a_failed_write_is_reported_and_retried(store: DatasetStore) -> None:
    sink = HeldSink(store, "d")
    sink.failures_left = 1
    sink.release.set()
    events: list[ActivityEvent] = []
    pipeline = ItemPipeline(sink, "run", events.append)
    pipeline.add(7, [("x", {}), ("y", {})])
    await asyncio.wait_for(pipeline.flush(), 10)
    (error,) = [e for e in events if e.action == "error"]
    assert (error.error_type, error.error_stage) == ("api_error", "pipeline")
    assert (error.source_worker_id, error.items_count) == (7, 2)
    assert "disk on fire" in (error.error_message or "")
    # Nothing was counted for the failed attempt; everything for the retry.
    assert _counts(events, "uploading") == {7: 2}
    assert _counts(events, "inserted") == {7: 2}
    assert await store.count("d") == 2


async def test_each_producers_batch_reports_its_quality_once(store: DatasetStore) -> None:
    """``extra.quality`` of ``uploading``: per producer, duplicates in the batch included,
    counted once even when the write is retried."""
    quality = compile_quality(None, ["name", "price"])
    sink = HeldSink(store, "d")
    sink.failures_left = 1
    sink.release.set()
    events: list[ActivityEvent] = []
    pipeline = ItemPipeline(sink, "run", events.append, quality=quality)
    pipeline.add(1, [("a", {"name": "A", "price": 1}), ("b", {"name": "", "price": None})])
    pipeline.add(2, [("a", {"name": "A", "price": 1})])  # "a" again: still checked
    await asyncio.wait_for(pipeline.flush(), 10)
    uploads = {e.source_worker_id: e for e in events if e.action == "uploading"}
    assert {w: (e.extra or {}).get("quality") for w, e in uploads.items()} == {
        1: {"checked": 2, "invalid": 0, "present": {"name": 1, "price": 1}, "errors": {}},
        2: {"checked": 1, "invalid": 0, "present": {"name": 1, "price": 1}, "errors": {}},
    }
    assert all("quality" not in (e.extra or {}) for e in events if e.action != "uploading")
