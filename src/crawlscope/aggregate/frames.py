"""The shapes the aggregator hands out: one worker card, one site row, one run frame.

These are what REST returns, what the live ``state`` frames carry and what is stored on a
run when it ends, so the dashboard shows the same numbers live and after the fact.
"""

from __future__ import annotations

from typing import Any

import msgspec

from crawlscope.status import RunStatus

__all__ = [
    "ErrorSummary",
    "FieldQuality",
    "ProgressLevel",
    "QualityCard",
    "RunFrame",
    "RunTotals",
    "SiteCard",
    "Throughput",
    "WorkerCard",
]


class ErrorSummary(msgspec.Struct, kw_only=True):
    """How often one kind of error happened and its latest message."""

    error_type: str
    error_stage: str
    count: int = 0
    last_message: str | None = None
    last_ts: str | None = None
    last_worker_id: int | None = None


class WorkerCard(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Everything a worker card shows: where the worker is and what it has done.

    Cards are sent several times a second for every worker, so fields at their default
    (``None``, zero counters, empty dicts) are left out of the JSON; readers treat a
    missing counter as 0. ``worker_id`` and ``state`` have no default and are always sent.
    """

    worker_id: int
    state: str
    state_since: str | None = None
    waiting_for: str | None = None
    """While ``state`` is ``waiting``: ``rate_limit``, ``retry_after``, ``breaker`` or
    ``concurrency`` (the site gate its request waits at, on ``site``)."""
    phase: str | None = None
    task: str | None = None
    category: str | None = None
    item: str | None = None
    url: str | None = None
    site: str | None = None
    method: str | None = None
    params: dict[str, Any] | None = None
    attempt: int | None = None
    request_started_at: str | None = None
    last_status_code: int | None = None
    last_duration_ms: float | None = None
    last_error_type: str | None = None
    last_error_message: str | None = None
    requests: int = 0
    successes: int = 0
    failures: int = 0
    retries: int = 0
    success_rate: float = 0.0
    avg_ms: float = 0.0
    p95_ms: float = 0.0
    items: int = 0
    new_items: int = 0
    errors: int = 0
    errors_by_type: dict[str, int] = {}
    errors_by_stage: dict[str, int] = {}
    tasks_done: int = 0
    tasks_failed: int = 0
    categories_done: int = 0
    last_task_ms: float | None = None
    """How long the worker's last finished task took, waits and retries included."""
    last_wait_ms: float | None = None
    """How much of ``last_task_ms`` its requests spent waiting at site gates."""
    wait_ms: float = 0.0
    """Time this worker's tasks spent waiting at site gates, in all."""


class SiteCard(msgspec.Struct, kw_only=True):
    """One host: traffic, errors, latency and circuit-breaker state."""

    site: str
    requests: int = 0
    successes: int = 0
    failures: int = 0
    errors_by_type: dict[str, int] = {}
    avg_ms: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    breaker: str = "closed"
    breaker_since: str | None = None
    last_success_at: str | None = None
    """``ts`` of the site's latest ``found`` event (None before its first success)."""


class RunTotals(msgspec.Struct, kw_only=True):
    """Counts over the whole run; each is defined by events (docs/events.md)."""

    requests: int = 0
    successes: int = 0
    failures: int = 0
    failures_by_type: dict[str, int] = {}
    retries: int = 0
    errors: int = 0
    errors_by_type: dict[str, int] = {}
    errors_by_stage: dict[str, int] = {}
    items_found: int = 0
    new_items: int = 0
    updated_items: int = 0
    duplicates: int = 0
    tasks_done: int = 0
    tasks_failed: int = 0
    tasks_requeued: int = 0
    events: int = 0


class ProgressLevel(msgspec.Struct, kw_only=True):
    """One level of hierarchical progress (for example categories, then products)."""

    level: str
    done: int
    total: int
    percent: float = 0.0
    eta_s: float | None = None
    open: bool = False
    """A running phase may still add to ``total``: the level is not finished even when
    ``done`` has caught up (``percent`` then stays below 100 and ``eta_s`` is unknown)."""


class Throughput(msgspec.Struct, kw_only=True):
    """Rates over the last minute."""

    requests_per_s: float = 0.0
    items_per_s: float = 0.0
    items_per_min: float = 0.0
    window_s: int = 60


class FieldQuality(msgspec.Struct, kw_only=True):
    """One quality field of a run: how many items had it, and had it wrong."""

    field: str
    present: int = 0
    """Items where the field is present: not missing, not null, not ``""``."""
    coverage: float = 0.0
    """``present`` / the quality card's ``checked`` (0..1; 0 before any item)."""
    errors: int = 0
    """Items with a validation error in this field."""


class QualityCard(msgspec.Struct, kw_only=True):
    """Live data quality: the run's items against its collection's item schema."""

    checked: int = 0
    """Items validated and counted (every item handed over, as ``items_found``)."""
    invalid: int = 0
    """Items with at least one validation error (they are stored all the same)."""
    schema: str | None = None
    """The schema's kind: ``msgspec``, ``pydantic``, ``jsonschema`` or ``none``."""
    fields: list[FieldQuality] = []
    """The quality fields, in declared order."""
    other_errors: int = 0
    """Items with a validation error outside the quality fields (or about the item as a
    whole: not an object, a field the schema does not know)."""


class RunFrame(msgspec.Struct, kw_only=True):
    """A compact, complete picture of one run: the live ``state`` frame and the REST view."""

    run_id: str
    collection: str | None = None
    status: RunStatus = RunStatus.PENDING
    phase: str | None = None
    params: dict[str, Any] = {}
    started_at: str | None = None
    ended_at: str | None = None
    duration_s: float | None = None
    paused_reason: str | None = None
    auto_paused: bool = False
    """The run paused itself (consecutive failed tasks), not an operator."""
    error: str | None = None
    finish_reason: str | None = None
    """Why the run ended as it did (its last event's ``extra.finish_reason``)."""
    totals: RunTotals = msgspec.field(default_factory=RunTotals)
    progress: list[ProgressLevel] = []
    throughput: Throughput = msgspec.field(default_factory=Throughput)
    eta_s: float | None = None
    dataset: str | None = None
    dataset_size: int | None = None
    last_seq: int = 0
    workers: list[WorkerCard] = []
    sites: list[SiteCard] = []
    errors: list[ErrorSummary] = []
    quality: QualityCard | None = None
    """Live data quality; None when the collection declares no item schema."""
    crawler_stats: dict[str, Any] | None = None
    """What the crawler itself counted, for runs another crawler makes (Scrapy's stats,
    from the last event's ``extra.stats``); None otherwise."""
