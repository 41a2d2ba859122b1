"""Prometheus metrics (``GET /metrics``): counters folded from live run frames at scrape
time, bounded labels, latency histograms from the runs' duration bins (docs/prometheus.md)."""

from crawlscope.metrics.exposition import MetricsExposition, MetricsSources

__all__ = ["MetricsExposition", "MetricsSources"]
