"""What the analytics queries answer (``store/analytics.py``), as msgspec structs.

Moments are ISO-8601 text in UTC (the events' format); rates are fractions (0..1) or
None where nothing was counted; latencies are milliseconds estimated from the rollups'
histogram bins (within one bin, <= 19 %); costs are in the prices' own currency.
"""

from __future__ import annotations

import msgspec

__all__ = [
    "CostReport",
    "ErrorGroup",
    "ErrorReport",
    "HeatCell",
    "Heatmap",
    "Prices",
    "RunComparison",
    "RunCost",
    "RunFigures",
    "RunInsight",
    "RunInsights",
    "SiteRow",
    "SiteTable",
    "Summary",
    "TrendPoint",
    "Trends",
    "Window",
]


class Window(msgspec.Struct, kw_only=True):
    """The range and filter an answer covers."""

    since: str
    until: str
    collection: str | None = None


class Prices(msgspec.Struct, kw_only=True, frozen=True):
    """What a collection's runs cost: per request, per GB received and per run-hour."""

    per_request: float = 0.0
    per_gb: float = 0.0
    per_hour: float = 0.0


class Summary(msgspec.Struct, kw_only=True):
    """Totals over a range (``GET /api/analytics/summary``)."""

    window: Window
    runs: int
    requests: int
    successes: int
    failures: int
    success_rate: float | None
    items_found: int
    items_new: int
    items_updated: int
    errors: int
    bytes: int
    p50_ms: float | None
    p95_ms: float | None
    cost: float
    cost_per_1000_items: float | None


class TrendPoint(msgspec.Struct, kw_only=True):
    """One bucket of a trend: its start and what happened in it."""

    t: str
    requests: int
    successes: int
    errors: int
    items_found: int
    items_per_hour: float
    success_rate: float | None
    error_rate: float | None
    mean_ms: float | None
    """Mean response time of the requests that ended in the bucket."""


class Trends(msgspec.Struct, kw_only=True):
    """Buckets of one resolution over a range, empty buckets included."""

    window: Window
    resolution: str
    bucket_s: int
    points: list[TrendPoint]


class SiteRow(msgspec.Struct, kw_only=True):
    """One target site's figures over a range."""

    site: str
    requests: int
    successes: int
    failures: int
    success_rate: float | None
    errors: int
    bytes: int
    mean_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    failures_by_type: dict[str, int]


class SiteTable(msgspec.Struct, kw_only=True):
    """Sites by requests, most first (events without a site are left out)."""

    window: Window
    sites: list[SiteRow]


class ErrorGroup(msgspec.Struct, kw_only=True):
    """Errors of one type, stage and normalised message in one collection."""

    collection: str
    fingerprint: str
    error_type: str
    error_stage: str
    pattern: str
    count: int
    """In the range."""
    total: int
    """Ever (kept for ever)."""
    first_seen: str
    last_seen: str
    example_run_id: str
    example_event_id: str
    example_message: str
    counts: list[tuple[str, int]]
    """(bucket start, count) over the range at ``ErrorReport.bucket_s``, empty buckets left out."""


class ErrorReport(msgspec.Struct, kw_only=True):
    """Error groups seen in a range, most frequent first."""

    window: Window
    bucket_s: int
    groups: list[ErrorGroup]


class HeatCell(msgspec.Struct, kw_only=True):
    """One hour of one weekday (in the heatmap's ``timezone``; Monday 0) summed over a
    range."""

    weekday: int
    hour: int
    requests: int
    items_found: int
    errors: int
    success_rate: float | None


class Heatmap(msgspec.Struct, kw_only=True):
    """The cells with any event in the range."""

    window: Window
    timezone: str
    """The IANA zone whose weekdays and hours the cells are (``UTC`` unless asked)."""
    cells: list[HeatCell]


class RunInsight(msgspec.Struct, kw_only=True):
    """One run's items (the dataset insights' points)."""

    run_id: str
    collection: str
    status: str
    created_at: str
    requests: int
    items_found: int
    new_items: int
    updated_items: int
    duplicates: int


class RunInsights(msgspec.Struct, kw_only=True):
    """Items per run over time, oldest first (at most ``limit`` newest runs)."""

    window: Window
    runs: list[RunInsight]
    total_runs: int


class RunCost(msgspec.Struct, kw_only=True):
    """A run's cost: requests, GB and hours at its collection's prices."""

    run_id: str
    collection: str
    created_at: str
    requests: int
    bytes: int
    hours: float
    items_found: int
    cost: float
    cost_per_1000_items: float | None
    request_cost: float
    transfer_cost: float
    time_cost: float


class CostReport(msgspec.Struct, kw_only=True):
    """Runs' costs in a range, newest first, and their total."""

    window: Window
    prices: dict[str, Prices]
    runs: list[RunCost]
    total_runs: int
    cost: float
    items_found: int
    cost_per_1000_items: float | None


class RunFigures(msgspec.Struct, kw_only=True):
    """One run's figures, as the run comparison shows them."""

    run_id: str
    collection: str
    status: str
    created_at: str
    duration_s: float | None
    requests: int
    successes: int
    failures: int
    success_rate: float | None
    errors: int
    items_found: int
    new_items: int
    updated_items: int
    duplicates: int
    bytes: int
    p50_ms: float | None
    p95_ms: float | None
    cost: float


class RunComparison(msgspec.Struct, kw_only=True):
    """Two runs of one collection and ``b - a`` of each number (None where either is)."""

    a: RunFigures
    b: RunFigures
    difference: dict[str, float | None]
    change: dict[str, float | None]
    """``(b - a) / a`` per number; None where ``a`` is 0 or None."""
