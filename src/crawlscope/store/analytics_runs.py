"""Analytics over run summaries: items per run, cost per run, and two runs compared.

These read the ``runs`` rows (totals, moments) and ``run_rollups`` (bytes, the latency
histogram, first and last minute), never raw events. A run belongs to a range when it was
created in it. A run's hours are ``ended_at - started_at`` (now for a run still going);
without ``started_at`` its rollup's first to last minute (plus the last one).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from crawlscope.store.analytics_range import add_sums, latency_quantile, rate
from crawlscope.store.analytics_types import (
    Prices,
    RunComparison,
    RunCost,
    RunFigures,
    RunInsight,
)
from crawlscope.store.rollup_fold import LATENCY_COLUMNS
from crawlscope.store.rollup_schema import run_rollups
from crawlscope.store.schema import runs
from crawlscope.timestamps import format_ts, utc_now

__all__ = [
    "DEFAULT_PRICES",
    "OtherCollection",
    "RunMissing",
    "compare_runs",
    "price_of",
    "run_cost",
    "run_costs",
    "run_insights",
    "runs_in",
]

DEFAULT_PRICES: Final = Prices()
_GB: Final = 1e9
_RUN_COLUMNS: Final = (
    runs.c.id,
    runs.c.collection,
    runs.c.status,
    runs.c.created_at,
    runs.c.started_at,
    runs.c.ended_at,
    runs.c.requests,
    runs.c.successes,
    runs.c.failures,
    runs.c.errors,
    runs.c.items_found,
    runs.c.new_items,
    runs.c.updated_items,
    runs.c.duplicates,
    sa.func.coalesce(run_rollups.c.bytes, 0).label("bytes"),
    run_rollups.c.first_minute,
    run_rollups.c.last_minute,
)
_JOINED: Final = runs.outerjoin(run_rollups, run_rollups.c.run_id == runs.c.id)


def price_of(prices: Mapping[str, Prices], collection: str) -> Prices:
    """A collection's prices: its own, else those under ``*``, else nothing."""
    return prices.get(collection) or prices.get("*") or DEFAULT_PRICES


def _where(
    since: datetime, until: datetime, collection: str | None
) -> list[sa.ColumnElement[bool]]:
    clauses = [runs.c.created_at >= since, runs.c.created_at < until]
    if collection is not None:
        clauses.append(runs.c.collection == collection)
    return clauses


