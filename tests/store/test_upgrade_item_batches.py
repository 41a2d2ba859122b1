"""Migration 0007 (``item_batches``) on a database with rows, up, down and up again.

A database at 0003 holding items is migrated to head: the items are untouched and batches
can be written; back at 0003 the table is gone and the items are still there; up again the
schema equals what the code declares.
"""

from __future__ import annotations

import sqlalchemy as sa

from crawlscope.store import SqlStore
from tests.store.test_upgrade import _downgrade, _on, _revision, _schema_differences, _upgrade

ITEMS = [("k1", {"title": "One"}), ("k2", {"title": "Zwei «ü»", "n": [1, 2]})]


async def _tables(url: str) -> set[str]:
    return set(await _on(url, lambda conn: sa.inspect(conn).get_table_names()))


async def test_item_batches_migrate_up_and_down_with_rows(database_url: str) -> None:
    await _on(database_url, _upgrade("0003"))
    store = SqlStore(database_url)
    # Written with the code of today on the 0003 tables: dataset_items did not change.
    await _on(
        database_url,
        lambda conn: conn.execute(
            sa.text(
                "INSERT INTO dataset_items (dataset, key, data, content_hash, first_run_id,"
                " last_run_id, created_at, updated_at) VALUES ('d', 'k0', :data,"
                " 'h', 'r0', 'r0', '2026-11-22T09:54:30.000Z', '2026-11-22T09:54:30.000Z')"
            ),
            {"data": '{"old":true}'},
        ),
    )
    assert "item_batches" not in await _tables(database_url)

    await store.open()  # migrates to head
    try:
        assert await _on(database_url, _schema_differences) == []
        assert await store.datasets.items("d") == [{"old": True}]
        first = await store.datasets.write_batch("d", "r1", "b1", ITEMS)
        assert first.inserted == ["k1", "k2"]
        assert (await store.datasets.write_batch("d", "r1", "b1", ITEMS)).replayed
    finally:
        await store.close()

    await _on(database_url, _downgrade("0003"))
    assert await _on(database_url, _revision) == "0003"
    assert "item_batches" not in await _tables(database_url)

    store = SqlStore(database_url)
    await store.open()  # and up again: the items stayed, the remembered batches did not
    try:
        assert await _on(database_url, _schema_differences) == []
        assert await store.datasets.keys("d") == ["k0", "k1", "k2"]
        again = await store.datasets.write_batch("d", "r1", "b1", ITEMS)
        assert (again.unchanged, again.replayed) == (["k1", "k2"], False)
    finally:
        await store.close()
