"""The demo collection against the real demo site on 127.0.0.1, stored in a real SQLite file.

A tiny catalog with every kind of fault injected: the dataset must equal the site's ground
truth exactly, every emitted event must be stored with contiguous seq, and the totals and
worker cards stored on the run must equal what the stored events say.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from crawlscope.bus import Gap
from crawlscope.demo import FaultConfig, build_catalog, create_site, demo_collection, serve_site
from crawlscope.demo.catalog import XSS_SELLER_NAME
from crawlscope.demo.target_site import RunningSite
from crawlscope.events import ActivityEvent, encode_event
from crawlscope.monitor import Monitor
from crawlscope.store import Database, RunStore

# Every fault kind, at rates that hit a tiny catalog several times each. Retry-After is 0
# because a 429 holds the whole site; timeouts are just longer than the client's timeout.
FAULTS = FaultConfig(
    slow_rate=0.05,
    slow_s=0.05,
    rate_limit_rate=0.05,
    retry_after_s=0,
    server_error_rate=0.06,
    timeout_rate=0.03,
    timeout_s=0.5,
    broken_rate=0.06,
    latency_s=(0.0, 0.004),
    seed=3,
)
CLIENT_TIMEOUT = 0.25
# Against the fault-free site a timeout can only come from a loaded machine (CI), and one
# would change the request count the subscriber test compares; so that site gets a long one.
CLEAN_CLIENT_TIMEOUT = 10.0


@pytest.fixture
async def faulty_site() -> AsyncIterator[RunningSite]:
    async with serve_site(create_site(build_catalog(seed=7, scale="tiny"), FAULTS)) as site:
        yield site


@pytest.fixture
async def clean_site() -> AsyncIterator[RunningSite]:
    catalog = build_catalog(seed=7, scale="tiny")
    async with serve_site(create_site(catalog, FaultConfig.off())) as site:
        yield site


def _collection(dataset: str, workers: int = 4, timeout: float = CLIENT_TIMEOUT) -> Any:
    return demo_collection(workers=workers, dataset=dataset, timeout=timeout)


async def test_faulty_demo_run_matches_ground_truth_and_its_event_log(
    monitor: Monitor,
    faulty_site: RunningSite,
    db_path: Path,
    derive_totals: Any,
    derive_worker_counts: Any,
) -> None:
    emitted: list[ActivityEvent] = []
    monitor.bus.add_listener(emitted.append)
    run = monitor.new_run(_collection("sellers"), {"base_url": faulty_site.url}, seed=1)
    status = await asyncio.wait_for(run.execute(), 60)
    assert status == "completed"

    # Every kind of fault really happened.
    served = faulty_site.app.faults_served
    for fault in ("rate_limit", "server_error", "timeout", "broken", "slow"):
        assert served.get(fault, 0) > 0, served

    # The dataset is the ground truth: nothing missing, nothing extra, no duplicates.
    catalog = faulty_site.app.catalog
    truth = catalog.ground_truth_seller_ids()
    keys = await monitor.store.datasets.keys("sellers")
    assert len(keys) == len(set(keys))
    assert {int(k) for k in keys} == truth
    items = await monitor.store.datasets.items("sellers", limit=10_000)
    assert {item["seller_id"]: item["name"] for item in items} == {
        sid: catalog.sellers[sid] for sid in truth
    }
    assert XSS_SELLER_NAME in {item["name"] for item in items}  # stored as text, unchanged

    # Every emitted event is stored, unchanged, with seq 1..N.
    stored = await monitor.store.events.read_all(run.run_id)
    mine = [e for e in emitted if e.run_id == run.run_id]
    assert [e.seq for e in stored] == list(range(1, len(mine) + 1))
    assert [encode_event(e) for e in stored] == [encode_event(e) for e in mine]
    assert stored[0].action == "run_started"
    assert stored[-1].action == "run_completed"
    actions = {e.action for e in stored}
    assert {"rate_limited", "retrying", "error", "inserted", "deduped"} <= actions

    # The run row agrees with the stored events.
    record = await monitor.store.runs.get(run.run_id)
    assert record is not None
    assert record.status == "completed"
    assert record.last_seq == len(stored)
    assert record.dataset_size == len(truth)
    assert record.started_at is not None
    assert record.ended_at is not None
    derived = derive_totals(stored)
    assert msgspec.to_builtins(record.totals) == derived
    assert derived["new_items"] == len(truth)
    assert derived["tasks_failed"] == 0
    assert derived["failures_by_type"].get("timeout", 0) > 0
    assert derived["failures_by_type"].get("rate_limit", 0) > 0
    assert derived["errors_by_stage"].get("extraction", 0) > 0  # broken pages

    # Per-worker metrics are stored with the run and readable after the fact, from a
    # separate connection to the same file.
    await monitor.stop()
    database = Database(str(db_path))
    await database.open()
    try:
        again = await RunStore(database).get(run.run_id)
    finally:
        await database.close()
    assert again is not None
    assert again.frame is not None
    workers = {card.worker_id: card for card in again.frame.workers}
    assert sorted(workers) == [1, 2, 3, 4]
    counts = derive_worker_counts(stored)
    for worker_id, expected in counts.items():
        card = workers[worker_id]
        got = {name: getattr(card, name) for name in expected}
        assert got == expected, worker_id
        assert card.state == "complete"
    assert sum(card.tasks_done for card in workers.values()) == derived["tasks_done"]
    assert {site.site for site in again.frame.sites} == {faulty_site.url.split("//", 1)[1]}
    assert again.frame.progress[0].level == "categories"
    assert all(level.done == level.total > 0 for level in again.frame.progress)


async def test_a_subscriber_that_never_reads_is_told_what_it_missed(
    monitor: Monitor, clean_site: RunningSite
) -> None:
    base = {"base_url": clean_site.url}
    # Reference run: nobody subscribed.
    plain = monitor.new_run(_collection("plain", timeout=CLEAN_CLIENT_TIMEOUT), base, seed=1)
    assert await asyncio.wait_for(plain.execute(), 60) == "completed"

    maxsize = 25
    run = monitor.new_run(_collection("watched", timeout=CLEAN_CLIENT_TIMEOUT), base, seed=1)
    stalled = monitor.bus.subscribe(run.run_id, maxsize=maxsize)
    assert await asyncio.wait_for(run.execute(), 60) == "completed"

    record = await monitor.store.runs.get(run.run_id)
    reference = await monitor.store.runs.get(plain.run_id)
    assert record is not None
    assert reference is not None
    emitted = record.last_seq
    assert emitted > 10 * maxsize
    assert await monitor.store.events.count(run.run_id) == emitted

    got = stalled.drain()
    gap = got[0]
    assert isinstance(gap, Gap)
    assert gap.missed == emitted - maxsize
    assert [e.seq for e in got[1:] if isinstance(e, ActivityEvent)] == list(
        range(emitted - maxsize + 1, emitted + 1)
    )
    stalled.close()

    # The same work was done as without the subscriber (the site has no faults, so the
    # numbers of tasks and requests are deterministic).
    for name in ("requests", "successes", "tasks_done", "items_found", "new_items"):
        assert getattr(record.totals, name) == getattr(reference.totals, name), name
    assert record.totals.failures == 0
    assert record.dataset_size == len(clean_site.app.catalog.ground_truth_seller_ids())
