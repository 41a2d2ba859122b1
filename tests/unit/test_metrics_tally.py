"""The counter tally behind /metrics: increases only, bounded labels, the duration
buckets against the bins they come from, and site health across runs."""

from __future__ import annotations

import msgspec
import pytest

from crawlscope.aggregate import RunFrame
from crawlscope.aggregate.frames import RunTotals, SiteCard
from crawlscope.aggregate.series import DURATION_EDGES_MS, OVERFLOW_BIN, duration_bin
from crawlscope.metrics.buckets import BUCKET_EDGES_S, bucket_counts
from crawlscope.metrics.labels import StickyLabels, error_type_label, stage_label
from crawlscope.metrics.tally import CounterTally, RunReading
from crawlscope.site_health import site_health
from crawlscope.status import RunStatus


def frame(run_id: str = "r1", **totals: int) -> RunFrame:
    return RunFrame(
        run_id=run_id, collection="c", status=RunStatus.RUNNING, totals=RunTotals(**totals)
    )


def counter(tally: CounterTally, name: str, *extra: str) -> int:
    return sum(v for (n, _, _, e), v in tally.counters.items() if n == name and e == extra)


def test_a_value_that_goes_down_within_a_run_is_not_counted_again() -> None:
    tally = CounterTally(max_sites=5, max_collections=5)
    tally.fold([RunReading("r1", frame(tasks_failed=5, tasks_done=2))])
    # a pause put two failed tasks back on the queue, then they failed again
    tally.fold([RunReading("r1", frame(tasks_failed=3, tasks_done=2, tasks_requeued=2))])
    tally.fold([RunReading("r1", frame(tasks_failed=5, tasks_done=4, tasks_requeued=2))])
    assert counter(tally, "tasks", "failed") == 5
    assert counter(tally, "tasks", "done") == 4
    assert counter(tally, "tasks", "requeued") == 2


def test_runs_add_up_and_a_retired_run_is_folded_from_its_final_frame() -> None:
    tally = CounterTally(max_sites=5, max_collections=5)
    tally.fold(
        [RunReading("r1", frame(items_found=10)), RunReading("r2", frame("r2", items_found=1))]
    )
    tally.fold([RunReading("r2", frame("r2", items_found=3))])
    assert tally.tracked() == {"r1", "r2"}
    tally.retire("r1", frame(items_found=25))
    assert tally.tracked() == {"r2"}
    assert counter(tally, "items", "found") == 28
    # folded again later (rebuilt from its events): only what is new counts
    tally.fold([RunReading("r2", frame("r2", items_found=3))])
    assert counter(tally, "items", "found") == 28


def test_a_run_end_counts_once_and_again_after_a_revival() -> None:
    tally = CounterTally(max_sites=5, max_collections=5)
    ended = msgspec.structs.replace(frame(), status=RunStatus.INTERRUPTED)
    tally.fold([RunReading("r1", frame())])
    tally.fold([RunReading("r1", ended)])
    tally.fold([RunReading("r1", ended)])
    assert counter(tally, "runs_ended", "interrupted") == 1
    # the remote runner came back and the run then completed
    tally.fold([RunReading("r1", frame())])
    tally.retire("r1", msgspec.structs.replace(frame(), status=RunStatus.COMPLETED))
    assert counter(tally, "runs_ended", "interrupted") == 1
    assert counter(tally, "runs_ended", "completed") == 1


def test_duration_bins_that_start_again_from_zero_are_read_as_a_restart() -> None:
    tally = CounterTally(max_sites=5, max_collections=5)
    bins = [0] * (OVERFLOW_BIN + 1)
    bins[10] = 4
    tally.fold([RunReading("r1", frame(), bins)])
    rebuilt = [0] * (OVERFLOW_BIN + 1)
    rebuilt[3] = 1
    tally.fold([RunReading("r1", frame(), rebuilt)])
    assert sum(tally.durations["c"]) == 5
    assert tally.durations["c"][10] == 4
    assert tally.durations["c"][3] == 1


def test_sticky_labels_keep_the_first_busiest_values_and_share_other() -> None:
    labels = StickyLabels(2)
    labels.admit({"a": 1, "b": 5, "c": 5})
    assert [labels.label(v) for v in "abc"] == ["other", "b", "c"]
    labels.admit({"a": 100})  # full: a busier newcomer does not take a place
    assert labels.label("a") == "other"
    assert len(labels) == 2
    assert error_type_label("timeout") == "timeout"
    assert error_type_label("my_own_error") == "other"
    assert stage_label("request") == "request"
    assert stage_label("collector stage 17") == "other"


@pytest.mark.parametrize("duration_ms", [0.2, 1.0, 1.3, 2.0, 37.0, 999.9, 5_000.0, 200_000.0])
def test_a_bucket_counts_the_durations_below_its_bound(duration_ms: float) -> None:
    bins = [0] * (OVERFLOW_BIN + 1)
    bins[duration_bin(duration_ms)] += 1
    buckets, count = bucket_counts(bins)
    assert count == 1
    assert [le for le, _ in buckets[:-1]] == [repr(edge) for edge in BUCKET_EDGES_S]
    assert buckets[-1] == ("+Inf", 1)
    for le, below in buckets[:-1]:
        assert below == (1 if duration_ms / 1000 < float(le) else 0), le
    assert BUCKET_EDGES_S[0] == DURATION_EDGES_MS[0] / 1000
    assert BUCKET_EDGES_S[-1] == DURATION_EDGES_MS[-1] / 1000


def test_site_health_takes_the_worst_breaker_of_active_runs_and_the_latest_success() -> None:
    def run(run_id: str, status: RunStatus, *cards: SiteCard) -> RunFrame:
        return RunFrame(run_id=run_id, status=status, sites=list(cards))

    frames = [
        run(
            "ended",
            RunStatus.COMPLETED,
            SiteCard(
                site="a",
                breaker="open",
                breaker_since="2026-12-04T10:00:00.000Z",
                last_success_at="2026-12-04T10:05:00.000Z",
            ),
            SiteCard(site="b", breaker="open", breaker_since="2026-12-04T10:00:00.000Z"),
        ),
        run(
            "one",
            RunStatus.RUNNING,
            SiteCard(site="a", last_success_at="2026-12-04T10:01:00.000Z", requests=3),
        ),
        run(
            "two",
            RunStatus.RUNNING,
            SiteCard(site="a", breaker="half_open", breaker_since="2026-12-04T10:02:00.000Z"),
        ),
    ]
    health = {h.site: msgspec.to_builtins(h) for h in site_health(frames)}
    # an active run's half-open breaker, not the ended run's open one
    assert health["a"]["breaker"] == "half_open"
    assert health["a"]["breaker_since"] == "2026-12-04T10:02:00.000Z"
    assert health["a"]["last_success_at"] == "2026-12-04T10:05:00.000Z"
    assert health["a"]["runs"] == ["one", "two", "ended"]
    # only ended runs use b: their state
    assert health["b"]["breaker"] == "open"
    assert health["b"]["last_success_at"] is None
