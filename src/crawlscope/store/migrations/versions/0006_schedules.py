"""Schedules and the slots they claimed.

``schedules`` holds each schedule (interval or cron, time zone, policies); each row of
``schedule_slots`` is one slot a server claimed, unique per ``(schedule_id, slot_at)`` so
that one slot starts at most one run however many servers share the database, with what
became of it (the run it started, or why none).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"

    def moment() -> sa.types.TypeEngine[object]:
        # As revision 0003 left every moment: ISO text on SQLite, timestamptz elsewhere.
        return sa.String(32) if sqlite else sa.DateTime(timezone=True)  # type: ignore[return-value]

    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("collection", sa.String(200), nullable=False),
        sa.Column("params", sa.Text, nullable=False, server_default="{}"),
        sa.Column("interval_s", sa.Float),
        sa.Column("cron", sa.String(200)),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("overlap", sa.String(10), nullable=False, server_default="skip"),
        sa.Column("catch_up", sa.String(10), nullable=False, server_default="skip"),
        sa.Column("source", sa.String(10), nullable=False, server_default="api"),
        sa.Column("anchor_at", moment(), nullable=False),
        sa.Column("created_at", moment(), nullable=False),
        sa.Column("updated_at", moment(), nullable=False),
    )
    op.create_index("ux_schedules_name", "schedules", ["name"], unique=True)
    op.create_table(
        "schedule_slots",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("schedule_id", sa.Integer, nullable=False),
        sa.Column("slot_at", moment(), nullable=False),
        sa.Column("claimed_at", moment(), nullable=False),
        sa.Column("claimed_by", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("run_id", sa.String(64)),
        sa.Column("missed", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index(
        "ux_schedule_slots_slot", "schedule_slots", ["schedule_id", "slot_at"], unique=True
    )
    op.create_index("ix_schedule_slots_run_id", "schedule_slots", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_schedule_slots_run_id", "schedule_slots")
    op.drop_index("ux_schedule_slots_slot", "schedule_slots")
    op.drop_table("schedule_slots")
    op.drop_index("ux_schedules_name", "schedules")
    op.drop_table("schedules")
