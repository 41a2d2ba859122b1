"""Retention: deleting raw events and minute rollups past their age, in small transactions.

Raw events go run by run: a run's events are deleted once the run ended more than
``raw_event_days`` ago (a run still going keeps all of its events, however old, so a
run's event feed is whole or gone, never cut in the middle). Before its events go, the
run's chart tallies are saved on its ``run_rollups`` row and ``runs.events_pruned_at`` is
set, in one transaction: from then on the series endpoint draws from the saved tallies and
the API says the feed was pruned, while the frame (worker cards, sites, errors), totals
and rollups, which never depended on raw events, stay as they were.

The frontier of such a run (``run_tasks``: every task it queued, kept for crash resume)
goes with its events, but for the tasks that failed for good: "retry failed tasks" starts
a new run of those, at any age. A run whose events are pruned cannot be resumed anyway.

Minute rollups older than ``minute_rollup_days`` are deleted an hour of buckets at a
time; hour and day rollups, run rollups and error groups are kept for ever.

Each delete is its own short transaction of at most ``batch_rows`` events (a seq range of
one run, on the primary key) or an hour of minute rows, with a pause between them, so
event writers (the writer process, ingest) get the database between two of them.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import msgspec
import sqlalchemy as sa

from crawlscope.status import TERMINAL_STATUSES
from crawlscope.store.database import Database
from crawlscope.store.rollup_schema import rollup_minutes, run_rollups
from crawlscope.store.schema import events, run_tasks, runs
from crawlscope.store.series import SeriesStore
from crawlscope.timestamps import utc_now

__all__ = ["PruneReport", "Retention"]


class PruneReport(msgspec.Struct, kw_only=True):
    """What a prune deleted, or (``dry_run``) would delete."""

    dry_run: bool
    raw_before: datetime
    """Runs that ended before this lose their raw events."""
    minutes_before: datetime
    """Minute rollups of periods starting before this are deleted."""
    runs: int = 0
    """Runs whose raw events are deleted."""
    events: int = 0
    tasks: int = 0
    """Those runs' frontier tasks (all but the failed ones, which retry reads)."""
    minute_rollups: int = 0


_TERMINAL = sorted(str(status) for status in TERMINAL_STATUSES)
_FAILED_TASK = "failed"  # crawlscope.runner.frontier.TaskState.FAILED (no runner import here)
# When a run ended: its end, else its last update (a run ended without an end time).
_ended_at = sa.func.coalesce(runs.c.ended_at, runs.c.updated_at, runs.c.created_at)


