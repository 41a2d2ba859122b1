"""``sync_declared``: stored schedules made to match a project file's list, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawlscope.registry import CollectionRegistry
from crawlscope.schedules import ScheduleError, ScheduleSource, ScheduleSpec
from crawlscope.schedules.declared import sync_declared
from crawlscope.store import SqlStore
from tests.integration.schedule_support import quick_collection

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


def spec(name: str, **changes: object) -> ScheduleSpec:
    values: dict[str, object] = {"name": name, "collection": "quick", "interval_s": 3600.0}
    values.update(changes)
    return ScheduleSpec(**values)  # type: ignore[arg-type]


async def test_upsert_by_name_and_remove_only_what_the_file_made(store: SqlStore) -> None:
    repo = store.schedules
    by_hand = await repo.create(spec("by-hand"), now=NOW)
    taken_over = await repo.create(spec("shared", interval_s=60.0), now=NOW)

    first = await sync_declared(
        repo,
        [spec("nightly", cron="0 3 * * *", interval_s=None), spec("shared")],
        now=NOW + timedelta(minutes=1),
    )
    assert (first.created, first.updated, first.unchanged, first.removed) == (
        ["nightly"],
        ["shared"],
        [],
        [],
    )
    assert first.changed
    stored = {s.name: s for s in await repo.list()}
    assert set(stored) == {"by-hand", "nightly", "shared"}
    assert stored["nightly"].source is ScheduleSource.FILE
    assert stored["nightly"].cron == "0 3 * * *"
    assert stored["shared"].id == taken_over.id  # the same schedule, now from the file
    assert stored["shared"].source is ScheduleSource.FILE
    assert stored["shared"].interval_s == 3600.0
    assert stored["by-hand"].source is ScheduleSource.API

    # loading the same file again changes nothing (not even an interval's anchor)
    again = await sync_declared(
        repo,
        [spec("nightly", cron="0 3 * * *", interval_s=None), spec("shared")],
        now=NOW + timedelta(hours=1),
    )
    assert (again.created, again.updated, again.removed) == ([], [], [])
    assert sorted(again.unchanged) == ["nightly", "shared"]
    assert not again.changed
    assert await repo.get(stored["shared"].id) == stored["shared"]

    # "nightly" left the file: removed; "by-hand" was never the file's: kept
    last = await sync_declared(repo, [spec("shared")], now=NOW + timedelta(hours=2))
    assert last.removed == ["nightly"]
    assert sorted(s.name for s in await repo.list()) == ["by-hand", "shared"]
    assert await repo.get(by_hand.id) is not None
    emptied = await sync_declared(repo, [], now=NOW + timedelta(hours=3))
    assert emptied.removed == ["shared"]
    assert [s.name for s in await repo.list()] == ["by-hand"]


async def test_a_bad_entry_names_itself_and_changes_nothing(store: SqlStore) -> None:
    repo = store.schedules
    await sync_declared(repo, [spec("keep")], now=NOW)
    before = await repo.list()
    registry = CollectionRegistry()
    registry.register(quick_collection())
    cases = [
        ([spec("a"), spec("b", cron="61 * * * *", interval_s=None)], "schedules[1].cron"),
        ([spec("a"), spec("a")], "schedules[1].name"),
        ([spec("a", timezone="Nowhere/Land")], "schedules[0].timezone"),
        ([spec("a", collection="unknown")], "schedules[0].collection"),
        ([spec("a", params={"items": "x"})], "schedules[0].params.items"),
    ]
    for declared, field in cases:
        with pytest.raises(ScheduleError) as caught:
            await sync_declared(repo, declared, registry=registry, now=NOW)
        assert caught.value.field == field
        assert str(caught.value).startswith(field.split(".")[0])
    assert await repo.list() == before
