"""Item batches received from remote runners, so a retried batch gets its first answer.

``item_batches`` remembers, per ``(run_id, batch_id)``, what a batch of
``POST /api/ingest/items`` did to each key (inserted, updated, unchanged), written in the
same transaction as the items. A runner that lost the answer and sends the batch again
gets the same answer, so its inserted/updated/deduped counts stay exact. Rows older than a
day are pruned by the server.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # As ``crawlscope.store.types.Timestamp``: ISO-8601 text on SQLite, timestamptz elsewhere.
    moment = sa.String(32) if sqlite else sa.DateTime(timezone=True)
    op.create_table(
        "item_batches",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("batch_id", sa.String(64), primary_key=True),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("digest", sa.String(32), nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("created_at", moment, nullable=False),
    )
    op.create_index("ix_item_batches_created_at", "item_batches", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_item_batches_created_at", "item_batches")
    op.drop_table("item_batches")
