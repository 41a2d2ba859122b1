"""Analytics latency: p95 of every analytics endpoint over a large stored history.

A history (``analytics_history.py``: runs of several collections over ``--days`` days,
about ``--events`` events) is written through the normal write path, so the rollups are
what production keeps. A real server then answers each endpoint ``--rounds`` times over
HTTP; the p95 of each is judged against the target (100 ms). The baseline, measured in the
same run on the same database, is the summary's counts taken from the raw events
(``SELECT action, count(*) FROM events WHERE ts >= ... GROUP BY action``): what an
analytics query without rollups would have to scan; the ratio is baseline / summary.

    python bench/analytics_queries.py --events 2000000            # SQLite
    python bench/analytics_queries.py --postgres postgresql+asyncpg://127.0.0.1/bench_db

Target (issue 12): p95 < 100 ms for every endpoint, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from _common import fresh_db_path, report
from analytics_history import History, read_history, write_history
from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.serving import serve_in_loop
from crawlscope.store import SqlStore
from crawlscope.store.schema import events
from crawlscope.timestamps import format_ts

TARGET_MS = 100.0


def _endpoints(history: History, days: float) -> list[tuple[str, str, dict[str, Any]]]:
    collection = next(iter(history.runs))
    a, b = history.runs[collection][-2:]
    window = {"days": days}
    return [
        ("summary", "/api/analytics/summary", window),
        ("summary, one collection", "/api/analytics/summary", {**window, "collection": collection}),
        ("trends (1h)", "/api/analytics/trends", window),
        ("trends, last day (5m)", "/api/analytics/trends", {"days": 1}),
        ("trends, one collection", "/api/analytics/trends", {**window, "collection": collection}),
        ("sites", "/api/analytics/sites", window),
        ("errors", "/api/analytics/errors", window),
        ("heatmap", "/api/analytics/heatmap", window),
        ("insights", "/api/analytics/insights", window),
        ("costs", "/api/analytics/costs", window),
        ("compare", "/api/analytics/compare", {"a": a, "b": b}),
    ]


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 2 else samples[0]


async def _raw_baseline(url: str, days: float, rounds: int) -> float:
    """Median ms of the summary's counts from raw events."""
    store = SqlStore(url)
    await store.open()
    since = format_ts(datetime.now(UTC) - timedelta(days=days))
    stmt = (
        sa.select(events.c.action, sa.func.count())
        .where(events.c.ts >= since)
        .group_by(events.c.action)
    )
    samples = []
    try:
        async with store.database.connect() as conn:
            for _ in range(rounds):
                t0 = time.perf_counter()
                (await conn.execute(stmt)).all()
                samples.append((time.perf_counter() - t0) * 1000)
    finally:
        await store.close()
    return statistics.median(samples)


async def _measure(url: str, history: History, days: float, rounds: int) -> dict[str, Any]:
    settings = Settings(database_url=url, auth="off", alerts_enabled=False, scheduler=False)
    out: dict[str, Any] = {}
    async with (
        serve_in_loop(create_app(settings)) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as client,
    ):
        for name, path, params in _endpoints(history, days):
            samples = []
            for i in range(rounds + 3):
                t0 = time.perf_counter()
                response = await client.get(path, params=params)
                elapsed = (time.perf_counter() - t0) * 1000
                assert response.status_code == 200, (path, response.text)
                if i >= 3:  # the first answers warm caches and the connection pool
                    samples.append(elapsed)
            out[name] = {"p50_ms": statistics.median(samples), "p95_ms": _p95(samples)}
        summary = (await client.get("/api/analytics/summary", params={"days": days})).json()
    out["_summary"] = summary
    return out


async def _bench(url: str, args: argparse.Namespace, backend: str) -> dict[str, Any]:
    history = await read_history(url) if args.reuse else None
    if history is None:
        print(f"writing {args.events:,} events over {args.days:g} days ({backend}) ...")
        history = await write_history(url, args.events, args.days, args.collections, args.sites)
    print(
        f"  wrote {history.events:,} events in {history.seconds:.0f} s "
        f"({history.events / history.seconds:,.0f}/s)",
        flush=True,
    )
    figures = await _measure(url, history, args.days, args.rounds)
    summary = figures.pop("_summary")
    assert summary["requests"] > 0
    baseline = await _raw_baseline(url, args.days, max(3, args.rounds // 10))
    return {
        "backend": backend,
        "events": history.events,
        "runs": sum(len(r) for r in history.runs.values()),
        "write_seconds": round(history.seconds, 1),
        "raw_events_summary_ms": round(baseline, 1),
        "endpoints": figures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2_000_000, help="events to write")
    parser.add_argument("--days", type=float, default=30.0, help="days of history")
    parser.add_argument("--collections", type=int, default=4)
    parser.add_argument("--sites", type=int, default=8, help="sites per collection")
    parser.add_argument("--rounds", type=int, default=40, help="requests per endpoint")
    parser.add_argument("--postgres", help="also on this (empty) PostgreSQL database URL")
    parser.add_argument("--sqlite", help="the SQLite file to use (default: a temporary one)")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the history already in the databases"
    )
    args = parser.parse_args()
    if args.events < 20_000:
        raise SystemExit("--events: at least 20000 (one run)")
    if args.rounds < 2:
        raise SystemExit("--rounds: at least 2")
    targets = [(args.sqlite or fresh_db_path("analytics"), "sqlite")]
    if args.postgres:
        targets.append((args.postgres, "postgresql"))
    results = [asyncio.run(_bench(url, args, backend)) for url, backend in targets]
    rows: list[tuple[str, str]] = []
    ok = True
    for result in results:
        b = result["backend"]
        rows.append((f"[{b}] history", f"{result['events']:,} events, {result['runs']} runs"))
        summary_p50 = result["endpoints"]["summary"]["p50_ms"]
        for name, f in result["endpoints"].items():
            ok = ok and f["p95_ms"] < TARGET_MS
            rows.append((f"[{b}] {name}", f"p50 {f['p50_ms']:.1f} ms, p95 {f['p95_ms']:.1f} ms"))
        ratio = result["raw_events_summary_ms"] / summary_p50
        rows.append(
            (
                f"[{b}] baseline: summary from raw events",
                f"{result['raw_events_summary_ms']:.0f} ms ({ratio:.0f}x the rollup summary)",
            )
        )
    rows.append(("target", f"every p95 < {TARGET_MS:.0f} ms: {'met' if ok else 'NOT met'}"))
    report("analytics_queries", rows, {"results": results, "target_ms": TARGET_MS})


if __name__ == "__main__":
    main()
