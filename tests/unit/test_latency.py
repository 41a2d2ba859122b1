"""Latency statistics (aggregate/latency.py): nearest-rank percentiles and a bounded window."""

from __future__ import annotations

import math
import random

import pytest

from crawlscope.aggregate.latency import LatencyStats, percentile


def _nearest_rank(values: list[float], q: float) -> float:
    """The textbook definition: the smallest value with at least q of the data at or below."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def test_percentile_of_nothing_is_zero() -> None:
    assert percentile([], 0.5) == 0.0


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.5, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.0),
        ([float(i) for i in range(1, 101)], 0.95, 95.0),
        ([float(i) for i in range(1, 101)], 0.5, 50.0),
        ([float(i) for i in range(1, 21)], 0.95, 19.0),
        ([float(i) for i in range(1, 21)], 0.5, 10.0),
        ([42.0], 0.95, 42.0),
        ([1.0, 2.0, 3.0], 0.0, 1.0),
        ([1.0, 2.0, 3.0], 1.0, 3.0),
    ],
)
def test_percentile_nearest_rank(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == expected


def test_percentile_matches_the_definition_for_every_size() -> None:
    rng = random.Random(3)
    for n in range(1, 300):
        values = sorted(rng.uniform(0, 1000) for _ in range(n))
        for q in (0.5, 0.9, 0.95, 0.99):
            assert percentile(values, q) == _nearest_rank(values, q), (n, q)


def test_latency_mean_covers_every_sample_and_quantiles_the_recent_window() -> None:
    stats = LatencyStats(window=10)
    for _ in range(90):
        stats.add(1000.0)  # a slow past
    for i in range(1, 11):
        stats.add(float(i))  # a fast present
    assert stats.count == 100
    assert stats.mean_ms == pytest.approx((90 * 1000 + 55) / 100)
    assert stats.quantiles() == (5.0, 10.0)


def test_latency_empty() -> None:
    stats = LatencyStats()
    assert stats.mean_ms == 0.0
    assert stats.quantiles() == (0.0, 0.0)


@pytest.mark.parametrize("window", [1, 7, 256, 1024])
def test_quantiles_kept_between_calls_equal_sorting_the_window(window: int) -> None:
    """The sorted window is updated, not redone, when few samples came since the last
    call: the answers must be those of sorting the window every time, ties included."""
    rng = random.Random(window)
    stats = LatencyStats(window=window)
    for _ in range(400):
        for _ in range(rng.choice([0, 0, 1, 2, 3, window // 8, window // 3, window + 5])):
            stats.add(float(rng.choice([rng.randint(1, 50), rng.lognormvariate(5, 1)])))
        ordered = sorted(stats.recent)
        assert stats.quantiles() == (percentile(ordered, 0.5), percentile(ordered, 0.95))
        assert stats._ordered() == ordered
        assert list(stats._window) == list(stats.recent)
