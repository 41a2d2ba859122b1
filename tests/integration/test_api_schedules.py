"""The schedules API against a real server: create, read, change, pause, delete, bad input
named by field, and a schedule firing runs that the API links back to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest

from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.serving import serve_in_loop
from tests.integration.api_assertions import assert_api_error
from tests.integration.schedule_support import (
    Json,
    create,
    eventually,
    get_json,
    quick_registry,
)


@pytest.fixture
async def client(server_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    settings = server_settings.model_copy(update={"schedule_min_interval_s": 0.5})
    app = create_app(settings, registry=quick_registry())
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        yield http


async def test_create_read_change_pause_and_delete(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/schedules",
        json={
            "name": "berlin mornings",
            "collection": "quick",
            "params": {"items": 3},
            "cron": "30 7 * * 1-5",
            "timezone": "Europe/Berlin",
            "overlap": "queue",
            "catch_up": "once",
        },
    )
    assert response.status_code == 201, response.text
    created: Json = response.json()
    assert response.headers["location"] == f"/api/schedules/{created['id']}"
    assert created["name"] == "berlin mornings"
    assert created["params"] == {"items": 3}
    assert (created["cron"], created["interval_s"], created["timezone"]) == (
        "30 7 * * 1-5",
        None,
        "Europe/Berlin",
    )
    assert (created["overlap"], created["catch_up"], created["source"]) == ("queue", "once", "api")
    assert (created["enabled"], created["status"]) == (True, "active")
    assert created["slots"] == []
    assert created["last_run"] is None
    assert created["last_slot"] is None
    assert created["slot_count"] == 0
    # the next run in UTC and in the schedule's zone: the same moment, 07:30 local
    utc = datetime.fromisoformat(created["next_run_at"].replace("Z", "+00:00"))
    local = datetime.fromisoformat(created["next_run_local"])
    assert utc == local
    assert (local.hour, local.minute) == (7, 30)
    assert local.utcoffset() is not None
    assert local.weekday() < 5

    listed = await get_json(client, "/api/schedules")
    assert [s["name"] for s in listed["schedules"]] == ["berlin mornings"]
    assert await get_json(client, f"/api/schedules/{created['id']}") == created

    changed = await client.patch(
        f"/api/schedules/{created['id']}", json={"interval_s": 3600, "params": {"items": 1}}
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["interval_s"], body["cron"], body["params"]) == (3600.0, None, {"items": 1})
    assert body["overlap"] == "queue"  # untouched fields stay

    paused = await client.post(f"/api/schedules/{created['id']}/pause")
    assert paused.status_code == 200, paused.text
    assert (paused.json()["status"], paused.json()["next_run_at"]) == ("paused", None)
    resumed = await client.post(f"/api/schedules/{created['id']}/resume")
    assert resumed.json()["status"] == "active"
    assert resumed.json()["next_run_at"] is not None

    deleted = await client.delete(f"/api/schedules/{created['id']}")
    assert deleted.status_code == 204
    gone = await client.get(f"/api/schedules/{created['id']}")
    assert_api_error(gone, 404, "not_found", "schedule_id")
    assert (await get_json(client, "/api/schedules"))["schedules"] == []


BASE: Json = {"name": "s", "collection": "quick", "interval_s": 60}


@pytest.mark.parametrize(
    ("changes", "status", "field", "words"),
    [
        ({"cron": "61 * * * *", "interval_s": None}, 400, "cron", "bad cron expression"),
        ({"cron": "every day", "interval_s": None}, 400, "cron", "five fields"),
        ({"timezone": "Mars/Olympus"}, 400, "timezone", "unknown time zone"),
        ({"collection": "nope"}, 400, "collection", "no collection named 'nope'"),
        ({"params": {"items": "many"}}, 400, "params.items", "Expected `int`"),
        ({"params": {"items": 0}}, 400, "params.items", "at least 1"),
        ({"params": {"color": "red"}}, 400, "params.color", "unknown field"),
        ({"interval_s": 0.1}, 400, "interval_s", "at least 0.5 seconds"),
        ({"cron": "* * * * *"}, 400, "interval_s", "exactly one"),
        ({"interval_s": None}, 400, "cron", "exactly one"),
        ({"name": "<script>"}, 400, "name", "may only hold"),
        ({"overlap": "sometimes"}, 422, "overlap", "skip"),
        ({"interval_s": "10"}, 422, "interval_s", "number"),
        ({"surprise": 1}, 422, "surprise", "Extra inputs"),
    ],
)
async def test_bad_input_is_named(
    client: httpx.AsyncClient, changes: Json, status: int, field: str, words: str
) -> None:
    response = await client.post("/api/schedules", json={**BASE, **changes})
    error = assert_api_error(response, status, "bad_request" if status == 400 else "invalid", field)
    assert words in error["message"]
    assert (await get_json(client, "/api/schedules"))["schedules"] == []


async def test_conflicts_and_unknown_ids(client: httpx.AsyncClient) -> None:
    first = await create(client, **BASE)
    await create(client, **{**BASE, "name": "t"})
    assert_api_error(await client.post("/api/schedules", json=BASE), 409, "conflict", "name")
    renamed = await client.patch(f"/api/schedules/{first['id']}", json={"name": "t"})
    assert_api_error(renamed, 409, "conflict", "name")
    bad = await client.patch(f"/api/schedules/{first['id']}", json={"cron": "nope"})
    assert_api_error(bad, 400, "bad_request", "cron")
    null = await client.patch(f"/api/schedules/{first['id']}", json={"name": None})
    assert_api_error(null, 422, "invalid", "name")
    empty = await client.patch(f"/api/schedules/{first['id']}", json={"name": ""})
    assert_api_error(empty, 422, "invalid", "name")
    cleared = await client.patch(f"/api/schedules/{first['id']}", json={"cron": None})
    assert cleared.status_code == 200, cleared.text  # still an interval schedule
    for method, path in [
        ("GET", "/api/schedules/999"),
        ("PATCH", "/api/schedules/999"),
        ("DELETE", "/api/schedules/999"),
        ("POST", "/api/schedules/999/pause"),
        ("POST", "/api/schedules/999/resume"),
    ]:
        body = {"json": {}} if method == "PATCH" else {}
        response = await client.request(method, path, **body)
        assert_api_error(response, 404, "not_found", "schedule_id")
    assert_api_error(await client.get("/api/schedules/abc"), 422, "invalid", "schedule_id")


async def test_a_schedule_fires_and_lists_the_runs_it_started(client: httpx.AsyncClient) -> None:
    created = await create(client, name="often", collection="quick", interval_s=1)
    path = f"/api/schedules/{created['id']}"

    async def two_finished_runs() -> bool:
        view = await get_json(client, path)
        done = [s for s in view["slots"] if s["run_status"] == "completed"]
        return len(done) >= 2

    await eventually(two_finished_runs, "two runs started by the schedule completed")
    await client.post(f"{path}/pause")
    view = await get_json(client, path)
    started = [s for s in view["slots"] if s["outcome"] == "started"]
    assert len(started) >= 2
    assert view["last_run"]["run_id"] == started[0]["run_id"]
    assert view["slot_count"] == len(view["slots"])
    slot_times = [s["slot_at"] for s in view["slots"]]
    assert slot_times == sorted(slot_times, reverse=True)
    assert len(set(slot_times)) == len(slot_times)
    for slot in started:
        run = await get_json(client, f"/api/runs/{slot['run_id']}")
        assert run["collection"] == "quick"
        assert run["params"] == {"items": 2, "delay": 0.0}
