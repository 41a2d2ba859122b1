"""Rate windows and the ETA estimator (aggregate/pace.py), with explicit times."""

from __future__ import annotations

import pytest

from crawlscope.aggregate.pace import EtaEstimator, RateWindow


def test_rate_window_is_zero_before_anything_happens() -> None:
    assert RateWindow(10).rate(123.0) == 0.0


def test_rate_window_averages_over_time_since_first_count_while_shorter_than_window() -> None:
    window = RateWindow(10)
    window.add(100.0)
    window.add(100.5)
    window.add(101.2, 3)
    window.add(103.9, 5)
    # 10 counted over 4 s since the first one
    assert window.rate(104.0) == pytest.approx(10 / 4.0)


def test_rate_window_never_divides_by_less_than_one_second() -> None:
    window = RateWindow(10)
    window.add(50.0, 7)
    assert window.rate(50.1) == pytest.approx(7.0)


def test_rate_window_uses_the_full_window_once_it_is_longer() -> None:
    window = RateWindow(10)
    for t in range(100, 130):  # one per second for 30 s
        window.add(float(t))
    # Only the buckets of the last 10 s remain.
    assert window.rate(129.5) == pytest.approx(10 / 10)


def test_rate_window_forgets_old_counts() -> None:
    window = RateWindow(5)
    window.add(10.0, 100)
    assert window.rate(12.0) > 0
    assert window.rate(30.0) == 0.0
    window.add(31.0, 2)
    # The long-ago first count still anchors the span, so the rate uses the full window.
    assert window.rate(31.0) == pytest.approx(2 / 5)


def test_rate_window_merges_counts_of_the_same_second() -> None:
    window = RateWindow(60)
    for i in range(100):
        window.add(7.0 + i / 1000)
    assert len(window._buckets) == 1  # memory is per second, not per event
    assert window.rate(8.0) == pytest.approx(100.0)


def test_eta_unknown_until_there_is_a_pace() -> None:
    eta = EtaEstimator()
    assert eta.eta(0.0, 0, 100) is None
    eta.observe(0.0, 0)
    assert eta.eta(1.0, 0, 100) is None
    assert eta.rate(1.0) == 0.0


def test_eta_from_recent_pace() -> None:
    eta = EtaEstimator(window=60)
    eta.observe(0.0, 0)
    eta.observe(10.0, 10)
    assert eta.rate(10.0) == pytest.approx(1.0)
    assert eta.eta(10.0, 10, 100) == pytest.approx(90.0)


def test_eta_grows_when_work_stalls() -> None:
    eta = EtaEstimator(window=60)
    eta.observe(0.0, 0)
    eta.observe(10.0, 10)
    # Nothing finished for another 10 s: the pace halves and the ETA doubles.
    assert eta.rate(20.0) == pytest.approx(0.5)
    assert eta.eta(20.0, 10, 100) == pytest.approx(180.0)


def test_eta_follows_the_recent_pace_not_the_whole_history() -> None:
    eta = EtaEstimator(window=10)
    eta.observe(0.0, 0)
    eta.observe(1.0, 100)  # a fast start
    for t in range(2, 31):  # then one unit per second
        eta.observe(float(t), 100 + (t - 1))
    # The window keeps one observation before its start as the anchor.
    assert eta.rate(30.0) == pytest.approx(1.0, rel=0.15)
    assert eta.eta(30.0, 129, 229) == pytest.approx(100.0, rel=0.15)


def test_eta_ignores_repeated_observations_of_the_same_count() -> None:
    eta = EtaEstimator()
    eta.observe(0.0, 5)
    eta.observe(1.0, 5)
    eta.observe(2.0, 5)
    assert len(eta._history) == 1


def test_eta_when_done_or_empty() -> None:
    eta = EtaEstimator()
    eta.observe(0.0, 0)
    eta.observe(1.0, 10)
    assert eta.eta(1.0, 10, 10) == 0.0
    assert eta.eta(1.0, 12, 10) == 0.0
    assert eta.eta(1.0, 0, 0) is None


def test_eta_covers_totals_that_grow() -> None:
    eta = EtaEstimator()
    eta.observe(0.0, 0)
    eta.observe(10.0, 20)
    assert eta.eta(10.0, 20, 40) == pytest.approx(10.0)
    assert eta.eta(10.0, 20, 80) == pytest.approx(30.0)
