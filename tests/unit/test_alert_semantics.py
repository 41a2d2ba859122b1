"""Alertmanager's semantics: states, grouping and its timing, silences, inhibition; and
the windows windowed variables are read from."""

from __future__ import annotations

import random

import pytest

from crawlscope.alerts.grouping import Grouper
from crawlscope.alerts.model import (
    AlertRecord,
    AlertState,
    Grouping,
    RuleError,
    Severity,
    Silence,
)
from crawlscope.alerts.parsing import parse_rule
from crawlscope.alerts.silencing import (
    Inhibitors,
    active_silences,
    inhibitor_of,
    matches,
    parse_matcher,
    silence_for,
)
from crawlscope.alerts.subjects import yield_drop
from crawlscope.alerts.tracker import AlertTracker
from crawlscope.alerts.windows import Reading, RunWindows

RULE = parse_rule({"name": "errors", "condition": "run.errors > 1", "for": "10s"})
INSTANT = parse_rule({"name": "now", "condition": "run.errors > 1"})


def _step(tracker: AlertTracker, holds: bool, at: float, rule=RULE, subject: str = "r1"):  # type: ignore[no-untyped-def]
    return tracker.step(
        rule,
        {"run_id": subject, "rule": rule.name},
        holds,
        now=f"t{at}",
        now_mono=at,
        value=None,
        summary="s",
        run_id=subject,
    )


def test_pending_for_the_for_duration_then_firing_then_resolved() -> None:
    tracker = AlertTracker()
    assert _step(tracker, False, 0) is None
    change = _step(tracker, True, 1)
    assert change is not None
    assert change.alert.state is AlertState.PENDING
    assert _step(tracker, True, 5) is None  # still pending, nothing changed
    change = _step(tracker, True, 11)
    assert change is not None
    assert change.transition
    assert change.alert.state is AlertState.FIRING
    assert change.alert.fired_at == "t11"
    change = _step(tracker, False, 12)
    assert change is not None
    assert change.alert.state is AlertState.RESOLVED
    assert change.alert.resolved_at == "t12"
    assert tracker.open == {}


def test_for_counts_ticks_that_start_a_little_late() -> None:
    # Pending at a tick that started 3 ms late; the tick 10 s later started on time.
    tracker = AlertTracker()
    _step(tracker, True, 1.003)
    change = _step(tracker, True, 11.0)
    assert change is not None
    assert change.alert.state is AlertState.FIRING
    # Well short of ``for`` it stays pending.
    tracker = AlertTracker()
    _step(tracker, True, 1.0)
    assert _step(tracker, True, 10.5) is None


def test_a_pending_alert_that_clears_never_fired() -> None:
    tracker = AlertTracker()
    _step(tracker, True, 0)
    change = _step(tracker, False, 3)
    assert change is not None
    assert change.alert.state is AlertState.RESOLVED
    assert change.alert.fired_at is None


def test_for_zero_fires_at_once() -> None:
    tracker = AlertTracker()
    change = _step(tracker, True, 0, rule=INSTANT)
    assert change is not None
    assert change.alert.state is AlertState.FIRING


def test_each_subject_has_its_own_alert_and_missing_ones_resolve() -> None:
    tracker = AlertTracker()
    a = _step(tracker, True, 0, rule=INSTANT, subject="a")
    b = _step(tracker, True, 0, rule=INSTANT, subject="b")
    assert a is not None
    assert b is not None
    assert a.alert.id != b.alert.id
    closed = tracker.close_missing({a.alert.fingerprint}, {"now": INSTANT}, "t1")
    assert [c.alert.id for c in closed] == [b.alert.id]
    assert closed[0].alert.state is AlertState.RESOLVED


def _alert(
    fingerprint: str,
    state: AlertState = AlertState.FIRING,
    *,
    rule: str = "r",
    severity: Severity = Severity.WARNING,
    run_id: str | None = "run1",
    labels: dict[str, str] | None = None,
) -> AlertRecord:
    return AlertRecord(
        id=fingerprint,
        rule=rule,
        fingerprint=fingerprint,
        state=state,
        severity=severity,
        labels={"collection": "shop", "run_id": run_id or "", **(labels or {})},
        summary=f"alert {fingerprint}",
        fired_at="t0" if state is AlertState.FIRING else None,
        run_id=run_id,
    )


