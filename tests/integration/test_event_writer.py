"""The event writer process: real child processes writing real SQLite files.

Covers what ``ProcessEventLog`` promises: the same stored content as the in-process log,
all-or-nothing batches, conflicts surfaced to the recorder, restart after the child is
killed (nothing lost), flush meaning stored, and no child left behind after stop.

SQLite only: the writer process exists for SQLite files (it inserts with the standard
library's ``sqlite3``); PostgreSQL always inserts in-process. What every event log does on
both backends is tested in tests/store/test_events.py and test_recorder.py.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import time
from pathlib import Path

import psutil
import pytest

from crawlscope.events import Action, ActivityEvent
from crawlscope.monitor import Monitor
from crawlscope.runner import Collection, Task, TaskContext
from crawlscope.store import (
    Database,
    EventConflict,
    EventLog,
    EventWriterError,
    ProcessEventLog,
    Recorder,
    event_log_for,
)
from crawlscope.store import event_writer as writer_program
from crawlscope.store.event_log import event_row
from tests.integration.event_rows import every_kind_of_event, stored_rows

PROGRAM = str(Path(writer_program.__file__).resolve())


def _writer_children() -> list[psutil.Process]:
    """This process's running writer processes (zombies count as left behind too)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if PROGRAM in child.cmdline():
                found.append(child)
        except psutil.NoSuchProcess:
            continue
        except psutil.ZombieProcess:
            found.append(child)
    return found


# -- choosing the event log --------------------------------------------------------------


async def test_sqlite_files_get_a_writer_process_unless_turned_off(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRAWLSCOPE_EVENT_WRITER", raising=False)
    sqlite_file = Database(str(db_path))
    assert type(event_log_for(sqlite_file)) is ProcessEventLog
    assert type(event_log_for(sqlite_file, "inline")) is EventLog
    assert type(event_log_for(Database("sqlite+aiosqlite://"))) is EventLog
    assert type(event_log_for(Database("postgresql://u@127.0.0.1/x"))) is EventLog
    monkeypatch.setenv("CRAWLSCOPE_EVENT_WRITER", "inline")
    assert type(event_log_for(sqlite_file)) is EventLog
    assert type(event_log_for(sqlite_file, "process")) is ProcessEventLog
    monkeypatch.setenv("CRAWLSCOPE_EVENT_WRITER", "thread")
    with pytest.raises(ValueError, match="CRAWLSCOPE_EVENT_WRITER: expected one of process"):
        event_log_for(sqlite_file)
    with pytest.raises(ValueError, match="event_writer: expected one of process, inline"):
        Monitor(str(db_path), event_writer="fork")


# -- what gets stored --------------------------------------------------------------------


async def test_the_writer_process_stores_what_the_in_process_log_stores(
    tmp_path: Path, process_log: ProcessEventLog
) -> None:
    events = every_kind_of_event("r", 40) + every_kind_of_event("s", 3)
    inline_db = Database(str(tmp_path / "inline.db"))
    await inline_db.open()
    try:
        inline_log = EventLog(inline_db)
        for log in (process_log, inline_log):
            # Both entry points: events (the recorder's) and ready rows.
            await log.append_events(events[:25])
            await log.append([event_row(e) for e in events[25:]])
    finally:
        await inline_db.close()

    stored = stored_rows(Path(process_log.path))
    assert len(stored) == 43
    assert stored == stored_rows(tmp_path / "inline.db")
    # Reads go through the engine and see the child's commits.
    assert await process_log.read_all("r") == events[:40]
    assert await process_log.count("s") == 3


async def test_a_conflicting_batch_stores_nothing_and_raises(
    process_log: ProcessEventLog,
) -> None:
    await process_log.append([event_row(e) for e in every_kind_of_event("r", 3)])
    with pytest.raises(EventConflict, match="UNIQUE constraint failed"):
        await process_log.append([event_row(e) for e in every_kind_of_event("r", 5, start=3)])
    assert [e.seq for e in await process_log.read_all("r")] == [1, 2, 3]
    # The same process goes on serving.
    pid = process_log.pid
    await process_log.append([event_row(e) for e in every_kind_of_event("r", 2, start=4)])
    assert process_log.pid == pid
    assert await process_log.count("r") == 5


async def test_a_batch_the_writer_cannot_store_is_a_retryable_error_and_a_new_writer_goes_on(
    process_log: ProcessEventLog,
) -> None:
    good = [event_row(e) for e in every_kind_of_event("r", 2)]
    short = [good[0][:-1]]  # one value missing: sqlite3 refuses the bindings
    await process_log.start()
    pid = process_log.pid
    with pytest.raises(EventWriterError, match="could not store a batch: Incorrect number"):
        await process_log.append(short)
    # A writer that answered an error is replaced (after some failures, a read-only file
    # system for one, its connection would never write again); nothing was half-written.
    assert process_log.pid is None
    await process_log.append(good)
    assert process_log.pid not in (None, pid)
    assert [e.seq for e in await process_log.read_all("r")] == [1, 2]


async def test_the_writer_never_creates_or_migrates_a_database(tmp_path: Path) -> None:
    missing = tmp_path / "never-opened.db"
    log = ProcessEventLog(Database(str(missing)))
    with pytest.raises(EventWriterError, match="cannot open database"):
        await log.start()
    assert not missing.exists()
    assert log.pid is None

    sqlite3.connect(tmp_path / "no-schema.db").close()
    log = ProcessEventLog(Database(str(tmp_path / "no-schema.db")))
    with pytest.raises(EventWriterError, match="no such table: events"):
        await log.start()
    assert _writer_children() == []


# -- the recorder on top of it -----------------------------------------------------------


async def test_a_writer_that_cannot_start_is_retried_until_it_can(
    database: Database,
) -> None:
    log = ProcessEventLog(database, python=str(Path(sys.executable).with_name("no-such-python")))
    recorder = Recorder(log, batch_size=10, interval=0.01)
    recorder.start()
    for event in every_kind_of_event("r", 15):
        recorder(event)
    for _ in range(500):  # backoff 0.2 s, then 0.4 s: two failures within 10 s
        if recorder.failures >= 2:
            break
        await asyncio.sleep(0.02)
    assert recorder.failures >= 2
    assert await log.count("r") == 0
    assert recorder.backlog == 15
    log.python = sys.executable  # the interpreter is back
    await asyncio.wait_for(recorder.flush(), 10)
    await recorder.stop()
    assert [e.seq for e in await log.read_all("r")] == list(range(1, 16))
    assert recorder.written == 15
    assert log.starts == 1


async def test_killing_the_writer_mid_batch_loses_nothing(
    process_log: ProcessEventLog,
) -> None:
    await process_log.start()
    pid = process_log.pid
    assert pid is not None
    child = psutil.Process(pid)
    cpu0 = sum(child.cpu_times()[:2])
    rows = [event_row(e) for e in every_kind_of_event("r", 60_000)]
    append = asyncio.create_task(process_log.append(rows))
    # Kill it once it is busy with the batch (decoding or inserting), well before it ends.
    deadline = time.monotonic() + 20
    while sum(child.cpu_times()[:2]) - cpu0 < 0.03 and not append.done():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.002)
    assert not append.done()
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(EventWriterError, match="died"):
        await append
    assert await process_log.count("r") == 0  # the open transaction was rolled back
    await process_log.append(rows)  # a new process takes the retry
    assert process_log.pid not in (None, pid)
    assert process_log.starts == 2
    assert await process_log.count("r") == 60_000


