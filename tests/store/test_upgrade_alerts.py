"""Migration 0008 (the alert tables) on a database with rows, up, down and up again.

A database at 0007 holding runs, items and a schedule is migrated to head: nothing of it
changes and alerts can be written; back at 0007 the alert tables are gone and the rest is
still there; up again the schema equals what the code declares and the alert tables are
empty.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from crawlscope.alerts.model import AlertRecord, AlertState, Rule, Severity
from crawlscope.store import SqlStore
from crawlscope.store.database import head_revision
from crawlscope.store.schema import schedules
from tests.store.test_upgrade import (
    _downgrade,
    _fill,
    _on,
    _revision,
    _schema_differences,
    _upgrade,
)

ALERT_TABLES = {
    "alert_rules",
    "alert_rule_history",
    "alerts",
    "alert_transitions",
    "alert_deliveries",
    "silences",
}
NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def _tables(conn: sa.Connection) -> set[str]:
    return set(sa.inspect(conn).get_table_names())


# What later migrations add (0009: rollups, 0010: system samples), left out of the
# comparison.
LATER_TABLES = {
    "rollup_minutes",
    "rollup_hours",
    "rollup_days",
    "run_rollups",
    "error_groups",
    "error_group_hours",
    "system_samples",
}
LATER_COLUMNS = {"runs": {"events_pruned_at"}}


def _contents(conn: sa.Connection) -> dict[str, list[Any]]:
    """Every row of the tables there were before 0008, as raw columns."""
    found: dict[str, list[Any]] = {}
    inspector = sa.inspect(conn)
    for table in sorted(_tables(conn) - ALERT_TABLES - LATER_TABLES - {"alembic_version"}):
        later = LATER_COLUMNS.get(table, set())
        columns = [c["name"] for c in inspector.get_columns(table) if c["name"] not in later]
        quoted = ", ".join(f'"{name}"' for name in columns)
        rows = conn.execute(sa.text(f"SELECT {quoted} FROM {table}")).all()
        found[table] = sorted((tuple(row) for row in rows), key=repr)
    return found


FIRING = AlertRecord(
    id="a1",
    rule="errors",
    fingerprint="fp",
    state=AlertState.FIRING,
    severity=Severity.CRITICAL,
    labels={"run": "local-1"},
    summary="errors",
    value=0.5,
    fired_at="2026-12-08T09:00:00.000Z",
    updated_at="2026-12-08T09:00:00.000Z",
    run_id="local-1",
)


async def test_alert_tables_migrate_up_and_down_with_rows(database_url: str) -> None:
    await _on(database_url, _upgrade("0002"))
    await _on(database_url, _fill)
    await _on(database_url, _upgrade("0007"))
    # A schedule, as the code of today writes it at 0007 (0008 leaves the table as it is).
    await _on(
        database_url,
        lambda conn: conn.execute(
            schedules.insert().values(
                name="nightly",
                collection="demo",
                interval_s=60.0,
                anchor_at=NOW,
                created_at=NOW,
                updated_at=NOW,
            )
        ),
    )
    assert await _on(database_url, _revision) == "0007"
    assert not ALERT_TABLES & await _on(database_url, _tables)
    before = await _on(database_url, _contents)

    store = SqlStore(database_url)
    await store.open()  # 0007 -> head
    try:
        assert await _on(database_url, _revision) == head_revision()
        assert await _on(database_url, _schema_differences) == []
        assert await _on(database_url, _contents) == before
        assert [s.name for s in await store.schedules.list()] == ["nightly"]
        assert (
            await store.alerts.save_rule(Rule(name="errors", condition="true"), by=None)
        ).version == 1
        await store.alerts.save_alert(FIRING, transition=True)
        assert await store.alerts.open_alerts() == [FIRING]
    finally:
        await store.close()

    await _on(database_url, _downgrade("0007"))
    assert await _on(database_url, _revision) == "0007"
    assert not ALERT_TABLES & await _on(database_url, _tables)
    assert await _on(database_url, _contents) == before

    store = SqlStore(database_url)
    await store.open()  # and up again: empty alert tables, everything else as it was
    try:
        assert await _on(database_url, _schema_differences) == []
        assert await store.alerts.open_alerts() == []
        assert await store.alerts.list_rules() == []
        assert await store.alerts.rule_history("errors") == []
        assert await _on(database_url, _contents) == before
    finally:
        await store.close()
