"""Schedules with real servers on one SQLite file: two servers at once start each slot
exactly once, and a schedule survives a restart (the missed slot follows the catch-up
policy, the next slot fires on time)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path

import httpx

from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.serving import serve_in_loop
from crawlscope.store import SqlStore
from tests.integration.schedule_support import (
    Json,
    create,
    eventually,
    get_json,
    quick_registry,
)


def settings(db: Path, **changes: object) -> Settings:
    values: dict[str, object] = {
        "database_url": str(db),
        "schedule_min_interval_s": 0.5,
        "schedule_misfire_grace_s": 1.0,
        # a schedule created through the other server is seen within a second
        "schedule_recheck_s": 1.0,
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


async def test_two_servers_on_one_database_start_each_slot_once(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    first = create_app(settings(db), registry=quick_registry())
    second = create_app(settings(db), registry=quick_registry())
    async with (
        serve_in_loop(first) as url_one,
        serve_in_loop(second) as url_two,
        httpx.AsyncClient(base_url=url_one, timeout=10) as one,
        httpx.AsyncClient(base_url=url_two, timeout=10) as two,
    ):
        # "allow": every slot is to start a run, so a slot started twice would show
        created = await create(
            one, name="both", collection="quick", interval_s=0.5, overlap="allow"
        )
        path = f"/api/schedules/{created['id']}"

        async def enough_slots() -> bool:
            return (await get_json(two, path))["slot_count"] >= 12

        await asyncio.sleep(1.0)  # until the second server has seen the new schedule
        ticks = second.state.services.scheduler.ticks
        await eventually(enough_slots, "12 slots recorded")
        await two.post(f"{path}/pause")
        await asyncio.sleep(1.0)  # runs started just before the pause end
        view = await get_json(one, path)
        schedulers = [app.state.services.scheduler for app in (first, second)]
    store = SqlStore(str(db), event_writer="inline")
    await store.open()
    try:
        slots = await store.schedules.slots(created["id"], limit=1000)
        runs = await store.runs.list(limit=1000)
    finally:
        await store.close()
    assert view["slot_count"] == len(slots)
    # one row per slot (the lease), each started exactly one run, no run without a slot
    assert len({s.slot_at for s in slots}) == len(slots)
    started = [s for s in slots if s.outcome == "started"]
    assert len(started) == len(slots), [(s.outcome, s.reason) for s in slots]
    run_ids = [s.run_id for s in started]
    assert len(set(run_ids)) == len(run_ids)
    assert sorted(r.id for r in runs if r.collection == "quick") == sorted(run_ids)  # type: ignore[type-var]
    # Both servers looked at every slot; together they claimed each exactly once.
    assert schedulers[1].ticks - ticks >= 10, [s.ticks for s in schedulers]
    assert sum(s.claimed for s in schedulers) == len(slots)
    print(
        f"{len(slots)} slots; claimed {[s.claimed for s in schedulers]}, "
        f"lost to the other {[s.lost for s in schedulers]}, ticks {[s.ticks for s in schedulers]}"
    )


def _phase(created_at: str, interval: float) -> float:
    """Seconds since the schedule's latest slot (its interval counts from its creation)."""
    anchor = datetime.fromisoformat(created_at.replace("Z", "+00:00")).timestamp()
    return (time.time() - anchor) % interval


async def test_a_schedule_survives_a_restart_and_catches_up_by_its_policy(
    tmp_path: Path,
) -> None:
    db = tmp_path / "restart.db"
    interval = 5.0
    async with (
        serve_in_loop(create_app(settings(db), registry=quick_registry())) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        skip = await create(client, name="skip-missed", collection="quick", interval_s=interval)
        once = await create(
            client,
            name="run-once",
            collection="quick",
            interval_s=interval,
            catch_up="once",
        )
        before = {
            s["id"]: s["slot_count"]
            for s in (await get_json(client, "/api/schedules"))["schedules"]
        }
    # Down for more than two intervals, and back halfway between two slots: the newest
    # missed slot is then 2.5 s old when the server starts, beyond the 1 s grace, and the
    # server has 2.5 s to start before the next slot.
    await asyncio.sleep(2 * interval)
    await asyncio.sleep((interval * 1.5 - _phase(skip["created_at"], interval)) % interval)

    async with (
        serve_in_loop(create_app(settings(db), registry=quick_registry())) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):

        async def recorded(schedule: Json, count: int) -> bool:
            view = await get_json(client, f"/api/schedules/{schedule['id']}")
            return view["slot_count"] >= before[schedule["id"]] + count

        await eventually(lambda: recorded(skip, 1), "the missed slot recorded")
        await eventually(lambda: recorded(once, 1), "the catch-up run started")
        skip_view = await get_json(client, f"/api/schedules/{skip['id']}")
        once_view = await get_json(client, f"/api/schedules/{once['id']}")
        # On a loaded machine the server may come up after the next slot is due; that slot
        # then starts on time, newest: the downtime's record is the newest "missed" one.
        skipped = [s for s in skip_view["slots"] if s["outcome"] != "started"]
        assert skipped, skip_view["slots"]
        missed = skipped[0]
        assert missed["outcome"] == "missed", missed
        assert missed["run_id"] is None
        assert missed["missed"] >= 1  # earlier slots of the downtime went with it
        assert "catch-up policy skip" in missed["reason"]
        caught_ups = [s for s in once_view["slots"] if (s["reason"] or "").startswith("catch-up")]
        assert caught_ups, once_view["slots"]
        caught_up = caught_ups[0]
        assert caught_up["outcome"] == "started", caught_up
        assert caught_up["run_id"] is not None
        assert caught_up["reason"].startswith("catch-up:")
        assert caught_up["missed"] >= 1

        # the next slot after the restart fires on time, for both
        await eventually(lambda: recorded(skip, 2), "the next slot of skip-missed")
        await eventually(lambda: recorded(once, 2), "the next slot of run-once")
        for schedule in (skip, once):
            view = await get_json(client, f"/api/schedules/{schedule['id']}")
            latest = view["slots"][0]
            assert latest["outcome"] == "started", latest
            assert latest["reason"] is None
            assert latest["missed"] == 0
            await client.post(f"/api/schedules/{schedule['id']}/pause")
