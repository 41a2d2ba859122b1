"""Writing rollups: the upserts that add a folded batch to the rollup tables.

The statements are SQLAlchemy's dialect inserts (``INSERT ... ON CONFLICT DO UPDATE`` on
SQLite and PostgreSQL) whose update adds the new figures to the stored ones, so a batch
costs one ``executemany`` per table it touches. ``RollupWriter`` runs them in the
transaction of the event batch (in-process event log, the migration's backfill);
``writer_process_sql`` renders the same statements for the SQLite writer process, which
runs them with the standard library's ``sqlite3``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from crawlscope.events import EVENT_FIELDS
from crawlscope.store.rollup_fold import METRIC_COLUMNS, RollupBatch, fold
from crawlscope.store.rollup_schema import (
    error_group_hours,
    error_groups,
    rollup_days,
    rollup_hours,
    rollup_minutes,
    run_rollups,
)
from crawlscope.store.schema import runs

__all__ = ["UNKNOWN_COLLECTION", "RollupWriter", "upsert_statements", "writer_process_sql"]

UNKNOWN_COLLECTION = "unknown"
"""The collection of events whose run has no row (as a remote run without ``run_started``)."""

_RUN_ID = EVENT_FIELDS.index("run_id")
_TABLES = (rollup_minutes, rollup_hours, rollup_days, run_rollups, error_groups, error_group_hours)


def _least(dialect: str) -> Callable[..., Any]:
    # SQLite's two-argument min()/max() are scalar; PostgreSQL spells them least/greatest.
    return sa.func.min if dialect == "sqlite" else sa.func.least


def _greatest(dialect: str) -> Callable[..., Any]:
    return sa.func.max if dialect == "sqlite" else sa.func.greatest


def _upsert(table: sa.Table, dialect: str) -> Any:
    insert = sqlite.insert(table) if dialect == "sqlite" else postgresql.insert(table)
    new = insert.excluded
    keys = [column.name for column in table.primary_key.columns]
    updates: dict[str, Any] = {}
    for name in METRIC_COLUMNS:
        if name in table.c:
            updates[name] = table.c[name] + new[name]
    if "count" in table.c:
        updates["count"] = table.c["count"] + new["count"]
    if table is run_rollups:
        updates["first_minute"] = _least(dialect)(table.c.first_minute, new.first_minute)
        updates["last_minute"] = _greatest(dialect)(table.c.last_minute, new.last_minute)
    if table is error_groups:
        updates["first_seen"] = _least(dialect)(table.c.first_seen, new.first_seen)
        updates["last_seen"] = _greatest(dialect)(table.c.last_seen, new.last_seen)
        newer = new.last_seen >= table.c.last_seen
        for name in ("example_event_id", "example_run_id", "example_message"):
            updates[name] = sa.case((newer, new[name]), else_=table.c[name])
    return insert.on_conflict_do_update(index_elements=keys, set_=updates)


def upsert_statements(dialect: str) -> dict[str, Any]:
    """Table name -> its upsert statement, for ``sqlite`` or ``postgresql``."""
    return {table.name: _upsert(table, dialect) for table in _TABLES}


def _insert_columns(table: sa.Table) -> list[str]:
    """The columns a folded row carries (all but those only pruning writes)."""
    return [column.name for column in table.columns if column.name != "series"]


def writer_process_sql() -> dict[str, str]:
    """The upserts as SQLite SQL with named parameters (``:column``), for ``sqlite3``."""
    dialect = sqlite.dialect(paramstyle="named")
    out: dict[str, str] = {}
    for name, stmt in upsert_statements("sqlite").items():
        table = next(t for t in _TABLES if t.name == name)
        out[name] = stmt.compile(dialect=dialect, column_keys=_insert_columns(table)).string
    return out


class RollupWriter:
    """Folds event rows and upserts the result on a given connection (in its transaction)."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self._statements = upsert_statements(dialect)
        # Run id -> collection: a run's collection never changes once its row exists.
        self._collections: dict[str, str] = {}

    async def write(self, conn: Any, rows: Sequence[Sequence[Any]]) -> None:
        """Add the rollups of ``rows`` (event rows in ``EVENT_FIELDS`` order) on ``conn``."""
        if not rows:
            return
        await self._learn(conn, {row[_RUN_ID] for row in rows})
        batch = fold(rows, EVENT_FIELDS, self._collection_of)
        for name, table_rows in batch.tables():
            await conn.execute(self._statements[name], table_rows)

    def write_sync(self, conn: sa.Connection, batch: RollupBatch) -> None:
        """Upsert an already folded batch on a synchronous connection (migrations)."""
        for name, table_rows in batch.tables():
            conn.execute(self._statements[name], table_rows)

    def _collection_of(self, run_id: str) -> str:
        return self._collections.get(run_id, UNKNOWN_COLLECTION)

    async def _learn(self, conn: Any, run_ids: Iterable[str]) -> None:
        missing = [run_id for run_id in run_ids if run_id not in self._collections]
        if not missing:
            return
        if len(self._collections) > 10_000:
            self._collections.clear()
        result = await conn.execute(
            sa.select(runs.c.id, runs.c.collection).where(runs.c.id.in_(missing))
        )
        for run_id, collection in result:
            self._collections[run_id] = collection
