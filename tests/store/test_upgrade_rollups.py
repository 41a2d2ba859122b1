"""Migration 0009 backfills the rollups of a database that already has events.

A database at 0008 gets runs and a few thousand events of every kind written the way the
code of 0008 wrote them (no rollups); opening it with ``SqlStore`` migrates it to head,
and the rollups then equal what the events say. Events appended afterwards add to the
backfilled rows. Down to 0008 and up again backfills once more, to the same figures.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from crawlscope.events import EVENT_FIELDS, ActivityEvent
from crawlscope.store import SqlStore
from crawlscope.store.event_log import event_row
from crawlscope.store.schema import events, runs
from tests.store.rollup_reference import random_events, stored_error_groups, stored_rollups
from tests.store.test_rollups import START, assert_rollups_match_events, on
from tests.store.test_upgrade import _downgrade, _on, _revision, _schema_differences, _upgrade

RUNS = {"old-1": "books", "old-2": "shoes"}


def _exact(tables: dict[str, Any]) -> dict[str, Any]:
    """The rollups without the float sum of durations (whose last bits depend on the order
    the events were added in)."""
    return {
        name: {
            key: {k: v for k, v in row.items() if k != "latency_sum_ms"} for key, row in t.items()
        }
        for name, t in tables.items()
    }


def _write_as_0008(batch: list[ActivityEvent]) -> object:
    def work(conn: sa.Connection) -> None:
        for run_id, collection in RUNS.items():
            conn.execute(
                runs.insert().values(
                    id=run_id,
                    collection=collection,
                    status="completed",
                    created_at=datetime(2026, 11, 28, tzinfo=UTC),
                )
            )
        conn.execute(
            events.insert(), [dict(zip(EVENT_FIELDS, event_row(e), strict=True)) for e in batch]
        )

    return work


async def test_migration_backfills_rollups_from_stored_events(database_url: str) -> None:
    await _on(database_url, _upgrade("0008"))
    rng = random.Random(9)
    seqs = dict.fromkeys(RUNS, 1)
    # One page of the backfill (pages are 20,000 events: more would make this test slow).
    await _on(database_url, _write_as_0008(random_events(rng, seqs, 3000, START)))

    store = SqlStore(database_url)
    await store.open()  # migrates to head: backfill
    try:
        assert await _on(database_url, _revision) == "0010"
        assert await _on(database_url, _schema_differences) == []
        await on(store, assert_rollups_match_events)
        backfilled = await on(store, stored_rollups)
        assert sum(r["events"] for r in backfilled["run_rollups"].values()) == 3000
        # New events add to the backfilled rows.
        await store.events.append_events(random_events(rng, seqs, 500, START))
        await on(store, assert_rollups_match_events)
        after = await on(store, stored_rollups)
        groups = await on(store, stored_error_groups)
    finally:
        await store.close()

    await _on(database_url, _downgrade("0008"))
    tables = await _on(database_url, lambda conn: set(sa.inspect(conn).get_table_names()))
    assert "rollup_minutes" not in tables
    store = SqlStore(database_url)
    await store.open()
    try:
        assert _exact(await on(store, stored_rollups)) == _exact(after)
        await on(store, assert_rollups_match_events)
        assert await on(store, stored_error_groups) == groups
    finally:
        await store.close()
