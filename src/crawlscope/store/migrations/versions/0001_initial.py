"""Runs, events, run commands and the dataset table.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("collection", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("params", sa.Text, nullable=False, server_default="{}"),
        sa.Column("origin", sa.String(20), nullable=False, server_default="local"),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("started_at", sa.String(32)),
        sa.Column("ended_at", sa.String(32)),
        sa.Column("updated_at", sa.String(32)),
        sa.Column("heartbeat_at", sa.String(32)),
        sa.Column("paused_reason", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("dataset", sa.String(200)),
        sa.Column("dataset_size", sa.Integer),
        sa.Column("last_seq", sa.Integer, nullable=False, server_default="0"),
        sa.Column("totals", sa.Text, nullable=False, server_default="{}"),
        sa.Column("progress", sa.Text, nullable=False, server_default="[]"),
        sa.Column("frame", sa.Text),
    )
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_index("ix_runs_created_at", "runs", ["created_at"])

    op.create_table(
        "events",
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
    )
    op.create_index("ux_events_id", "events", ["id"], unique=True)

    op.create_table(
        "run_commands",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("command", sa.String(20), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("handled_at", sa.String(32)),
        sa.Column("outcome", sa.Text),
    )
    op.create_index("ix_run_commands_pending", "run_commands", ["run_id", "handled_at"])

    op.create_table(
        "dataset_items",
        sa.Column("dataset", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("first_run_id", sa.String(64), nullable=False),
        sa.Column("last_run_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dataset_items")
    op.drop_index("ix_run_commands_pending", "run_commands")
    op.drop_table("run_commands")
    op.drop_index("ux_events_id", "events")
    op.drop_table("events")
    op.drop_index("ix_runs_created_at", "runs")
    op.drop_index("ix_runs_status", "runs")
    op.drop_table("runs")
