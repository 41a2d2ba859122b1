"""The analytics heatmap: requests by weekday and hour of day, in the viewer's time zone.

The hour rollups are stored by UTC hour. Their rows over the range are summed per stored
hour in SQL and then placed in Python, each at the weekday and hour of the zone in which
its UTC hour starts: daylight saving time moves each hour where it belongs on its own
date, which a fixed offset would not. In zones whose offset is not whole hours (India,
+05:30), an hour's requests land in the local hour its UTC hour starts in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crawlscope.store.analytics_range import Sums, add_sums, epoch, rate
from crawlscope.store.analytics_types import HeatCell, Heatmap, Window
from crawlscope.store.database import Database
from crawlscope.store.rollup_schema import rollup_hours

__all__ = ["UTC_ZONE", "read_heatmap"]

UTC_ZONE = ZoneInfo("UTC")

_HEAT = ("requests", "successes", "items_found", "errors")


async def read_heatmap(
    database: Database,
    *,
    since: datetime,
    until: datetime,
    collection: str | None,
    window: Window,
    zone: ZoneInfo = UTC_ZONE,
) -> Heatmap:
    """Hour of day x weekday (Monday 0) in ``zone`` over ``[since, until)``."""
    t = rollup_hours
    lo = epoch(since) - epoch(since) % 3600
    clauses: list[Any] = [t.c.bucket_start >= lo, t.c.bucket_start < epoch(until)]
    if collection is not None:
        clauses.append(t.c.collection == collection)
    stmt = (
        sa.select(t.c.bucket_start, *(sa.func.sum(t.c[name]).label(name) for name in _HEAT))
        .where(*clauses)
        .group_by(t.c.bucket_start)
    )
    async with database.connect() as conn:
        rows: Sequence[Any] = list((await conn.execute(stmt)).mappings())
    by_cell: dict[tuple[int, int], Sums] = {}
    for row in rows:
        local = datetime.fromtimestamp(int(row["bucket_start"]), zone)
        add_sums(by_cell.setdefault((local.weekday(), local.hour), {}), row, _HEAT)
    cells = []
    for (weekday, hour), sums in sorted(by_cell.items()):
        requests = int(sums.get("requests", 0))
        cells.append(
            HeatCell(
                weekday=weekday,
                hour=hour,
                requests=requests,
                items_found=int(sums.get("items_found", 0)),
                errors=int(sums.get("errors", 0)),
                success_rate=rate(sums.get("successes", 0), requests),
            )
        )
    return Heatmap(window=window, timezone=zone.key, cells=cells)
