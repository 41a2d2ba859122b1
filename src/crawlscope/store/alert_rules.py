"""API alert rules in the store: each rule at its current version and every change of
it (the ``alert_rules`` and ``alert_rule_history`` tables).

Writes that depend on what is stored begin with the write (``UPDATE ... RETURNING``), not
with a read: on SQLite the write lock is then taken first, so a commit by another
connection in between cannot make the transaction fail; on PostgreSQL the updated row
stays locked until the commit. Rule versions only grow: two servers saving one rule at
once get two versions, never one.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from crawlscope.alerts.model import Rule
from crawlscope.store.database import Database
from crawlscope.store.schema import alert_rule_history, alert_rules
from crawlscope.timestamps import utc_now

__all__ = ["AlertRuleStore", "RuleChange", "RuleChangeKind", "StoredRule", "now_ms"]

_encode = msgspec.json.Encoder().encode
_decode_rule = msgspec.json.Decoder(Rule).decode


class RuleChangeKind(enum.StrEnum):
    """What a change did to an API rule (``alert_rule_history.action``)."""

    __hash__ = str.__hash__

    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    ENABLED = "enabled"
    DISABLED = "disabled"


class StoredRule(msgspec.Struct, kw_only=True):
    """A rule defined through the API or the dashboard, at its current version."""

    rule: Rule
    version: int
    """The version of its last change: 1 when created (unless a deleted rule of the same
    name had versions before)."""
    updated_at: datetime
    updated_by: str | None = None


class RuleChange(msgspec.Struct, kw_only=True):
    """One change of an API rule: what it became (None when deleted), when and by whom."""

    name: str
    version: int
    action: RuleChangeKind
    rule: Rule | None
    changed_at: datetime
    changed_by: str | None = None


def now_ms() -> datetime:
    """The current moment as the store keeps it (milliseconds)."""
    now = utc_now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _stored_rule(row: Any) -> StoredRule:
    rule = _decode_rule(row.definition)
    if rule.enabled != bool(row.enabled):
        rule = msgspec.structs.replace(rule, enabled=bool(row.enabled))
    return StoredRule(
        rule=rule, version=int(row.version), updated_at=row.updated_at, updated_by=row.updated_by
    )


def _rule_change(row: Any) -> RuleChange:
    return RuleChange(
        name=row.name,
        version=int(row.version),
        action=RuleChangeKind(row.action),
        rule=None if row.definition is None else _decode_rule(row.definition),
        changed_at=row.changed_at,
        changed_by=row.changed_by,
    )


async def _record_change(
    conn: AsyncConnection,
    name: str,
    version: int,
    action: RuleChangeKind,
    definition: str | None,
    at: datetime,
    by: str | None,
) -> None:
    await conn.execute(
        alert_rule_history.insert().values(
            name=name,
            version=version,
            action=str(action),
            definition=definition,
            changed_at=at,
            changed_by=by,
        )
    )


class AlertRuleStore:
    """Reads and writes API rules and their history."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def list_rules(self) -> list[StoredRule]:
        """Every API rule, by name."""
        async with self.database.connect() as conn:
            rows = await conn.execute(sa.select(alert_rules).order_by(alert_rules.c.name))
            return [_stored_rule(row) for row in rows]

    async def get_rule(self, name: str) -> StoredRule | None:
        """One API rule by name."""
        async with self.database.connect() as conn:
            row = (
                await conn.execute(sa.select(alert_rules).where(alert_rules.c.name == name))
            ).first()
        return None if row is None else _stored_rule(row)

    async def save_rule(self, rule: Rule, *, by: str | None) -> StoredRule:
        """Create the rule (history ``created``) or replace its definition (the next
        version, history ``updated``), atomically. Saving what is stored already changes
        nothing (no new version)."""
        try:
            return await self._save_rule(rule, by)
        except sa.exc.IntegrityError:
            # Another connection created the same rule between our update and insert:
            # this save is now an update of it.
            return await self._save_rule(rule, by)

    async def _save_rule(self, rule: Rule, by: str | None) -> StoredRule:
        definition = _encode(rule).decode()
        now = now_ms()
        async with self.database.begin() as conn:
            version = (
                await conn.execute(
                    alert_rules.update()
                    .where(alert_rules.c.name == rule.name, alert_rules.c.definition != definition)
                    .values(
                        definition=definition,
                        enabled=rule.enabled,
                        version=alert_rules.c.version + 1,
                        updated_at=now,
                        updated_by=by,
                    )
                    .returning(alert_rules.c.version)
                )
            ).scalar_one_or_none()
            if version is not None:
                action = RuleChangeKind.UPDATED
            else:
                row = (
                    await conn.execute(
                        sa.select(alert_rules).where(alert_rules.c.name == rule.name)
                    )
                ).first()
                if row is not None:
                    return _stored_rule(row)  # unchanged
                last = await conn.scalar(
                    sa.select(sa.func.max(alert_rule_history.c.version)).where(
                        alert_rule_history.c.name == rule.name
                    )
                )
                version = int(last or 0) + 1
                action = RuleChangeKind.CREATED
                await conn.execute(
                    alert_rules.insert().values(
                        name=rule.name,
                        definition=definition,
                        enabled=rule.enabled,
                        version=version,
                        updated_at=now,
                        updated_by=by,
                    )
                )
            await _record_change(conn, rule.name, int(version), action, definition, now, by)
        return StoredRule(rule=rule, version=int(version), updated_at=now, updated_by=by)

    async def set_rule_enabled(
        self, name: str, enabled: bool, *, by: str | None
    ) -> StoredRule | None:
        """Switch an API rule on or off (the next version, history ``enabled`` or
        ``disabled``); unchanged if it already was; None if there is no such rule."""
        now = now_ms()
        async with self.database.begin() as conn:
            row = (
                await conn.execute(
                    alert_rules.update()
                    .where(alert_rules.c.name == name, alert_rules.c.enabled != enabled)
                    .values(
                        enabled=enabled,
                        version=alert_rules.c.version + 1,
                        updated_at=now,
                        updated_by=by,
                    )
                    .returning(alert_rules.c.version, alert_rules.c.definition)
                )
            ).first()
            if row is None:
                current = (
                    await conn.execute(sa.select(alert_rules).where(alert_rules.c.name == name))
                ).first()
                return None if current is None else _stored_rule(current)
            rule = msgspec.structs.replace(_decode_rule(row.definition), enabled=enabled)
            definition = _encode(rule).decode()
            await conn.execute(
                alert_rules.update().where(alert_rules.c.name == name).values(definition=definition)
            )
            action = RuleChangeKind.ENABLED if enabled else RuleChangeKind.DISABLED
            await _record_change(conn, name, int(row.version), action, definition, now, by)
        return StoredRule(rule=rule, version=int(row.version), updated_at=now, updated_by=by)

    async def delete_rule(self, name: str, *, by: str | None) -> bool:
        """Remove an API rule (history ``deleted``, its versions kept); whether it existed."""
        now = now_ms()
        async with self.database.begin() as conn:
            version = (
                await conn.execute(
                    alert_rules.delete()
                    .where(alert_rules.c.name == name)
                    .returning(alert_rules.c.version)
                )
            ).scalar_one_or_none()
            if version is None:
                return False
            await _record_change(
                conn, name, int(version) + 1, RuleChangeKind.DELETED, None, now, by
            )
        return True

    async def rule_history(self, name: str, limit: int = 100) -> list[RuleChange]:
        """The changes of an API rule (also a deleted one), newest first."""
        query = (
            sa.select(alert_rule_history)
            .where(alert_rule_history.c.name == name)
            .order_by(alert_rule_history.c.version.desc())
            .limit(limit)
        )
        async with self.database.connect() as conn:
            return [_rule_change(row) for row in await conn.execute(query)]
