"""Real timestamp columns and integer run totals.

Moments become ``timestamp with time zone`` on PostgreSQL (SQLite keeps ISO-8601 text,
normalised to one format), kept to the millisecond on both; the headline run totals move
from the ``totals`` JSON text into integer columns, and the per-type/per-stage counts into
``breakdown``. Existing rows are converted, nothing is lost (tests/store/test_upgrade.py).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TOTALS = (
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
_BREAKDOWN = ("failures_by_type", "errors_by_type", "errors_by_stage")
_MOMENTS = {
    "runs": ("created_at", "started_at", "ended_at", "updated_at", "heartbeat_at"),
    "run_commands": ("created_at", "handled_at"),
    "dataset_items": ("created_at", "updated_at"),
    "api_tokens": ("created_at", "last_used_at", "revoked_at"),
    "api_sessions": ("created_at", "expires_at"),
}
# Columns the previous schema required (NOT NULL).
_REQUIRED = {
    ("runs", "created_at"),
    ("run_commands", "created_at"),
    ("dataset_items", "created_at"),
    ("dataset_items", "updated_at"),
    ("api_tokens", "created_at"),
    ("api_sessions", "created_at"),
    ("api_sessions", "expires_at"),
}


def _canonical(text: str) -> str:
    """ISO-8601 text in the one SQLite form: UTC, milliseconds, ``Z``."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    runs = sa.table("runs", sa.column("id"), sa.column("totals"))

    with op.batch_alter_table("runs") as batch:
        for name in _TOTALS:
            batch.add_column(sa.Column(name, sa.BigInteger, nullable=False, server_default="0"))
        batch.add_column(sa.Column("breakdown", sa.Text, nullable=False, server_default="{}"))

    target = sa.table(
        "runs", sa.column("id"), sa.column("breakdown"), *[sa.column(n) for n in _TOTALS]
    )
    for run_id, text in bind.execute(sa.select(runs.c.id, runs.c.totals)).all():
        try:
            totals = json.loads(text or "{}")
        except ValueError:
            totals = {}
        if not isinstance(totals, dict):
            totals = {}
        values: dict[str, Any] = {name: _int(totals.get(name)) for name in _TOTALS}
        values["breakdown"] = json.dumps(
            {key: totals.get(key) or {} for key in _BREAKDOWN}, separators=(",", ":")
        )
        bind.execute(target.update().where(target.c.id == run_id).values(**values))

    with op.batch_alter_table("runs") as batch:
        batch.drop_column("totals")

    for table, columns in _MOMENTS.items():
        if sqlite:
            _normalise_sqlite(bind, table, columns)
        else:
            for column in columns:
                op.alter_column(
                    table,
                    column,
                    type_=sa.DateTime(timezone=True),
                    # Cut to milliseconds, as on SQLite (``_canonical``) and as new writes
                    # are: a remote runner's times may carry microseconds.
                    postgresql_using=f"date_trunc('milliseconds', {column}::timestamptz)",
                    existing_nullable=(table, column) not in _REQUIRED,
                )


def _normalise_sqlite(bind: sa.Connection, table: str, columns: tuple[str, ...]) -> None:
    """Rewrite moments not yet in the canonical form (remote runners' offsets, say).

    Only rows that differ are written: tables written by this program hold the canonical
    form already, so a large dataset table is read, not rewritten.
    """
    key = "rowid"
    t = sa.table(table, sa.column(key), *[sa.column(c) for c in columns])
    for row in bind.execute(sa.select(t.c[key], *[t.c[c] for c in columns])).all():
        changes = {}
        for column, value in zip(columns, row[1:], strict=True):
            if isinstance(value, str) and value:
                fixed = _canonical(value)
                if fixed != value:
                    changes[column] = fixed
        if changes:
            bind.execute(t.update().where(t.c[key] == row[0]).values(**changes))


def downgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if not sqlite:
        for table, columns in _MOMENTS.items():
            for column in columns:
                op.alter_column(
                    table,
                    column,
                    type_=sa.String(32),
                    postgresql_using=(
                        f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
                    ),
                    existing_nullable=(table, column) not in _REQUIRED,
                )
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("totals", sa.Text, nullable=False, server_default="{}"))
    source = sa.table(
        "runs", sa.column("id"), sa.column("breakdown"), *[sa.column(n) for n in _TOTALS]
    )
    target = sa.table("runs", sa.column("id"), sa.column("totals"))
    for row in bind.execute(sa.select(source)).all():
        mapping = row._mapping
        try:
            breakdown = json.loads(mapping["breakdown"] or "{}")
        except ValueError:
            breakdown = {}
        totals: dict[str, Any] = {name: int(mapping[name] or 0) for name in _TOTALS}
        totals.update({key: breakdown.get(key) or {} for key in _BREAKDOWN})
        bind.execute(
            target.update()
            .where(target.c.id == mapping["id"])
            .values(totals=json.dumps(totals, separators=(",", ":")))
        )
    with op.batch_alter_table("runs") as batch:
        for name in (*_TOTALS, "breakdown"):
            batch.drop_column(name)
