"""Dataset items (``DatasetRepository``) on every backend (the ``store`` fixture)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from crawlscope.store import DatasetSink, SqlStore
from crawlscope.store.datasets import MAX_FIELDS, BatchMismatch, FieldNames, TooManyFields
from crawlscope.timestamps import utc_now
from tests.store.moments import assert_utc


async def test_dataset_writes_insert_update_and_dedupe(store: SqlStore) -> None:
    datasets = store.datasets
    first = await datasets.write("d", "run1", [("1", {"n": "a"}), ("2", {"n": "b"})])
    assert (first.inserted, first.updated, first.unchanged) == (["1", "2"], [], [])
    second = await datasets.write("d", "run2", [("1", {"n": "a"}), ("2", {"n": "B"}), ("3", {})])
    assert (second.inserted, second.updated, second.unchanged) == (["3"], ["2"], ["1"])
    # Key order inside an item does not make it "changed".
    third = await datasets.write("d", "run3", [("4", {"a": 1, "b": 2})])
    again = await datasets.write("d", "run3", [("4", {"b": 2, "a": 1})])
    assert third.inserted == ["4"]
    assert again.unchanged == ["4"]
    assert await datasets.count("d") == 4
    assert await datasets.count("other") == 0
    assert await datasets.keys("d") == ["1", "2", "3", "4"]
    assert await datasets.items("d", limit=2) == [{"n": "a"}, {"n": "B"}]
    assert (await datasets.write("d", "run4", [])).inserted == []
    # Which run first stored and last saw each item: "1" and "2" run1>run2, "3" run2>run2,
    # "4" run3>run3. A run's items are those it first stored or last saw.
    assert await datasets.run_items("d", "run1") == (2, [{"n": "a"}, {"n": "B"}])
    assert await datasets.run_items("d", "run2") == (3, [{"n": "a"}, {"n": "B"}, {}])
    assert await datasets.run_items("d", "run3") == (1, [{"a": 1, "b": 2}])
    assert await datasets.run_items("d", "run4") == (0, [])
    assert await datasets.run_items("other", "run1") == (0, [])


async def test_dataset_writes_bigger_than_one_sql_chunk(store: SqlStore) -> None:
    items = [(str(i), {"i": i}) for i in range(1500)]
    assert len((await store.datasets.write("big", "r", items)).inserted) == 1500
    outcome = await store.datasets.write("big", "r", items)
    assert len(outcome.unchanged) == 1500
    assert await store.datasets.count("big") == 1500
    # a later run seeing every item again takes all of them over, in one statement per chunk
    assert (await store.datasets.write("big", "s", items)).unchanged == [k for k, _ in items]
    total, page = await store.datasets.run_items("big", "s", limit=3)
    assert total == 1500
    assert page == [{"i": 0}, {"i": 1}, {"i": 10}]  # ordered by key, as text


async def test_a_later_run_takes_over_what_it_sees_again(store: SqlStore) -> None:
    await store.datasets.write("d", "a", [("k1", 1), ("k2", 2), ("k3", 3)])
    await store.datasets.write("d", "b", [("k2", 2), ("k3", 30)])  # k2 seen, k3 updated
    await store.datasets.write("d", "c", [("k3", 30)])
    assert await store.datasets.run_items("d", "a") == (3, [1, 2, 30])  # it stored them first
    assert await store.datasets.run_items("d", "b") == (1, [2])  # k3 went on to c
    assert await store.datasets.run_items("d", "c") == (1, [30])


async def test_items_and_run_items_page_by_key(store: SqlStore) -> None:
    items = [(f"key-{i:02d}", {"i": i, "text": "é «ü» 🕷"}) for i in range(25)]
    await store.datasets.write("pages", "r", list(reversed(items)))
    assert await store.datasets.keys("pages") == [k for k, _ in items]
    assert await store.datasets.items("pages", limit=10, offset=20) == [d for _, d in items[20:]]
    assert await store.datasets.items("pages", offset=25) == []
    total, page = await store.datasets.run_items("pages", "r", limit=5, offset=10)
    assert total == 25
    assert page == [d for _, d in items[10:15]]


async def test_datasets_with_the_same_keys_stay_apart(store: SqlStore) -> None:
    await store.datasets.write("left", "r", [("k", {"side": "left"})])
    outcome = await store.datasets.write("right", "r", [("k", {"side": "right"})])
    assert outcome.inserted == ["k"]
    assert await store.datasets.items("left") == [{"side": "left"}]
    assert await store.datasets.items("right") == [{"side": "right"}]


async def test_values_of_every_json_kind_round_trip(store: SqlStore) -> None:
    values = [
        ("a", None),
        ("b", True),
        ("c", 2**53 + 1),
        ("d", 1.5),
        ("e", "text\nwith\ttabs and \u2028 separators"),
        ("f", [1, [2, [3]], {"x": None}]),
        ("g", {"nested": {"deep": ["ü", "漢字", "🕷"]}}),
    ]
    await store.datasets.write("kinds", "r", values)
    assert await store.datasets.items("kinds") == [v for _, v in values]


async def test_a_dataset_sink_writes_through_the_repository(store: SqlStore) -> None:
    sink = DatasetSink(store.datasets, "sunk")
    outcome = await sink.write("r", [("1", {"x": 1}), ("2", {"x": 2})])
    assert outcome.inserted == ["1", "2"]
    assert await sink.count() == 2
    assert await store.datasets.count("sunk") == 2


# -- batches a runner may send again (POST /api/ingest/items) ----------------------------------


async def test_a_batch_sent_again_is_answered_alike_and_not_written_twice(store: SqlStore) -> None:
    datasets = store.datasets
    await datasets.write("d", "earlier", [("old", {"v": 1}), ("same", {"v": 2})])
    batch = [("new", {"v": 0}), ("old", {"v": 10}), ("same", {"v": 2})]
    first = await datasets.write_batch("d", "run", "b1", batch)
    assert (first.inserted, first.updated, first.unchanged) == (["new"], ["old"], ["same"])
    assert not first.replayed
    again = await datasets.write_batch("d", "run", "b1", list(reversed(batch)))  # order is free
    assert (again.inserted, again.updated, again.unchanged) == (["new"], ["old"], ["same"])
    assert again.replayed
    assert await datasets.count("d") == 3
    assert await datasets.items("d") == [{"v": 0}, {"v": 10}, {"v": 2}]
    # Another batch id is another write: everything is unchanged now.
    other = await datasets.write_batch("d", "run", "b2", batch)
    assert (other.inserted, other.updated, other.unchanged) == ([], [], ["new", "old", "same"])
    # The same batch id in another run is another batch.
    elsewhere = await datasets.write_batch("d", "run2", "b1", batch)
    assert elsewhere.unchanged == ["new", "old", "same"]
    assert not elsewhere.replayed


async def test_a_batch_id_reused_for_other_items_is_refused(store: SqlStore) -> None:
    datasets = store.datasets
    await datasets.write_batch("d", "run", "b1", [("k", {"v": 1})])
    with pytest.raises(BatchMismatch, match="other items"):
        await datasets.write_batch("d", "run", "b1", [("k", {"v": 2})])
    with pytest.raises(BatchMismatch, match="other items"):
        await datasets.write_batch("d", "run", "b1", [("k", {"v": 1}), ("k2", {})])
    with pytest.raises(BatchMismatch, match="another dataset"):
        await datasets.write_batch("e", "run", "b1", [("k", {"v": 1})])
    assert await datasets.items("d") == [{"v": 1}]
    assert await datasets.count("e") == 0


async def test_concurrent_copies_of_one_batch_write_it_once(store: SqlStore) -> None:
    items = [(f"k{i:04d}", {"i": i}) for i in range(600)]
    outcomes = await asyncio.gather(
        *(store.datasets.write_batch("d", "run", "b", items) for _ in range(4))
    )
    assert sorted(o.replayed for o in outcomes) == [False, True, True, True]
    assert all(len(o.inserted) == 600 for o in outcomes)
    assert await store.datasets.count("d") == 600


async def test_remembered_batches_are_forgotten_by_age(store: SqlStore) -> None:
    await store.datasets.write_batch("d", "run", "b1", [("k", 1)])
    assert await store.datasets.forget_batches(utc_now() - timedelta(hours=1)) == 0
    assert await store.datasets.forget_batches(utc_now() + timedelta(seconds=1)) == 1
    # Forgotten: the same batch is now written again, and its key is unchanged.
    again = await store.datasets.write_batch("d", "run", "b1", [("k", 1)])
    assert (again.unchanged, again.replayed) == (["k"], False)
    assert await store.datasets.count("d") == 1


# -- reads for exports ---------------------------------------------------------------------------


async def test_rows_after_pages_by_key_with_the_stored_json(store: SqlStore) -> None:
    items = [(f"key-{i:03d}", {"i": i, "b": [i], "a": "é"}) for i in range(250)]
    await store.datasets.write("p", "r1", items[:200])
    await store.datasets.write("p", "r2", items[150:])  # r2 saw 150..199 again
    seen: list[tuple[str, str]] = []
    after: str | None = None
    while page := await store.datasets.rows_after("p", after, limit=64):
        seen.extend(page)
        after = page[-1][0]
    assert [k for k, _ in seen] == [k for k, _ in items]
    # The stored text: compact, keys sorted, UTF-8 as is, decodable to the item.
    assert seen[3][1] == '{"a":"é","b":[3],"i":3}'
    assert [json.loads(text) for _, text in seen] == [d for _, d in items]
    assert await store.datasets.rows_after("p", "key-249") == []
    assert await store.datasets.rows_after("none", None) == []
    # One run's items: what run_items counts (first stored or last seen by the run).
    r1 = await store.datasets.rows_after("p", None, limit=1000, run_id="r1")
    assert [k for k, _ in r1] == [k for k, _ in items[:200]]
    r2 = await store.datasets.rows_after("p", "key-180", limit=30, run_id="r2")
    assert [k for k, _ in r2] == [f"key-{i:03d}" for i in range(181, 211)]


async def test_field_names_are_the_union_of_top_level_keys(store: SqlStore) -> None:
    await store.datasets.write(
        "f",
        "r1",
        [("1", {"title": "a", "price": 1}), ("2", {"title": "b", "tags": ["x"]})],
    )
    await store.datasets.write("f", "r2", [("3", {"zeta": None, "nested": {"deep": 1}})])
    names = await store.datasets.field_names("f")
    assert names == FieldNames(["nested", "price", "tags", "title", "zeta"], non_objects=False)
    assert (await store.datasets.field_names("f", run_id="r1")).names == ["price", "tags", "title"]
    assert await store.datasets.field_names("none") == FieldNames([], non_objects=False)
    await store.datasets.write("f", "r3", [("4", [1, 2]), ("5", "text"), ("6", {"ü «x»": 1})])
    names = await store.datasets.field_names("f", run_id="r3")
    assert names == FieldNames(["ü «x»"], non_objects=True)


async def test_too_many_field_names_are_refused(store: SqlStore) -> None:
    wide = {f"f{i:04d}": i for i in range(MAX_FIELDS + 1)}
    await store.datasets.write("wide", "r", [("1", wide)])
    with pytest.raises(TooManyFields):
        await store.datasets.field_names("wide")
    del wide["f0000"]
    await store.datasets.write("wide", "r", [("1", wide)])
    assert len((await store.datasets.field_names("wide")).names) == MAX_FIELDS


async def test_datasets_are_listed_with_counts(store: SqlStore) -> None:
    assert await store.datasets.datasets() == []
    before = utc_now()
    await store.datasets.write("b", "r", [("1", 1), ("2", 2)])
    await store.datasets.write("a", "r", [("1", 1)])
    listed = await store.datasets.datasets()
    assert [(d.name, d.items) for d in listed] == [("a", 1), ("b", 2)]
    for info in listed:
        assert_utc(info.updated_at)
        assert info.updated_at >= before.replace(microsecond=before.microsecond // 1000 * 1000)
