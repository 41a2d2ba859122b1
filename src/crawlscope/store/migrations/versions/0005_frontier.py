"""The frontier of a run: every task it queued and where each stands, for crash resume.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_tasks",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("no", sa.Integer, primary_key=True),
        sa.Column("phase", sa.String(200), nullable=False),
        sa.Column("key", sa.String(512)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("task", sa.Text, nullable=False),
    )
    op.create_index("ix_run_tasks_state", "run_tasks", ["run_id", "state"])
    op.create_table(
        "run_frontiers",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("next_no", sa.Integer, nullable=False),
        sa.Column("finished_phases", sa.Text, nullable=False, server_default="[]"),
        sa.Column("progress", sa.Text, nullable=False, server_default="[]"),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("run_frontiers")
    op.drop_index("ix_run_tasks_state", "run_tasks")
    op.drop_table("run_tasks")
