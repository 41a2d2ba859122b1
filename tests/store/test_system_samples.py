"""System samples (``SystemSampleRepository``) on every backend (the ``store`` fixture):
stored per source and second, averaged into buckets (peaks for RSS, runs and workers),
pruned by age."""

from __future__ import annotations

from crawlscope.store import SqlStore
from crawlscope.store.system_samples import SystemSample

T0 = 1_796_000_000 - 1_796_000_000 % 3600  # an hour boundary (Unix seconds)


def sample(at: int, cpu: float, *, workers: int = 0, rss: float | None = None) -> SystemSample:
    return SystemSample(
        at=at,
        cpu_percent=cpu,
        memory_percent=50.0,
        disk_percent=70.0,
        process_rss_mb=rss,
        active_runs=1,
        running_workers=workers,
    )


async def test_samples_come_back_per_source_in_order(store: SqlStore) -> None:
    repo = store.system_samples
    for i in range(6):
        await repo.add("server:a", sample(T0 + 10 * i, float(i)))
    await repo.add("run:r1", sample(T0, 99.0))
    history = await repo.history("server:a", since=T0, until=T0 + 60, points=100)
    assert history.every_s == 10
    assert [s.at for s in history.samples] == [T0 + 10 * i for i in range(6)]
    assert [s.cpu_percent for s in history.samples] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert await repo.sources() == ["run:r1", "server:a"]
    # The range is half-open and by source.
    later = await repo.history("server:a", since=T0 + 20, until=T0 + 40)
    assert [s.at for s in later.samples] == [T0 + 20, T0 + 30]


async def test_a_second_sample_in_the_same_second_is_ignored(store: SqlStore) -> None:
    repo = store.system_samples
    await repo.add("server:a", sample(T0, 10.0))
    await repo.add("server:a", sample(T0, 90.0))
    history = await repo.history("server:a", since=T0, until=T0 + 1)
    assert [s.cpu_percent for s in history.samples] == [10.0]


async def test_more_samples_than_points_are_averaged_into_buckets(store: SqlStore) -> None:
    repo = store.system_samples
    # An hour of 10 s samples: cpu 0..359, workers peak at the middle of each minute.
    for i in range(360):
        workers = 7 if i % 6 == 3 else 1
        await repo.add("server:a", sample(T0 + 10 * i, float(i), workers=workers, rss=float(i)))
    history = await repo.history("server:a", since=T0, until=T0 + 3600, points=60)
    assert history.every_s == 60
    assert len(history.samples) == 60
    first, last = history.samples[0], history.samples[-1]
    assert (first.at, last.at) == (T0, T0 + 3540)
    assert first.cpu_percent == 2.5  # mean of 0..5
    assert last.cpu_percent == 356.5  # mean of 354..359
    assert first.running_workers == 7  # the peak, not the mean
    assert last.process_rss_mb == 359.0
    assert first.disk_percent == 70.0


async def test_prune_deletes_only_older_samples(store: SqlStore) -> None:
    repo = store.system_samples
    for i in range(10):
        await repo.add("server:a", sample(T0 + i, 1.0))
        await repo.add("run:r1", sample(T0 + i, 1.0))
    assert await repo.prune(before=T0 + 4) == 8
    history = await repo.history("server:a", since=T0 - 100, until=T0 + 100, interval_s=1)
    assert [s.at for s in history.samples] == [T0 + i for i in range(4, 10)]
    assert await repo.prune(before=T0 + 4) == 0
