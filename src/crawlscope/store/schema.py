"""Table definitions (SQLAlchemy Core). Alembic migrations create them; this module names them.

JSON-valued columns are ``Text`` holding JSON encoded with msgspec: portable between SQLite
and PostgreSQL and cheaper to produce than the ORM's JSON type on the hot path.

Moments are ``Timestamp`` columns (``crawlscope.store.types``): ``timestamptz`` on
PostgreSQL, ISO-8601 text on SQLite, aware UTC ``datetime`` in Python. The one exception
is the event log's ``ts`` and ``started_at``: they are the event record's own text
(fixed-width ISO, so text order is time order), stored as received at 100,000+ rows a
second by the writer process and bucketed with the same ``substr`` on both backends.
"""

from __future__ import annotations

import sqlalchemy as sa

from crawlscope.store.types import Timestamp

__all__ = [
    "TOTAL_COLUMNS",
    "api_sessions",
    "api_tokens",
    "dataset_items",
    "events",
    "item_batches",
    "metadata",
    "run_commands",
    "run_frontiers",
    "run_tasks",
    "runs",
    "schedule_slots",
    "schedules",
]

metadata = sa.MetaData()

TOTAL_COLUMNS = (
    "requests",
    "successes",
    "failures",
    "retries",
    "errors",
    "items_found",
    "new_items",
    "updated_items",
    "duplicates",
    "tasks_done",
    "tasks_failed",
    "tasks_requeued",
    "events",
)
"""``RunTotals`` fields stored as integer columns of ``runs`` (same names)."""

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("collection", sa.String(200), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("params", sa.Text, nullable=False, server_default="{}"),
    sa.Column("origin", sa.String(20), nullable=False, server_default="local"),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("started_at", Timestamp),
    sa.Column("ended_at", Timestamp),
    sa.Column("updated_at", Timestamp),
    sa.Column("heartbeat_at", Timestamp),
    sa.Column("paused_reason", sa.Text),
    sa.Column("error", sa.Text),
    # Why the run ended as it did (its last event's ``extra.finish_reason``).
    sa.Column("finish_reason", sa.Text),
    sa.Column("dataset", sa.String(200)),
    sa.Column("dataset_size", sa.Integer),
    sa.Column("last_seq", sa.Integer, nullable=False, server_default="0"),
    # The headline totals as integers (summed by SQL for the overview and analytics); the
    # per-type and per-stage counts as JSON (``TotalsBreakdown``).
    *[sa.Column(name, sa.BigInteger, nullable=False, server_default="0") for name in TOTAL_COLUMNS],
    sa.Column("breakdown", sa.Text, nullable=False, server_default="{}"),
    sa.Column("progress", sa.Text, nullable=False, server_default="[]"),
    # The last full frame (workers, sites, errors): what a finished run's page shows.
    sa.Column("frame", sa.Text),
    sa.Index("ix_runs_status", "status"),
    sa.Index("ix_runs_created_at", "created_at"),
)

events = sa.Table(
    "events",
    metadata,
    # Column order matches ActivityEvent's field order: rows are built with astuple().
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("worker_id", sa.Integer, nullable=False),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("id", sa.String(64), nullable=False),
    sa.Column("ts", sa.String(32), nullable=False),
    sa.Column("phase", sa.String(200)),
    sa.Column("task", sa.Text),
    sa.Column("category", sa.Text),
    sa.Column("item", sa.Text),
    sa.Column("site", sa.String(200)),
    sa.Column("url", sa.Text),
    sa.Column("method", sa.String(16)),
    sa.Column("status_code", sa.Integer),
    sa.Column("params", sa.Text),
    sa.Column("started_at", sa.String(32)),
    sa.Column("duration_ms", sa.Float),
    sa.Column("attempt", sa.Integer),
    sa.Column("error_type", sa.String(32)),
    sa.Column("error_stage", sa.String(200)),
    sa.Column("error_message", sa.Text),
    sa.Column("items_count", sa.Integer),
    sa.Column("new_count", sa.Integer),
    sa.Column("source_worker_id", sa.Integer),
    sa.Column("operation_type", sa.String(200)),
    sa.Column("extra", sa.Text),
    sa.Index("ux_events_id", "id", unique=True),
)

