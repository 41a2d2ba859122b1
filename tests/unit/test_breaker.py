"""The circuit breaker (runner/breaker.py) with an injected clock: no sleeping."""

from __future__ import annotations

import pytest

from crawlscope.runner.breaker import BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def changes() -> list[tuple[str, str, int]]:
    return []


@pytest.fixture
def breaker(clock: Clock, changes: list[tuple[str, str, int]]) -> CircuitBreaker:
    return CircuitBreaker(
        3,
        10.0,
        clock=clock,
        on_change=lambda old, new, n: changes.append((old.value, new.value, n)),
    )


def _open(breaker: CircuitBreaker) -> None:
    for _ in range(breaker.threshold):
        assert breaker.try_acquire() == 0.0
        breaker.record_failure()
    assert breaker.state is BreakerState.OPEN


def test_closed_lets_everyone_through(breaker: CircuitBreaker) -> None:
    assert [breaker.try_acquire() for _ in range(50)] == [0.0] * 50
    assert breaker.state is BreakerState.CLOSED


def test_opens_after_threshold_consecutive_failures(
    breaker: CircuitBreaker, changes: list[tuple[str, str, int]]
) -> None:
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    assert changes == []
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert changes == [("closed", "open", 3)]


def test_a_success_resets_the_streak(breaker: CircuitBreaker) -> None:
    for _ in range(5):
        breaker.record_failure()
        breaker.record_failure()
        breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.failures == 0


def test_open_asks_for_the_rest_of_the_cooldown(breaker: CircuitBreaker, clock: Clock) -> None:
    _open(breaker)
    assert breaker.try_acquire() == pytest.approx(10.0)
    clock.now += 4
    assert breaker.try_acquire() == pytest.approx(6.0)
    assert breaker.state is BreakerState.OPEN


def test_full_cycle_closed_open_half_open_closed(
    breaker: CircuitBreaker, clock: Clock, changes: list[tuple[str, str, int]]
) -> None:
    _open(breaker)
    clock.now += 10
    assert breaker.try_acquire() == 0.0  # the probe
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert [(old, new) for old, new, _ in changes] == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]
    assert [breaker.try_acquire() for _ in range(5)] == [0.0] * 5


def test_half_open_lets_exactly_one_probe_through(breaker: CircuitBreaker, clock: Clock) -> None:
    _open(breaker)
    clock.now += 10.5
    waits = [breaker.try_acquire() for _ in range(10)]
    assert waits[0] == 0.0
    assert all(w > 0 for w in waits[1:])
    # Even much later, as long as the probe has not reported back.
    clock.now += 1000
    assert breaker.try_acquire() > 0


def test_failed_probe_opens_again_with_a_fresh_cooldown(
    breaker: CircuitBreaker, clock: Clock, changes: list[tuple[str, str, int]]
) -> None:
    _open(breaker)
    clock.now += 10
    assert breaker.try_acquire() == 0.0
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert changes[-1][:2] == ("half_open", "open")
    assert breaker.try_acquire() == pytest.approx(10.0)
    clock.now += 10
    assert breaker.try_acquire() == 0.0  # a new probe after the new cooldown
    assert breaker.state is BreakerState.HALF_OPEN


def test_abandoned_probe_frees_the_probe_slot(breaker: CircuitBreaker, clock: Clock) -> None:
    _open(breaker)
    clock.now += 10
    assert breaker.try_acquire() == 0.0
    assert breaker.try_acquire() > 0
    breaker.record_abandoned()  # the probe was cancelled: no verdict on the site
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.try_acquire() == 0.0
    assert breaker.try_acquire() > 0


def test_abandoned_request_while_closed_changes_nothing(breaker: CircuitBreaker) -> None:
    breaker.record_failure()
    breaker.record_abandoned()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.failures == 1


def test_late_failures_while_open_do_not_restart_the_cooldown(
    breaker: CircuitBreaker, clock: Clock, changes: list[tuple[str, str, int]]
) -> None:
    _open(breaker)
    clock.now += 6
    breaker.record_failure()  # a request that was in flight when the breaker opened
    assert breaker.try_acquire() == pytest.approx(4.0)
    assert len(changes) == 1


def test_zero_cooldown_goes_straight_to_a_probe(clock: Clock) -> None:
    breaker = CircuitBreaker(1, 0.0, clock=clock)
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert breaker.try_acquire() == 0.0
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.try_acquire() > 0


def test_without_a_hook_transitions_still_happen(clock: Clock) -> None:
    breaker = CircuitBreaker(2, 1.0, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    clock.now += 1
    assert breaker.try_acquire() == 0.0
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED


def test_force_open_holds_for_the_given_time_then_probes(
    breaker: CircuitBreaker, clock: Clock, changes: list[tuple[str, str, int]]
) -> None:
    breaker.force_open(60.0)  # longer than the cooldown
    assert breaker.state is BreakerState.OPEN
    assert changes[-1][1] == "open"
    clock.now += 59.0
    assert breaker.try_acquire() == pytest.approx(1.0)
    clock.now += 1.0
    assert breaker.try_acquire() == 0.0  # the probe
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
