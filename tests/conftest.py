"""Fixtures shared by every test: a real SQLite file per test, a running Monitor, and the
storage backends (``database_url`` and ``store``: a fresh SQLite file, then a fresh
PostgreSQL database).

Also a small scripted HTTP site (real aiohttp server on 127.0.0.1) for runner tests that
need exact control over responses, and ``derive_totals``: an independent re-implementation
of the counting rules in docs/events.md, used to check the aggregator against stored events.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web

from crawlscope.events import ActivityEvent
from crawlscope.monitor import Monitor
from crawlscope.store import SqlStore
from crawlscope.store.tokens import TokenStore


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests last.

    They drive Playwright's sync API, which keeps an event loop running in the main thread
    until its session fixture ends; an asyncio test scheduled after them could not start
    its own loop.
    """
    e2e = Path(__file__).parent / "e2e"
    items.sort(key=lambda item: Path(str(item.path)).is_relative_to(e2e))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A fresh SQLite file location (the file itself is created by the store)."""
    return tmp_path / "crawlscope.db"


@pytest.fixture
async def monitor(db_path: Path) -> AsyncIterator[Monitor]:
    """A started Monitor on a real SQLite file."""
    mon = Monitor(str(db_path), save_interval=0.2)
    await mon.start()
    try:
        yield mon
    finally:
        await mon.stop()


# -- a scripted HTTP site -------------------------------------------------------------------


@dataclass
class Reply:
    """One scripted answer: status, headers, body and a delay before answering."""

    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class ScriptedSite:
    """A real HTTP server on 127.0.0.1 whose answers a test scripts per path.

    ``script[path]`` is a queue of ``Reply``; when it is empty the ``default`` reply for the
    path (or ``fallback``) is used. ``hits`` counts requests per path, ``arrivals`` records
    when each arrived (monotonic clock) and ``max_in_flight`` the most served at once.
    """

    url: str = ""
    script: dict[str, collections.deque[Reply]] = field(default_factory=dict)
    default: dict[str, Reply] = field(default_factory=dict)
    fallback: Reply = field(default_factory=Reply)
    hits: collections.Counter[str] = field(default_factory=collections.Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    arrivals: list[tuple[float, str]] = field(default_factory=list)

    def queue(self, path: str, *replies: Reply) -> None:
        """Answer the next requests for ``path`` with ``replies``, in order."""
        self.script.setdefault(path, collections.deque()).extend(replies)

    def next_reply(self, path: str) -> Reply:
        self.hits[path] += 1
        self.arrivals.append((time.monotonic(), path))
        queued = self.script.get(path)
        if queued:
            return queued.popleft()
        return self.default.get(path, self.fallback)


@pytest.fixture
async def scripted_site() -> AsyncIterator[ScriptedSite]:
    """A ``ScriptedSite`` served by aiohttp on a free port of 127.0.0.1."""
    site = ScriptedSite()

    async def handle(request: web.Request) -> web.StreamResponse:
        reply = site.next_reply(request.path)
        site.in_flight += 1
        site.max_in_flight = max(site.max_in_flight, site.in_flight)
        try:
            if reply.delay:
                await asyncio.sleep(reply.delay)
        finally:
            site.in_flight -= 1
        return web.Response(status=reply.status, text=reply.body, headers=reply.headers)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = runner.addresses[0][1]
    site.url = f"http://127.0.0.1:{port}"
    try:
        yield site
    finally:
        await runner.cleanup()


# -- the counting rules of docs/events.md, written independently of the aggregator --------


def _bump(counter: dict[str, int], key: str, amount: int = 1) -> None:
    counter[key] = counter.get(key, 0) + amount


def derive_totals(events: Iterable[ActivityEvent]) -> dict[str, Any]:
    """Run totals counted from events exactly as the table in docs/events.md says."""
    t: dict[str, Any] = {
        "requests": 0,
        "successes": 0,
        "failures": 0,
        "failures_by_type": {},
        "retries": 0,
        "errors": 0,
        "errors_by_type": {},
        "errors_by_stage": {},
        "items_found": 0,
        "new_items": 0,
        "updated_items": 0,
        "duplicates": 0,
        "tasks_done": 0,
        "tasks_failed": 0,
        "tasks_requeued": 0,
        "events": 0,
    }
    paused_requeues = 0
    for e in events:
        t["events"] += 1
        a = e.action
        if a == "fetching":
            t["requests"] += 1
        elif a == "found":
            t["successes"] += 1
        elif a == "retrying":
            t["retries"] += 1
        elif a == "uploading":
            t["items_found"] += e.items_count or 0
        elif a == "inserted":
            t["new_items"] += e.items_count or 0
        elif a == "updated":
            t["updated_items"] += e.items_count or 0
        elif a == "deduped":
            t["duplicates"] += e.items_count or 0
        elif a == "complete":
            requeued = bool(e.extra and e.extra.get("requeued"))
            if e.error_type is None:
                t["tasks_done"] += 1
            elif requeued:
                t["tasks_requeued"] += 1
            else:
                t["tasks_failed"] += 1
        elif a == "run_paused":
            paused_requeues += int((e.extra or {}).get("requeued", 0))
        if a in ("error", "rate_limited"):
            t["errors"] += 1
            _bump(t["errors_by_type"], e.error_type or "unknown")
            _bump(t["errors_by_stage"], e.error_stage or "request")
            if a == "rate_limited" or e.error_stage == "request":
                t["failures"] += 1
                _bump(t["failures_by_type"], e.error_type or "unknown")
    t["tasks_requeued"] += paused_requeues
    t["tasks_failed"] -= paused_requeues
    return t


def derive_worker_counts(events: Iterable[ActivityEvent]) -> dict[int, dict[str, int]]:
    """Per-worker counters from events: own events, pipeline counts via source_worker_id."""
    out: dict[int, dict[str, int]] = collections.defaultdict(
        lambda: dict.fromkeys(
            ("requests", "successes", "failures", "retries", "items", "new_items", "errors"), 0
        )
    )
    for e in events:
        a = e.action
        if e.worker_id:
            w = out[e.worker_id]
            if a == "fetching":
                w["requests"] += 1
            elif a == "found":
                w["successes"] += 1
            elif a == "retrying":
                w["retries"] += 1
            elif a in ("error", "rate_limited"):
                w["errors"] += 1
                if a == "rate_limited" or e.error_stage == "request":
                    w["failures"] += 1
        elif e.source_worker_id:
            w = out[e.source_worker_id]
            if a == "uploading":
                w["items"] += e.items_count or 0
            elif a == "inserted":
                w["new_items"] += e.items_count or 0
            elif a == "error":
                w["errors"] += 1
    return dict(out)


@pytest.fixture(name="derive_totals")
def derive_totals_fixture() -> Callable[[Iterable[ActivityEvent]], dict[str, Any]]:
    """``derive_totals`` (see above) for tests that check stored totals."""
    return derive_totals


@pytest.fixture(name="derive_worker_counts")
def derive_worker_counts_fixture() -> Callable[[Iterable[ActivityEvent]], dict[int, Any]]:
    """``derive_worker_counts`` (see above) for tests that check stored worker cards."""
    return derive_worker_counts


# -- storage backends ------------------------------------------------------------------------

BACKENDS = ("sqlite", "postgresql")
"""What ``database_url`` and ``store`` are parametrised over (also their test ids)."""

PG_ADMIN_URL = os.environ.get("CRAWLSCOPE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


async def _pg_admin() -> asyncpg.Connection | None:
    try:
        return await asyncpg.connect(PG_ADMIN_URL, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CRAWLSCOPE_REQUIRE_SERVICES"):
            raise RuntimeError(f"PostgreSQL at {PG_ADMIN_URL} is required here: {exc}") from exc
        return None


@contextlib.asynccontextmanager
async def fresh_database(backend: str, directory: Path) -> AsyncIterator[str]:
    """The URL of a new, empty database on ``backend``, removed afterwards.

    ``sqlite``: a file in ``directory`` (not created yet). ``postgresql``: a database of its
    own on the server at ``CRAWLSCOPE_TEST_PG_URL``; skipped (with the reason) when no server
    answers, unless ``CRAWLSCOPE_REQUIRE_SERVICES`` is set, as CI does, which makes it fail.
    """
    if backend == "sqlite":
        yield str(directory / "backend.db")
        return
    if backend != "postgresql":
        raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    admin = await _pg_admin()
    if admin is None:
        pytest.skip(f"no PostgreSQL server at {PG_ADMIN_URL}")
    name = f"crawlscope_test_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database on each backend: a SQLite file, then a new PostgreSQL database.

    A test may choose the backend with ``@pytest.mark.parametrize("database_url",
    ["sqlite"], indirect=True)``.
    """
    async with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def event_writer(request: pytest.FixtureRequest) -> str | None:
    """How the ``store`` fixture inserts a SQLite file's events (``SqlStore(event_writer=)``).

    None, unless a test parametrises it indirectly: what the program does by default (a
    writer process, unless ``CRAWLSCOPE_EVENT_WRITER=inline``). PostgreSQL always inserts
    in-process.
    """
    value: str | None = getattr(request, "param", None)
    return value


