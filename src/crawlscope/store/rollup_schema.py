"""The rollup tables (migration 0009): what analytics read instead of raw events.

* ``rollup_minutes``, ``rollup_hours``, ``rollup_days``: per collection x site x period.
  ``site`` is ``""`` for events without one (pipeline and system events: items, for
  instance, are counted there), so a collection's figures are the sum over its sites.
  Minutes are kept ``rollup_minute_days`` (30), hours and days for ever.
* ``run_rollups``: the same figures per run, kept for ever, with the run's chart tallies
  (``series``) saved there when its raw events are pruned.
* ``error_groups``: errors per collection x fingerprint (type, stage and the message with
  numbers, ids and URLs normalised) with first/last seen, count and the newest example;
  ``error_group_hours``: their counts per hour, for ever.

``bucket_start`` is the period's start in Unix seconds (UTC), an integer rather than a
``Timestamp``: re-bucketing (5 minutes, hour of day, weekday) is then the same integer
arithmetic on SQLite and PostgreSQL (``bucket_start - bucket_start % 300``; the weekday,
Monday 0, is ``(bucket_start / 86400 + 3) % 7``). ``first_seen``/``last_seen`` are the
events' own ``ts`` text, as in ``events``. The metric columns (``METRIC_COLUMNS``) only
ever grow by addition, so rows of any two batches, periods or sites merge by summing;
latency is a histogram over ``crawlscope.aggregate.series.DURATION_EDGES_MS`` (70 bins,
``latency_b00`` .. ``latency_b69``), from which percentiles of any merge are estimated.
"""

from __future__ import annotations

import sqlalchemy as sa

from crawlscope.store.rollup_fold import METRIC_COLUMNS
from crawlscope.store.schema import metadata

__all__ = [
    "ROLLUP_GRAINS",
    "error_group_hours",
    "error_groups",
    "metric_columns",
    "rollup_days",
    "rollup_hours",
    "rollup_minutes",
    "run_rollups",
]


def metric_columns() -> list[sa.Column[object]]:
    """The additive columns of a rollup row (fresh objects for each table)."""
    return [
        sa.Column(
            name,
            sa.Float if name == "latency_sum_ms" else sa.BigInteger,
            nullable=False,
            server_default="0",
        )
        for name in METRIC_COLUMNS
    ]


def _grain(name: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("collection", sa.String(200), primary_key=True),
        sa.Column("site", sa.String(200), primary_key=True),
        sa.Column("bucket_start", sa.BigInteger, primary_key=True),
        *metric_columns(),
        # Ranges over all collections (the overview, pruning) read by time first.
        sa.Index(f"ix_{name}_bucket_start", "bucket_start"),
    )


rollup_minutes = _grain("rollup_minutes")
rollup_hours = _grain("rollup_hours")
rollup_days = _grain("rollup_days")

ROLLUP_GRAINS: dict[int, sa.Table] = {60: rollup_minutes, 3600: rollup_hours, 86400: rollup_days}
"""The rollup table of each period length (seconds)."""

run_rollups = sa.Table(
    "run_rollups",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("collection", sa.String(200), nullable=False),
    # The first and last minute (Unix seconds) the run had events in.
    sa.Column("first_minute", sa.BigInteger, nullable=False),
    sa.Column("last_minute", sa.BigInteger, nullable=False),
    *metric_columns(),
    # The run's chart tallies (JSON), saved when its raw events were pruned.
    sa.Column("series", sa.Text),
    sa.Index("ix_run_rollups_collection", "collection", "first_minute"),
)

error_groups = sa.Table(
    "error_groups",
    metadata,
    sa.Column("collection", sa.String(200), primary_key=True),
    sa.Column("fingerprint", sa.String(16), primary_key=True),
    sa.Column("error_type", sa.String(32), nullable=False),
    sa.Column("error_stage", sa.String(200), nullable=False),
    sa.Column("pattern", sa.Text, nullable=False),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("first_seen", sa.String(32), nullable=False),
    sa.Column("last_seen", sa.String(32), nullable=False),
    sa.Column("example_event_id", sa.String(64), nullable=False),
    sa.Column("example_run_id", sa.String(64), nullable=False),
    sa.Column("example_message", sa.Text, nullable=False),
    sa.Index("ix_error_groups_last_seen", "last_seen"),
)

error_group_hours = sa.Table(
    "error_group_hours",
    metadata,
    sa.Column("collection", sa.String(200), primary_key=True),
    sa.Column("fingerprint", sa.String(16), primary_key=True),
    sa.Column("bucket_start", sa.BigInteger, primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Index("ix_error_group_hours_bucket_start", "bucket_start"),
)
