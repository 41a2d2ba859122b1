"""System samples: the server's CPU, memory, disk and load every 10 s, and the host
figures remote runners send, kept a week (``crawlscope.store.system_samples``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "system_samples",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("at", sa.BigInteger, primary_key=True),
        sa.Column("cpu_percent", sa.Float, nullable=False),
        sa.Column("memory_percent", sa.Float, nullable=False),
        sa.Column("disk_percent", sa.Float),
        sa.Column("process_rss_mb", sa.Float),
        sa.Column("open_connections", sa.Integer),
        sa.Column("active_runs", sa.Integer),
        sa.Column("running_workers", sa.Integer),
    )
    op.create_index("ix_system_samples_at", "system_samples", ["at"])


def downgrade() -> None:
    op.drop_index("ix_system_samples_at", "system_samples")
    op.drop_table("system_samples")
