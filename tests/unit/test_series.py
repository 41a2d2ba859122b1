"""The chart series math: bucket layout, rates, duration bins and binned percentiles."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from crawlscope.aggregate.latency import percentile
from crawlscope.aggregate.series import (
    DURATION_EDGES_MS,
    OVERFLOW_BIN,
    SecondTallies,
    aligned_layout,
    bin_bounds,
    bucket_layout,
    build_series,
    duration_bin,
    epoch_second,
    histogram_quantile,
    iso_second,
)

T0 = epoch_second("2026-11-22T09:00:00.000Z") or 0


def _histogram(values: list[float]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for value in values:
        index = duration_bin(value)
        counts[index] = counts.get(index, 0) + 1
    return counts


def _within_one_bin(estimate: float, exact: float) -> bool:
    low, high = bin_bounds(duration_bin(exact))
    return abs(estimate - exact) <= (high - low) + 1e-9


# -- times -------------------------------------------------------------------------------


def test_times_round_trip_through_whole_seconds() -> None:
    assert T0 == 1795338000
    assert epoch_second("2026-11-22T09:00:07") == T0 + 7
    assert iso_second(T0 + 61) == "2026-11-22T09:01:01.000Z"
    assert epoch_second("not a time") is None


# -- bins --------------------------------------------------------------------------------


def test_bins_are_log_spaced_and_cover_every_duration() -> None:
    assert DURATION_EDGES_MS[0] == 1.0
    assert DURATION_EDGES_MS[4] == 2.0  # four bins per doubling
    ratios = [b / a for a, b in itertools.pairwise(DURATION_EDGES_MS)]
    assert all(1.18 < r < 1.2 for r in ratios)
    assert duration_bin(0.0) == 0
    assert duration_bin(0.999) == 0
    assert duration_bin(1.0) == 1  # an edge belongs to the bin above it, as in the SQL
    assert duration_bin(150.0) == 29
    low, high = bin_bounds(29)
    assert low <= 150.0 < high
    assert duration_bin(10**9) == OVERFLOW_BIN
    assert bin_bounds(OVERFLOW_BIN) == (DURATION_EDGES_MS[-1], math.inf)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_binned_percentiles_are_within_one_bin_of_the_exact_ones(seed: int) -> None:
    rng = random.Random(seed)
    values = [rng.lognormvariate(math.log(120), 0.8) for _ in range(2000)]
    exact = sorted(values)
    counts = _histogram(values)
    for q in (0.5, 0.95, 0.99):
        estimate = histogram_quantile(counts, q)
        assert estimate is not None
        assert _within_one_bin(estimate, percentile(exact, q)), (q, estimate)


def test_percentiles_of_few_samples_and_edge_cases() -> None:
    values = [40.0, 50.0, 60.0, 70.0, 900.0]
    counts = _histogram(values)
    p50 = histogram_quantile(counts, 0.5)
    p95 = histogram_quantile(counts, 0.95)
    assert p50 is not None
    assert _within_one_bin(p50, 60.0)
    assert p95 is not None
    assert _within_one_bin(p95, 900.0)
    assert histogram_quantile({}, 0.5) is None
    assert histogram_quantile({0: 4}, 0.5) == pytest.approx(0.5)  # linear in [0, 1 ms)
    # one sample: the estimate stays inside its bin
    only = histogram_quantile(_histogram([333.0]), 0.5)
    low, high = bin_bounds(duration_bin(333.0))
    assert only is not None
    assert low <= only <= high
    # past the last edge there is no upper bound: the low edge is the answer
    assert histogram_quantile({OVERFLOW_BIN: 3}, 0.95) == DURATION_EDGES_MS[-1]


# -- buckets -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "points", "width", "count"),
    [
        (1, 120, 1, 1),
        (60, 120, 1, 60),
        (120, 120, 1, 120),
        (121, 120, 2, 61),
        (3600, 120, 30, 120),
        (3601, 120, 31, 117),
        (86_400, 600, 144, 600),
    ],
)
def test_bucket_width_is_whole_seconds_with_at_most_n_buckets(
    seconds: int, points: int, width: int, count: int
) -> None:
    assert bucket_layout(T0, T0 + seconds - 1, points) == (width, count)
    assert count <= points
    assert width * count >= seconds


def test_rates_per_bucket_and_a_short_last_bucket() -> None:
    tallies = SecondTallies(
        requests={T0: 4, T0 + 1: 6, T0 + 25: 10},
        items={T0 + 2: 30},
        errors={T0 + 1: {"timeout": 2}, T0 + 24: {"timeout": 1, "http_5xx": 3}},
        latency={T0 + 1: {duration_bin(100.0): 10}},
    )
    # 26 seconds in at most 10 buckets: 3 s wide, 9 buckets, the last one 2 s long
    series = build_series("r", tallies, T0, T0 + 25, 10)
    assert series.bucket_s == 3
    assert len(series.points) == 9
    first, last = series.points[0], series.points[-1]
    assert first.t == iso_second(T0)
    assert first.requests_per_s == pytest.approx(10 / 3)
    assert first.items_per_s == pytest.approx(10)
    assert first.errors_per_s == {"timeout": pytest.approx(2 / 3)}
    assert first.p50_ms is not None
    assert _within_one_bin(first.p50_ms, 100.0)
    assert series.points[1].errors_per_s == {}
    assert series.points[1].p50_ms is None
    assert series.points[1].p95_ms is None
    assert last.t == iso_second(T0 + 24)
    assert last.requests_per_s == pytest.approx(10 / 2)  # seconds 24 and 25 only
    assert last.errors_per_s == {"http_5xx": pytest.approx(1.5), "timeout": pytest.approx(0.5)}


def test_the_span_widens_to_cover_every_counted_second() -> None:
    """Events outside the row's times (a runner's clock, a row that lags) still count."""
    tallies = SecondTallies(requests={T0 - 5: 1, T0 + 100: 1})
    series = build_series("r", tallies, T0, T0 + 9, 200)
    assert series.points[0].t == iso_second(T0 - 5)
    assert len(series.points) == 106
    total = sum(p.requests_per_s * series.bucket_s for p in series.points)
    assert total == pytest.approx(2)


def test_an_empty_run_has_one_bucket_of_zeros() -> None:
    series = build_series("r", SecondTallies(), T0, T0, 120)
    assert series.bucket_s == 1
    assert len(series.points) == 1
    assert series.points[0].requests_per_s == 0
    assert series.points[0].p95_ms is None


@pytest.mark.parametrize(
    ("first", "seconds", "points"),
    [(0, 36_000, 300), (59, 36_000, 300), (17, 7_200, 120), (1, 600, 10), (30, 3_600, 600)],
)
def test_aligned_buckets_start_on_the_period_and_stay_within_n(
    first: int, seconds: int, points: int
) -> None:
    begin, end = T0 + first, T0 + first + seconds - 1
    start, width, count = aligned_layout(begin, end, points, 60)
    assert start % 60 == 0
    assert start <= begin < start + 60
    assert width % 60 == 0
    assert count <= points
    assert start + width * count > end


def test_minute_tallies_fall_in_one_bucket_and_a_partial_first_bucket_is_not_diluted() -> None:
    # A run from 09:00:30 to 09:59:59 tallied per minute: 120 points want 30 s buckets,
    # which become 60 s ones starting at 09:00:00.
    start = T0 + 30
    tallies = SecondTallies(
        requests={T0: 60, T0 + 60: 120, T0 + 3540: 60},  # minute starts
        errors={T0 + 60: {"timeout": 6}},
    )
    series = build_series("r", tallies, start, T0 + 3599, 120, granularity=60)
    assert series.bucket_s == 60
    assert series.points[0].t == iso_second(T0)
    # The first minute held 30 s of the run: 60 requests in 30 s.
    assert series.points[0].requests_per_s == pytest.approx(2)
    assert series.points[1].requests_per_s == pytest.approx(2)
    assert series.points[1].errors_per_s == {"timeout": pytest.approx(0.1)}
    assert series.points[-1].t == iso_second(T0 + 3540)
    assert series.points[-1].requests_per_s == pytest.approx(1)
    assert sum(1 for p in series.points if p.requests_per_s) == 3
