"""Alerts in the store: alerts and their timeline, delivery attempts and silences (the
``alerts``, ``alert_transitions``, ``alert_deliveries`` and ``silences`` tables), plus the
API rules of ``alert_rules`` (``AlertRuleStore``), so one repository serves them all.

Each method is one short transaction.

The alert values (``crawlscope.alerts.model``) carry their moments as ISO-8601 text; the
tables keep them in ``Timestamp`` columns, so ``since`` filters and newest-first lists are
done by the database. Moments read back are the events' format (``format_ts``, UTC,
milliseconds).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from crawlscope.alerts.model import (
    AlertRecord,
    AlertState,
    DeliveryAttempt,
    Matcher,
    Severity,
    Silence,
)
from crawlscope.store.alert_rules import (
    AlertRuleStore,
    RuleChange,
    RuleChangeKind,
    StoredRule,
    now_ms,
)
from crawlscope.store.schema import (
    alert_deliveries,
    alert_transitions,
    alerts,
    silences,
)
from crawlscope.store.types import Timestamp
from crawlscope.timestamps import format_ts, parse_ts

__all__ = [
    "AlertStore",
    "AlertTransition",
    "RuleChange",
    "RuleChangeKind",
    "SilenceExists",
    "StoredRule",
]

_encode = msgspec.json.Encoder().encode
_decode_labels = msgspec.json.Decoder(dict[str, str]).decode
_decode_extra = msgspec.json.Decoder(dict[str, Any]).decode
_decode_matchers = msgspec.json.Decoder(list[Matcher]).decode

_OPEN = (str(AlertState.PENDING), str(AlertState.FIRING))


class SilenceExists(ValueError):
    """Another silence has this id."""


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


def _text(value: datetime | None) -> str | None:
    return None if value is None else format_ts(value)


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


class AlertStore(AlertRuleStore):
    """Reads and writes API rules (``AlertRuleStore``), alerts, their transitions,
    deliveries and silences."""

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
        now = now_ms()
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
                        created_at=now_ms(),
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
                silences.c.ends_at > (active_at if active_at is not None else now_ms()),
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
