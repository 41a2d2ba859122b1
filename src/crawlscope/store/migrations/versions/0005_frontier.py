"""The frontier of a run: every task it queued and where each stands, for crash resume.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
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
        # Rows kept in the primary key's tree; no index on state (see store/schema.py).
        sqlite_with_rowid=False,
    )
    op.create_table(
        "run_frontiers",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("next_no", sa.Integer, nullable=False),
        sa.Column("finished_phases", sa.Text, nullable=False, server_default="[]"),
        sa.Column("progress", sa.Text, nullable=False, server_default="[]"),
        sa.Column("items", sa.Integer, nullable=False, server_default="0"),
        # Moments as everywhere (store/types.py): ISO text on SQLite, timestamptz elsewhere.
        sa.Column(
            "saved_at",
            sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_table("run_frontiers")
    op.drop_table("run_tasks")
