"""What maintaining rollups costs the event writer process: CPU per event stored.

The writer process (``crawlscope.store.event_writer``) inserts each batch of event rows
and, in the same transaction, folds it into rollup rows and upserts them. Here the same
batches (the pipeline benchmark's events, 1,000 a batch) go through its transaction
function twice per round on fresh SQLite files: without rollups (the baseline: what the
writer did before issue 12) and with them. Rounds alternate the order; CPU time of this
process is measured (no pipes, no parent), so the figure is the writer's own cost and
hardly moved by other load on the machine, unlike wall-clock rates.

Prints the ratio with / without (lower is better) and the microseconds it adds per event.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from _common import fresh_db_path, median_of, report
from crawlscope.events import EVENT_FIELDS
from crawlscope.store import Database
from crawlscope.store import event_writer as writer
from crawlscope.store.event_log import event_row
from crawlscope.store.rollups import writer_process_sql
from pipeline import make_events

_INSERT = (
    f"INSERT INTO events ({','.join(EVENT_FIELDS)}) VALUES ({','.join('?' * len(EVENT_FIELDS))})"
)


async def _create(path: str, run_id: str) -> None:
    database = Database(path)
    await database.open()
    async with database.begin() as conn:
        await conn.exec_driver_sql(
            "INSERT INTO runs (id, collection, status, created_at) "
            "VALUES (?, 'bench', 'running', '2026-12-04T00:00:00.000Z')",
            (run_id,),
        )
    await database.close()


def _round(rows: list[list[Any]], with_rollups: bool, batch: int) -> float:
    """CPU microseconds per event to store ``rows`` (with or without their rollups)."""
    path = fresh_db_path("rollups")
    asyncio.run(_create(path, rows[0][0]))
    con = writer._connect(path, list(EVENT_FIELDS))
    rollups = (
        writer._Rollups(con, list(EVENT_FIELDS), writer_process_sql()) if with_rollups else None
    )
    try:
        t0 = time.process_time()
        for start in range(0, len(rows), batch):
            status, detail = writer._insert(con, _INSERT, rows[start : start + batch], rollups)
            assert status == writer.OK, detail
        return (time.process_time() - t0) / len(rows) * 1e6
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    rows = []
    for seq, event in enumerate(make_events(args.events, "run0"), 1):
        event.seq = seq
        rows.append(list(event_row(event)))
    cost: dict[str, list[float]] = {"without": [], "with": []}
    for r in range(args.rounds):
        for side in ("without", "with") if r % 2 == 0 else ("with", "without"):
            cost[side].append(_round(rows, side == "with", args.batch))
    without, with_ = median_of(cost["without"]), median_of(cost["with"])
    rows_out = [
        ("events per round", f"{args.events:,} in batches of {args.batch:,}"),
        ("writer CPU without rollups", f"{without:.2f} us/event (median of {args.rounds})"),
        ("writer CPU with rollups", f"{with_:.2f} us/event"),
        ("rollups add", f"{with_ - without:.2f} us/event"),
        ("ratio with / without", f"{with_ / without:.2f}"),
    ]
    report(
        "rollup_cost",
        rows_out,
        {"events": args.events, "without_us": cost["without"], "with_us": cost["with"]},
    )


if __name__ == "__main__":
    main()
