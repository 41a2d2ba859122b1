"""A realistic history for the analytics benchmark, written through the normal write path.

Runs of several collections spread over ``days`` days, each about an hour long, with 8
workers fetching from the collection's sites: requests that succeed (with a size), fail
(HTTP 5xx, timeouts, rate limits; messages with URLs and numbers, so they group by
fingerprint), retries, finished tasks, and pipeline events counting items. Events go
through ``SqlStore.events.append_events`` (the SQLite writer process, or PostgreSQL
in-process) in batches of 5,000, so the rollups are maintained exactly as in production.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from crawlscope.events import Action, ActivityEvent, ErrorType
from crawlscope.store import SqlStore
from crawlscope.store.schema import runs
from crawlscope.timestamps import format_ts

__all__ = ["History", "read_history", "write_history"]

BATCH = 5000
RUN_EVENTS = 20_000
_FAILURES = (
    (ErrorType.HTTP_5XX, "HTTP {n} from {url}"),
    (ErrorType.TIMEOUT, "no response within {n} s from {url}"),
    (ErrorType.RATE_LIMIT, "HTTP 429: slow down, retry after {n} s"),
)


@dataclass
class History:
    """What was written: run ids per collection, events, seconds taken."""

    runs: dict[str, list[str]] = field(default_factory=dict)
    events: int = 0
    seconds: float = 0.0


@dataclass
class _Totals:
    requests: int = 0
    successes: int = 0
    failures: int = 0
    errors: int = 0
    items_found: int = 0
    new_items: int = 0


def _run_events(
    rng: random.Random, run_id: str, sites: list[str], start: datetime, n: int, t: _Totals
) -> list[ActivityEvent]:
    """About ``n`` events of one run over an hour from ``start``."""
    out: list[ActivityEvent] = []
    step = 3600 / n
    i = 0
    while len(out) < n:
        worker = i % 8 + 1
        site = sites[rng.randrange(len(sites))]
        url = f"https://{site}/c/{rng.randrange(500)}?page={rng.randrange(20)}"
        ts = format_ts(start + timedelta(seconds=len(out) * step))
        common = {"run_id": run_id, "worker_id": worker, "site": site, "url": url, "ts": ts}
        out.append(ActivityEvent(action=Action.FETCHING, method="GET", attempt=1, **common))
        t.requests += 1
        duration = rng.lognormvariate(5.0, 0.7)
        roll = rng.random()
        if roll < 0.9:
            out.append(
                ActivityEvent(
                    action=Action.FOUND,
                    status_code=200,
                    duration_ms=duration,
                    extra={"bytes": rng.randrange(5_000, 80_000)},
                    **common,
                )
            )
            t.successes += 1
        else:
            error_type, message = _FAILURES[rng.randrange(len(_FAILURES))]
            action = Action.RATE_LIMITED if error_type is ErrorType.RATE_LIMIT else Action.ERROR
            out.append(
                ActivityEvent(
                    action=action,
                    error_type=error_type,
                    error_stage="request",
                    error_message=message.format(n=rng.randrange(500, 600), url=url),
                    duration_ms=duration,
                    **common,
                )
            )
            t.failures += 1
            t.errors += 1
            out.append(ActivityEvent(action=Action.RETRYING, **common))
        if i % 10 == 9:
            items = rng.randrange(5, 30)
            new = rng.randrange(0, items)
            pipe = {"run_id": run_id, "worker_id": 0, "ts": ts, "items_count": items}
            out.append(ActivityEvent(action=Action.UPLOADING, **pipe))
            out.append(ActivityEvent(action=Action.INSERTED, **{**pipe, "items_count": new}))
            t.items_found += items
            t.new_items += new
        i += 1
    return out


async def write_history(
    url: str, events: int, days: float, collections: int, sites: int, seed: int = 1
) -> History:
    """Write about ``events`` events of runs spread over the last ``days`` days."""
    rng = random.Random(seed)
    names = [f"shop-{c}" for c in range(collections)]
    site_names = {n: [f"{n}-site{s}.example" for s in range(sites)] for n in names}
    run_count = max(1, events // RUN_EVENTS)
    now = datetime.now(UTC).replace(microsecond=0)
    first = now - timedelta(days=days)
    history = History()
    store = SqlStore(url)
    await store.open()
    t0 = time.perf_counter()
    try:
        for index in range(run_count):
            collection = names[index % collections]
            run_id = f"bench-{index:05d}"
            start = first + timedelta(seconds=(days * 86400 - 3700) * index / run_count)
            await store.runs.create(run_id, collection, {})
            totals = _Totals()
            batch = _run_events(rng, run_id, site_names[collection], start, RUN_EVENTS, totals)
            for seq, event in enumerate(batch, 1):
                event.seq = seq
            for lo in range(0, len(batch), BATCH):
                await store.events.append_events(batch[lo : lo + BATCH])
            history.events += len(batch)
            history.runs.setdefault(collection, []).append(run_id)
            async with store.database.begin() as conn:
                await conn.execute(
                    sa.update(runs)
                    .where(runs.c.id == run_id)
                    .values(
                        status="completed",
                        created_at=start,
                        started_at=start,
                        ended_at=start + timedelta(hours=1),
                        last_seq=len(batch),
                        **totals.__dict__,
                    )
                )
            if index % 25 == 24:
                rate = history.events / (time.perf_counter() - t0)
                print(f"  {history.events:,} events written ({rate:,.0f}/s)", flush=True)
    finally:
        await store.close()
    history.seconds = time.perf_counter() - t0
    return history


async def read_history(url: str) -> History | None:
    """The history a previous ``write_history`` left in the database, if any."""
    store = SqlStore(url)
    await store.open()
    try:
        async with store.database.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(runs.c.collection, runs.c.id, runs.c.last_seq).order_by(runs.c.id)
                )
            ).all()
    finally:
        await store.close()
    if not rows:
        return None
    history = History(events=sum(int(r.last_seq) for r in rows), seconds=float("nan"))
    for collection, run_id, _ in rows:
        history.runs.setdefault(collection, []).append(run_id)
    return history
