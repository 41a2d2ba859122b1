"""The schedule repository (``ScheduleRepository``) on every backend (the ``store`` fixture).

The lease is the point: one slot is claimed by exactly one caller, also when two
``SqlStore``s (two servers) on one database claim it at the same moment.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from crawlscope.schedules import (
    CatchUpPolicy,
    OverlapPolicy,
    ScheduleSource,
    ScheduleSpec,
    SlotOutcome,
)
from crawlscope.status import RunStatus
from crawlscope.store import ScheduleExists, SqlStore
from crawlscope.store.run_store import StatusChange
from tests.store.moments import assert_utc

NOW = datetime(2026, 12, 4, 9, 30, 0, 123456, tzinfo=UTC)


def spec(name: str = "nightly", **changes: object) -> ScheduleSpec:
    values: dict[str, object] = {
        "name": name,
        "collection": "demo",
        "params": {"max_categories": 2},
        "interval_s": 60.0,
    }
    values.update(changes)
    return ScheduleSpec(**values)  # type: ignore[arg-type]


async def test_create_read_list_and_names(store: SqlStore) -> None:
    repo = store.schedules
    created = await repo.create(spec(), now=NOW)
    assert created.id > 0
    assert created.name == "nightly"
    assert created.params == {"max_categories": 2}
    assert created.interval_s == 60.0
    assert created.cron is None
    assert created.timezone == "UTC"
    assert created.enabled is True
    assert created.overlap is OverlapPolicy.SKIP
    assert created.catch_up is CatchUpPolicy.SKIP
    assert created.source is ScheduleSource.API
    assert created.last_slot_at is None
    for moment in (created.anchor_at, created.created_at, created.updated_at):
        assert_utc(moment, NOW)
    assert created.cursor == created.anchor_at
    cron = await repo.create(
        spec(
            "berlin",
            interval_s=None,
            cron="30 2 * * *",
            timezone="Europe/Berlin",
            overlap=OverlapPolicy.QUEUE,
            catch_up=CatchUpPolicy.ONCE,
        ),
        now=NOW,
        source=ScheduleSource.FILE,
    )
    assert (cron.cron, cron.timezone, cron.overlap, cron.catch_up, cron.source) == (
        "30 2 * * *",
        "Europe/Berlin",
        "queue",
        "once",
        "file",
    )
    assert [s.name for s in await repo.list()] == ["berlin", "nightly"]
    assert await repo.get(created.id) == created
    assert await repo.find(str(created.id)) == created
    assert await repo.find("berlin") == cron
    assert await repo.find("nobody") is None
    assert await repo.get(10_000) is None
    with pytest.raises(ScheduleExists, match="'nightly'"):
        await repo.create(spec(), now=NOW)


async def test_update_reanchors_only_when_the_timing_changes(store: SqlStore) -> None:
    repo = store.schedules
    created = await repo.create(spec(), now=NOW)
    later = NOW + timedelta(hours=1)
    same_timing = await repo.update(
        created.id, spec(params={"max_categories": 3}, overlap=OverlapPolicy.ALLOW), now=later
    )
    assert same_timing is not None
    assert same_timing.params == {"max_categories": 3}
    assert same_timing.overlap is OverlapPolicy.ALLOW
    assert_utc(same_timing.anchor_at, NOW)
    assert_utc(same_timing.updated_at, later)
    retimed = await repo.update(created.id, spec(interval_s=120.0), now=later)
    assert retimed is not None
    assert_utc(retimed.anchor_at, later)
    moved = await repo.update(created.id, spec(), now=later, source=ScheduleSource.FILE)
    assert moved is not None
    assert moved.source is ScheduleSource.FILE
    assert await repo.update(10_000, spec(), now=later) is None
    await repo.create(spec("other"), now=NOW)
    with pytest.raises(ScheduleExists):
        await repo.update(created.id, spec("other"), now=later)


async def test_pause_resume_and_delete(store: SqlStore) -> None:
    repo = store.schedules
    created = await repo.create(spec(), now=NOW)
    paused = await repo.set_enabled(created.id, False, now=NOW + timedelta(minutes=5))
    assert paused is not None
    assert paused.enabled is False
    assert_utc(paused.anchor_at, NOW)
    # a paused schedule claims nothing
    assert (
        await repo.claim(
            created.id,
            NOW + timedelta(minutes=6),
            outcome=SlotOutcome.STARTING,
            claimed_by="a",
            now=NOW,
        )
        is None
    )
    resumed_at = NOW + timedelta(minutes=10)
    resumed = await repo.set_enabled(created.id, True, now=resumed_at)
    assert resumed is not None
    assert resumed.enabled is True
    assert_utc(resumed.anchor_at, resumed_at)
    # resuming a schedule that runs already keeps its anchor
    again = await repo.set_enabled(created.id, True, now=resumed_at + timedelta(minutes=1))
    assert again is not None
    assert_utc(again.anchor_at, resumed_at)
    slot = await repo.claim(
        created.id,
        resumed_at + timedelta(minutes=1),
        outcome=SlotOutcome.STARTING,
        claimed_by="a",
        now=NOW,
    )
    assert slot is not None
    assert await repo.delete(created.id) is True
    assert await repo.get(created.id) is None
    assert await repo.slots(created.id) == []
    assert await repo.delete(created.id) is False
    assert await repo.set_enabled(created.id, True, now=NOW) is None
    # a deleted schedule claims nothing either
    assert (
        await repo.claim(
            created.id,
            NOW + timedelta(hours=1),
            outcome=SlotOutcome.STARTING,
            claimed_by="a",
            now=NOW,
        )
        is None
    )


async def test_a_slot_is_claimed_once_and_records_its_run(store: SqlStore) -> None:
    repo = store.schedules
    created = await repo.create(spec(), now=NOW)
    slot_at = NOW + timedelta(minutes=1)
    slot_id = await repo.claim(
        created.id, slot_at, outcome=SlotOutcome.STARTING, claimed_by="host:1", now=NOW
    )
    assert slot_id is not None
    again = await repo.claim(
        created.id, slot_at, outcome=SlotOutcome.STARTING, claimed_by="host:2", now=NOW
    )
    assert again is None
    await store.runs.create("run-1", "demo", {}, status=RunStatus.RUNNING)
    await repo.settle(slot_id, SlotOutcome.STARTED, run_id="run-1")
    missed_at = NOW + timedelta(minutes=2)
    missed = await repo.claim(
        created.id,
        missed_at,
        outcome=SlotOutcome.MISSED,
        claimed_by="host:1",
        now=NOW,
        reason="no server ran",
        missed=7,
    )
    assert missed is not None
    slots = await repo.slots(created.id)
    assert [(s.slot_at, s.outcome, s.run_id, s.run_status, s.missed) for s in slots] == [
        (missed_at.replace(microsecond=123000), "missed", None, None, 7),
        (slot_at.replace(microsecond=123000), "started", "run-1", "running", 0),
    ]
    assert slots[0].reason == "no server ran"
    assert slots[1].claimed_by == "host:1"
    assert_utc(slots[1].claimed_at, NOW)
    assert await repo.slot_count(created.id) == 2
    assert [s.id for s in await repo.slots(created.id, limit=1, offset=1)] == [slot_id]
    record = await repo.get(created.id)
    assert record is not None
    assert_utc(record.last_slot_at, missed_at)
    assert record.cursor == record.last_slot_at
    assert await repo.active_runs(created.id) == ["run-1"]
    assert await repo.schedule_of_run("run-1") == created.id
    assert await repo.schedule_of_run("run-2") is None
    await store.runs.set_status("run-1", StatusChange(status=RunStatus.COMPLETED, ended_at=NOW))
    assert await repo.active_runs(created.id) == []


async def test_a_queued_slot_is_taken_once(store: SqlStore) -> None:
    repo = store.schedules
    created = await repo.create(spec(overlap=OverlapPolicy.QUEUE), now=NOW)
    slot_id = await repo.claim(
        created.id,
        NOW + timedelta(minutes=1),
        outcome=SlotOutcome.QUEUED,
        claimed_by="a",
        now=NOW,
    )
    assert slot_id is not None
    assert [s.id for s in await repo.queued()] == [slot_id]
    later = NOW + timedelta(minutes=3)
    assert await repo.take_queued(slot_id, claimed_by="b", now=later) is True
    assert await repo.take_queued(slot_id, claimed_by="c", now=later) is False
    assert await repo.queued() == []
    (slot,) = await repo.slots(created.id)
    assert (slot.outcome, slot.claimed_by) == ("starting", "b")
    assert_utc(slot.claimed_at, later)


async def test_a_slot_left_starting_by_a_dead_server_fails_later(store: SqlStore) -> None:
    repo = store.schedules
    created = await repo.create(spec(), now=NOW)
    old = await repo.claim(
        created.id, NOW, outcome=SlotOutcome.STARTING, claimed_by="host-a:41", now=NOW
    )
    recent_at = NOW + timedelta(minutes=10)
    recent = await repo.claim(
        created.id, recent_at, outcome=SlotOutcome.STARTING, claimed_by="host-b:7", now=recent_at
    )
    assert await repo.fail_unstarted(NOW + timedelta(minutes=5)) == 1
    by_id = {slot.id: slot for slot in await repo.slots(created.id)}
    assert by_id[old].outcome == "failed"
    reason = "not started: its server (host-a:41) stopped before starting the run"
    assert by_id[old].reason == reason
    assert by_id[recent].outcome == "starting"
    assert await repo.fail_unstarted(NOW + timedelta(minutes=5)) == 0


async def test_two_stores_claim_one_slot_at_once(store: SqlStore) -> None:
    """Two servers on one database: of two claims sent together, exactly one wins."""
    created = await store.schedules.create(spec(), now=NOW)
    other = SqlStore(store.database.url)
    await other.open()
    try:
        for minute in range(1, 21):
            slot_at = NOW + timedelta(minutes=minute)
            results = await asyncio.gather(
                *(
                    s.schedules.claim(
                        created.id,
                        slot_at,
                        outcome=SlotOutcome.STARTING,
                        claimed_by=name,
                        now=NOW,
                    )
                    for s, name in ((store, "first"), (other, "second"))
                )
            )
            assert sum(r is not None for r in results) == 1, (minute, results)
        slots = await other.schedules.slots(created.id, limit=100)
        assert len(slots) == 20
        assert len({s.slot_at for s in slots}) == 20
    finally:
        await other.close()


async def test_a_database_with_rows_takes_the_schedules_migration_and_gives_it_back(
    database_url: str,
) -> None:
    """Revision 0003 with rows (runs, commands, tokens, events), up to head (the schedule
    tables), down to 0003 (they go, nothing else changes) and up again."""
    from tests.store.test_upgrade import (
        _check_head,
        _downgrade,
        _fill,
        _on,
        _revision,
        _schema_differences,
        _upgrade,
    )

    await _on(database_url, _upgrade("0002"))
    await _on(database_url, _fill)
    await _on(database_url, _upgrade("0003"))
    store = SqlStore(database_url)
    await store.open()  # to head: creates the schedule tables next to the rows
    try:
        await _check_head(store)
        created = await store.schedules.create(spec(), now=NOW)
        slot = await store.schedules.claim(
            created.id, NOW, outcome=SlotOutcome.STARTED, claimed_by="a", now=NOW
        )
        assert slot is not None
    finally:
        await store.close()
    await _on(database_url, _downgrade("0003"))
    assert await _on(database_url, _revision) == "0003"

    def tables(conn: Any) -> set[str]:
        return set(sa.inspect(conn).get_table_names())

    left = await _on(database_url, tables)
    assert not {"schedules", "schedule_slots"} & left
    assert {"runs", "events", "api_tokens"} <= left
    store = SqlStore(database_url)
    await store.open()  # and up again: empty schedule tables, every earlier row intact
    try:
        await _check_head(store)
        assert await store.schedules.list() == []
        assert await _on(database_url, _schema_differences) == []
    finally:
        await store.close()
