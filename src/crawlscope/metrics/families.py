"""The metric families of one scrape, built from a ``Scrape`` (what was read) and the
counter totals. A ``prometheus_client`` custom collector: nothing is counted per event,
everything is read when Prometheus asks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

from crawlscope import __version__
from crawlscope.alerts.model import AlertState, Severity
from crawlscope.metrics.buckets import bucket_counts
from crawlscope.metrics.tally import (
    ERRORS,
    ITEMS,
    OUTCOMES,
    REQUESTS,
    RETRIES,
    RUNS_ENDED,
    TASKS,
    CounterTally,
)
from crawlscope.site_health import BREAKER_STATES

__all__ = ["CrawlscopeCollector", "Scrape"]

# counter -> (name without _total, help, label names after "collection"[, "site"])
_COUNTERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    REQUESTS: (
        "crawlscope_requests",
        "Requests sent (fetching events), by collection and site (the busiest sites by "
        "name, the rest as 'other').",
        ("collection", "site"),
    ),
    OUTCOMES: (
        "crawlscope_request_outcomes",
        "Request attempts by how they ended: 'success' (found) or the error type of a "
        "request-stage failure.",
        ("collection", "site", "outcome"),
    ),
    ITEMS: (
        "crawlscope_items",
        "Items: found (handed to the sink), new (inserted), updated, duplicate.",
        ("collection", "kind"),
    ),
    ERRORS: (
        "crawlscope_errors",
        "Error events by error type and stage (any stage, not only requests).",
        ("collection", "type", "stage"),
    ),
    RETRIES: ("crawlscope_retries", "Requests retried.", ("collection",)),
    RUNS_ENDED: (
        "crawlscope_runs_ended",
        "Runs this server held that reached an end, by how they ended.",
        ("collection", "status"),
    ),
    TASKS: (
        "crawlscope_tasks",
        "Tasks finished: done, failed for good, requeued (a failed attempt put back).",
        ("collection", "outcome"),
    ),
}


_OPEN_STATES = (AlertState.PENDING.value, AlertState.FIRING.value)


@dataclass
class Scrape:
    """Everything read for one scrape besides the counters."""

    runs_by_status: dict[str, int] = field(default_factory=dict)
    live_runs: dict[tuple[str, str], int] = field(default_factory=dict)
    """(collection label, status) -> runs live in this process."""
    workers: dict[tuple[str, str], int] = field(default_factory=dict)
    """(collection label, state) -> workers of active live runs."""
    installation_runs: dict[tuple[str, str], int] = field(default_factory=dict)
    """(collection label, status) -> live runs of every process sharing the bus."""
    installation_workers: dict[tuple[str, str], int] = field(default_factory=dict)
    """(collection label, state) -> workers of those runs that are active."""
    breakers: dict[str, int] = field(default_factory=dict)
    """Breaker state -> target sites of live runs in that state."""
    alerts: dict[tuple[str, str], int] = field(default_factory=dict)
    """(state, severity) -> open alerts."""
    storage_ok: bool = True
    unstored_events: int = 0
    storage_failing_s: float = 0.0
    subscribers: int = 0
    labelled_sites: int = 0


class CrawlscopeCollector(Collector):
    """Renders the counter tally and the latest ``Scrape``."""

    def __init__(self, tally: CounterTally) -> None:
        self.tally = tally
        self.scrape = Scrape()

    def collect(self) -> Iterator[Metric]:
        """Every family (called by ``generate_latest`` after ``scrape`` was refreshed)."""
        yield from self._counters()
        yield self._durations()
        yield from self._gauges()

    def _counters(self) -> Iterator[Metric]:
        families = {
            counter: CounterMetricFamily(name, text, labels=labels)
            for counter, (name, text, labels) in _COUNTERS.items()
        }
        for (counter, collection, site, extra), value in sorted(
            self.tally.counters.items(), key=_key
        ):
            labels = [collection] if site is None else [collection, site]
            families[counter].add_metric([*labels, *extra], value)
        yield from families.values()

    def _durations(self) -> Metric:
        family = HistogramMetricFamily(
            "crawlscope_request_duration_seconds",
            "Durations of request attempts that ended (found, error, rate_limited), from "
            "the runs' duration bins; a bucket counts durations below its bound; no _sum.",
            labels=["collection"],
        )
        for collection, bins in sorted(self.tally.durations.items()):
            buckets, count = bucket_counts(bins)
            family.add_metric([collection], buckets, sum_value=None)
            # add_metric writes _count only with a _sum; the count itself is exact.
            family.samples.append(Sample(f"{family.name}_count", {"collection": collection}, count))
        return family

    def _gauges(self) -> Iterator[Metric]:
        s = self.scrape
        runs = GaugeMetricFamily(
            "crawlscope_runs",
            "Runs in the database that have not ended (every server's), by status.",
            labels=["status"],
        )
        for status, count in sorted(s.runs_by_status.items()):
            runs.add_metric([status], count)
        yield runs
        live = GaugeMetricFamily(
            "crawlscope_live_runs",
            "Runs whose live state this server holds (running here or reporting here), by "
            "status; ended runs are held for a minute.",
            labels=["collection", "status"],
        )
        for (collection, status), count in sorted(s.live_runs.items()):
            live.add_metric([collection, status], count)
        yield live
        workers = GaugeMetricFamily(
            "crawlscope_workers",
            "Workers of active live runs by state.",
            labels=["collection", "state"],
        )
        for (collection, state), count in sorted(s.workers.items()):
            workers.add_metric([collection, state], count)
        yield workers
        # Every process shares these (the runs it holds plus those it hears of): not to be
        # summed across servers, unlike the families above.
        installation = GaugeMetricFamily(
            "crawlscope_installation_live_runs",
            "Live runs of the whole installation as this server sees them: those it holds "
            "and those other servers on the same Redis own (their frame notices), by "
            "status; every server reports the same runs (use max, not sum).",
            labels=["collection", "status"],
        )
        for (collection, status), count in sorted(s.installation_runs.items()):
            installation.add_metric([collection, status], count)
        yield installation
        installation_workers = GaugeMetricFamily(
            "crawlscope_installation_workers",
            "Workers of the installation's active live runs by state (as "
            "crawlscope_installation_live_runs: use max, not sum).",
            labels=["collection", "state"],
        )
        for (collection, state), count in sorted(s.installation_workers.items()):
            installation_workers.add_metric([collection, state], count)
        yield installation_workers
        breakers = GaugeMetricFamily(
            "crawlscope_target_sites",
            "Target sites of live runs by circuit-breaker state (the worst among the runs "
            "using a site).",
            labels=["breaker"],
        )
        for state in BREAKER_STATES:
            breakers.add_metric([state], s.breakers.get(state, 0))
        yield breakers
        alerts = GaugeMetricFamily(
            "crawlscope_alerts", "Open alerts by state and severity.", labels=["state", "severity"]
        )
        for state in _OPEN_STATES:
            for severity in Severity:
                alerts.add_metric([state, severity.value], s.alerts.get((state, severity.value), 0))
        yield alerts
        yield GaugeMetricFamily(
            "crawlscope_storage_ok",
            "1 if events can be stored now, else 0.",
            value=int(s.storage_ok),
        )
        yield GaugeMetricFamily(
            "crawlscope_storage_unstored_events",
            "Events received and waiting in memory to be stored.",
            value=s.unstored_events,
        )
        yield GaugeMetricFamily(
            "crawlscope_storage_failing_seconds",
            "How long event writes have been failing (0 while they work).",
            value=s.storage_failing_s,
        )
        yield GaugeMetricFamily(
            "crawlscope_stream_subscribers",
            "Live-stream feeds open on the event bus.",
            value=s.subscribers,
        )
        yield GaugeMetricFamily(
            "crawlscope_metrics_labelled_sites",
            "Sites with a label of their own (at most metrics_max_sites; the rest are 'other').",
            value=s.labelled_sites,
        )
        info = InfoMetricFamily("crawlscope_build", "The crawlscope version serving.")
        info.add_metric([], {"version": __version__})
        yield info


def _key(item: tuple[tuple[str, str, str | None, tuple[str, ...]], int]) -> tuple[str, ...]:
    counter, collection, site, extra = item[0]
    return (counter, collection, site or "", *extra)
