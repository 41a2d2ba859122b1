"""Honest outcomes: a run's finish reason, and room for ``completed_with_errors``.

``runs.finish_reason`` holds why a run ended as it did (the last event's
``extra.finish_reason``: "3 of 40 tasks failed (7.5%)", "the seed raised ..."); rows of
earlier runs keep it empty, nothing is made up for them. ``runs.status`` widens from 20 to
32 characters: ``completed_with_errors`` has 21 (PostgreSQL would refuse it).

The downgrade turns ``completed_with_errors`` back into ``completed`` (the row and its
stored frame), the only status the previous code knows for a run that reached its end.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.alter_column(
            "status", type_=sa.String(32), existing_type=sa.String(20), existing_nullable=False
        )
        batch.add_column(sa.Column("finish_reason", sa.Text))


def downgrade() -> None:
    bind = op.get_bind()
    runs = sa.table("runs", sa.column("id"), sa.column("status"), sa.column("frame"))
    rows = bind.execute(
        sa.select(runs.c.id, runs.c.frame).where(runs.c.status == "completed_with_errors")
    ).all()
    for run_id, frame_text in rows:
        values = {"status": "completed"}
        if frame_text:
            try:
                frame = json.loads(frame_text)
            except ValueError:
                frame = None
            if isinstance(frame, dict):
                frame["status"] = "completed"
                values["frame"] = json.dumps(frame, separators=(",", ":"), ensure_ascii=False)
        bind.execute(runs.update().where(runs.c.id == run_id).values(**values))
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("finish_reason")
        batch.alter_column(
            "status", type_=sa.String(20), existing_type=sa.String(32), existing_nullable=False
        )
