"""Request durations as Prometheus histogram buckets, from the runs' duration bins.

A run counts its request durations in the bins of ``aggregate.series.DURATION_EDGES_MS``
(1 ms to about 131 s, four per doubling; bin ``k`` holds ``[EDGES[k-1], EDGES[k])``).
A Prometheus bucket must be a count of everything up to its bound, so its bounds can
only be bin edges: every second edge is used (two buckets per doubling, 1 ms to 131 s),
each bucket counting the bins below its edge exactly. The one difference from ``le``
(less than *or equal*) is that a duration exactly on an edge is counted in the next
bucket up. There is no ``_sum``: the bins do not keep it, and an estimate would be
presented as a measurement.
"""

from __future__ import annotations

from collections.abc import Sequence

from crawlscope.aggregate.series import DURATION_EDGES_MS, OVERFLOW_BIN

__all__ = ["BUCKET_EDGES_S", "bucket_counts"]

_EDGE_INDEXES = tuple(range(0, len(DURATION_EDGES_MS), 2))
BUCKET_EDGES_S: tuple[float, ...] = tuple(
    round(DURATION_EDGES_MS[k] / 1000, 6) for k in _EDGE_INDEXES
)
"""Upper bounds of the buckets in seconds, without ``+Inf``."""


def bucket_counts(bins: Sequence[int]) -> tuple[list[tuple[str, float]], int]:
    """``([(le, cumulative count), ..., ("+Inf", total)], total)`` for a list of
    ``OVERFLOW_BIN + 1`` bin counts."""
    if len(bins) != OVERFLOW_BIN + 1:
        raise ValueError(f"expected {OVERFLOW_BIN + 1} duration bins, got {len(bins)}")
    buckets: list[tuple[str, float]] = []
    below = 0
    next_bin = 0
    for edge_s, index in zip(BUCKET_EDGES_S, _EDGE_INDEXES, strict=True):
        # Bins 0..index hold exactly the durations under DURATION_EDGES_MS[index].
        below += sum(bins[next_bin : index + 1])
        next_bin = index + 1
        buckets.append((repr(edge_s), below))
    total = below + sum(bins[next_bin:])
    buckets.append(("+Inf", total))
    return buckets, total