class Retention:
    """Prunes one database's raw events and minute rollups (see the module's docstring)."""

    def __init__(
        self,
        database: Database,
        series: SeriesStore,
        *,
        raw_event_days: float = 30.0,
        minute_rollup_days: float = 30.0,
        batch_rows: int = 5000,
        pause_s: float = 0.01,
    ) -> None:
        self.database = database
        self.series = series
        self.raw_event_days = raw_event_days
        self.minute_rollup_days = minute_rollup_days
        self.batch_rows = batch_rows
        self.pause_s = pause_s

    def _report(self, now: datetime | None, dry_run: bool) -> PruneReport:
        now = now or utc_now()
        return PruneReport(
            dry_run=dry_run,
            raw_before=now - timedelta(days=self.raw_event_days),
            minutes_before=now - timedelta(days=self.minute_rollup_days),
        )

    def _expired_runs(self, before: datetime) -> sa.Select[tuple[str]]:
        return sa.select(runs.c.id).where(
            runs.c.status.in_(_TERMINAL),
            runs.c.events_pruned_at.is_(None),
            _ended_at < before,
        )

    async def plan(self, now: datetime | None = None) -> PruneReport:
        """What ``prune`` would delete now, counted without deleting anything."""
        report = self._report(now, dry_run=True)
        expired = self._expired_runs(report.raw_before).subquery()
        minute_cut = int(report.minutes_before.timestamp())
        async with self.database.connect() as conn:
            report.runs = int(
                await conn.scalar(sa.select(sa.func.count()).select_from(expired)) or 0
            )
            report.events = int(
                await conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(events)
                    .where(events.c.run_id.in_(sa.select(expired.c.id)))
                )
                or 0
            )
            report.tasks = int(
                await conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(run_tasks)
                    .where(
                        run_tasks.c.run_id.in_(sa.select(expired.c.id)),
                        run_tasks.c.state != _FAILED_TASK,
                    )
                )
                or 0
            )
            report.minute_rollups = int(
                await conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(rollup_minutes)
                    .where(rollup_minutes.c.bucket_start < minute_cut)
                )
                or 0
            )
        return report

    async def prune(self, now: datetime | None = None) -> PruneReport:
        """Delete what is past its age, in short transactions; what was deleted."""
        report = self._report(now, dry_run=False)
        async with self.database.connect() as conn:
            run_ids = list((await conn.scalars(self._expired_runs(report.raw_before))).all())
        for run_id in run_ids:
            report.events += await self._prune_run(run_id)
            report.tasks += await self._prune_tasks(run_id)
            report.runs += 1
        report.minute_rollups = await self._prune_minutes(int(report.minutes_before.timestamp()))
        return report

    async def _prune_run(self, run_id: str) -> int:
        """Save the run's chart tallies and mark it, then delete its events chunk by chunk."""
        async with self.database.begin() as conn:
            series = await self.series.snapshot(conn, run_id)
            saved = await conn.execute(
                run_rollups.update().where(run_rollups.c.run_id == run_id).values(series=series)
            )
            if saved.rowcount == 0:  # a run without events has no rollup row yet
                collection = await conn.scalar(
                    sa.select(runs.c.collection).where(runs.c.id == run_id)
                )
                await conn.execute(
                    run_rollups.insert().values(
                        run_id=run_id,
                        collection=collection or "unknown",
                        first_minute=0,
                        last_minute=0,
                        series=series,
                    )
                )
            await conn.execute(
                runs.update().where(runs.c.id == run_id).values(events_pruned_at=utc_now())
            )
            bounds = (
                await conn.execute(
                    sa.select(sa.func.min(events.c.seq), sa.func.max(events.c.seq)).where(
                        events.c.run_id == run_id
                    )
                )
            ).one()
        if bounds[0] is None:
            return 0
        deleted = 0
        low = int(bounds[0]) - 1
        top = int(bounds[1])
        while low < top:
            high = low + self.batch_rows
            async with self.database.begin() as conn:
                result = await conn.execute(
                    events.delete().where(
                        events.c.run_id == run_id, events.c.seq > low, events.c.seq <= high
                    )
                )
                deleted += max(result.rowcount, 0)
            low = high
            await asyncio.sleep(self.pause_s)
        return deleted

    async def _prune_tasks(self, run_id: str) -> int:
        """Delete the run's frontier tasks but the failed ones, chunk by chunk."""
        async with self.database.connect() as conn:
            top = await conn.scalar(
                sa.select(sa.func.max(run_tasks.c.no)).where(run_tasks.c.run_id == run_id)
            )
        deleted = 0
        low = -1
        while top is not None and low < top:
            high = low + self.batch_rows
            async with self.database.begin() as conn:
                result = await conn.execute(
                    run_tasks.delete().where(
                        run_tasks.c.run_id == run_id,
                        run_tasks.c.no > low,
                        run_tasks.c.no <= high,
                        run_tasks.c.state != _FAILED_TASK,
                    )
                )
                deleted += max(result.rowcount, 0)
            low = high
            await asyncio.sleep(self.pause_s)
        return deleted

    async def _prune_minutes(self, cut: int) -> int:
        """Delete minute rows before ``cut``, one hour of buckets per transaction (gaps
        between stored hours are skipped, not walked)."""
        deleted = 0
        while True:
            async with self.database.connect() as conn:
                oldest = await conn.scalar(
                    sa.select(sa.func.min(rollup_minutes.c.bucket_start)).where(
                        rollup_minutes.c.bucket_start < cut
                    )
                )
            if oldest is None:
                return deleted
            high = min(int(oldest) - int(oldest) % 3600 + 3600, cut)
            async with self.database.begin() as conn:
                result = await conn.execute(
                    rollup_minutes.delete().where(rollup_minutes.c.bucket_start < high)
                )
                deleted += max(result.rowcount, 0)
            await asyncio.sleep(self.pause_s)
