"""POST /api/ingest against a real server (uvicorn on a free port, SQLite file, httpx).

Accepted batches reach the store, the aggregates and the live stream; retries are not
duplicated; every kind of bad input gets its 4xx with the JSON error shape and stores
nothing; pause from the API reaches a "runner" (this test) through ingest responses.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from httpx_sse import aconnect_sse

from crawlscope.access import Authenticator
from crawlscope.api import create_app
from crawlscope.client import HttpReporter, TokenRefused
from crawlscope.config import Settings
from crawlscope.events import Action, ActivityEvent, new_event_id
from crawlscope.ingest import Ingestor, decode_batch
from crawlscope.monitor import Monitor
from crawlscope.serving import serve_in_loop
from tests.integration.api_assertions import assert_api_error
from tests.integration.conftest import LiveServer

MAX_EVENTS = 50
MAX_BYTES = 64 * 1024
TS = "2026-11-22T09:54:01.123Z"
Json = dict[str, Any]


@pytest.fixture
def server_settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=str(tmp_path / "server.db"),
        ingest_max_events=MAX_EVENTS,
        ingest_max_bytes=MAX_BYTES,
    )


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as c:
        yield c


def run_events(run_id: str, n: int) -> list[ActivityEvent]:
    """``run_started`` then requests and answers of three workers."""
    out = [
        ActivityEvent(
            run_id=run_id, action=Action.RUN_STARTED, extra={"collection": "remote"}, params={}
        )
    ]
    for i in range(n - 1):
        action = Action.FETCHING if i % 2 == 0 else Action.FOUND
        out.append(
            ActivityEvent(run_id=run_id, action=action, worker_id=1 + i % 3, site="example.test")
        )
    return out


async def post(client: httpx.AsyncClient, payload: Any) -> httpx.Response:
    content = payload if isinstance(payload, bytes) else msgspec.json.encode(payload)
    return await client.post("/api/ingest", content=content)


async def stored_count(live_server: LiveServer, run_id: str) -> int:
    return await live_server.services.monitor.store.events.count(run_id)


# -- accepted batches -----------------------------------------------------------------------


async def test_batches_are_stored_aggregated_and_deduplicated(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    derive_totals: Callable[[Iterable[ActivityEvent]], Json],
) -> None:
    events = run_events("remote-1", 40)
    response = await post(client, {"events": events[:30]})
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 30, "duplicates": 0, "commands": []}
    # Stored before the answer was sent.
    assert await stored_count(live_server, "remote-1") == 30

    # A retried batch (the answer was lost) plus the rest: nothing twice.
    response = await post(client, {"events": events[20:] + events[35:36]})
    assert response.json() == {"accepted": 10, "duplicates": 11, "commands": []}
    response = await post(client, {"events": events})
    assert response.json() == {"accepted": 0, "duplicates": 40, "commands": []}

    page = (await client.get("/api/runs/remote-1/events", params={"limit": 100})).json()
    assert [e["id"] for e in page["events"]] == [e.id for e in events]
    assert [e["seq"] for e in page["events"]] == list(range(1, 41))

    run = (await client.get("/api/runs/remote-1")).json()
    stored = await live_server.services.monitor.store.events.read_all("remote-1")
    derived = derive_totals(stored)
    assert {k: run["totals"][k] for k in derived} == derived
    assert (run["status"], run["collection"], run["origin"]) == ("running", "remote", "remote")
    assert run["totals"]["requests"] == 20
    workers = (await client.get("/api/runs/remote-1/workers")).json()["workers"]
    assert [w["worker_id"] for w in workers] == [1, 2, 3]


async def test_ingested_events_stream_like_local_ones(client: httpx.AsyncClient) -> None:
    events = run_events("remote-2", 10)
    assert (await post(client, {"events": events[:1]})).status_code == 200
    received: list[Json] = []

    async def read() -> None:
        async with aconnect_sse(
            client, "GET", "/api/runs/remote-2/stream", params={"after_seq": 0}
        ) as source:
            async for sse in source.aiter_sse():
                if sse.event == "activity":
                    received.append(json.loads(sse.data))
                    if len(received) == len(events):
                        return

    reader = asyncio.ensure_future(read())
    await asyncio.sleep(0.2)
    assert (await post(client, {"events": events[1:]})).status_code == 200
    await asyncio.wait_for(reader, 20)
    assert [e["id"] for e in received] == [e.id for e in events]
    assert [e["seq"] for e in received] == list(range(1, 11))


# -- control of a remote run through ingest responses ---------------------------------------


async def test_pause_from_the_api_reaches_the_remote_runner(client: httpx.AsyncClient) -> None:
    assert (await post(client, {"events": run_events("remote-3", 3)})).status_code == 200
    pause = asyncio.ensure_future(client.post("/api/runs/remote-3/pause"))

    # The "runner": poll until the command arrives, then answer it.
    command: Json | None = None
    for _ in range(100):
        answer = (await post(client, {"events": [], "runs": ["remote-3"]})).json()
        if answer["commands"]:
            command = answer["commands"][0]
            break
        await asyncio.sleep(0.05)
    assert command is not None
    assert (command["run_id"], command["command"]) == ("remote-3", "pause")
    paused = ActivityEvent(run_id="remote-3", action=Action.RUN_PAUSED, extra={"reason": "op"})
    ack = {"command_id": command["id"], "outcome": "paused"}
    answer = (await post(client, {"events": [paused], "acks": [ack]})).json()
    assert answer == {"accepted": 1, "duplicates": 0, "commands": []}

    response = await asyncio.wait_for(pause, 10)
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "paused"
    run = (await client.get("/api/runs/remote-3")).json()
    assert (run["status"], run["paused_reason"]) == ("paused", "op")


# -- a remote run's waiting worker and outcome ----------------------------------------------


async def test_a_remote_runs_waiting_worker_and_outcome_read_like_a_local_one(
    client: httpx.AsyncClient,
) -> None:
    run_id = "remote-outcome"
    waiting = ActivityEvent(
        run_id=run_id,
        action=Action.WAITING,
        worker_id=1,
        task="page 2",
        site="example.test",
        url="http://example.test/2",
        extra={"waiting_for": "rate_limit"},
    )
    assert (await post(client, {"events": [*run_events(run_id, 1), waiting]})).status_code == 200
    (card,) = (await client.get(f"/api/runs/{run_id}/workers")).json()["workers"]
    assert (card["state"], card["waiting_for"], card["task"]) == ("waiting", "rate_limit", "page 2")
    done = [
        ActivityEvent(run_id=run_id, action=Action.FETCHING, worker_id=1, task="page 2"),
        ActivityEvent(
            run_id=run_id,
            action=Action.COMPLETE,
            worker_id=1,
            task="page 2",
            duration_ms=520.0,
            extra={"wait_ms": 500.0},
        ),
        ActivityEvent(
            run_id=run_id,
            action=Action.RUN_COMPLETED,
            extra={"status": "completed_with_errors", "finish_reason": "1 of 2 tasks failed (50%)"},
        ),
    ]
    assert (await post(client, {"events": done})).status_code == 200
    run = (await client.get(f"/api/runs/{run_id}")).json()
    assert (run["status"], run["finish_reason"]) == (
        "completed_with_errors",
        "1 of 2 tasks failed (50%)",
    )
    (card,) = run["workers"]
    assert (card["last_task_ms"], card["last_wait_ms"], card["wait_ms"]) == (520.0, 500.0, 500.0)
    assert "waiting_for" not in card  # no longer waiting: left out as empty


# -- bad input ------------------------------------------------------------------------------


def event(**fields: Any) -> Json:
    base: Json = {"run_id": "bad-run", "action": "fetching", "worker_id": 1, "ts": TS}
    base["id"] = new_event_id()
    base.update(fields)
    return base


BAD_BODIES: list[tuple[str, bytes, int, str, str | None]] = [
    ("malformed JSON", b'{"events": [', 422, "invalid", "body"),
    ("not JSON at all", b"\x00\x01garbage", 422, "invalid", "body"),
    ("empty body", b"", 422, "invalid", "body"),
    ("an array", b"[]", 422, "invalid", None),
    ("events not a list", b'{"events": 3}', 422, "invalid", "events"),
    ("unknown top-level field", b'{"events": [], "evnts": []}', 422, "invalid", "evnts"),
    (
        "wrong type",
        json.dumps({"events": [event(), event(worker_id="two")]}).encode(),
        422,
        "invalid",
        "events[1].worker_id",
    ),
    (
        "unknown action",
        json.dumps({"events": [event(), event(), event(action="exploded")]}).encode(),
        422,
        "invalid",
        "events[2].action",
    ),
    (
        "unknown event field",
        json.dumps({"events": [event(colour="red")]}).encode(),
        422,
        "invalid",
        "events[0].colour",
    ),
    (
        "huge string",
        json.dumps({"events": [event(task="t" * 20_000)]}).encode(),
        422,
        "invalid",
        "events[0].task",
    ),
    (
        "missing id",
        json.dumps({"events": [{k: v for k, v in event().items() if k != "id"}]}).encode(),
        422,
        "invalid",
        "events[0].id",
    ),
    (
        "bad time",
        json.dumps({"events": [event(ts="2026-11-22 09:54")]}).encode(),
        422,
        "invalid",
        "events[0].ts",
    ),
    (
        "NUL character",
        json.dumps({"events": [event(url="http://x/\u0000")]}).encode(),
        422,
        "invalid",
        "events[0].url",
    ),
    (
        "bad extra",
        json.dumps(
            {"events": [event(action="phase_started", worker_id=0, extra={"workers": -1})]}
        ).encode(),
        422,
        "invalid",
        "events[0].extra.workers",
    ),
    (
        "bad ack",
        json.dumps({"events": [event()], "acks": [{"command_id": "x", "outcome": "ok"}]}).encode(),
        422,
        "invalid",
        "acks[0].command_id",
    ),
    (
        "too many events",
        json.dumps({"events": [event() for _ in range(MAX_EVENTS + 1)]}).encode(),
        413,
        "payload_too_large",
        "events",
    ),
    (
        "too many bytes",
        json.dumps({"events": [event(extra={"pad": "x" * MAX_BYTES})]}).encode(),
        413,
        "payload_too_large",
        None,
    ),
]


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [case[1:] for case in BAD_BODIES],
    ids=[case[0] for case in BAD_BODIES],
)
async def test_bad_input_gets_its_4xx_and_stores_nothing(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    body: bytes,
    status: int,
    code: str,
    field: str | None,
) -> None:
    response = await post(client, body)
    assert_api_error(response, status, code, field)
    monitor = live_server.services.monitor
    assert await monitor.store.events.count("bad-run") == 0
    assert await monitor.store.runs.get("bad-run") is None
    assert monitor.frames.live("bad-run") is None
    # The server is fine afterwards.
    good = await post(client, {"events": run_events("after-bad", 2)})
    assert good.status_code == 200


async def test_a_rejected_batch_publishes_none_of_its_valid_events(
    live_server: LiveServer, client: httpx.AsyncClient
) -> None:
    good = [event(run_id="mixed") for _ in range(5)]
    response = await post(client, {"events": [*good, event(run_id="mixed", attempt=0)]})
    assert_api_error(response, 422, "invalid", "events[5].attempt")
    assert await stored_count(live_server, "mixed") == 0
    # Sent again without the bad one, all five are new: nothing was half-accepted.
    response = await post(client, {"events": good})
    assert response.json()["accepted"] == 5


async def test_oversized_bodies_are_refused_before_they_are_read(
    live_server: LiveServer, client: httpx.AsyncClient
) -> None:
    big = b'{"events": [' + b" " * (MAX_BYTES * 4) + b"]}"
    # Declared by Content-Length ...
    assert_api_error(await post(client, big), 413, "payload_too_large", None)

    # ... or streamed without one (chunked): cut off as soon as the limit is passed.
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 8192):
            yield big[start : start + 8192]

    response = await client.post("/api/ingest", content=chunks())
    assert_api_error(response, 413, "payload_too_large", None)
    # Exactly at the limit is fine.
    exact = b'{"events": []' + b" " * (MAX_BYTES - 14) + b"}"
    assert len(exact) == MAX_BYTES
    assert (await post(client, exact)).status_code == 200


async def test_events_of_a_local_run_are_refused(
    live_server: LiveServer, client: httpx.AsyncClient
) -> None:
    await live_server.services.monitor.store.runs.create("local-1", "demo", {})
    response = await post(client, {"events": run_events("local-1", 2)})
    assert_api_error(response, 409, "conflict", "events[0].run_id")
    assert await stored_count(live_server, "local-1") == 0


async def test_the_body_is_documented_in_openapi(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    operation = schema["paths"]["/api/ingest"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"events", "acks", "runs", "host"}
    assert "action" in body["properties"]["events"]["items"]["properties"]
    assert {"200", "413", "422"} <= set(operation["responses"])
    result = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert result.rsplit("/", 1)[1] in schema["components"]["schemas"]


# -- with access control, and on every backend ----------------------------------------------


async def test_the_reporter_needs_an_ingest_token(tmp_path: Path) -> None:
    settings = Settings(database_url=str(tmp_path / "auth.db"), auth="on")
    app = create_app(settings)
    async with serve_in_loop(app) as url:
        tokens = Authenticator(app.state.services.store.tokens)
        ingest_token, _ = await tokens.create_token("runner", "ingest")
        viewer_token, _ = await tokens.create_token("watcher", "viewer")
        for token, status in ((None, 401), ("cs_not-a-token", 401), (viewer_token, 403)):
            refused = HttpReporter(url, token)
            with pytest.raises(TokenRefused, match=str(status)):
                await refused.check()
            await refused.close(0)
        async with HttpReporter(url, ingest_token, max_delay=0.01) as reporter:
            await reporter.check()
            sent = run_events("with-token", 25)
            await reporter.open_run("with-token", "remote", {}, None)
            for e in sent:
                reporter.emit(e)
            await reporter.flush()
            assert reporter.stats.delivered == 25
        stored = await app.state.services.monitor.store.events.read_all("with-token")
        assert [e.id for e in stored] == [e.id for e in sent]


async def test_limits_fit_the_columns_of_every_backend(database_url: str) -> None:
    """Values at every limit are stored as sent, on SQLite and PostgreSQL alike."""
    run_id = "r" * 64
    widest = {
        "run_id": run_id,
        "action": "error",
        "worker_id": 1000,
        "id": "i" * 64,
        "ts": "2026-11-22T09:54:01.123456+01:00",
        "phase": "p" * 200,
        "task": "t" * 2048,
        "site": "s" * 200,
        "url": "u" * 8192,
        "method": "M" * 16,
        "status_code": 599,
        "started_at": "2026-11-22T09:54:01.123456-12:00",
        "duration_ms": 1e10,
        "attempt": 2**31 - 1,
        "error_type": "http_5xx",
        "error_stage": "e" * 200,
        "error_message": "m" * 1000,
        "items_count": 2**31 - 1,
        "new_count": 2**31 - 1,
        "source_worker_id": 1000,
        "operation_type": "o" * 200,
        "params": {"q": "ü" * 100},
        "extra": {"note": "✓"},
    }
    started = event(run_id=run_id, action="run_started", worker_id=0, extra={"collection": "c"})
    body = json.dumps({"events": [started, widest]}).encode()
    async with Monitor(database_url) as monitor:
        ingestor = Ingestor(monitor, monitor.store)
        result = await ingestor.ingest(decode_batch(body, max_events=10))
        assert (result.accepted, result.duplicates) == (2, 0)
        again = await ingestor.ingest(decode_batch(body, max_events=10))
        assert (again.accepted, again.duplicates) == (0, 2)
        stored = await monitor.store.events.read_all(run_id)
        assert [e.seq for e in stored] == [1, 2]
        assert monitor.health().recorder.rejected == 0
        as_sent = {k: v for k, v in msgspec.to_builtins(stored[1]).items() if k != "seq"}
        assert as_sent == widest