@pytest.fixture
async def store(database_url: str, event_writer: str | None) -> AsyncIterator[SqlStore]:
    """An opened (migrated) ``SqlStore`` on a fresh database of each backend, closed after.

    Test ids ``[sqlite]`` and ``[postgresql]``, from ``database_url``.
    """
    opened = SqlStore(database_url, event_writer=event_writer)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def token_store(store: SqlStore) -> TokenStore:
    """The token repository of ``store``: on a fresh database of each backend."""
    return store.tokens


# -- Redis ---------------------------------------------------------------------------------

REDIS_URL = os.environ.get("CRAWLSCOPE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass(frozen=True)
class RedisSpace:
    """A Redis for one test: its URL and a key prefix no other test (or user) has."""

    url: str
    prefix: str


@contextlib.asynccontextmanager
async def fresh_redis_space() -> AsyncIterator[RedisSpace]:
    """The Redis at ``CRAWLSCOPE_TEST_REDIS_URL`` with a fresh key prefix, whose keys are
    deleted afterwards (the server may be shared). Skipped (with the reason) when no Redis
    answers, unless ``CRAWLSCOPE_REQUIRE_SERVICES`` is set, which makes it fail."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (OSError, aioredis.RedisError) as exc:
        await client.aclose()
        if os.environ.get("CRAWLSCOPE_REQUIRE_SERVICES"):
            raise RuntimeError(f"Redis at {REDIS_URL} is required here: {exc}") from exc
        pytest.skip(f"no Redis server at {REDIS_URL}")
    prefix = f"crawlscope-test-{uuid.uuid4().hex[:12]}"
    try:
        yield RedisSpace(REDIS_URL, prefix)
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture
async def redis_space() -> AsyncIterator[RedisSpace]:
    """A Redis and a key prefix of this test's own (``fresh_redis_space``)."""
    async with fresh_redis_space() as space:
        yield space
