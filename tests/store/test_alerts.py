"""The alert repository (``AlertRepository``) on every backend (the ``store`` fixture).

API rules keep every change as a version; alerts are upserted with their timeline; what
is open survives a restart (a new store over the same database); deliveries and silences
are kept and listed newest first; pruning forgets only what ended long enough ago.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from crawlscope.alerts.model import (
    AlertRecord,
    AlertState,
    DeliveryAttempt,
    Matcher,
    Rule,
    Scope,
    Severity,
    Silence,
)
from crawlscope.store import RuleChangeKind, SilenceExists, SqlStore
from crawlscope.timestamps import format_ts
from tests.store.moments import assert_utc

T0 = datetime(2026, 12, 8, 9, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def ts(seconds: float) -> str:
    """The ISO text of ``T0 + seconds``, as alert values carry moments."""
    return format_ts(at(seconds))


def rule(name: str = "errors", **changes: object) -> Rule:
    values: dict[str, object] = {
        "name": name,
        "condition": "run.error_ratio_5m > 0.2",
        "for_s": 60.0,
        "severity": Severity.CRITICAL,
        "scope": Scope(collection="demo"),
        "labels": {"team": "crawl"},
        "summary": "{{ run.collection }} fails",
        "channels": ("ops",),
    }
    values.update(changes)
    return Rule(**values)  # type: ignore[arg-type]


def alert(
    alert_id: str,
    state: AlertState = AlertState.FIRING,
    *,
    updated: float = 0.0,
    rule_name: str = "errors",
    run_id: str | None = "run-1",
    **changes: object,
) -> AlertRecord:
    values: dict[str, object] = {
        "id": alert_id,
        "rule": rule_name,
        "fingerprint": f"fp-{alert_id}",
        "state": state,
        "severity": Severity.WARNING,
        "labels": {"rule": rule_name, "collection": "demo", "site": "«ü».example"},
        "summary": f"{alert_id} is {state}",
        "value": 0.25,
        "pending_since": ts(updated - 60),
        "fired_at": ts(updated) if state is not AlertState.PENDING else None,
        "updated_at": ts(updated),
        "run_id": run_id,
        "extra": {"worker_id": 3, "why": ["a", None]},
    }
    if state is AlertState.RESOLVED:
        values["resolved_at"] = ts(updated)
    values.update(changes)
    return AlertRecord(**values)  # type: ignore[arg-type]


# -- API rules ------------------------------------------------------------------------------


async def test_rules_are_versioned_with_their_history(store: SqlStore) -> None:
    repo = store.alerts
    created = await repo.save_rule(rule(), by="alice")
    assert (created.rule, created.version, created.updated_by) == (rule(), 1, "alice")
    assert_utc(created.updated_at)
    assert await repo.get_rule("errors") == created

    # The same definition again is no change: no new version, no history row.
    assert await repo.save_rule(rule(), by="bob") == created

    changed = rule(for_s=120.0, labels={"team": "crawl", "page": "yes"})
    updated = await repo.save_rule(changed, by="bob")
    assert (updated.rule, updated.version, updated.updated_by) == (changed, 2, "bob")
    assert updated.updated_at >= created.updated_at
    assert await repo.get_rule("errors") == updated

    await repo.save_rule(rule("disk", condition="system.disk_percent > 90"), by=None)
    assert [(s.rule.name, s.version) for s in await repo.list_rules()] == [
        ("disk", 1),
        ("errors", 2),
    ]
    assert await repo.get_rule("nobody") is None

    history = await repo.rule_history("errors")
    assert [(c.version, c.action, c.rule, c.changed_by) for c in history] == [
        (2, RuleChangeKind.UPDATED, changed, "bob"),
        (1, RuleChangeKind.CREATED, rule(), "alice"),
    ]
    assert history[0].changed_at == updated.updated_at
    assert [c.version for c in await repo.rule_history("errors", limit=1)] == [2]
    assert await repo.rule_history("nobody") == []


async def test_enable_and_disable_are_versions_too(store: SqlStore) -> None:
    repo = store.alerts
    await repo.save_rule(rule(), by="alice")
    disabled = await repo.set_rule_enabled("errors", False, by="bob")
    assert disabled is not None
    assert (disabled.version, disabled.rule.enabled, disabled.updated_by) == (2, False, "bob")
    assert await repo.get_rule("errors") == disabled
    # Already off: nothing changes.
    assert await repo.set_rule_enabled("errors", False, by="carol") == disabled
    enabled = await repo.set_rule_enabled("errors", True, by="carol")
    assert enabled is not None
    assert (enabled.version, enabled.rule, enabled.updated_by) == (3, rule(), "carol")
    assert await repo.set_rule_enabled("nobody", True, by="carol") is None

    # Saving it disabled is an update; saving that again is no change.
    off = await repo.save_rule(rule(enabled=False), by="dave")
    assert (off.version, off.rule.enabled) == (4, False)
    assert (await repo.save_rule(rule(enabled=False), by="dave")).version == 4

    history = await repo.rule_history("errors")
    assert [(c.version, c.action) for c in history] == [
        (4, RuleChangeKind.UPDATED),
        (3, RuleChangeKind.ENABLED),
        (2, RuleChangeKind.DISABLED),
        (1, RuleChangeKind.CREATED),
    ]
    assert history[2].rule == rule(enabled=False)


async def test_delete_keeps_the_history_and_a_new_rule_continues_it(store: SqlStore) -> None:
    repo = store.alerts
    await repo.save_rule(rule(), by="alice")
    await repo.save_rule(rule(severity=Severity.INFO), by="alice")
    assert await repo.delete_rule("errors", by="bob") is True
    assert await repo.get_rule("errors") is None
    assert await repo.list_rules() == []
    assert await repo.delete_rule("errors", by="bob") is False

    again = await repo.save_rule(rule(), by="carol")
    assert again.version == 4
    history = await repo.rule_history("errors")
    assert [(c.version, c.action, c.changed_by) for c in history] == [
        (4, RuleChangeKind.CREATED, "carol"),
        (3, RuleChangeKind.DELETED, "bob"),
        (2, RuleChangeKind.UPDATED, "alice"),
        (1, RuleChangeKind.CREATED, "alice"),
    ]
    assert history[1].rule is None


async def test_two_servers_saving_one_rule_get_two_versions(
    store: SqlStore, database_url: str
) -> None:
    other = SqlStore(database_url)
    await other.open()
    try:
        saved = await asyncio.gather(
            store.alerts.save_rule(rule(for_s=1.0), by="a"),
            other.alerts.save_rule(rule(for_s=2.0), by="b"),
        )
    finally:
        await other.close()
    assert sorted(s.version for s in saved) == [1, 2]
    history = await store.alerts.rule_history("errors")
    assert sorted((c.version, c.action) for c in history) == [
        (1, RuleChangeKind.CREATED),
        (2, RuleChangeKind.UPDATED),
    ]
    last = next(s for s in saved if s.version == 2)
    assert await store.alerts.get_rule("errors") == last


# -- alerts -------------------------------------------------------------------------------


async def test_alerts_are_upserted_and_their_transitions_make_a_timeline(
    store: SqlStore,
) -> None:
    repo = store.alerts
    pending = alert("a1", AlertState.PENDING, updated=0, value=0.21)
    await repo.save_alert(pending, transition=True)
    assert await repo.get_alert("a1") == pending
    # A new value while pending: the row changes, the timeline does not.
    still = alert("a1", AlertState.PENDING, updated=10, value=0.3)
    await repo.save_alert(still, transition=False)
    assert await repo.get_alert("a1") == still
    firing = alert("a1", AlertState.FIRING, updated=60, value=0.4, silenced_by="s1")
    await repo.save_alert(firing, transition=True)
    resolved = alert("a1", AlertState.RESOLVED, updated=300, value=0.01, fired_at=ts(60))
    await repo.save_alert(resolved, transition=True)
    assert await repo.get_alert("a1") == resolved
    assert await repo.get_alert("nobody") is None

    timeline = await repo.transitions(alert_id="a1")
    assert [(t.state, t.at, t.value, t.summary) for t in timeline] == [
        (AlertState.RESOLVED, at(300), 0.01, "a1 is resolved"),
        (AlertState.FIRING, at(60), 0.4, "a1 is firing"),
        (AlertState.PENDING, at(0), 0.21, "a1 is pending"),
    ]
    for mark in timeline:
        assert_utc(mark.at)
        assert (mark.alert_id, mark.rule, mark.run_id) == ("a1", "errors", "run-1")
        assert mark.labels == resolved.labels
        assert mark.severity is Severity.WARNING
    assert [t.state for t in await repo.transitions(alert_id="a1", limit=1)] == ["resolved"]


async def test_many_alerts_are_saved_in_one_call(store: SqlStore) -> None:
    repo = store.alerts
    await repo.save_alerts([])
    await repo.save_alerts(
        [
            (alert("a1", AlertState.PENDING, updated=0), True),
            (alert("a2", AlertState.FIRING, updated=0), True),
            # the same alert twice in one tick: the last record stays, both marks count
            (alert("a1", AlertState.FIRING, updated=1), True),
            (alert("a3", AlertState.PENDING, updated=1, summary="", value=None), False),
        ]
    )
    stored = {a.id: a for a in await repo.list_alerts()}
    assert stored == {
        "a1": alert("a1", AlertState.FIRING, updated=1),
        "a2": alert("a2", AlertState.FIRING, updated=0),
        "a3": alert("a3", AlertState.PENDING, updated=1, summary="", value=None),
    }
    assert [(t.alert_id, t.state) for t in await repo.transitions()] == [
        ("a1", AlertState.FIRING),
        ("a2", AlertState.FIRING),
        ("a1", AlertState.PENDING),
    ]


async def test_an_alert_without_a_moment_gets_one(store: SqlStore) -> None:
    bare = AlertRecord(
        id="b1",
        rule="disk",
        fingerprint="fp",
        state=AlertState.PENDING,
        severity=Severity.INFO,
        labels={},
    )
    await store.alerts.save_alert(bare, transition=True)
    stored = await store.alerts.get_alert("b1")
    assert stored is not None
    assert stored.updated_at is not None
    assert msgspec.structs.replace(stored, updated_at=None) == bare
    [mark] = await store.alerts.transitions(alert_id="b1")
    assert format_ts(mark.at) == stored.updated_at


async def test_open_alerts_are_there_after_a_restart(store: SqlStore, database_url: str) -> None:
    opened = [
        alert("p1", AlertState.PENDING, updated=5),
        alert("f1", AlertState.FIRING, updated=1, run_id=None, inhibited_by="c1"),
    ]
    await store.alerts.save_alerts([(a, True) for a in opened])
    await store.alerts.save_alert(alert("r1", AlertState.RESOLVED, updated=3), transition=True)
    await store.close()

    again = SqlStore(database_url)
    await again.open()
    try:
        assert await again.alerts.open_alerts() == [opened[1], opened[0]]  # oldest change first
        assert await again.alerts.count_open() == {"firing": 1, "pending": 1}
    finally:
        await again.close()


async def test_alerts_are_listed_by_state_run_rule_and_time(store: SqlStore) -> None:
    repo = store.alerts
    await repo.save_alerts(
        [
            (alert("a", AlertState.FIRING, updated=10, run_id="r1"), True),
            (alert("b", AlertState.RESOLVED, updated=20, run_id="r1"), True),
            (alert("c", AlertState.PENDING, updated=30, run_id="r2", rule_name="disk"), True),
            (alert("d", AlertState.FIRING, updated=40, run_id=None, rule_name="disk"), True),
            (alert("e", AlertState.RESOLVED, updated=-3600, run_id="r2"), True),
        ]
    )

    async def ids(**filters: object) -> list[str]:
        return [a.id for a in await repo.list_alerts(**filters)]  # type: ignore[arg-type]

    assert await ids() == ["d", "c", "b", "a", "e"]
    assert await ids(limit=2) == ["d", "c"]
    assert await ids(states={AlertState.FIRING}) == ["d", "a"]
    assert await ids(states=[AlertState.PENDING, AlertState.FIRING]) == ["d", "c", "a"]
    assert await ids(states=[]) == []
    assert await ids(run_id="r1") == ["b", "a"]
    assert await ids(rule="disk") == ["d", "c"]
    assert await ids(since=at(20)) == ["d", "c", "b"]
    assert await ids(since=at(0), states=[AlertState.RESOLVED], run_id="r1") == ["b"]
    assert await ids(rule="disk", run_id="r1") == []

    marks = await repo.transitions(run_id="r2")
    assert [(t.alert_id, t.state) for t in marks] == [("c", "pending"), ("e", "resolved")]
    assert [t.alert_id for t in await repo.transitions(since=at(25))] == ["d", "c"]
    assert [t.alert_id for t in await repo.transitions(limit=3)] == ["d", "c", "b"]
    assert await repo.count_open() == {"firing": 2, "pending": 1}


async def test_count_open_with_nothing_open(store: SqlStore) -> None:
    assert await store.alerts.count_open() == {"firing": 0, "pending": 0}
    assert await store.alerts.open_alerts() == []
    assert await store.alerts.list_alerts() == []
    assert await store.alerts.transitions() == []


# -- deliveries ---------------------------------------------------------------------------


def attempt(key: str, number: int, seconds: float, error: str | None = None) -> DeliveryAttempt:
    return DeliveryAttempt(
        notification_key=key,
        status="firing",
        channel="ops",
        url="mailtos://***@example.org",
        attempt=number,
        delivered=error is None,
        error=error,
        at=ts(seconds),
    )


async def test_delivery_attempts_are_kept_newest_first(store: SqlStore) -> None:
    repo = store.alerts
    tries = [
        attempt("n1", 1, 0, "connection refused"),
        attempt("n1", 2, 2),
        attempt("n2", 1, 1),
        DeliveryAttempt(
            notification_key="test",
            status="test",
            channel="hook",
            url="json://127.0.0.1:9/",
            attempt=1,
            delivered=False,
            error="«timeout» after 10 s",
            at="2026-12-08T10:00:03.5+01:00",  # any ISO form: 09:00:03.500Z
        ),
    ]
    for one in tries:
        await repo.record_delivery(one)
    listed = await repo.deliveries()
    assert [(d.notification_key, d.attempt) for d in listed] == [
        ("test", 1),
        ("n1", 2),
        ("n2", 1),
        ("n1", 1),
    ]
    assert listed[0].at == "2026-12-08T09:00:03.500Z"
    assert listed[1:] == [tries[1], tries[2], tries[0]]
    assert await repo.deliveries(notification_key="n1") == [tries[1], tries[0]]
    assert await repo.deliveries(limit=1, notification_key="n2") == [tries[2]]
    assert await repo.deliveries(notification_key="none") == []


# -- silences ----------------------------------------------------------------------------


def silence(silence_id: str, starts: float, ends: float, **changes: object) -> Silence:
    values: dict[str, object] = {
        "id": silence_id,
        "matchers": [
            Matcher(label="rule", value="errors"),
            Matcher(label="site", value=".*", op="=~"),
        ],
        "starts_at": ts(starts),
        "ends_at": ts(ends),
        "created_by": "alice",
        "comment": "maintenance «window»",
    }
    values.update(changes)
    return Silence(**values)  # type: ignore[arg-type]


async def test_silences_in_force_ended_and_expired(store: SqlStore) -> None:
    repo = store.alerts
    now = silence("now", 0, 3600)
    later = silence("later", 1800, 7200, created_by=None, comment="")
    past = silence("past", -7200, -3600)
    for one in (past, now, later):  # created in this order: listed newest first
        await repo.add_silence(one)
        await asyncio.sleep(0.002)
    with pytest.raises(SilenceExists):
        await repo.add_silence(silence("now", 0, 60))

    assert await repo.list_silences() == [later, now, past]
    assert await repo.list_silences(limit=1) == [later]
    assert await repo.list_silences(active_at=at(10)) == [now]
    assert await repo.list_silences(active_at=at(1800)) == [later, now]
    assert await repo.list_silences(active_at=at(3600)) == [later]  # the end is not in force
    assert await repo.list_silences(active_at=at(-5000)) == [past]
    assert await repo.list_silences(active_at=at(-5000), include_expired=False) == [past]
    assert await repo.list_silences(active_at=at(10), include_expired=False) == [now]

    ended = await repo.expire_silence("now", at(600))
    assert ended is not None
    assert (ended.ends_at, ended.expired_at) == (ts(600), ts(600))
    assert msgspec.structs.replace(ended, ends_at=now.ends_at, expired_at=None) == now
    # Ended already: the first end stays.
    assert await repo.expire_silence("now", at(900)) == ended
    # Ended after its end: the end stays where it was.
    late = await repo.expire_silence("past", at(0))
    assert late is not None
    assert (late.ends_at, late.expired_at) == (past.ends_at, ts(0))
    assert await repo.expire_silence("nobody", at(0)) is None

    assert await repo.list_silences(active_at=at(10)) == [ended]
    assert await repo.list_silences(active_at=at(700)) == []
    assert await repo.list_silences(active_at=at(1800), include_expired=False) == [later]


async def test_silences_not_ended_yet_without_a_moment(store: SqlStore) -> None:
    # Without a moment, "not ended" means not ended now (the real clock).
    now = datetime.now(UTC)
    current = silence("current", 0, 0, ends_at=format_ts(now + timedelta(hours=1)))
    future = silence(
        "future",
        0,
        0,
        starts_at=format_ts(now + timedelta(hours=1)),
        ends_at=format_ts(now + timedelta(hours=2)),
    )
    old = silence(
        "old",
        0,
        0,
        starts_at=format_ts(now - timedelta(hours=2)),
        ends_at=format_ts(now - timedelta(seconds=1)),
    )
    for one in (current, future, old):
        await store.alerts.add_silence(one)
        await asyncio.sleep(0.002)
    expired = silence("expired", 0, 0, ends_at=format_ts(now + timedelta(hours=1)))
    await store.alerts.add_silence(expired)
    await store.alerts.expire_silence("expired", now - timedelta(seconds=1))
    assert await store.alerts.list_silences(include_expired=False) == [future, current]


# -- retention --------------------------------------------------------------------------


async def test_prune_keeps_open_alerts_and_recent_history(store: SqlStore) -> None:
    repo = store.alerts
    await repo.save_rule(rule(), by="alice")
    old_firing = alert("old-firing", AlertState.FIRING, updated=-86400)
    recent = alert("recent", AlertState.RESOLVED, updated=0)
    await repo.save_alerts(
        [
            (alert("old", AlertState.PENDING, updated=-86460), True),
            (alert("old", AlertState.FIRING, updated=-86430), True),
            (alert("old", AlertState.RESOLVED, updated=-86400), True),
            (old_firing, True),
            (recent, True),
        ]
    )
    for one in (attempt("n1", 1, -86400), attempt("n1", 2, 0)):
        await repo.record_delivery(one)
    await repo.add_silence(silence("ended", -90000, -86400))
    kept_silence = silence("ending", -90000, 60)
    await repo.add_silence(kept_silence)

    deleted = await repo.prune(before=at(-3600))
    # 3 transitions and 1 row of "old", 1 delivery, 1 silence
    assert deleted == 6
    assert {a.id for a in await repo.list_alerts()} == {"old-firing", "recent"}
    assert await repo.open_alerts() == [old_firing]
    assert [t.alert_id for t in await repo.transitions()] == ["recent", "old-firing"]
    assert await repo.deliveries() == [attempt("n1", 2, 0)]
    assert await repo.list_silences() == [kept_silence]
    assert [s.version for s in await repo.list_rules()] == [1]
    assert len(await repo.rule_history("errors")) == 1
    assert await repo.prune(before=at(-3600)) == 0
