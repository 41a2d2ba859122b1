"""Running the demo end to end: the target site, the demo collection and a summary."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from crawlscope.aggregate import RunFrame
from crawlscope.demo.catalog import Catalog, build_catalog
from crawlscope.demo.collection import demo_collection
from crawlscope.demo.faults import FaultConfig
from crawlscope.demo.target_site import create_site, serve_site
from crawlscope.monitor import Monitor
from crawlscope.runner import AutoPause, Run

__all__ = ["DemoSite", "demo_run", "run_summary", "running_demo_site"]


@dataclass
class DemoSite:
    """A running demo target site."""

    url: str
    catalog: Catalog
    faults: FaultConfig

    @property
    def ground_truth(self) -> frozenset[int]:
        """Every seller with at least one offer: what a perfect crawl collects."""
        return self.catalog.ground_truth_seller_ids()


@contextlib.asynccontextmanager
async def running_demo_site(
    *, scale: str = "small", seed: int = 7, faults: FaultConfig | None = None, port: int = 0
) -> AsyncIterator[DemoSite]:
    """Serve the demo marketplace on 127.0.0.1 for the duration of the block."""
    catalog = build_catalog(seed=seed, scale=scale)
    config = faults if faults is not None else FaultConfig.demo()
    async with serve_site(create_site(catalog, config), port=port) as server:
        yield DemoSite(url=server.url, catalog=catalog, faults=config)


def demo_run(
    monitor: Monitor,
    site: DemoSite,
    *,
    workers: int = 5,
    scale: str = "small",
    seed: int = 7,
    max_categories: int | None = None,
    max_consecutive_failures: int = 5,
    on_auto_pause: AutoPause | str = AutoPause.RETURN,
) -> Run:
    """A demo ``Run`` against ``site``, reporting to ``monitor`` (not started yet).

    The dataset is named after scale and seed, so runs of the same catalog accumulate
    into one dataset and re-runs show up as duplicates rather than new sellers.
    """
    collection = demo_collection(
        workers=workers,
        dataset=f"demo_sellers_{scale}_{seed}",
        max_consecutive_failures=max_consecutive_failures,
    )
    params: dict[str, Any] = {"base_url": site.url}
    if max_categories is not None:
        params["max_categories"] = max_categories
    return monitor.new_run(collection, params, seed=seed, on_auto_pause=on_auto_pause)


async def run_summary(monitor: Monitor, run: Run, site: DemoSite) -> dict[str, Any]:
    """The JSON summary ``crawlscope demo --once --json`` prints."""
    frame: RunFrame | None = await monitor.frames.frame(run.run_id)
    assert frame is not None
    dataset = run.collection.dataset or ""
    keys = {int(key) for key in await monitor.store.datasets.keys(dataset)}
    truth = site.ground_truth
    totals = frame.totals
    return {
        "run_id": run.run_id,
        "status": frame.status,
        "finish_reason": frame.finish_reason,
        "collection": frame.collection,
        "duration_s": frame.duration_s,
        "totals": {
            "requests": totals.requests,
            "successes": totals.successes,
            "failures": totals.failures,
            "failures_by_type": totals.failures_by_type,
            "retries": totals.retries,
            "items_found": totals.items_found,
            "new_items": totals.new_items,
            "duplicates": totals.duplicates,
            "tasks_done": totals.tasks_done,
            "tasks_failed": totals.tasks_failed,
            "events": totals.events,
        },
        "dataset": dataset,
        "dataset_size": frame.dataset_size,
        "ground_truth_count": len(truth),
        "missing_from_dataset": len(truth - keys),
        "not_in_ground_truth": len(keys - truth),
        "matches_ground_truth": keys == truth,
    }
