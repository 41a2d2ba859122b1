"""Event pipeline: events/s from emit to persisted in SQLite, versus raw sqlite3.

Both sides get the same pre-built events. The baseline inserts their rows with
``sqlite3.executemany`` in batches of 1,000 into an identical table (WAL, same indexes).
crawlscope's side emits them through ``Monitor.emit``: the hub numbers them, the
aggregator folds them, the recorder converts and persists them; the clock stops when the
last one is stored. Rounds alternate between the two so machine noise hits both.

``--event-writer process,inline`` measures the Monitor with either event writer (a writer
process, the default for SQLite files, or in-process); the first one listed is judged.

Since issue 12 the store also maintains the rollups in the same transactions (folded and
upserted by the writer process); the round checks they count every event.

Target: ratio >= 0.55 with rollups (issue 12; issue 2 asked 0.5 without them).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sqlite3
import time

import sqlalchemy as sa

from _common import add_writer_option, fresh_db_path, median_of, report, writers_from
from crawlscope.events import EVENT_FIELDS, Action, ActivityEvent
from crawlscope.monitor import Monitor
from crawlscope.store import Database
from crawlscope.store.event_log import event_row
from crawlscope.store.rollup_schema import run_rollups

TARGET = 0.55


def make_events(n: int, run_id: str) -> list[ActivityEvent]:
    """A realistic mix: fetching/found pairs with a task, URL, params and timing."""
    out: list[ActivityEvent] = []
    for i in range(n):
        common = {
            "run_id": run_id,
            "worker_id": i % 8 + 1,
            "phase": "catalog",
            "task": f"category {i % 50}, page {i % 7}",
            "site": "127.0.0.1:8001",
            "url": f"http://127.0.0.1:8001/c/{i % 50}?page={i % 7}",
            "method": "GET",
            "attempt": 1,
        }
        if i % 2 == 0:
            out.append(
                ActivityEvent(
                    action=Action.FETCHING,
                    params={"page": i % 7},
                    started_at="2026-11-22T10:00:00.000Z",
                    **common,
                )
            )
        else:
            out.append(
                ActivityEvent(action=Action.FOUND, status_code=200, duration_ms=12.5, **common)
            )
    return out


async def _create_schema(path: str) -> None:
    database = Database(path)
    await database.open()
    await database.close()


def baseline(events: list[ActivityEvent]) -> float:
    """Raw sqlite3 executemany of the same rows, batches of 1,000: rows/s."""
    path = fresh_db_path("raw")
    asyncio.run(_create_schema(path))  # the same table and indexes as crawlscope's
    rows = []
    for seq, event in enumerate(events, 1):
        event.seq = seq
        rows.append(event_row(event))
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    # Columns named in the row's field order, as crawlscope's own insert does.
    columns = ",".join(EVENT_FIELDS)
    sql = f"INSERT INTO events ({columns}) VALUES ({','.join('?' * len(EVENT_FIELDS))})"
    gc.collect()  # both sides start from a collected heap
    t0 = time.perf_counter()
    for start in range(0, len(rows), 1000):
        con.executemany(sql, rows[start : start + 1000])
        con.commit()
    elapsed = time.perf_counter() - t0
    stored = con.execute("SELECT count(*) FROM events").fetchone()[0]
    con.close()
    assert stored == len(rows), (stored, len(rows))
    return len(rows) / elapsed


async def _pipeline(events: list[ActivityEvent], run_id: str, writer: str) -> float:
    monitor = Monitor(fresh_db_path("pipeline"), event_writer=writer)
    await monitor.start()
    try:
        await monitor.open_run(run_id, "bench", {}, None)
        gc.collect()  # start-up garbage (migrations, imports) is not charged to the events
        t0 = time.perf_counter()
        for i, event in enumerate(events):
            monitor.emit(event)
            if i % 1000 == 999:
                # A real producer yields to the loop; so does this one.
                await asyncio.sleep(0)
        await monitor.flush_events()
        elapsed = time.perf_counter() - t0
        stored = await monitor.store.events.count(run_id)
        assert stored == len(events), (stored, len(events))
        async with monitor.store.database.connect() as conn:
            rolled = await conn.scalar(
                sa.select(run_rollups.c.events).where(run_rollups.c.run_id == run_id)
            )
        assert rolled == len(events), (rolled, len(events))
    finally:
        await monitor.stop()
    return len(events) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    add_writer_option(parser)
    args = parser.parse_args()
    writers = writers_from(args)
    sides = ["raw", *writers]
    rates: dict[str, list[float]] = {side: [] for side in sides}
    for r in range(args.rounds):
        # Rotate which side goes first, so drift on a shared machine hits all of them.
        for side in sides[r % len(sides) :] + sides[: r % len(sides)]:
            if side == "raw":
                rates[side].append(baseline(make_events(args.events, f"raw{r}")))
            else:
                events = make_events(args.events, f"run{r}")
                rates[side].append(asyncio.run(_pipeline(events, f"run{r}", side)))
    raw_rate = median_of(rates["raw"])
    rows = [
        ("events per round", f"{args.events:,}"),
        ("raw sqlite3 executemany", f"{raw_rate:,.0f} rows/s (median of {args.rounds})"),
    ]
    data: dict[str, object] = {"events": args.events, "raw_per_s": rates["raw"]}
    for i, writer in enumerate(writers):
        our_rate = median_of(rates[writer])
        ratio = our_rate / raw_rate
        rows.append((f"crawlscope emit -> stored ({writer} writer)", f"{our_rate:,.0f} events/s"))
        if i == 0:
            verdict = "met" if ratio >= TARGET else "MISSED"
            rows.append((f"ratio, {writer} writer (target >= {TARGET})", f"{ratio:.2f} {verdict}"))
            data["pipeline_per_s"] = rates[writer]
            data["ratio"] = ratio
        else:
            rows.append((f"ratio, {writer} writer (reference)", f"{ratio:.2f}"))
        data[f"pipeline_per_s_{writer}"] = rates[writer]
        data[f"ratio_{writer}"] = ratio
    report("pipeline", rows, data)


if __name__ == "__main__":
    main()
