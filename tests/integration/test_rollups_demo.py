"""Rollups after a real demo run, and pruning it, on SQLite and PostgreSQL.

The demo collection runs against the faulty demo site on 127.0.0.1 through a ``Monitor``
on each backend. Its rollups then equal what its stored events say, and its run rollup
equals the run's own totals. ``crawlscope db prune --dry-run`` reports what would go and
deletes nothing; ``crawlscope db prune`` deletes it, and the run keeps its totals, its
worker cards and its rollups.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner, Result

from crawlscope.cli import app as cli_app
from crawlscope.demo import build_catalog, create_site, demo_collection, serve_site
from crawlscope.demo.target_site import RunningSite
from crawlscope.monitor import Monitor
from crawlscope.store import SqlStore
from crawlscope.store.rollup_schema import rollup_minutes, run_rollups
from tests.integration.test_demo_run import FAULTS
from tests.store.rollup_reference import stored_rollups
from tests.store.test_rollups import assert_rollups_match_events, on

# RunTotals field -> run_rollups column
SAME_AS_TOTALS = {
    "requests": "requests",
    "successes": "successes",
    "failures": "failures",
    "retries": "retries",
    "errors": "errors",
    "items_found": "items_found",
    "new_items": "items_new",
    "updated_items": "items_updated",
    "duplicates": "duplicates",
    "tasks_done": "tasks_done",
    "tasks_failed": "tasks_failed",
    "events": "events",
}


@pytest.fixture
async def faulty_site() -> AsyncIterator[RunningSite]:
    async with serve_site(create_site(build_catalog(seed=7, scale="tiny"), FAULTS)) as site:
        yield site


async def _cli(*args: str) -> Result:
    # In a thread: the command runs its own event loop.
    return await asyncio.to_thread(CliRunner().invoke, cli_app, list(args), env={"COLUMNS": "300"})


async def test_demo_run_rollups_and_prune(database_url: str, faulty_site: RunningSite) -> None:
    monitor = Monitor(database_url, save_interval=0.2, announce=False)
    await monitor.start()
    try:
        collection = demo_collection(workers=4, dataset="sellers", timeout=0.25)
        run = monitor.new_run(collection, {"base_url": faulty_site.url}, seed=1)
        assert await asyncio.wait_for(run.execute(), 60) == "completed"
        await monitor.flush()
    finally:
        await monitor.stop()

    store = SqlStore(database_url)
    await store.open()
    try:
        await on(store, assert_rollups_match_events)
        record = await store.runs.get(run.run_id)
        assert record is not None
        assert record.frame is not None
        async with store.database.connect() as conn:
            row = (
                (
                    await conn.execute(
                        sa.select(run_rollups).where(run_rollups.c.run_id == run.run_id)
                    )
                )
                .mappings()
                .one()
            )
            minutes = int(
                await conn.scalar(sa.select(sa.func.count()).select_from(rollup_minutes)) or 0
            )
        totals = record.totals
        assert {name: getattr(totals, name) for name in SAME_AS_TOTALS} == {
            name: row[column] for name, column in SAME_AS_TOTALS.items()
        }
        assert totals.failures > 0
        assert totals.items_found > 0
        assert row["collection"] == record.collection
        stored_events = await store.events.count(run.run_id)
        rollups = await on(store, stored_rollups)
        tasks = await store.frontiers.counts(run.run_id)
    finally:
        await store.close()

    shown = "--db", database_url, "--raw-event-days", "0", "--minute-rollup-days", "0"
    dry = await _cli("db", "prune", "--dry-run", *shown)
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    assert lines[0].startswith(
        f"raw events: would delete {stored_events:,} events of 1 run that ended"
    )
    # The run's frontier goes too, but for its failed tasks (retry reads them).
    failed = tasks.get("failed", 0)
    frontier = sum(tasks.values()) - failed
    assert frontier > 0
    assert lines[1] == (
        f"frontier tasks: would delete {frontier:,} of those runs (failed ones are kept)"
    )
    # Rows of the minute still going when the command runs are not past the cutoff yet.
    counted = re.match(r"minute rollups: would delete ([\d,]+) rows before", lines[2])
    assert counted is not None, lines[2]
    assert 0 < int(counted.group(1).replace(",", "")) <= minutes
    assert lines[3] == "dry run: nothing was deleted"

    store = SqlStore(database_url)
    await store.open()
    try:
        assert await store.events.count(run.run_id) == stored_events
        assert await on(store, stored_rollups) == rollups
    finally:
        await store.close()

    done = await _cli("db", "prune", *shown)
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[0].startswith(
        f"raw events: deleted {stored_events:,} events of 1 run that ended"
    )

    store = SqlStore(database_url)
    await store.open()
    try:
        assert await store.events.count(run.run_id) == 0
        assert await store.frontiers.counts(run.run_id) == ({"failed": failed} if failed else {})
        after = await store.runs.get(run.run_id)
        assert after is not None
        assert after.events_pruned_at is not None
        assert after.totals == record.totals
        assert after.frame == record.frame  # worker cards, sites, errors
        kept = await on(store, stored_rollups)
        for name in ("rollup_hours", "rollup_days", "run_rollups"):
            assert kept[name] == rollups[name], name
        assert kept["rollup_minutes"] == {}
    finally:
        await store.close()
