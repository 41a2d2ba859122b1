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
    "alert_deliveries",
    "alert_rule_history",
    "alert_rules",
    "alert_transitions",
    "alerts",
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
    "silences",
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
    # When retention deleted the run's raw events (migration 0009); its row, frame and
    # ``run_rollups`` row stay.
    sa.Column("events_pruned_at", Timestamp),
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

# Alerts (crawlscope.alerts, crawlscope.store.alerts). Rules defined through the API or the
# dashboard, each change of them with its version, every alert (a rule on one subject) with
# its state changes, every notification attempt, and silences. Rule files and built-in
# rules are not stored: they are read again when the server starts.
alert_rules = sa.Table(
    "alert_rules",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    # The ``Rule`` as JSON (msgspec); its ``enabled`` is the column's.
    sa.Column("definition", sa.Text, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    # The version of its last change (``alert_rule_history``).
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("updated_by", sa.String(200)),
)

# Versions go on across a delete: a rule made again under a deleted one's name continues
# its numbers, so ``(name, version)`` names one change for good.
alert_rule_history = sa.Table(
    "alert_rule_history",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    # created, updated, deleted, enabled or disabled.
    sa.Column("action", sa.String(16), nullable=False),
    # The rule after the change; null when it was deleted.
    sa.Column("definition", sa.Text),
    sa.Column("changed_at", Timestamp, nullable=False),
    sa.Column("changed_by", sa.String(200)),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("rule", sa.String(200), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    # pending, firing or resolved (``AlertState``).
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("labels", sa.Text, nullable=False, server_default="{}"),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("pending_since", Timestamp),
    sa.Column("fired_at", Timestamp),
    sa.Column("resolved_at", Timestamp),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("silenced_by", sa.String(64)),
    sa.Column("inhibited_by", sa.String(200)),
    sa.Column("run_id", sa.String(64)),
    sa.Column("extra", sa.Text, nullable=False, server_default="{}"),
    # Open alerts (state in pending, firing) and lists by state, newest first.
    sa.Index("ix_alerts_state_updated_at", "state", "updated_at"),
    sa.Index("ix_alerts_updated_at", "updated_at"),
    sa.Index("ix_alerts_fingerprint_state", "fingerprint", "state"),
    sa.Index("ix_alerts_run_id", "run_id"),
    sa.Index("ix_alerts_rule", "rule"),
)

# The timeline: one row per state an alert entered (pending, firing, resolved).
alert_transitions = sa.Table(
    "alert_transitions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Index("ix_alert_transitions_alert_id", "alert_id", "at"),
    sa.Index("ix_alert_transitions_at", "at"),
)

# Every attempt to send a notification to a channel (``DeliveryAttempt``).
alert_deliveries = sa.Table(
    "alert_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("notification_key", sa.String(200), nullable=False),
    # The notification's: firing, resolved or test.
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("channel", sa.String(200), nullable=False),
    # Secrets hidden by the sender: never a channel's full URL.
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("delivered", sa.Boolean, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("at", Timestamp, nullable=False),
    sa.Index("ix_alert_deliveries_at", "at"),
    sa.Index("ix_alert_deliveries_key", "notification_key"),
)

silences = sa.Table(
    "silences",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    # The ``Matcher`` list as JSON.
    sa.Column("matchers", sa.Text, nullable=False),
    sa.Column("starts_at", Timestamp, nullable=False),
    sa.Column("ends_at", Timestamp, nullable=False),
    sa.Column("created_by", sa.String(200)),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    # Set when it was ended early (``ends_at`` then moves back to that moment).
    sa.Column("expired_at", Timestamp),
    sa.Index("ix_silences_ends_at", "ends_at"),
)