async def runs_in(
    conn: AsyncConnection,
    since: datetime,
    until: datetime,
    collection: str | None,
    limit: int | None = None,
) -> tuple[list[Any], int]:
    """Rows of the runs created in the range, newest first, and how many there are."""
    where = _where(since, until, collection)
    total = (
        await conn.execute(sa.select(sa.func.count()).select_from(runs).where(*where))
    ).scalar()
    stmt = (
        sa.select(*_RUN_COLUMNS)
        .select_from(_JOINED)
        .where(*where)
        .order_by(runs.c.created_at.desc(), runs.c.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = list((await conn.execute(stmt)).mappings())
    return rows, int(total or 0)


def _hours(row: Any, now: datetime) -> float:
    started: datetime | None = row["started_at"]
    if started is not None:
        ended: datetime = row["ended_at"] or now
        return max((ended - started).total_seconds(), 0.0) / 3600
    if row["first_minute"] is not None:
        return (int(row["last_minute"]) + 60 - int(row["first_minute"])) / 3600
    return 0.0


def run_cost(row: Any, prices: Mapping[str, Prices], now: datetime) -> RunCost:
    """One run's cost at its collection's prices."""
    price = price_of(prices, row["collection"])
    hours = _hours(row, now)
    requests, size, items = int(row["requests"]), int(row["bytes"]), int(row["items_found"])
    request_cost = requests * price.per_request
    transfer_cost = size / _GB * price.per_gb
    time_cost = hours * price.per_hour
    cost = request_cost + transfer_cost + time_cost
    return RunCost(
        run_id=row["id"],
        collection=row["collection"],
        created_at=format_ts(row["created_at"]),
        requests=requests,
        bytes=size,
        hours=round(hours, 4),
        items_found=items,
        cost=round(cost, 6),
        cost_per_1000_items=round(cost / items * 1000, 6) if items else None,
        request_cost=round(request_cost, 6),
        transfer_cost=round(transfer_cost, 6),
        time_cost=round(time_cost, 6),
    )


def run_costs(rows: list[Any], prices: Mapping[str, Prices]) -> list[RunCost]:
    """Each row's cost (rows from ``runs_in``)."""
    now = utc_now()
    return [run_cost(row, prices, now) for row in rows]


def run_insights(rows: list[Any]) -> list[RunInsight]:
    """Items per run, oldest first (rows from ``runs_in``, newest first)."""
    return [
        RunInsight(
            run_id=row["id"],
            collection=row["collection"],
            status=row["status"],
            created_at=format_ts(row["created_at"]),
            requests=int(row["requests"]),
            items_found=int(row["items_found"]),
            new_items=int(row["new_items"]),
            updated_items=int(row["updated_items"]),
            duplicates=int(row["duplicates"]),
        )
        for row in reversed(rows)
    ]


_COMPARED: Final = (
    "duration_s",
    "requests",
    "successes",
    "failures",
    "success_rate",
    "errors",
    "items_found",
    "new_items",
    "updated_items",
    "duplicates",
    "bytes",
    "p50_ms",
    "p95_ms",
    "cost",
)


async def _figures(
    conn: AsyncConnection, run_id: str, prices: Mapping[str, Prices]
) -> RunFigures | None:
    stmt = (
        sa.select(*_RUN_COLUMNS, *(run_rollups.c[name] for name in LATENCY_COLUMNS))
        .select_from(_JOINED)
        .where(runs.c.id == run_id)
    )
    row = (await conn.execute(stmt)).mappings().first()
    if row is None:
        return None
    bins: dict[str, float] = {}
    add_sums(bins, row, LATENCY_COLUMNS)
    started, ended = row["started_at"], row["ended_at"]
    requests = int(row["requests"])
    return RunFigures(
        run_id=row["id"],
        collection=row["collection"],
        status=row["status"],
        created_at=format_ts(row["created_at"]),
        duration_s=None if started is None or ended is None else (ended - started).total_seconds(),
        requests=requests,
        successes=int(row["successes"]),
        failures=int(row["failures"]),
        success_rate=rate(int(row["successes"]), requests),
        errors=int(row["errors"]),
        items_found=int(row["items_found"]),
        new_items=int(row["new_items"]),
        updated_items=int(row["updated_items"]),
        duplicates=int(row["duplicates"]),
        bytes=int(row["bytes"]),
        p50_ms=latency_quantile(bins, 0.5),
        p95_ms=latency_quantile(bins, 0.95),
        cost=run_cost(row, prices, utc_now()).cost,
    )


class RunMissing(LookupError):
    """A compared run does not exist; ``field`` names which (``a`` or ``b``)."""

    def __init__(self, field: str, run_id: str) -> None:
        super().__init__(f"no run {run_id!r}")
        self.field = field


class OtherCollection(ValueError):
    """The two compared runs are of different collections."""


async def compare_runs(
    conn: AsyncConnection, a: str, b: str, prices: Mapping[str, Prices]
) -> RunComparison:
    """Two runs of one collection side by side, with ``b - a`` and ``(b - a) / a``."""
    first = await _figures(conn, a, prices)
    if first is None:
        raise RunMissing("a", a)
    second = await _figures(conn, b, prices)
    if second is None:
        raise RunMissing("b", b)
    if first.collection != second.collection:
        raise OtherCollection(
            f"run {b!r} is of collection {second.collection!r}, "
            f"run {a!r} of {first.collection!r}; compare runs of one collection"
        )
    difference: dict[str, float | None] = {}
    change: dict[str, float | None] = {}
    for name in _COMPARED:
        x, y = getattr(first, name), getattr(second, name)
        difference[name] = None if x is None or y is None else round(y - x, 6)
        change[name] = None if x is None or y is None or x == 0 else round((y - x) / x, 6)
    return RunComparison(a=first, b=second, difference=difference, change=change)
