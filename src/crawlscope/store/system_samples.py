"""System samples in the store: the server's CPU, memory, disk and load every 10 s, and
the host figures remote runners send with their batches (the ``system_samples`` table,
migration 0010), kept ``system_sample_days`` (7) for the overview's and run pages' charts.

``source`` says whose figures a row holds: ``server`` for the server that took it (one
database may serve several; each names itself by its host name, ``server:<host>``), and
``run:<run_id>`` for the machine a remote run reports from. ``at`` is Unix seconds, an
integer, so that averaging over buckets is the same integer arithmetic on SQLite and
PostgreSQL (``at - at % 60``).
"""

from __future__ import annotations

import math

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from crawlscope.store.database import Database
from crawlscope.store.schema import metadata

__all__ = [
    "SampleHistory",
    "SystemSample",
    "SystemSampleStore",
    "system_samples",
]

system_samples = sa.Table(
    "system_samples",
    metadata,
    sa.Column("source", sa.String(200), primary_key=True),
    sa.Column("at", sa.BigInteger, primary_key=True),
    sa.Column("cpu_percent", sa.Float, nullable=False),
    sa.Column("memory_percent", sa.Float, nullable=False),
    sa.Column("disk_percent", sa.Float),
    sa.Column("process_rss_mb", sa.Float),
    sa.Column("open_connections", sa.Integer),
    sa.Column("active_runs", sa.Integer),
    sa.Column("running_workers", sa.Integer),
    sa.Index("ix_system_samples_at", "at"),
)

_FIGURES = (
    "cpu_percent",
    "memory_percent",
    "disk_percent",
    "process_rss_mb",
    "open_connections",
    "active_runs",
    "running_workers",
)
# Levels are averaged over a bucket; counts that matter at their peak take the maximum.
_PEAKS = frozenset({"process_rss_mb", "active_runs", "running_workers"})


class SystemSample(msgspec.Struct, kw_only=True):
    """One sample (a point of the chart: the average over its bucket, peaks for RSS, runs
    and workers). Figures a source does not measure are None."""

    at: int
    """Unix seconds (UTC): the sample's moment, or its bucket's start."""
    cpu_percent: float
    memory_percent: float
    disk_percent: float | None = None
    process_rss_mb: float | None = None
    open_connections: float | None = None
    active_runs: int | None = None
    running_workers: int | None = None


class SampleHistory(msgspec.Struct, kw_only=True):
    """A source's samples over a time range, at most ``points`` of them."""

    source: str
    since: int
    until: int
    every_s: int
    """The width of a point: the sampling interval, or a bucket of several samples when
    the range holds more than the points asked for."""
    samples: list[SystemSample]


def _bucket_s(since: int, until: int, points: int, interval_s: int) -> int:
    """The smallest multiple of ``interval_s`` giving at most ``points`` buckets."""
    span = max(until - since, 1)
    per_point = max(span / max(points, 1), interval_s)
    return int(math.ceil(per_point / interval_s) * interval_s)


class SystemSampleStore:
    """Writes, reads and prunes system samples."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def add(self, source: str, sample: SystemSample) -> None:
        """Store one sample; a second one for the same source and second is ignored."""
        values = {"source": source, **msgspec.structs.asdict(sample)}
        async with self.database.begin() as conn:
            insert = sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert
            await conn.execute(insert(system_samples).values(values).on_conflict_do_nothing())

    async def history(
        self,
        source: str,
        *,
        since: int,
        until: int,
        points: int = 720,
        interval_s: int = 10,
    ) -> SampleHistory:
        """``source``'s samples with ``since <= at < until``, averaged over buckets when
        there are more than ``points`` (a day of 10 s samples is 8,640)."""
        every = _bucket_s(since, until, points, interval_s)
        t = system_samples.c
        bucket = (t.at - t.at % every).label("bucket")
        columns = [
            (sa.func.max(t[name]) if name in _PEAKS else sa.func.avg(t[name])).label(name)
            for name in _FIGURES
        ]
        query = (
            sa.select(bucket, *columns)
            .where(t.source == source, t.at >= since, t.at < until)
            .group_by(bucket)
            .order_by(bucket)
        )
        async with self.database.connect() as conn:
            rows = (await conn.execute(query)).all()
        samples = [
            SystemSample(
                at=int(row.bucket),
                cpu_percent=round(float(row.cpu_percent), 2),
                memory_percent=round(float(row.memory_percent), 2),
                disk_percent=_rounded(row.disk_percent),
                process_rss_mb=_rounded(row.process_rss_mb),
                open_connections=_rounded(row.open_connections),
                active_runs=None if row.active_runs is None else int(row.active_runs),
                running_workers=None if row.running_workers is None else int(row.running_workers),
            )
            for row in rows
        ]
        return SampleHistory(
            source=source, since=since, until=until, every_s=every, samples=samples
        )

    async def sources(self) -> list[str]:
        """Every source with samples, by name."""
        query = sa.select(system_samples.c.source).distinct().order_by(system_samples.c.source)
        async with self.database.connect() as conn:
            return [str(source) for source in (await conn.scalars(query)).all()]

    async def prune(self, *, before: int) -> int:
        """Delete samples older than ``before`` (Unix seconds); how many."""
        async with self.database.begin() as conn:
            result = await conn.execute(system_samples.delete().where(system_samples.c.at < before))
        return int(result.rowcount or 0)


def _rounded(value: object) -> float | None:
    return None if value is None else round(float(value), 2)  # type: ignore[arg-type]
