"""Dataset items (``DatasetRepository``) on every backend (the ``store`` fixture)."""

from __future__ import annotations

from crawlscope.store import DatasetSink, SqlStore


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
