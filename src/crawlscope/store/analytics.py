"""Analytics over stored history: read only from the rollup tables and run summaries.

``AnalyticsStore`` answers the analytics API (``GET /api/analytics/...``) with SQLAlchemy
Core that runs unchanged on SQLite and PostgreSQL. Sums over a range are taken from the
coarsest rollups that fit (``analytics_range.segments``) and added in Python, so a month
reads days, not minutes; raw events are never read, and so analytics work the same after
events are pruned. Every method is one short read transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crawlscope.store.analytics_heatmap import UTC_ZONE, read_heatmap
from crawlscope.store.analytics_range import (
    RESOLUTIONS,
    Sums,
    add_sums,
    epoch,
    iso,
    latency_quantile,
    rate,
    segments,
)
from crawlscope.store.analytics_runs import compare_runs, run_costs, run_insights, runs_in
from crawlscope.store.analytics_types import (
    CostReport,
    ErrorGroup,
    ErrorReport,
    Heatmap,
    Prices,
    RunComparison,
    RunInsights,
    SiteRow,
    SiteTable,
    Summary,
    TrendPoint,
    Trends,
    Window,
)
from crawlscope.store.database import Database
from crawlscope.store.field_insights import FieldInsights, field_insights
from crawlscope.store.rollup_fold import ERROR_TYPES, LATENCY_COLUMNS, METRIC_COLUMNS
from crawlscope.store.rollup_schema import (
    error_group_hours,
    error_groups,
    rollup_days,
    rollup_hours,
    rollup_minutes,
)
from crawlscope.timestamps import format_ts

__all__ = ["AnalyticsStore", "Range"]

# No latency bins in trends: summing the 70 bin columns of every row costs five times the
# rest of the query (26 vs 5 ms for a day of minutes over 36 collection x site rows
# each); the range's percentiles are in the summary and per site.
_TREND: Final = (
    "requests",
    "successes",
    "errors",
    "items_found",
    "latency_count",
    "latency_sum_ms",
)
_SITE: Final = (
    "requests",
    "successes",
    "failures",
    "errors",
    "bytes",
    "latency_count",
    "latency_sum_ms",
    *(f"failures_{t}" for t in ERROR_TYPES),
    "failures_other",
    *LATENCY_COLUMNS,
)
_HEAT: Final = ("requests", "successes", "items_found", "errors")
_TREND_TABLE: Final = {60: rollup_minutes, 300: rollup_minutes, 3600: rollup_hours}


@dataclass(frozen=True)
class Range:
    """``[since, until)`` (aware UTC), an optional collection, and the oldest minute the
    minute rollups still hold (older edges widen to whole hours)."""

    since: datetime
    until: datetime
    collection: str | None = None
    minute_floor: int = 0

    @property
    def window(self) -> Window:
        """The range as answers echo it."""
        return Window(
            since=format_ts(self.since), until=format_ts(self.until), collection=self.collection
        )


def _sum_columns(table: sa.Table, names: Sequence[str]) -> list[sa.Label[Any]]:
    return [sa.func.sum(table.c[name]).label(name) for name in names]


def _filter(table: sa.Table, lo: int, hi: int, collection: str | None) -> list[Any]:
    clauses = [table.c.bucket_start >= lo, table.c.bucket_start < hi]
    if collection is not None:
        clauses.append(table.c.collection == collection)
    return clauses


def _mean(sums: Mapping[str, float]) -> float | None:
    count = sums.get("latency_count", 0)
    return round(sums.get("latency_sum_ms", 0) / count, 1) if count else None


def _trend_point(start: int, values: Sequence[Any] | None, hours: float) -> TrendPoint:
    """One bucket from its summed ``_TREND`` values (None: nothing happened in it)."""
    if values is None:
        return TrendPoint(
            t=iso(start),
            requests=0,
            successes=0,
            errors=0,
            items_found=0,
            items_per_hour=0.0,
            success_rate=None,
            error_rate=None,
            mean_ms=None,
        )
    requests, successes, errors, items, count = (int(v or 0) for v in values[:5])
    latency_sum = float(values[5] or 0)
    return TrendPoint(
        t=iso(start),
        requests=requests,
        successes=successes,
        errors=errors,
        items_found=items,
        items_per_hour=round(items / hours, 3),
        success_rate=rate(successes, requests),
        error_rate=rate(errors, requests),
        mean_ms=round(latency_sum / count, 1) if count else None,
    )


class AnalyticsStore:
    """The analytics queries over one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def _sums(
        self, span: Range, names: Sequence[str], by_site: bool = False
    ) -> dict[str, Sums]:
        """Sums of ``names`` over the range, per site (or under ``""`` for all)."""
        out: dict[str, Sums] = {}
        async with self.database.connect() as conn:
            for table, lo, hi in segments(epoch(span.since), epoch(span.until), span.minute_floor):
                keys = [table.c.site] if by_site else []
                stmt = sa.select(*keys, *_sum_columns(table, names)).where(
                    *_filter(table, lo, hi, span.collection)
                )
                if by_site:
                    stmt = stmt.group_by(table.c.site)
                for row in (await conn.execute(stmt)).mappings():
                    add_sums(out.setdefault(row["site"] if by_site else "", {}), row, names)
        return out

    async def summary(self, span: Range, prices: Mapping[str, Prices]) -> Summary:
        """Totals over the range; cost is that of the runs created in it."""
        sums = (await self._sums(span, METRIC_COLUMNS)).get("", {})
        async with self.database.connect() as conn:
            rows, total = await runs_in(conn, span.since, span.until, span.collection)
        costs = run_costs(rows, prices)
        cost = sum(c.cost for c in costs)
        run_items = sum(c.items_found for c in costs)

        def n(name: str) -> int:
            return int(sums.get(name, 0))

        return Summary(
            window=span.window,
            runs=total,
            requests=n("requests"),
            successes=n("successes"),
            failures=n("failures"),
            success_rate=rate(n("successes"), n("requests")),
            items_found=n("items_found"),
            items_new=n("items_new"),
            items_updated=n("items_updated"),
            errors=n("errors"),
            bytes=n("bytes"),
            p50_ms=latency_quantile(sums, 0.5),
            p95_ms=latency_quantile(sums, 0.95),
            cost=round(cost, 6),
            cost_per_1000_items=round(cost / run_items * 1000, 6) if run_items else None,
        )

    async def trends(self, span: Range, resolution: str) -> Trends:
        """Buckets of ``resolution`` (``1m``, ``5m``, ``1h``, ``1d``) over the range."""
        step = RESOLUTIONS[resolution]
        table = _TREND_TABLE.get(step, rollup_days)
        lo = epoch(span.since) - epoch(span.since) % step
        hi = epoch(span.until)
        bucket = table.c.bucket_start - table.c.bucket_start % step if step == 300 else None
        key = (bucket if bucket is not None else table.c.bucket_start).label("b")
        stmt = (
            sa.select(key, *_sum_columns(table, _TREND))
            .where(*_filter(table, lo, hi, span.collection))
            .group_by(key)
        )
        # Rows as tuples, not mappings: a month of hours is 720 rows of 76 sums each.
        async with self.database.connect() as conn:
            found = {int(row[0]): row[1:] for row in await conn.execute(stmt)}
        hours = step / 3600
        points = [_trend_point(start, found.get(start), hours) for start in range(lo, hi, step)]
        return Trends(window=span.window, resolution=resolution, bucket_s=step, points=points)

    async def sites(self, span: Range) -> SiteTable:
        """Each target site's figures over the range, most requests first."""
        by_site = await self._sums(span, _SITE, by_site=True)
        rows = []
        for site, sums in by_site.items():
            if not site:
                continue
            requests = int(sums.get("requests", 0))
            failures = {
                name.removeprefix("failures_"): int(sums.get(name, 0))
                for name in _SITE
                if name.startswith("failures_") and sums.get(name)
            }
            rows.append(
                SiteRow(
                    site=site,
                    requests=requests,
                    successes=int(sums.get("successes", 0)),
                    failures=int(sums.get("failures", 0)),
                    success_rate=rate(sums.get("successes", 0), requests),
                    errors=int(sums.get("errors", 0)),
                    bytes=int(sums.get("bytes", 0)),
                    mean_ms=_mean(sums),
                    p50_ms=latency_quantile(sums, 0.5),
                    p95_ms=latency_quantile(sums, 0.95),
                    failures_by_type=failures,
                )
            )
        rows.sort(key=lambda r: (-r.requests, r.site))
        return SiteTable(window=span.window, sites=rows)

    async def heatmap(self, span: Range, zone: ZoneInfo = UTC_ZONE) -> Heatmap:
        """Hour of day x weekday (Monday 0) in ``zone`` over the range, from the hourly
        rollups (``analytics_heatmap``)."""
        return await read_heatmap(
            self.database,
            since=span.since,
            until=span.until,
            collection=span.collection,
            window=span.window,
            zone=zone,
        )

    async def errors(self, span: Range, limit: int = 50) -> ErrorReport:
        """Error groups with errors in the range, most in it first, with counts over time
        (per hour for ranges up to 7 days, per day beyond)."""
        t, g = error_group_hours, error_groups
        lo = epoch(span.since) - epoch(span.since) % 3600
        hi = epoch(span.until)
        step = 3600 if hi - lo <= 7 * 86400 else 86400
        in_range = sa.func.sum(t.c["count"]).label("in_range")
        counted = (
            sa.select(t.c.collection, t.c.fingerprint, in_range)
            .where(*_filter(t, lo, hi, span.collection))
            .group_by(t.c.collection, t.c.fingerprint)
            .subquery()
        )
        stmt = (
            sa.select(g, counted.c.in_range)
            .join(
                counted,
                sa.and_(
                    counted.c.collection == g.c.collection,
                    counted.c.fingerprint == g.c.fingerprint,
                ),
            )
            .order_by(counted.c.in_range.desc(), g.c.last_seen.desc())
            .limit(limit)
        )
        async with self.database.connect() as conn:
            rows = list((await conn.execute(stmt)).mappings())
            series = await self._error_counts(conn, rows, lo, hi, step)
        groups = [
            ErrorGroup(
                collection=row["collection"],
                fingerprint=row["fingerprint"],
                error_type=row["error_type"],
                error_stage=row["error_stage"],
                pattern=row["pattern"],
                count=int(row["in_range"]),
                total=int(row["count"]),
                first_seen=row["first_seen"],
                last_seen=row["last_seen"],
                example_run_id=row["example_run_id"],
                example_event_id=row["example_event_id"],
                example_message=row["example_message"],
                counts=series.get((row["collection"], row["fingerprint"]), []),
            )
            for row in rows
        ]
        return ErrorReport(window=span.window, bucket_s=step, groups=groups)

    @staticmethod
    async def _error_counts(
        conn: Any, rows: list[Any], lo: int, hi: int, step: int
    ) -> dict[tuple[str, str], list[tuple[str, int]]]:
        if not rows:
            return {}
        t = error_group_hours
        bucket = (t.c.bucket_start - t.c.bucket_start % step).label("b")
        keys = {(row["collection"], row["fingerprint"]) for row in rows}
        stmt = (
            sa.select(t.c.collection, t.c.fingerprint, bucket, sa.func.sum(t.c["count"]))
            .where(
                t.c.bucket_start >= lo,
                t.c.bucket_start < hi,
                t.c.fingerprint.in_(sorted({f for _, f in keys})),
            )
            .group_by(t.c.collection, t.c.fingerprint, bucket)
            .order_by(bucket)
        )
        out: dict[tuple[str, str], list[tuple[str, int]]] = {}
        for collection, fingerprint, start, count in await conn.execute(stmt):
            if (collection, fingerprint) in keys:
                out.setdefault((collection, fingerprint), []).append((iso(int(start)), int(count)))
        return out

    async def insights(self, span: Range, limit: int = 500) -> RunInsights:
        """Items per run over time: the ``limit`` newest runs created in the range."""
        async with self.database.connect() as conn:
            rows, total = await runs_in(conn, span.since, span.until, span.collection, limit)
        return RunInsights(window=span.window, runs=run_insights(rows), total_runs=total)

    async def costs(
        self, span: Range, prices: Mapping[str, Prices], limit: int = 500
    ) -> CostReport:
        """Cost per run (newest ``limit`` runs) and in total over the runs of the range."""
        async with self.database.connect() as conn:
            rows, total = await runs_in(conn, span.since, span.until, span.collection)
        costs = run_costs(rows, prices)
        cost = sum(c.cost for c in costs)
        items = sum(c.items_found for c in costs)
        return CostReport(
            window=span.window,
            prices=dict(prices),
            runs=costs[:limit],
            total_runs=total,
            cost=round(cost, 6),
            items_found=items,
            cost_per_1000_items=round(cost / items * 1000, 6) if items else None,
        )

    async def fields(
        self, span: Range, fields: Sequence[str] | None = None, sample: int = 5000
    ) -> FieldInsights:
        """Value counts and distributions of a collection's fields (``field_insights``)."""
        if span.collection is None:
            raise ValueError("field insights need a collection")
        return await field_insights(
            self.database,
            span.collection,
            since=span.since,
            until=span.until,
            fields=fields,
            sample=sample,
        )

    async def compare(self, a: str, b: str, prices: Mapping[str, Prices]) -> RunComparison:
        """Two runs of one collection side by side (``RunMissing``, ``OtherCollection``)."""
        async with self.database.connect() as conn:
            return await compare_runs(conn, a, b, prices)