run_commands = sa.Table(
    "run_commands",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("command", sa.String(20), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("handled_at", Timestamp),
    sa.Column("outcome", sa.Text),
    sa.Index("ix_run_commands_pending", "run_id", "handled_at"),
)

dataset_items = sa.Table(
    "dataset_items",
    metadata,
    sa.Column("dataset", sa.String(200), primary_key=True),
    sa.Column("key", sa.String(512), primary_key=True),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("content_hash", sa.String(32), nullable=False),
    sa.Column("first_run_id", sa.String(64), nullable=False),
    sa.Column("last_run_id", sa.String(64), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

# What each item batch of a remote runner did (``POST /api/ingest/items``), written with the
# items, so a retried batch is answered as the first time (pruned after a day).
item_batches = sa.Table(
    "item_batches",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("batch_id", sa.String(64), primary_key=True),
    sa.Column("dataset", sa.String(200), nullable=False),
    # A hash of the batch's keys and contents: the same id with other items is refused.
    sa.Column("digest", sa.String(32), nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Index("ix_item_batches_created_at", "created_at"),
)

# Access control (crawlscope.access): only SHA-256 hashes of tokens and session ids.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False),
    # The first characters of the secret, so a person can tell tokens apart in a list.
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("last_used_at", Timestamp),
    sa.Column("revoked_at", Timestamp),
    sa.Index("ux_api_tokens_hash", "token_hash", unique=True),
    # A name identifies one active token; revoked tokens keep theirs, so a name can be reused.
    sa.Index(
        "ux_api_tokens_active_name",
        "name",
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    ),
)

api_sessions = sa.Table(
    "api_sessions",
    metadata,
    sa.Column("session_hash", sa.String(64), primary_key=True),
    sa.Column(
        "token_id", sa.Integer, sa.ForeignKey("api_tokens.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Index("ix_api_sessions_token_id", "token_id"),
    sa.Index("ix_api_sessions_expires_at", "expires_at"),
)

# The frontier of a run (crawlscope.store.frontier): every task it queued, by its number
# in the run, with its state (pending, done, failed) and itself as JSON; and per run the
# next number, the phases finished and the progress counts, saved in the same transaction.
run_tasks = sa.Table(
    "run_tasks",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("no", sa.Integer, primary_key=True),
    sa.Column("phase", sa.String(200), nullable=False),
    sa.Column("key", sa.String(512)),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("task", sa.Text, nullable=False),
    # No index on state: every finished task would update it (a third of the table's
    # write cost), and only resume, retry and counts read by state, over one run's rows.
    # Without a rowid, SQLite keeps the rows in the primary key's tree: one insert, not two.
    sqlite_with_rowid=False,
)

run_frontiers = sa.Table(
    "run_frontiers",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("next_no", sa.Integer, nullable=False),
    sa.Column("finished_phases", sa.Text, nullable=False, server_default="[]"),
    sa.Column("progress", sa.Text, nullable=False, server_default="[]"),
    sa.Column("items", sa.Integer, nullable=False, server_default="0"),
    sa.Column("saved_at", Timestamp, nullable=False),
)

# Schedules (crawlscope.schedules): what starts runs on its own, and each slot it claimed.
schedules = sa.Table(
    "schedules",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("collection", sa.String(200), nullable=False),
    sa.Column("params", sa.Text, nullable=False, server_default="{}"),
    # Exactly one of the two.
    sa.Column("interval_s", sa.Float),
    sa.Column("cron", sa.String(200)),
    sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("overlap", sa.String(10), nullable=False, server_default="skip"),
    sa.Column("catch_up", sa.String(10), nullable=False, server_default="skip"),
    # api (API, CLI, dashboard) or file (declared in a project file, replaced when it loads).
    sa.Column("source", sa.String(10), nullable=False, server_default="api"),
    # Interval slots are anchor + k * interval; no slot at or before it is due (resume).
    sa.Column("anchor_at", Timestamp, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Index("ux_schedules_name", "name", unique=True),
)

schedule_slots = sa.Table(
    "schedule_slots",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("schedule_id", sa.Integer, nullable=False),
    sa.Column("slot_at", Timestamp, nullable=False),
    sa.Column("claimed_at", Timestamp, nullable=False),
    # Which server process claimed it (host:pid), for people reading the table.
    sa.Column("claimed_by", sa.String(200), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("run_id", sa.String(64)),
    # Slots before this one that were missed with it (a downtime), not recorded one by one.
    sa.Column("missed", sa.Integer, nullable=False, server_default="0"),
    # The lease: the server whose INSERT succeeds owns the slot; any other gets a conflict.
    sa.Index("ux_schedule_slots_slot", "schedule_id", "slot_at", unique=True),
    sa.Index("ix_schedule_slots_run_id", "run_id"),
)
