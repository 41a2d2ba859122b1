"""Alerts in the store: API rules and their history, alerts and their timeline, delivery
attempts and silences (the ``alert_*`` and ``silences`` tables).

Each method is one short transaction. Writes that depend on what is stored begin with the
write (``UPDATE ... RETURNING``), not with a read: on SQLite the write lock is then taken
first, so a commit by another connection in between (the event writer's, say) cannot make
the transaction fail; on PostgreSQL the updated row stays locked until the commit. Rule
versions only grow: two servers saving one rule at once get two versions, never one.

The alert values (``crawlscope.alerts.model``) carry their moments as ISO-8601 text; the
tables keep them in ``Timestamp`` columns, so ``since`` filters and newest-first lists are
done by the database. Moments read back are the events' format (``format_ts``, UTC,
milliseconds).
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from crawlscope.alerts.model import (
    AlertRecord,
    AlertState,
    DeliveryAttempt,
    Matcher,
    Rule,
    Severity,
    Silence,
)
from crawlscope.store.database import Database
from crawlscope.store.schema import (
    alert_deliveries,
    alert_rule_history,
    alert_rules,
    alert_transitions,
    alerts,
    silences,
)
from crawlscope.store.types import Timestamp
from crawlscope.timestamps import format_ts, parse_ts, utc_now

__all__ = [
    "AlertStore",
    "AlertTransition",
    "RuleChange",
    "RuleChangeKind",
    "SilenceExists",
    "StoredRule",
]

_encode = msgspec.json.Encoder().encode
_decode_rule = msgspec.json.Decoder(Rule).decode
_decode_labels = msgspec.json.Decoder(dict[str, str]).decode
_decode_extra = msgspec.json.Decoder(dict[str, Any]).decode
_decode_matchers = msgspec.json.Decoder(list[Matcher]).decode

_OPEN = (str(AlertState.PENDING), str(AlertState.FIRING))


class SilenceExists(ValueError):
    """Another silence has this id."""


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


class AlertTransition(msgspec.Struct, kw_only=True):
    """A state an alert entered, with what it showed then: one mark of the timeline."""

    alert_id: str
    rule: str
    state: AlertState
    at: datetime
    value: float | None
    summary: str
    labels: dict[str, str]
    severity: Severity
    run_id: str | None = None


def _now() -> datetime:
    """The current moment as the store keeps it (milliseconds)."""
    now = utc_now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _text(value: datetime | None) -> str | None:
    return None if value is None else format_ts(value)


# -- rules ----------------------------------------------------------------------------------


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


# -- alerts ---------------------------------------------------------------------------------


def _alert_values(alert: AlertRecord, now: datetime) -> dict[str, Any]:
    return {
        "id": alert.id,
        "rule": alert.rule,
        "fingerprint": alert.fingerprint,
        "state": str(alert.state),
        "severity": str(alert.severity),
        "labels": _encode(alert.labels).decode(),
        "summary": alert.summary,
        "value": alert.value,
        "pending_since": alert.pending_since,
        "fired_at": alert.fired_at,
        "resolved_at": alert.resolved_at,
        # A stored alert has a moment, so that lists and history can order by it.
        "updated_at": alert.updated_at or now,
        "silenced_by": alert.silenced_by,
        "inhibited_by": alert.inhibited_by,
        "run_id": alert.run_id,
        "extra": _encode(alert.extra).decode(),
    }


def _alert(row: Any) -> AlertRecord:
    return AlertRecord(
        id=row.id,
        rule=row.rule,
        fingerprint=row.fingerprint,
        state=AlertState(row.state),
        severity=Severity(row.severity),
        labels=_decode_labels(row.labels),
        summary=row.summary,
        value=row.value,
        pending_since=_text(row.pending_since),
        fired_at=_text(row.fired_at),
        resolved_at=_text(row.resolved_at),
        updated_at=_text(row.updated_at),
        silenced_by=row.silenced_by,
        inhibited_by=row.inhibited_by,
        run_id=row.run_id,
        extra=_decode_extra(row.extra),
    )


def _upsert(dialect: str) -> Any:
    """``INSERT INTO alerts ... ON CONFLICT (id) DO UPDATE`` every other column."""
    insert = postgresql.insert(alerts) if dialect == "postgresql" else sqlite.insert(alerts)
    return insert.on_conflict_do_update(
        index_elements=[alerts.c.id],
        set_={c.name: insert.excluded[c.name] for c in alerts.c if c.name != "id"},
    )


_TRANSITION_QUERY = sa.select(
    alert_transitions.c.alert_id,
    alerts.c.rule,
    alert_transitions.c.state,
    alert_transitions.c.at,
    alert_transitions.c.value,
    alert_transitions.c.summary,
    alerts.c.labels,
    alerts.c.severity,
    alerts.c.run_id,
).select_from(alert_transitions.join(alerts, alerts.c.id == alert_transitions.c.alert_id))


def _transition(row: Any) -> AlertTransition:
    return AlertTransition(
        alert_id=row.alert_id,
        rule=row.rule,
        state=AlertState(row.state),
        at=row.at,
        value=row.value,
        summary=row.summary,
        labels=_decode_labels(row.labels),
        severity=Severity(row.severity),
        run_id=row.run_id,
    )


# -- deliveries and silences ----------------------------------------------------------------


def _delivery(row: Any) -> DeliveryAttempt:
    return DeliveryAttempt(
        notification_key=row.notification_key,
        status=row.status,
        channel=row.channel,
        url=row.url,
        attempt=int(row.attempt),
        delivered=bool(row.delivered),
        error=row.error,
        at=format_ts(row.at),
    )


def _silence(row: Any) -> Silence:
    return Silence(
        id=row.id,
        matchers=_decode_matchers(row.matchers),
        starts_at=format_ts(row.starts_at),
        ends_at=format_ts(row.ends_at),
        created_by=row.created_by,
        comment=row.comment,
        expired_at=_text(row.expired_at),
    )


class AlertStore:
    """Reads and writes API rules, alerts, their transitions, deliveries and silences."""

    def __init__(self, database: Database) -> None:
        self.database = database

    # -- API rules ------------------------------------------------------------------------

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
        now = _now()
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
        now = _now()
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
        now = _now()
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

    # -- alerts ---------------------------------------------------------------------------

    async def save_alert(self, alert: AlertRecord, *, transition: bool) -> None:
        """Insert or replace an alert (by id); with ``transition``, also add the state it
        is in to its timeline (at its ``updated_at``)."""
        await self.save_alerts([(alert, transition)])

    async def save_alerts(self, changes: Sequence[tuple[AlertRecord, bool]]) -> None:
        """``save_alert`` for many, in one transaction (an alert given twice: the last
        record is kept, every transition is added)."""
        if not changes:
            return
        now = _now()
        rows: dict[str, dict[str, Any]] = {}
        marks: list[dict[str, Any]] = []
        for alert, transition in changes:
            values = _alert_values(alert, now)
            rows[alert.id] = values
            if transition:
                marks.append(
                    {
                        "alert_id": alert.id,
                        "state": values["state"],
                        "at": values["updated_at"],
                        "value": alert.value,
                        "summary": alert.summary,
                    }
                )
        async with self.database.begin() as conn:
            await conn.execute(_upsert(conn.dialect.name), list(rows.values()))
            if marks:
                await conn.execute(alert_transitions.insert(), marks)

    async def open_alerts(self) -> list[AlertRecord]:
        """Pending and firing alerts, oldest change first (what an evaluator resumes)."""
        query = (
            sa.select(alerts)
            .where(alerts.c.state.in_(_OPEN))
            .order_by(alerts.c.updated_at, alerts.c.id)
        )
        async with self.database.connect() as conn:
            return [_alert(row) for row in await conn.execute(query)]

    async def list_alerts(
        self,
        *,
        states: Collection[AlertState] | None = None,
        run_id: str | None = None,
        rule: str | None = None,
        since: datetime | None = None,
        limit: int = 200,
    ) -> list[AlertRecord]:
        """Alerts, most recently changed first: in ``states``, of a run, of a rule,
        changed at or after ``since`` (each filter when given)."""
        query = sa.select(alerts)
        if states is not None:
            query = query.where(alerts.c.state.in_([str(s) for s in states]))
        if run_id is not None:
            query = query.where(alerts.c.run_id == run_id)
        if rule is not None:
            query = query.where(alerts.c.rule == rule)
        if since is not None:
            query = query.where(alerts.c.updated_at >= since)
        query = query.order_by(alerts.c.updated_at.desc(), alerts.c.id.desc()).limit(limit)
        async with self.database.connect() as conn:
            return [_alert(row) for row in await conn.execute(query)]

    async def get_alert(self, alert_id: str) -> AlertRecord | None:
        """One alert by id."""
        async with self.database.connect() as conn:
            row = (await conn.execute(sa.select(alerts).where(alerts.c.id == alert_id))).first()
        return None if row is None else _alert(row)

    async def transitions(
        self,
        *,
        alert_id: str | None = None,
        run_id: str | None = None,
        since: datetime | None = None,
        limit: int = 500,
    ) -> list[AlertTransition]:
        """The timeline, newest first: of one alert, of a run's alerts, at or after
        ``since`` (each filter when given)."""
        query = _TRANSITION_QUERY
        if alert_id is not None:
            query = query.where(alert_transitions.c.alert_id == alert_id)
        if run_id is not None:
            query = query.where(alerts.c.run_id == run_id)
        if since is not None:
            query = query.where(alert_transitions.c.at >= since)
        query = query.order_by(alert_transitions.c.at.desc(), alert_transitions.c.id.desc()).limit(
            limit
        )
        async with self.database.connect() as conn:
            return [_transition(row) for row in await conn.execute(query)]

    async def count_open(self) -> dict[str, int]:
        """``{"firing": n, "pending": m}``: for the navigation's badge."""
        query = (
            sa.select(alerts.c.state, sa.func.count())
            .where(alerts.c.state.in_(_OPEN))
            .group_by(alerts.c.state)
        )
        counts = {str(AlertState.FIRING): 0, str(AlertState.PENDING): 0}
        async with self.database.connect() as conn:
            for state, count in await conn.execute(query):
                counts[str(state)] = int(count)
        return counts

    # -- deliveries -----------------------------------------------------------------------

    async def record_delivery(self, attempt: DeliveryAttempt) -> None:
        """Keep one attempt to send a notification."""
        async with self.database.begin() as conn:
            await conn.execute(
                alert_deliveries.insert().values(
                    notification_key=attempt.notification_key,
                    status=attempt.status,
                    channel=attempt.channel,
                    url=attempt.url,
                    attempt=attempt.attempt,
                    delivered=attempt.delivered,
                    error=attempt.error,
                    at=attempt.at,
                )
            )

    async def deliveries(
        self, *, limit: int = 100, notification_key: str | None = None
    ) -> list[DeliveryAttempt]:
        """Delivery attempts (of one notification when given), newest first."""
        query = sa.select(alert_deliveries)
        if notification_key is not None:
            query = query.where(alert_deliveries.c.notification_key == notification_key)
        query = query.order_by(alert_deliveries.c.at.desc(), alert_deliveries.c.id.desc())
        async with self.database.connect() as conn:
            return [_delivery(row) for row in await conn.execute(query.limit(limit))]

    # -- silences -------------------------------------------------------------------------

    async def add_silence(self, silence: Silence) -> None:
        """Store a new silence (``SilenceExists`` if its id is taken)."""
        try:
            async with self.database.begin() as conn:
                await conn.execute(
                    silences.insert().values(
                        id=silence.id,
                        matchers=_encode(silence.matchers).decode(),
                        starts_at=silence.starts_at,
                        ends_at=silence.ends_at,
                        created_by=silence.created_by,
                        comment=silence.comment,
                        created_at=_now(),
                        expired_at=silence.expired_at,
                    )
                )
        except sa.exc.IntegrityError as exc:
            raise SilenceExists(f"a silence with id {silence.id!r} exists") from exc

    async def expire_silence(self, silence_id: str, at: datetime) -> Silence | None:
        """End a silence at ``at``: ``expired_at`` is set and ``ends_at`` moves back to
        ``at`` if later. A silence ended before stays as it was; None if unknown."""
        moment = parse_ts(at)
        async with self.database.begin() as conn:
            await conn.execute(
                silences.update()
                .where(silences.c.id == silence_id, silences.c.expired_at.is_(None))
                .values(
                    expired_at=moment,
                    ends_at=sa.case(
                        (silences.c.ends_at > moment, sa.literal(moment, Timestamp())),
                        else_=silences.c.ends_at,
                    ),
                )
            )
            row = (
                await conn.execute(sa.select(silences).where(silences.c.id == silence_id))
            ).first()
        return None if row is None else _silence(row)

    async def list_silences(
        self,
        *,
        active_at: datetime | None = None,
        include_expired: bool = True,
        limit: int = 200,
    ) -> list[Silence]:
        """Silences, newest first. ``active_at``: only those in force then (started, not
        ended). ``include_expired=False``: only those not ended yet (at ``active_at``, or
        now), whether they have started or not."""
        query = sa.select(silences)
        if active_at is not None:
            query = query.where(silences.c.starts_at <= active_at, silences.c.ends_at > active_at)
        if not include_expired:
            query = query.where(
                silences.c.expired_at.is_(None),
                silences.c.ends_at > (active_at if active_at is not None else _now()),
            )
        query = query.order_by(silences.c.created_at.desc(), silences.c.id.desc()).limit(limit)
        async with self.database.connect() as conn:
            return [_silence(row) for row in await conn.execute(query)]

    # -- retention ------------------------------------------------------------------------

    async def prune(self, *, before: datetime) -> int:
        """Forget what ended before ``before``: resolved alerts (with their transitions),
        delivery attempts and silences. Open alerts and API rules with their history stay.
        Returns how many rows were deleted."""
        resolved = sa.select(alerts.c.id).where(
            alerts.c.state == str(AlertState.RESOLVED),
            sa.func.coalesce(alerts.c.resolved_at, alerts.c.updated_at) < before,
        )
        deleted = 0
        async with self.database.begin() as conn:
            for statement in (
                alert_transitions.delete().where(alert_transitions.c.alert_id.in_(resolved)),
                alerts.delete().where(alerts.c.id.in_(resolved)),
                alert_deliveries.delete().where(alert_deliveries.c.at < before),
                silences.delete().where(silences.c.ends_at < before),
            ):
                deleted += (await conn.execute(statement)).rowcount
        return deleted
