"""Worker state, run/site/worker metrics, pace and ETA, all derived from events."""

from crawlscope.aggregate.aggregator import Aggregator
from crawlscope.aggregate.frames import (
    ErrorSummary,
    FieldQuality,
    ProgressLevel,
    QualityCard,
    RunFrame,
    RunTotals,
    SiteCard,
    Throughput,
    WorkerCard,
)
from crawlscope.aggregate.run_aggregate import RunAggregate
from crawlscope.aggregate.worker_state import WorkerState, next_state

__all__ = [
    "Aggregator",
    "ErrorSummary",
    "FieldQuality",
    "ProgressLevel",
    "QualityCard",
    "RunAggregate",
    "RunFrame",
    "RunTotals",
    "SiteCard",
    "Throughput",
    "WorkerCard",
    "WorkerState",
    "next_state",
]