def test_fifty_alerts_of_one_group_are_one_notification_after_group_wait() -> None:
    grouper = Grouper(Grouping(group_wait_s=10, group_interval_s=60, repeat_interval_s=3600))
    for n in range(50):
        grouper.add(_alert(f"w{n}"), ["hook"], now=0.0 + n * 0.01)
    assert grouper.due(5.0) == []
    [notification] = grouper.due(10.0)
    assert len(notification.firing) == 50
    assert notification.status == "firing"
    assert grouper.due(11.0) == []  # nothing changed


@pytest.mark.parametrize("now", [100.0, 8598.229395592, 123456.7])
def test_an_alert_whose_rule_acts_skips_group_wait_whatever_the_clock(now: float) -> None:
    # Past 8192 s of monotonic clock, ``now - (now - 0.3) >= 0.3`` is false: the notice
    # waited a tick, and an action that ended the condition meanwhile silenced it.
    grouper = Grouper(Grouping(group_wait_s=0.3, group_interval_s=60, repeat_interval_s=3600))
    grouper.add(_alert("a"), ["hook"], now, urgent=True)
    [notification] = grouper.due(now)
    assert [a.fingerprint for a in notification.firing] == ["a"]
    grouper.add(_alert("b"), ["hook"], now + 1, urgent=True)
    assert grouper.due(now + 1) == []  # sent once already: group_interval applies


def test_changes_wait_for_group_interval_and_unchanged_groups_repeat() -> None:
    grouper = Grouper(Grouping(group_wait_s=0, group_interval_s=60, repeat_interval_s=300))
    grouper.add(_alert("a"), ["hook"], 0.0)
    assert len(grouper.due(0.0)) == 1
    grouper.add(_alert("b"), ["hook"], 1.0)
    assert grouper.due(30.0) == []
    [second] = grouper.due(60.0)
    assert {a.fingerprint for a in second.firing} == {"a", "b"}
    assert grouper.due(200.0) == []
    assert len(grouper.due(360.0)) == 1  # repeat_interval


def test_resolved_is_sent_once_and_only_if_the_firing_was_sent() -> None:
    grouper = Grouper(Grouping(group_wait_s=0, group_interval_s=10, repeat_interval_s=3600))
    firing = _alert("a")
    grouper.add(firing, ["hook"], 0.0)
    grouper.due(0.0)
    resolved = _alert("a", AlertState.RESOLVED)
    resolved.fired_at = "t0"
    grouper.add(resolved, ["hook"], 5.0)
    [notice] = grouper.due(10.0)
    assert notice.status == "resolved"
    assert [a.fingerprint for a in notice.resolved] == ["a"]
    assert grouper.due(30.0) == []
    assert len(grouper) == 0
    # An alert that fires and resolves before its group is sent says nothing.
    grouper = Grouper(Grouping(group_wait_s=10))
    grouper.add(_alert("b"), ["hook"], 0.0)
    gone = _alert("b", AlertState.RESOLVED)
    gone.fired_at = "t0"
    grouper.add(gone, ["hook"], 1.0)
    assert grouper.due(20.0) == []


def test_silenced_and_inhibited_alerts_are_not_sent() -> None:
    grouper = Grouper(Grouping(group_wait_s=0))
    alert = _alert("a")
    alert.silenced_by = "s1"
    grouper.add(alert, ["hook"], 0.0)
    assert grouper.due(1.0) == []
    alert.silenced_by = None
    assert len(grouper.due(2.0)) == 1


def test_matchers() -> None:
    labels = {"collection": "shop", "severity": "warning", "site": "a.example:80"}
    assert matches([parse_matcher("collection=shop")], labels)
    assert not matches([parse_matcher("collection!=shop")], labels)
    assert matches([parse_matcher('site=~".*example.*"')], labels)
    assert not matches([parse_matcher("site!~.*example.*")], labels)
    assert not matches([parse_matcher("collection=shop"), parse_matcher("severity=info")], labels)
    assert matches([parse_matcher("team=")], labels)  # a missing label is empty


