"""The store on real SQLite files: bad locations, migrations, datasets, runs, commands, the
event log and the recorder."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlscope.aggregate import RunFrame, RunTotals
from crawlscope.events import Action, ActivityEvent
from crawlscope.monitor import Monitor
from crawlscope.status import ControlCommand, ControlOutcome, RunStatus
from crawlscope.store import (
    CommandQueue,
    Database,
    DatasetStore,
    EventLog,
    EventQuery,
    ProcessEventLog,
    Recorder,
    RunStore,
    StatusChange,
    StoreError,
    event_log_for,
)
from crawlscope.store.event_log import event_row


@pytest.fixture
async def database(db_path: Path) -> Database:
    db = Database(str(db_path))
    await db.open()
    yield db  # type: ignore[misc]
    await db.close()


# -- locations that cannot be used ---------------------------------------------------------


def _exists(path: str) -> bool:
    return Path(path).exists()


def _snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in ``directory`` with its content and modification time."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in directory.iterdir()}


async def test_a_path_under_a_regular_file_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    db = Database(str(blocker / "x.db"))
    with pytest.raises(StoreError, match="a-file") as info:
        await db.open()
    assert "cannot create the directory" in str(info.value)
    assert blocker.read_text() == "not a directory"


async def test_a_path_in_a_pseudo_filesystem_is_refused() -> None:
    # /proc cannot hold files even for root (tests may run as root, so chmod proves nothing).
    db = Database("/proc/crawlscope-test.db")
    with pytest.raises(StoreError, match="cannot open database") as info:
        await db.open()
    assert "/proc/crawlscope-test.db" in str(info.value)
    assert not _exists("/proc/crawlscope-test.db")


async def test_a_directory_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is not a file"):
        await Database(str(tmp_path)).open()


async def test_a_file_that_is_not_a_database_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"my precious notes\n" * 100)
    before = _snapshot(tmp_path)
    with pytest.raises(StoreError, match="file is not a database"):
        await Database(str(path)).open()
    assert _snapshot(tmp_path) == before  # same bytes, same mtime, no -wal/-shm files


async def test_missing_directories_are_created(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "deep" / "er" / "x.db"))
    await db.open()
    try:
        assert await db.ping()
        assert await db.migrations_current()
    finally:
        await db.close()


async def test_open_is_idempotent_and_uses_wal(database: Database, db_path: Path) -> None:
    again = Database(str(db_path))
    await again.open()  # migrating an up-to-date database changes nothing
    await again.close()
    assert await database.migrations_current()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "events", "run_commands", "dataset_items", "alembic_version"} <= tables


def test_urls_are_normalised() -> None:
    from crawlscope.store import normalize_url

    assert normalize_url("data/x.db") == "sqlite+aiosqlite:///data/x.db"
    assert normalize_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert normalize_url("postgresql://u:p@h/d") == "postgresql+asyncpg://u:p@h/d"
    assert Database("postgresql://u:secret@h/d").display_url == "postgresql+asyncpg://u:***@h/d"


# -- datasets ----------------------------------------------------------------------------------


async def test_dataset_writes_insert_update_and_dedupe(database: Database) -> None:
    store = DatasetStore(database)
    first = await store.write("d", "run1", [("1", {"n": "a"}), ("2", {"n": "b"})])
    assert (first.inserted, first.updated, first.unchanged) == (["1", "2"], [], [])
    second = await store.write("d", "run2", [("1", {"n": "a"}), ("2", {"n": "B"}), ("3", {})])
    assert (second.inserted, second.updated, second.unchanged) == (["3"], ["2"], ["1"])
    # Key order inside an item does not make it "changed".
    third = await store.write("d", "run3", [("4", {"a": 1, "b": 2})])
    again = await store.write("d", "run3", [("4", {"b": 2, "a": 1})])
    assert third.inserted == ["4"]
    assert again.unchanged == ["4"]
    assert await store.count("d") == 4
    assert await store.count("other") == 0
    assert await store.keys("d") == ["1", "2", "3", "4"]
    assert await store.items("d", limit=2) == [{"n": "a"}, {"n": "B"}]
    assert (await store.write("d", "run4", [])).inserted == []
    with sqlite3.connect(database._parsed.database) as conn:
        rows = dict(
            conn.execute("SELECT key, first_run_id || '>' || last_run_id FROM dataset_items")
        )
    assert rows == {"1": "run1>run2", "2": "run1>run2", "3": "run2>run2", "4": "run3>run3"}


async def test_dataset_writes_bigger_than_one_sql_chunk(database: Database) -> None:
    store = DatasetStore(database)
    items = [(str(i), {"i": i}) for i in range(1500)]
    assert len((await store.write("big", "r", items)).inserted) == 1500
    outcome = await store.write("big", "r", items)
    assert len(outcome.unchanged) == 1500
    assert await store.count("big") == 1500


# -- runs and commands -----------------------------------------------------------------------


async def test_run_rows(database: Database) -> None:
    runs = RunStore(database)
    assert await runs.create("r1", "c", {"a": 1}, dataset="d")
    assert not await runs.create("r1", "other")
    await asyncio.sleep(0.002)
    assert await runs.create("r2", "c")
    assert sorted(await runs.active_ids()) == ["r1", "r2"]
    frame = RunFrame(
        run_id="r1",
        collection="c",
        status="completed",
        started_at="2026-01-01T00:00:00.000Z",
        ended_at="2026-01-01T00:00:05.000Z",
        totals=RunTotals(requests=5, failures_by_type={"timeout": 1}),
        dataset_size=3,
        last_seq=42,
    )
    await runs.save_frame(frame)
    record = await runs.get("r1")
    assert record is not None
    assert (record.status, record.dataset_size, record.last_seq) == ("completed", 3, 42)
    assert record.totals.failures_by_type == {"timeout": 1}
    assert record.params == {"a": 1}
    assert record.frame is not None
    assert record.frame.totals.requests == 5
    assert await runs.active_ids() == ["r2"]
    assert [r.id for r in await runs.list()] == ["r2", "r1"]
    assert [r.id for r in await runs.list(status="completed")] == ["r1"]
    assert (await runs.list(limit=1))[0].frame is None
    assert await runs.get("nope") is None
    stopped = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    change = StatusChange(status=RunStatus.INTERRUPTED, ended_at=stopped, last_seq=7)
    assert await runs.set_status("r2", change)
    record = await runs.get("r2")
    assert record is not None
    assert record.status == "interrupted"
    assert record.ended_at == stopped
    assert record.last_seq == 7
    assert not await runs.set_status("nope", change)


async def test_commands_round_trip(database: Database) -> None:
    queue = CommandQueue(database)
    first = await queue.enqueue("r", "pause")
    second = await queue.enqueue("r", "cancel")
    await queue.enqueue("other", "resume")
    assert await queue.pending("r") == [(first, "pause"), (second, "cancel")]
    assert await queue.outcome(first) is None
    await queue.acknowledge(first, ControlOutcome.accepted(ControlCommand.PAUSE))
    assert await queue.outcome(first) == ControlOutcome.accepted(ControlCommand.PAUSE)
    await queue.acknowledge_text(second, "refused: run is completed")
    refused = await queue.outcome(second)
    assert refused == ControlOutcome.refused(ControlCommand.CANCEL, "run is completed")
    assert await queue.pending("r") == []
    with pytest.raises(ValueError, match="'stop' is not a valid ControlCommand"):
        await queue.enqueue("r", "stop")  # type: ignore[arg-type]


# -- the event log and the recorder ------------------------------------------------------------


def _events(run_id: str, n: int, start: int = 1) -> list[ActivityEvent]:
    out = []
    for seq in range(start, start + n):
        worker = seq % 3
        out.append(
            ActivityEvent(
                run_id=run_id,
                action=Action.ERROR if seq % 5 == 0 else Action.FOUND,
                worker_id=worker,
                source_worker_id=2 if worker == 0 else None,
                seq=seq,
                error_type="timeout" if seq % 5 == 0 else None,
                params={"page": seq},
                extra={"k": [1, 2]},
            )
        )
    return out


async def test_event_log_reads_filter_and_page(database: Database) -> None:
    log = EventLog(database)
    events = _events("r", 30)
    await log.append([event_row(e) for e in events])
    await log.append([event_row(e) for e in _events("s", 3)])
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


# The recorder over both kinds of event log: in-process, and a writer process.
EVENT_LOG_KINDS = ["inline", "process"]


@pytest.mark.parametrize("kind", EVENT_LOG_KINDS)
async def test_recorder_stores_everything_and_survives_a_conflicting_row(
    database: Database, kind: str
) -> None:
    log = event_log_for(database, kind)
    await log.append([event_row(_events("r", 1, start=7)[0])])  # seq 7 is already taken
    recorder = Recorder(log, batch_size=10, interval=0.01)
    recorder.start()
    events = _events("r", 25)
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


@pytest.mark.parametrize("kind", EVENT_LOG_KINDS)
async def test_recorder_flush_without_the_background_writer(database: Database, kind: str) -> None:
    log = event_log_for(database, kind)
    recorder = Recorder(log)
    for event in _events("r", 5):
        recorder(event)
    await recorder.flush()
    assert await log.count("r") == 5
    await recorder.stop()


class _Flaky:
    """Mixed into an event log: its first ``failures`` appends fail."""

    def __init__(self, database: Database, failures: int, error: Exception) -> None:
        super().__init__(database)
        self.failures_left = failures
        self.error = error

    async def append(self, rows: list[tuple[object, ...]]) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise self.error
        await super().append(rows)


class _FlakyEventLog(_Flaky, EventLog):
    """The real in-process event log, except that its first appends fail."""


class _FlakyProcessEventLog(_Flaky, ProcessEventLog):
    """The real writer-process event log, except that its first appends fail."""


_FLAKY = {"inline": _FlakyEventLog, "process": _FlakyProcessEventLog}


class _Slow:
    """Mixed into an event log: every append takes 20 ms longer (a busy disk)."""

    async def append(self, rows: list[tuple[object, ...]]) -> None:
        await asyncio.sleep(0.02)
        await super().append(rows)


class _SlowEventLog(_Slow, EventLog):
    """The real in-process event log, slowed down."""


class _SlowProcessEventLog(_Slow, ProcessEventLog):
    """The real writer-process event log, slowed down."""


@pytest.mark.parametrize("kind", EVENT_LOG_KINDS)
async def test_recorder_batches_a_steady_trickle_by_interval(database: Database, kind: str) -> None:
    """Events arriving while a batch is written wait for the next round (``interval``),
    rather than each write being followed at once by another for what came meanwhile."""
    log = {"inline": _SlowEventLog, "process": _SlowProcessEventLog}[kind](database)
    recorder = Recorder(log, batch_size=1000, interval=0.25)
    recorder.start()
    events = _events("r", 400)
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


@pytest.mark.parametrize("kind", EVENT_LOG_KINDS)
@pytest.mark.parametrize(
    "error",
    [OSError("disk I/O error"), RuntimeError("unexpected")],
    ids=["os-error", "unexpected-error"],
)
async def test_recorder_keeps_events_while_writes_fail(
    database: Database, error: Exception, kind: str
) -> None:
    log = _FLAKY[kind](database, failures=2, error=error)
    recorder = Recorder(log, batch_size=10, interval=0.01)
    recorder.start()
    for event in _events("r", 15):
        recorder(event)
    await asyncio.wait_for(recorder.flush(), 10)
    await recorder.stop()
    assert recorder.failures == 2
    assert [e.seq for e in await log.read_all("r")] == list(range(1, 16))


# -- the monitor's bookkeeping --------------------------------------------------------------------


async def test_monitor_marks_abandoned_runs_interrupted(db_path: Path) -> None:
    async with Monitor(str(db_path)) as first:
        await first.store.runs.create("ghost", "c", status=RunStatus.RUNNING)
    second = Monitor(str(db_path), stale_after=0)
    await second.start()
    try:
        record = await second.store.runs.get("ghost")
        assert record is not None
        assert record.status == "interrupted"
        assert record.ended_at is not None
    finally:
        await second.stop()


async def test_a_continued_run_numbers_after_its_stored_events(db_path: Path) -> None:
    async with Monitor(str(db_path)) as first:
        await first.open_run("r", "c", {}, None)
        for _ in range(5):
            first.emit(ActivityEvent(run_id="r", action=Action.FOUND, worker_id=1))
    async with Monitor(str(db_path)) as second:
        await second.open_run("r", "c", {}, None)
        event = ActivityEvent(run_id="r", action=Action.FOUND, worker_id=1)
        second.emit(event)
        assert event.seq == 6
        await second.flush()
        assert [e.seq for e in await second.store.events.read_all("r")] == [1, 2, 3, 4, 5, 6]
