"""The remote reporter (crawlscope.client) against a real HTTP server whose answers a test scripts.

``IngestSite`` speaks the ingest protocol like the real server (accepted/duplicates by
event id, commands repeated until acknowledged) unless a test scripts a failure.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pytest
from aiohttp import web

from crawlscope.client import HttpReporter, ServerError, ServerUnreachable, TokenRefused
from crawlscope.events import Action, ActivityEvent
from crawlscope.status import ControlCommand, ControlOutcome


@dataclass
class IngestSite:
    """A real aiohttp server on 127.0.0.1 answering ``POST /api/ingest``."""

    url: str = ""
    bodies: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    script: collections.deque[tuple[int, dict[str, Any]]] = field(default_factory=collections.deque)
    max_events: int | None = None
    seen: set[str] = field(default_factory=set)
    stored: list[str] = field(default_factory=list)
    commands: dict[int, tuple[str, str]] = field(default_factory=dict)
    acked: dict[int, str] = field(default_factory=dict)

    async def handle(self, request: web.Request) -> web.Response:
        body = msgspec.json.decode(await request.read())
        self.bodies.append(body)
        self.headers.append(dict(request.headers))
        if self.script:
            status, answer = self.script.popleft()
            return web.json_response(answer, status=status)
        events = body.get("events", [])
        if self.max_events is not None and len(events) > self.max_events:
            error = {"code": "payload_too_large", "message": "too many", "field": "events"}
            return web.json_response({"error": error}, status=413)
        accepted = 0
        for event in events:
            if event["id"] not in self.seen:
                self.seen.add(event["id"])
                self.stored.append(event["id"])
                accepted += 1
        for ack in body.get("acks", []):
            self.acked[ack["command_id"]] = ack["outcome"]
            self.commands.pop(ack["command_id"], None)
        runs = {e["run_id"] for e in events} | set(body.get("runs", []))
        pending = [
            {"id": i, "run_id": run_id, "command": command}
            for i, (run_id, command) in self.commands.items()
            if run_id in runs
        ]
        answer = {"accepted": accepted, "duplicates": len(events) - accepted, "commands": pending}
        return web.json_response(answer)

    def event_bodies(self) -> list[dict[str, Any]]:
        return [b for b in self.bodies if b.get("events")]


@contextlib.asynccontextmanager
async def serve_ingest(port: int = 0) -> AsyncIterator[IngestSite]:
    site = IngestSite()
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/api/ingest", site.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", port, reuse_address=True)
    await tcp.start()
    bound = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    site.url = f"http://127.0.0.1:{bound}"
    try:
        yield site
    finally:
        await runner.cleanup()


@pytest.fixture
async def ingest_site() -> AsyncIterator[IngestSite]:
    async with serve_ingest() as site:
        yield site


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def events(n: int, run_id: str = "run-1") -> list[ActivityEvent]:
    return [
        ActivityEvent(run_id=run_id, action=Action.FETCHING, worker_id=1 + i % 4) for i in range(n)
    ]


def reporter_for(url: str, **options: Any) -> HttpReporter:
    options.setdefault("max_delay", 0.02)
    options.setdefault("backoff_base", 0.01)
    options.setdefault("backoff_max", 0.05)
    options.setdefault("poll_interval", 0.05)
    return HttpReporter(url, "secret-token", **options)


async def wait_until(predicate: Any, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"condition not met within {timeout}s")


# -- delivery -------------------------------------------------------------------------------


async def test_batches_arrive_in_order_and_flush_waits_for_them(ingest_site: IngestSite) -> None:
    sent = events(1234)
    async with reporter_for(ingest_site.url, batch_size=500) as reporter:
        for event in sent:
            reporter.emit(event)
        await reporter.flush()
        assert ingest_site.stored == [e.id for e in sent]
        sizes = [len(b["events"]) for b in ingest_site.event_bodies()]
        assert max(sizes) <= 500
        assert sum(sizes) == 1234
        assert reporter.stats.delivered == reporter.stats.emitted == 1234
        assert reporter.undelivered == 0
    headers = ingest_site.headers[0]
    assert headers["Authorization"] == "Bearer secret-token"
    assert headers["Content-Type"] == "application/json"
    # The server numbers events: the client sends no seq.
    assert "seq" not in ingest_site.bodies[0]["events"][0]


async def test_a_few_events_leave_within_max_delay_in_one_request(
    ingest_site: IngestSite,
) -> None:
    async with reporter_for(ingest_site.url, max_delay=0.05) as reporter:
        for event in events(3):
            reporter.emit(event)
        await wait_until(lambda: len(ingest_site.stored) == 3)
        assert [len(b["events"]) for b in ingest_site.event_bodies()] == [3]


async def test_failures_are_retried_with_the_same_events(ingest_site: IngestSite) -> None:
    unavailable = {"error": {"code": "unavailable", "message": "db down"}}
    ingest_site.script.extend([(503, unavailable), (500, unavailable), (429, {})])
    sent = events(20)
    async with reporter_for(ingest_site.url) as reporter:
        for event in sent:
            reporter.emit(event)
        await reporter.flush()
        assert ingest_site.stored == [e.id for e in sent]
        assert reporter.stats.failed_requests == 3
        attempts = [[e["id"] for e in b["events"]] for b in ingest_site.event_bodies()]
        assert attempts[0] == attempts[1] == attempts[2] == attempts[3]


async def test_a_lost_answer_is_retried_without_duplicates(ingest_site: IngestSite) -> None:
    sent = events(10)
    async with reporter_for(ingest_site.url) as reporter:
        for event in sent[:5]:
            reporter.emit(event)
        await reporter.flush()
        # As if the answer to the first batch had been lost and the batch sent again.
        for event in sent:
            reporter.emit(event)
        await reporter.flush()
        assert ingest_site.stored == [e.id for e in sent]
        assert reporter.stats.duplicates == 5


async def test_unreachable_server_keeps_the_newest_events_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()  # nothing listens there yet
    sent = events(1000)
    caplog.set_level(logging.WARNING, logger="crawlscope.client")
    reporter = reporter_for(f"http://127.0.0.1:{port}", batch_size=10, max_buffer=100)
    reporter.start()
    try:
        for event in sent:
            reporter.emit(event)  # never waits, whatever the server does
        assert reporter.stats.dropped == 900
        assert reporter.buffered == 100
        assert any("buffer full" in r.getMessage() for r in caplog.records)
        await wait_until(lambda: reporter.stats.failed_requests >= 2)
        async with serve_ingest(port) as site:
            await reporter.flush()
            assert site.stored == [e.id for e in sent[900:]]
        assert reporter.stats.delivered == 100
        assert reporter.undelivered == 0
    finally:
        await reporter.close(0)


async def test_flush_gives_up_after_its_timeout_and_close_counts_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="crawlscope.client")
    reporter = reporter_for(f"http://127.0.0.1:{free_port()}", flush_timeout=0.2)
    reporter.start()
    for event in events(7):
        reporter.emit(event)
    await reporter.flush()
    assert reporter.undelivered == 7
    assert any("7 events still undelivered" in r.getMessage() for r in caplog.records)
    assert await reporter.close(0) is False
    assert reporter.stats.abandoned == 7
    assert reporter.undelivered == 0


async def test_a_rejected_event_is_dropped_and_the_rest_delivered(
    ingest_site: IngestSite,
) -> None:
    error = {"code": "invalid", "message": "events[2].action: bad", "field": "events[2].action"}
    ingest_site.script.append((422, {"error": error}))
    sent = events(5)
    async with reporter_for(ingest_site.url) as reporter:
        for event in sent:
            reporter.emit(event)
        await reporter.flush()
        assert ingest_site.stored == [e.id for i, e in enumerate(sent) if i != 2]
        assert (reporter.stats.rejected, reporter.stats.delivered) == (1, 4)


async def test_a_batch_over_the_servers_limit_is_split(ingest_site: IngestSite) -> None:
    ingest_site.max_events = 3
    sent = events(10)
    async with reporter_for(ingest_site.url, batch_size=10) as reporter:
        for event in sent:
            reporter.emit(event)
        await reporter.flush()
        assert ingest_site.stored == [e.id for e in sent]
        assert reporter.stats.rejected == 0


async def test_a_batch_refused_for_good_is_counted_not_retried(ingest_site: IngestSite) -> None:
    error = {"code": "conflict", "message": "run is a local run", "field": "events[0].run_id"}
    ingest_site.script.append((409, {"error": error}))
    async with reporter_for(ingest_site.url) as reporter:
        for event in events(4):
            reporter.emit(event)
        await reporter.flush()
        assert (reporter.stats.rejected, reporter.stats.delivered) == (4, 0)
        assert len(ingest_site.event_bodies()) == 1


async def test_an_event_that_cannot_be_encoded_is_dropped_alone(ingest_site: IngestSite) -> None:
    sent = events(3)
    sent[1].extra = {"when": object()}  # collector code put something that is not JSON
    async with reporter_for(ingest_site.url) as reporter:
        for event in sent:
            reporter.emit(event)
        await reporter.flush()
        assert ingest_site.stored == [sent[0].id, sent[2].id]
        assert (reporter.stats.rejected, reporter.stats.delivered) == (1, 2)


# -- control --------------------------------------------------------------------------------


async def test_commands_reach_the_runner_once_and_acks_go_back(ingest_site: IngestSite) -> None:
    ingest_site.commands[7] = ("run-1", "pause")
    ingest_site.commands[8] = ("other-run", "cancel")
    async with reporter_for(ingest_site.url, poll_interval=5.0) as reporter:
        await reporter.open_run("run-1", "c", {}, None)
        reporter.emit(events(1)[0])
        control = reporter.control
        await wait_until(lambda: reporter.stats.delivered == 1)
        assert await control.pending("run-1") == [(7, "pause")]
        assert await control.pending("run-1") == []  # handed out once
        assert await control.pending("other-run") == []
        # The server repeats the command until it is acknowledged; it is not re-offered.
        reporter.emit(events(1)[0])
        await wait_until(lambda: reporter.stats.delivered == 2)
        assert await control.pending("run-1") == []
        requests = len(ingest_site.bodies)
        await control.acknowledge(7, ControlOutcome.accepted(ControlCommand.PAUSE))
        # Sent at once, not after the poll interval.
        await wait_until(lambda: ingest_site.acked == {7: "paused"}, timeout=2)
        assert len(ingest_site.bodies) == requests + 1
        assert ingest_site.bodies[-1]["runs"] == ["run-1"]


async def test_an_idle_runner_polls_for_commands_until_its_run_ends(
    ingest_site: IngestSite,
) -> None:
    async with reporter_for(ingest_site.url, poll_interval=0.05) as reporter:
        await reporter.open_run("run-1", "c", {}, None)
        await wait_until(lambda: len(ingest_site.bodies) >= 3)
        bodies = ingest_site.bodies
        # The machine's figures go with the first request, then every host_every_s (10 s).
        assert 0 <= bodies[0]["host"]["cpu_percent"] <= 100
        assert all("host" not in b for b in bodies[1:])
        polls = [{k: v for k, v in b.items() if k != "host"} for b in bodies]
        assert all(b == {"events": [], "runs": ["run-1"]} for b in polls)
        ingest_site.commands[3] = ("run-1", "resume")
        await wait_until(lambda: "run-1" in reporter.control._pending)
        assert await reporter.control.pending("run-1") == [(3, "resume")]
        reporter.emit(ActivityEvent(run_id="run-1", action=Action.RUN_COMPLETED))
        await reporter.flush()
        count = len(ingest_site.bodies)
        await asyncio.sleep(0.3)
        assert len(ingest_site.bodies) == count  # no more polls


# -- the start-up check ---------------------------------------------------------------------


async def test_check_names_what_is_wrong(ingest_site: IngestSite) -> None:
    reporter = reporter_for(ingest_site.url)
    await reporter.check()
    assert ingest_site.bodies[-1] == {"events": []}
    ingest_site.script.append((401, {"error": {"code": "unauthorized", "message": "bad token"}}))
    with pytest.raises(TokenRefused, match="bad token"):
        await reporter.check()
    ingest_site.script.append((403, {"error": {"code": "forbidden", "message": "needs ingest"}}))
    with pytest.raises(TokenRefused, match="needs ingest"):
        await reporter.check()
    await reporter.close(0)

    elsewhere = reporter_for(f"{ingest_site.url}/not-here")
    with pytest.raises(ServerError, match="crawlscope server"):
        await elsewhere.check()
    await elsewhere.close(0)

    nowhere = reporter_for(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ServerUnreachable, match="cannot reach"):
        await nowhere.check()
    await nowhere.close(0)


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="max_buffer"):
        HttpReporter("http://127.0.0.1:1", batch_size=10, max_buffer=5)
