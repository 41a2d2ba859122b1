"""One ``/metrics`` answer: read the live state, fold the counters, render the text.

Everything is read at scrape time from the interfaces every other reader uses (the
frame source for live runs, the run and alert repositories, the storage status), so
serving metrics costs nothing per event. Scrapes are serialised: two at once would fold
the same increase twice.

The counters and the per-server gauges cover the runs this server holds, so servers on
one database add up; the runs other servers own (``FrameSource.remote_runs``) count in
the installation gauges only, which every server shares.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector
from prometheus_client.exposition import choose_encoder

from crawlscope.aggregate import RunFrame
from crawlscope.alerts.model import AlertRecord
from crawlscope.frame_source import FrameSource
from crawlscope.metrics.families import CrawlscopeCollector, Scrape
from crawlscope.metrics.tally import CounterTally, RunReading, collection_of
from crawlscope.site_health import site_health
from crawlscope.status import ACTIVE_STATUSES
from crawlscope.store.health import StorageStatus

__all__ = ["MetricsExposition", "MetricsSources"]

_ACTIVE = sorted(ACTIVE_STATUSES)


@dataclass(frozen=True)
class MetricsSources:
    """What a scrape reads."""

    frames: FrameSource
    count_runs: Callable[[str], Awaitable[int]]
    """The number of stored runs with a status."""
    open_alerts: Callable[[], Awaitable[list[AlertRecord]]]
    storage: Callable[[], StorageStatus]
    subscribers: Callable[[], int]


class MetricsExposition:
    """The ``/metrics`` text of one server, its counters kept between scrapes."""

    def __init__(self, sources: MetricsSources, *, max_sites: int, max_collections: int) -> None:
        self.sources = sources
        self.tally = CounterTally(max_sites=max_sites, max_collections=max_collections)
        self.collector = CrawlscopeCollector(self.tally)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self.collector)
        # The server process's CPU, memory, open files and Python version: free, and what
        # the first panel of any service dashboard shows.
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self._lock = asyncio.Lock()

    async def render(self, accept: str | None = None) -> tuple[bytes, str]:
        """The body and content type for a scrape (OpenMetrics if ``accept`` asks)."""
        encoder, content_type = choose_encoder(accept or "")
        async with self._lock:
            self.collector.scrape = await self._read()
            return encoder(self.registry), content_type

    async def _read(self) -> Scrape:
        sources = self.sources
        frames = sources.frames
        live: list[RunReading] = []
        for run in frames.live_runs():
            frame = await frames.frame(run.run_id, with_workers=not run.ended)
            if frame is not None:
                live.append(RunReading(run.run_id, frame, frames.latency_histogram(run.run_id)))
        self.tally.fold(live)
        gone = self.tally.tracked() - {reading.run_id for reading in live}
        for run_id in sorted(gone):
            # Forgotten since the last scrape: what it did in between is in its stored frame.
            self.tally.retire(run_id, await frames.frame(run_id, with_workers=False))
        # Ended runs are counted as they end (crawlscope_runs_ended_total): a gauge of every
        # run ever stored would only grow, and cost a query per status. The queries go
        # together: on a pool of connections they overlap.
        counts, alerts = await asyncio.gather(
            asyncio.gather(*(sources.count_runs(status.value) for status in _ACTIVE)),
            sources.open_alerts(),
        )
        scrape = Scrape(
            runs_by_status={s.value: count for s, count in zip(_ACTIVE, counts, strict=True)},
            alerts=_alert_counts(alerts),
            subscribers=sources.subscribers(),
            labelled_sites=len(self.tally.sites),
        )
        local = [reading.frame for reading in live]
        self._live_figures(scrape, local)
        remote = [
            await frames.frame(run.run_id, with_workers=not run.ended)
            for run in frames.remote_runs()
        ]
        self._installation_figures(scrape, [*local, *(f for f in remote if f is not None)])
        storage = sources.storage()
        scrape.storage_ok = storage.ok
        scrape.unstored_events = storage.unstored
        scrape.storage_failing_s = storage.failing_for_s or 0.0
        return scrape

    def _live_figures(self, scrape: Scrape, frames: list[RunFrame]) -> None:
        label = self.tally.collections.label
        for frame in frames:
            collection = label(collection_of(frame))
            key = (collection, frame.status.value)
            scrape.live_runs[key] = scrape.live_runs.get(key, 0) + 1
            if frame.status.terminal:
                continue
            for card in frame.workers:
                state_key = (collection, card.state)
                scrape.workers[state_key] = scrape.workers.get(state_key, 0) + 1
        for health in site_health(frames):
            scrape.breakers[health.breaker] = scrape.breakers.get(health.breaker, 0) + 1

    def _installation_figures(self, scrape: Scrape, frames: list[RunFrame]) -> None:
        # Collections seen only in runs other servers own get label places too.
        weights: dict[str, float] = {}
        for frame in frames:
            name = collection_of(frame)
            weights[name] = weights.get(name, 0) + frame.totals.requests
        self.tally.collections.admit(weights)
        label = self.tally.collections.label
        for frame in frames:
            collection = label(collection_of(frame))
            key = (collection, frame.status.value)
            scrape.installation_runs[key] = scrape.installation_runs.get(key, 0) + 1
            if frame.status.terminal:
                continue
            for card in frame.workers:
                state_key = (collection, card.state)
                scrape.installation_workers[state_key] = (
                    scrape.installation_workers.get(state_key, 0) + 1
                )


def _alert_counts(alerts: list[AlertRecord]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for alert in alerts:
        key = (alert.state.value, alert.severity.value)
        counts[key] = counts.get(key, 0) + 1
    return counts
