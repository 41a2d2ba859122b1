"""Rollups kept up to date by the event write path equal what the raw events say.

Seeded random batches of every kind of event, over three runs of two collections, three
sites and three days, are appended through the store's event log (a writer process on a
SQLite file, in-process on PostgreSQL); then every rollup row is compared with a
``GROUP BY`` over the stored events (``rollup_reference``), and the error groups with the
events' errors grouped by fingerprint. A batch the store refuses adds nothing to them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from crawlscope.events import Action, ActivityEvent
from crawlscope.store import EventConflict, SqlStore
from crawlscope.store.rollup_schema import run_rollups
from tests.store.rollup_reference import (
    COMPARED,
    expected_error_groups,
    expected_rollups,
    random_events,
    stored_error_groups,
    stored_rollups,
)

RUNS = {"r-books-1": "books", "r-books-2": "books", "r-shoes-1": "shoes"}
START = datetime(2026, 11, 28, 22, 30, tzinfo=UTC)


async def on(store: SqlStore, work: Callable[[sa.Connection], Any]) -> Any:
    """Run a synchronous ``work`` on a connection of the store's database."""
    async with store.database.connect() as conn:
        return await conn.run_sync(work)


def assert_rollups_match_events(conn: sa.Connection) -> None:
    """Every rollup table and the error groups agree with the stored raw events."""
    expected = expected_rollups(conn)
    stored = stored_rollups(conn)
    for table, rows in expected.items():
        assert set(stored[table]) == set(rows), table
        for key, metrics in rows.items():
            got = stored[table][key]
            assert {n: got[n] for n in COMPARED} == {n: metrics[n] for n in COMPARED}, (
                table,
                key,
            )
            assert got["latency_sum_ms"] == pytest.approx(metrics["latency_sum_ms"]), (table, key)
    assert stored_error_groups(conn) == expected_error_groups(conn)


async def test_random_batches_make_the_rollups_of_their_events(store: SqlStore) -> None:
    for run_id, collection in RUNS.items():
        await store.runs.create(run_id, collection, {})
    rng = random.Random(20261204)
    seqs = dict.fromkeys(RUNS, 1)
    stored: list[ActivityEvent] = []
    for _ in range(12):
        batch = random_events(rng, seqs, rng.choice([1, 7, 150, 400]), START)
        await store.events.append_events(batch)
        stored.extend(batch)
    assert len(stored) > 1000

    await on(store, assert_rollups_match_events)
    tables = await on(store, stored_rollups)
    # Bytes come from the request events' ``extra``.
    sent = sum(
        (e.extra or {}).get("bytes", 0) for e in stored if e.action == "found" and e.worker_id
    )
    async with store.database.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.sum(run_rollups.c.bytes))) == sent
    # Each grain holds the same totals, and figures really were counted.
    totals = {
        name: sum(row["requests"] for row in tables[name].values())
        for name in ("rollup_minutes", "rollup_hours", "rollup_days", "run_rollups")
    }
    assert len(set(totals.values())) == 1
    assert totals["run_rollups"] == sum(1 for e in stored if e.action == "fetching")
    assert len(tables["rollup_days"]) < len(tables["rollup_hours"]) < len(tables["rollup_minutes"])

    # A refused batch (one event's seq is taken) adds nothing to any rollup.
    before = await on(store, stored_rollups)
    groups = await on(store, stored_error_groups)
    taken = ActivityEvent(run_id="r-books-1", seq=1, action=Action.FETCHING, worker_id=1)
    fresh = random_events(rng, seqs, 50, START)
    with pytest.raises(EventConflict):
        await store.events.append_events([*fresh, taken])
    assert await on(store, stored_rollups) == before
    assert await on(store, stored_error_groups) == groups


async def test_error_groups_keep_first_last_seen_and_the_newest_example(store: SqlStore) -> None:
    await store.runs.create("r1", "books", {})

    def error(seq: int, ts: str, message: str) -> ActivityEvent:
        return ActivityEvent(
            run_id="r1",
            seq=seq,
            ts=ts,
            action=Action.ERROR,
            worker_id=1,
            error_type="http_5xx",
            error_stage="request",
            error_message=message,
            id=f"e{seq}",
        )

    await store.events.append_events(
        [error(1, "2026-12-01T10:00:00.000Z", "HTTP 503 for https://a.example/p/1")]
    )
    await store.events.append_events(
        [
            error(2, "2026-12-01T12:30:00.000Z", "HTTP 502 for https://a.example/p/77?x=1"),
            error(3, "2026-12-01T09:00:00.000Z", "HTTP 500 for https://b.example/"),
        ]
    )

    def read(conn: sa.Connection) -> list[Any]:
        return conn.execute(sa.text("SELECT * FROM error_groups")).mappings().all()

    (group,) = await on(store, read)
    assert group["pattern"] == "HTTP <n> for <url>"
    assert (group["count"], group["first_seen"], group["last_seen"]) == (
        3,
        "2026-12-01T09:00:00.000Z",
        "2026-12-01T12:30:00.000Z",
    )
    assert (group["example_event_id"], group["example_run_id"]) == ("e2", "r1")
    assert group["example_message"] == "HTTP 502 for https://a.example/p/77?x=1"

    def hours(conn: sa.Connection) -> list[tuple[int, int]]:
        rows = conn.execute(sa.text("SELECT bucket_start, count FROM error_group_hours"))
        return sorted((int(a), int(b)) for a, b in rows)

    nine = int(datetime(2026, 12, 1, 9, tzinfo=UTC).timestamp())
    assert await on(store, hours) == [(nine, 1), (nine + 3600, 1), (nine + 3 * 3600, 1)]