async def _slow_task(ctx: TaskContext, task: Task) -> None:
    await asyncio.sleep(0.001)


async def test_killing_the_writer_during_a_run_loses_no_event(db_path: Path) -> None:
    collection = Collection("killed-writer")
    collection.seed(lambda params: [Task(f"t{i}") for i in range(6000)])
    collection.add_phase("work", _slow_task, workers=8)
    async with Monitor(str(db_path), event_writer="process") as monitor:
        log = monitor.store.events
        assert isinstance(log, ProcessEventLog)
        run = monitor.new_run(collection)
        execution = asyncio.create_task(run.execute())
        killed: list[int] = []
        last_written = 0
        while not execution.done():
            pid = log.pid
            # Kill each new writer once it has stored some events of its own.
            written = monitor.health().recorder.written
            if pid is not None and pid not in killed and written > last_written:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                last_written = monitor.health().recorder.written + 500
            await asyncio.sleep(0.005)
        assert await execution == "completed"
        await monitor.flush()
        frame = await monitor.frames.frame(run.run_id)
        assert frame is not None
        stored = await log.read_all(run.run_id)
        recorder = monitor.health().recorder
    assert len(killed) >= 2
    assert [e.seq for e in stored] == list(range(1, frame.last_seq + 1))
    assert len({e.id for e in stored}) == len(stored)
    assert sum(e.action == Action.COMPLETE for e in stored) == 6000
    assert recorder.rejected == 0
    # Every writer killed before the run's last write was replaced (the last one killed
    # may have had nothing left to write).
    assert log.starts in (len(killed), len(killed) + 1)


@pytest.mark.parametrize("kind", ["inline", "process"])
async def test_rows_already_stored_count_as_duplicates_not_rejections(
    database: Database, kind: str
) -> None:
    """A retried batch whose first attempt was committed (its answer lost) is not an error."""
    log = event_log_for(database, kind)
    events = every_kind_of_event("r", 15)
    await log.append([event_row(e) for e in events[:10]])
    recorder = Recorder(log, batch_size=100, interval=0.01)
    recorder.start()
    for event in events:
        recorder(event)
    await recorder.flush()
    await recorder.stop()
    assert (recorder.duplicates, recorder.rejected, recorder.written) == (10, 0, 5)
    assert await log.read_all("r") == events


async def test_flush_returns_only_once_events_are_stored(db_path: Path) -> None:
    async with Monitor(str(db_path), event_writer="process") as monitor:
        await monitor.open_run("r", "c", {}, None)
        # Enough rows that the writer needs a while (tens of ms) after the last batch is sent.
        for i in range(30_000):
            monitor.emit(ActivityEvent(run_id="r", action=Action.FOUND, worker_id=1 + i % 4))
        # The recorder's own flush (Monitor.flush also writes run rows, which would wait
        # for the writer's lock and hide an early return).
        await monitor.flush_events()
        # An independent connection, no engine involved: the rows are committed.
        with sqlite3.connect(db_path) as con:
            count, top = con.execute(
                "SELECT count(*), max(seq) FROM events WHERE run_id = 'r'"
            ).fetchone()
        assert (count, top) == (30_000, 30_000)
        assert monitor.unstored == 0


async def test_stop_leaves_no_writer_process_behind(db_path: Path) -> None:
    monitor = Monitor(str(db_path), event_writer="process")
    await monitor.start()
    log = monitor.store.events
    assert isinstance(log, ProcessEventLog)
    pid = log.pid
    assert pid is not None
    assert [child.pid for child in _writer_children()] == [pid]
    await monitor.open_run("r", "c", {}, None)
    monitor.emit(ActivityEvent(run_id="r", action=Action.FOUND, worker_id=1))
    await monitor.stop()
    assert _writer_children() == []
    assert not psutil.pid_exists(pid)
    assert log.pid is None
    # What was emitted before stop is stored.
    assert [row[3] for row in stored_rows(db_path)] == [1]
