"""Rollups (per collection x site x minute, hour and day; per run; error groups) and the
mark of a run whose raw events were pruned.

The tables are described in ``crawlscope.store.rollup_schema``. An existing database is
backfilled here from its events, page by page in ``(run_id, seq)`` order, through the
same fold and upserts as the write path, so the rollups of old and new events agree.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crawlscope.store.rollup_fold import fold
from crawlscope.store.rollup_schema import metric_columns
from crawlscope.store.rollups import UNKNOWN_COLLECTION, RollupWriter

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_GRAINS = ("rollup_minutes", "rollup_hours", "rollup_days")
_PAGE = 20_000
_FOLDED = (
    "run_id",
    "action",
    "worker_id",
    "id",
    "ts",
    "site",
    "duration_ms",
    "error_type",
    "error_stage",
    "error_message",
    "items_count",
    "extra",
)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    moment = sa.String(32) if sqlite else sa.DateTime(timezone=True)
    with op.batch_alter_table("runs") as batch:
        # When the run's raw events were deleted by retention (null: they are stored).
        batch.add_column(sa.Column("events_pruned_at", moment))
    for name in _GRAINS:
        op.create_table(
            name,
            sa.Column("collection", sa.String(200), primary_key=True),
            sa.Column("site", sa.String(200), primary_key=True),
            sa.Column("bucket_start", sa.BigInteger, primary_key=True),
            *metric_columns(),
        )
        op.create_index(f"ix_{name}_bucket_start", name, ["bucket_start"])
    op.create_table(
        "run_rollups",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("collection", sa.String(200), nullable=False),
        sa.Column("first_minute", sa.BigInteger, nullable=False),
        sa.Column("last_minute", sa.BigInteger, nullable=False),
        *metric_columns(),
        sa.Column("series", sa.Text),
    )
    op.create_index("ix_run_rollups_collection", "run_rollups", ["collection", "first_minute"])
    op.create_table(
        "error_groups",
        sa.Column("collection", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(16), primary_key=True),
        sa.Column("error_type", sa.String(32), nullable=False),
        sa.Column("error_stage", sa.String(200), nullable=False),
        sa.Column("pattern", sa.Text, nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("first_seen", sa.String(32), nullable=False),
        sa.Column("last_seen", sa.String(32), nullable=False),
        sa.Column("example_event_id", sa.String(64), nullable=False),
        sa.Column("example_run_id", sa.String(64), nullable=False),
        sa.Column("example_message", sa.Text, nullable=False),
    )
    op.create_index("ix_error_groups_last_seen", "error_groups", ["last_seen"])
    op.create_table(
        "error_group_hours",
        sa.Column("collection", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(16), primary_key=True),
        sa.Column("bucket_start", sa.BigInteger, primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_error_group_hours_bucket_start", "error_group_hours", ["bucket_start"])
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    """Fold every stored event into the new tables."""
    runs = sa.table("runs", sa.column("id"), sa.column("collection"))
    collections: dict[str, str] = dict(conn.execute(sa.select(runs.c.id, runs.c.collection)).all())

    def collection_of(run_id: str) -> str:
        return collections.get(run_id, UNKNOWN_COLLECTION)

    events = sa.table("events", *(sa.column(name) for name in (*_FOLDED, "seq")))
    writer = RollupWriter(conn.dialect.name)
    after: tuple[str, int] | None = None
    while True:
        query = sa.select(*(events.c[name] for name in _FOLDED), events.c.seq)
        if after is not None:
            query = query.where(sa.tuple_(events.c.run_id, events.c.seq) > sa.tuple_(*after))
        page = conn.execute(query.order_by(events.c.run_id, events.c.seq).limit(_PAGE)).all()
        if not page:
            return
        writer.write_sync(conn, fold(page, _FOLDED, collection_of))
        last = page[-1]
        after = (last.run_id, last.seq)


def downgrade() -> None:
    for name in ("error_group_hours", "error_groups", "run_rollups", *_GRAINS):
        op.drop_table(name)
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("events_pruned_at")
