"""The ``run_tasks`` and ``run_frontiers`` tables: a run's frontier (runner/frontier.py)."""

from __future__ import annotations

from typing import Any, Protocol

import msgspec
import sqlalchemy as sa

from crawlscope.runner.frontier import FrontierUpdate, SavedFrontier, TaskState
from crawlscope.runner.task import Task
from crawlscope.store.database import Database
from crawlscope.store.schema import run_frontiers, run_tasks
from crawlscope.timestamps import format_ts, utc_now

__all__ = ["FrontierStore", "FrontierWriter"]

_encode = msgspec.json.Encoder().encode
_decode_task = msgspec.json.Decoder(Task).decode
_decode_list = msgspec.json.Decoder(list[Any]).decode


def _statements(paramstyle: str) -> tuple[str, str]:
    """The insert and the state update in the driver's placeholders (sqlite3: ``?``,
    asyncpg: ``$1``)."""
    if paramstyle == "qmark":
        marks = ["?"] * 6
    elif paramstyle == "numeric_dollar":
        marks = [f"${i}" for i in range(1, 7)]
    else:  # pragma: no cover - the two drivers crawlscope supports are above
        raise ValueError(f"unsupported paramstyle {paramstyle!r}")
    # A save sent again (its answer lost, or retried after an error at commit) must not
    # fail on the rows it stored the first time.
    insert = (
        "INSERT INTO run_tasks (run_id, no, phase, key, state, task) "
        f"VALUES ({', '.join(marks)}) "
        "ON CONFLICT (run_id, no) DO UPDATE SET state = excluded.state"
    )
    update = (
        f"UPDATE run_tasks SET state = {marks[0]} WHERE run_id = {marks[1]} AND no = {marks[2]}"
    )
    return insert, update


class FrontierWriter(Protocol):
    """Writes frontier rows elsewhere: the event writer process (``ProcessEventLog``)."""

    async def save_frontier(
        self,
        tasks: list[tuple[Any, ...]],
        changes: list[tuple[Any, ...]],
        meta: tuple[Any, ...],
    ) -> None:
        """Store them in one transaction."""


class FrontierStore:
    """Saves frontier updates in one transaction each; loads what a resume needs.

    With a ``writer`` (SQLite files: the event writer process) the saves are written
    there: binding a row per task queued and per task finished in this process's aiosqlite
    thread cost the runner 0.07 of its crawl ratio against a bare aiohttp pool, most of
    it the GIL going back and forth (docs/performance.md). Reads stay on ``database``.
    """

    def __init__(self, database: Database, writer: FrontierWriter | None = None) -> None:
        self.database = database
        self.writer = writer

    async def save(self, run_id: str, update: FrontierUpdate) -> None:
        """Insert the queued tasks, apply the state changes, store the counters."""
        # Only the last state of a task counts; its order among tasks does not.
        final: dict[int, TaskState] = {}
        for no, state in update.states:
            final[no] = state
        # A task queued and finished within one batch is inserted in its final state.
        rows = [
            (
                run_id,
                no,
                phase,
                task.key,
                final.pop(no, TaskState.PENDING).value,
                _encode(task).decode(),
            )
            for no, phase, task in update.added
        ]
        changes = [(state.value, run_id, no) for no, state in final.items()]
        finished_phases = _encode(update.finished_phases).decode()
        progress = _encode(update.progress).decode()
        saved_at = utc_now()
        if self.writer is not None:
            # saved_at as the Timestamp column stores it on SQLite (the writer's database).
            meta_row = (run_id, update.next_no, finished_phases, progress, update.items)
            await self.writer.save_frontier(rows, changes, (*meta_row, format_ts(saved_at)))
            return
        meta = {
            "next_no": update.next_no,
            "finished_phases": finished_phases,
            "progress": progress,
            "items": update.items,
            "saved_at": saved_at,
        }
        async with self.database.begin() as conn:
            # Plain executemany through the driver: one row per task queued and per task
            # finished makes this the runner's busiest write after the events, and Core's
            # per-row parameter handling doubled its cost (docs/performance.md).
            insert, update_state = _statements(conn.dialect.paramstyle)
            if rows:
                await conn.exec_driver_sql(insert, rows)
            if changes:
                await conn.exec_driver_sql(update_state, changes)
            updated = await conn.execute(
                run_frontiers.update().where(run_frontiers.c.run_id == run_id).values(**meta)
            )
            if not updated.rowcount:
                await conn.execute(run_frontiers.insert().values(run_id=run_id, **meta))

    async def load(self, run_id: str) -> SavedFrontier | None:
        """The run's saved frontier; None if it never saved one."""
        async with self.database.connect() as conn:
            meta = (
                await conn.execute(sa.select(run_frontiers).where(run_frontiers.c.run_id == run_id))
            ).first()
            if meta is None:
                return None
            result = await conn.execute(
                sa.select(
                    run_tasks.c.no,
                    run_tasks.c.phase,
                    run_tasks.c.key,
                    run_tasks.c.state,
                    run_tasks.c.task,
                )
                .where(run_tasks.c.run_id == run_id)
                .order_by(run_tasks.c.no)
            )
            pending: list[tuple[int, str, Task]] = []
            keys: dict[str, list[str]] = {}
            done = failed = 0
            for no, phase, key, state, text in result:
                if key is not None:
                    keys.setdefault(phase, []).append(key)
                if state == TaskState.PENDING:
                    pending.append((no, phase, _decode_task(text)))
                elif state == TaskState.DONE:
                    done += 1
                else:
                    failed += 1
        return SavedFrontier(
            pending=pending,
            keys=keys,
            next_no=meta.next_no,
            finished_phases=[str(p) for p in _decode_list(meta.finished_phases)],
            progress=_decode_list(meta.progress),
            items=meta.items,
            done=done,
            failed=failed,
        )

    async def failed(self, run_id: str) -> list[tuple[str, Task]]:
        """``(phase, task)`` of the run's tasks that failed for good, in queue order."""
        async with self.database.connect() as conn:
            result = await conn.execute(
                sa.select(run_tasks.c.phase, run_tasks.c.task)
                .where(run_tasks.c.run_id == run_id, run_tasks.c.state == TaskState.FAILED.value)
                .order_by(run_tasks.c.no)
            )
            return [(phase, _decode_task(text)) for phase, text in result]

    async def counts(self, run_id: str) -> dict[str, int]:
        """Tasks of the run by state."""
        async with self.database.connect() as conn:
            result = await conn.execute(
                sa.select(run_tasks.c.state, sa.func.count())
                .where(run_tasks.c.run_id == run_id)
                .group_by(run_tasks.c.state)
            )
            return {str(state): int(n) for state, n in result}
