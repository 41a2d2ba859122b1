"""Alerts: rules kept in the database, alerts and their timeline, deliveries, silences.

``alert_rules`` holds the rules defined through the API or the dashboard (rule files and
built-in rules are read again at start, not stored), ``alert_rule_history`` each change of
them with its version; ``alerts`` one row per alert (a rule on one subject) and
``alert_transitions`` one per state it entered; ``alert_deliveries`` every attempt to send
a notification; ``silences`` the silences, ended or not.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # As ``crawlscope.store.types.Timestamp``: ISO-8601 text on SQLite, timestamptz elsewhere.
    moment = sa.String(32) if sqlite else sa.DateTime(timezone=True)

    op.create_table(
        "alert_rules",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", moment, nullable=False),
        sa.Column("updated_by", sa.String(200)),
    )
    op.create_table(
        "alert_rule_history",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("definition", sa.Text),
        sa.Column("changed_at", moment, nullable=False),
        sa.Column("changed_by", sa.String(200)),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("labels", sa.Text, nullable=False, server_default="{}"),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("pending_since", moment),
        sa.Column("fired_at", moment),
        sa.Column("resolved_at", moment),
        sa.Column("updated_at", moment, nullable=False),
        sa.Column("silenced_by", sa.String(64)),
        sa.Column("inhibited_by", sa.String(200)),
        sa.Column("run_id", sa.String(64)),
        sa.Column("extra", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_index("ix_alerts_state_updated_at", "alerts", ["state", "updated_at"])
    op.create_index("ix_alerts_updated_at", "alerts", ["updated_at"])
    op.create_index("ix_alerts_fingerprint_state", "alerts", ["fingerprint", "state"])
    op.create_index("ix_alerts_run_id", "alerts", ["run_id"])
    op.create_index("ix_alerts_rule", "alerts", ["rule"])
    op.create_table(
        "alert_transitions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("at", moment, nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("summary", sa.Text, nullable=False),
    )
    op.create_index("ix_alert_transitions_alert_id", "alert_transitions", ["alert_id", "at"])
    op.create_index("ix_alert_transitions_at", "alert_transitions", ["at"])
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("notification_key", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("delivered", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("at", moment, nullable=False),
    )
    op.create_index("ix_alert_deliveries_at", "alert_deliveries", ["at"])
    op.create_index("ix_alert_deliveries_key", "alert_deliveries", ["notification_key"])
    op.create_table(
        "silences",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("matchers", sa.Text, nullable=False),
        sa.Column("starts_at", moment, nullable=False),
        sa.Column("ends_at", moment, nullable=False),
        sa.Column("created_by", sa.String(200)),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("created_at", moment, nullable=False),
        sa.Column("expired_at", moment),
    )
    op.create_index("ix_silences_ends_at", "silences", ["ends_at"])


def downgrade() -> None:
    op.drop_index("ix_silences_ends_at", "silences")
    op.drop_table("silences")
    op.drop_index("ix_alert_deliveries_key", "alert_deliveries")
    op.drop_index("ix_alert_deliveries_at", "alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_index("ix_alert_transitions_at", "alert_transitions")
    op.drop_index("ix_alert_transitions_alert_id", "alert_transitions")
    op.drop_table("alert_transitions")
    for index in (
        "ix_alerts_rule",
        "ix_alerts_run_id",
        "ix_alerts_fingerprint_state",
        "ix_alerts_updated_at",
        "ix_alerts_state_updated_at",
    ):
        op.drop_index(index, "alerts")
    op.drop_table("alerts")
    op.drop_table("alert_rule_history")
    op.drop_table("alert_rules")
