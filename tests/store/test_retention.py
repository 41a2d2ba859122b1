"""Pruning deletes only what is past its retention and keeps every summary.

Three runs: one that ended 40 days ago, one that ended 10 days ago and one still going
whose events are 40 days old. With 30 days for raw events and minute rollups, ``plan``
counts what ``prune`` then deletes and deletes nothing itself; ``prune`` deletes the
first run's events (in chunks smaller than the run) and the minute rollups older than 30
days, and nothing else: the other runs' events, the hour and day rollups, the run rollups
and the error groups are unchanged, the pruned run is marked, and its chart series is the
same as before, now from the tallies saved when its events went.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from crawlscope.store import SqlStore
from crawlscope.store.rollup_schema import rollup_minutes
from crawlscope.store.schema import events, run_tasks, runs
from crawlscope.store.series import SeriesStore
from tests.store.rollup_reference import random_events, stored_error_groups, stored_rollups
from tests.store.test_rollups import on

NOW = datetime.now(UTC).replace(microsecond=0)


def _span(start: datetime, minutes: int) -> tuple[datetime, datetime]:
    return start, start + timedelta(minutes=minutes)


async def _run(
    store: SqlStore, run_id: str, status: str, started: datetime, ended: datetime | None
) -> None:
    await store.runs.create(run_id, "books", {})
    async with store.database.begin() as conn:
        await conn.execute(
            runs.update()
            .where(runs.c.id == run_id)
            .values(status=status, started_at=started, ended_at=ended, updated_at=ended or NOW)
        )


def _events_in(rng: random.Random, run_id: str, start: datetime, n: int) -> list[Any]:
    """``n`` events of one run within ten minutes of ``start``."""
    batch = random_events(rng, {run_id: 1}, n, start)
    for event in batch:
        offset = (int(event.ts[11:13]) * 60 + int(event.ts[14:16])) % 10
        at = start + timedelta(minutes=offset, seconds=int(event.ts[17:19]))
        event.ts = at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return batch


async def _counts(store: SqlStore) -> dict[str, int]:
    async with store.database.connect() as conn:
        rows = await conn.execute(
            sa.select(events.c.run_id, sa.func.count()).group_by(events.c.run_id)
        )
        counts = {run_id: int(n) for run_id, n in rows}
        counts["minutes"] = int(
            await conn.scalar(sa.select(sa.func.count()).select_from(rollup_minutes)) or 0
        )
    return counts


async def test_prune_keeps_what_is_inside_the_window_and_every_summary(store: SqlStore) -> None:
    rng = random.Random(40)
    old_start = NOW - timedelta(days=40)
    await _run(store, "old", "completed", *_span(old_start, 10))
    await _run(store, "recent", "completed", *_span(NOW - timedelta(days=10), 10))
    await _run(store, "going", "running", NOW - timedelta(days=40), None)
    await store.events.append_events(_events_in(rng, "old", old_start, 300))
    await store.events.append_events(_events_in(rng, "recent", NOW - timedelta(days=10), 200))
    await store.events.append_events(_events_in(rng, "going", NOW - timedelta(days=40), 100))
    series_before = await store.series.series("old", 120)
    rollups_before = await on(store, stored_rollups)
    groups_before = await on(store, stored_error_groups)
    before = await _counts(store)
    cut = int((NOW - timedelta(days=30)).timestamp())
    assert min(k[2] for k in rollups_before["rollup_minutes"]) < cut  # some are old
    old_minutes = sum(1 for key in rollups_before["rollup_minutes"] if key[2] < cut)
    retention = store.retention(raw_event_days=30, minute_rollup_days=30, batch_rows=70)

    plan = await retention.plan(NOW)
    assert (plan.dry_run, plan.runs, plan.events, plan.minute_rollups) == (
        True,
        1,
        300,
        old_minutes,
    )
    assert await _counts(store) == before  # a plan deletes nothing
    assert (await store.runs.get("old")).events_pruned_at is None  # type: ignore[union-attr]

    report = await retention.prune(NOW)
    assert (report.dry_run, report.runs, report.events, report.minute_rollups) == (
        False,
        1,
        300,
        old_minutes,
    )
    after = await _counts(store)
    assert "old" not in after
    assert (after["recent"], after["going"]) == (before["recent"], before["going"])
    assert after["minutes"] == before["minutes"] - old_minutes

    rollups_after = await on(store, stored_rollups)
    for name in ("rollup_hours", "rollup_days", "run_rollups"):
        assert rollups_after[name] == rollups_before[name], name
    assert rollups_after["rollup_minutes"] == {
        key: row for key, row in rollups_before["rollup_minutes"].items() if key[2] >= cut
    }
    assert await on(store, stored_error_groups) == groups_before

    old = await store.runs.get("old")
    assert old is not None
    assert old.events_pruned_at is not None
    for run_id in ("recent", "going"):
        assert (await store.runs.get(run_id)).events_pruned_at is None  # type: ignore[union-attr]
    # A new series store (nothing cached) draws the pruned run from the saved tallies.
    again = await SeriesStore(store.database).series("old", 120)
    assert again == series_before
    assert sum(p.requests_per_s for p in again.points) > 0  # type: ignore[union-attr]

    # Nothing is left to prune, and a second round deletes nothing.
    second = await retention.prune(NOW)
    assert (second.runs, second.events, second.minute_rollups) == (0, 0, 0)


async def test_prune_deletes_an_old_runs_frontier_but_its_failed_tasks(store: SqlStore) -> None:
    """A pruned run cannot be resumed, so its frontier goes; "retry failed tasks" still
    reads the failed ones. A recent run's frontier is left whole."""
    await _run(store, "old", "completed_with_errors", *_span(NOW - timedelta(days=40), 10))
    await _run(store, "recent", "interrupted", *_span(NOW - timedelta(days=10), 10))
    states = ["done", "pending", "failed", "done", "done"] * 40  # 200 tasks, 40 failed
    async with store.database.begin() as conn:
        for run_id in ("old", "recent"):
            await conn.execute(
                run_tasks.insert(),
                [
                    {"run_id": run_id, "no": no, "phase": "p", "state": state, "task": "{}"}
                    for no, state in enumerate(states)
                ],
            )
    retention = store.retention(raw_event_days=30, minute_rollup_days=30, batch_rows=70)
    assert (await retention.plan(NOW)).tasks == 160
    assert await store.frontiers.counts("old") == {"done": 120, "pending": 40, "failed": 40}

    report = await retention.prune(NOW)
    assert (report.runs, report.tasks) == (1, 160)
    assert await store.frontiers.counts("old") == {"failed": 40}
    assert await store.frontiers.counts("recent") == {"done": 120, "pending": 40, "failed": 40}
    assert (await retention.prune(NOW)).tasks == 0