@pytest.mark.parametrize("text", ["collection", "=shop", "site=~(", "a b=c"])
def test_bad_matchers_are_refused(text: str) -> None:
    with pytest.raises(RuleError):
        parse_matcher(text)


def test_silences_hold_only_while_in_force() -> None:
    silence = Silence(
        id="s1",
        matchers=[parse_matcher("collection=shop")],
        starts_at="2026-12-04T10:00:00.000Z",
        ends_at="2026-12-04T11:00:00.000Z",
    )
    assert active_silences([silence], "2026-12-04T10:30:00.000Z") == [silence]
    assert active_silences([silence], "2026-12-04T11:00:00.000Z") == []
    assert silence_for({"collection": "shop"}, [silence]) == "s1"
    assert silence_for({"collection": "news"}, [silence]) is None


def test_a_firing_critical_alert_inhibits_lower_ones_on_the_same_run() -> None:
    critical = _alert("c", rule="down", severity=Severity.CRITICAL)
    warning = _alert("w", severity=Severity.WARNING)
    other_run = _alert("o", severity=Severity.WARNING, run_id="run2")
    assert inhibitor_of(warning, [critical, warning]) == "down"
    assert inhibitor_of(other_run, [critical]) is None
    assert inhibitor_of(critical, [critical, warning]) is None


def test_inhibitors_indexed_by_run_and_site_say_what_inhibitor_of_says() -> None:
    rng = random.Random(7)
    severities = list(Severity)
    alerts = []
    for n in range(300):
        site = rng.choice([None, "a.example", "b.example", "c.example"])
        alert = _alert(
            f"f{n}",
            rng.choice([AlertState.FIRING, AlertState.PENDING]),
            rule=f"r{n % 13}",
            severity=rng.choice(severities),
            run_id=rng.choice([None, "run1", "run2", "run3"]),
            labels={"site": site} if site else {},
        )
        alerts.append(alert)
    firing = [a for a in alerts if a.state is AlertState.FIRING]
    inhibitors = Inhibitors(firing)
    said = [inhibitors.of(alert) for alert in alerts]
    assert said == [inhibitor_of(alert, firing) for alert in alerts]
    assert any(said)
    assert not all(said)


def test_windows_count_what_happened_in_each_window() -> None:
    windows = RunWindows(horizon_s=900)
    for second in range(0, 601, 10):
        windows.add(
            Reading(
                at=float(second),
                requests=second,  # 1 request per second
                successes=second - second // 10,
                failures=second // 10,
                items=2 * second if second <= 300 else 600,  # items stop at 300 s
                events=second,
            )
        )
    last_minute = windows.over(60)
    assert last_minute.requests == 60
    assert last_minute.failures == 6
    assert last_minute.error_ratio == pytest.approx(0.1)
    assert last_minute.items_per_min == 0
    assert windows.over(900).seconds == 600  # younger than the window
    earlier = windows.before(300)
    assert earlier.items_per_min == pytest.approx(120)
    assert windows.seconds_since_event == 0
    assert windows.last_item_at == 300


def test_windowed_p95_comes_from_the_difference_of_histograms() -> None:
    windows = RunWindows()
    slow = [0] * 70
    slow[40] = 100  # 100 old slow requests
    windows.add(Reading(0.0, 100, 100, 0, 0, latency=tuple(slow)))
    recent = list(slow)
    recent[4] += 100  # 100 new fast ones (bin 4: 1.68 to 2 ms)
    windows.add(Reading(60.0, 200, 200, 0, 0, latency=tuple(recent)))
    assert windows.over(60).p95_ms <= 2.0
    assert windows.over(900).p95_ms <= 2.0  # the oldest reading is the window's start


def test_yield_drop() -> None:
    assert yield_drop(10, 100) == pytest.approx(0.9)
    assert yield_drop(150, 100) == 0
    assert yield_drop(5, 0) == 0
