"""A database written by the previous schema (Alembic revision 0002) opens with nothing lost.

Revision 0002 kept every moment as ISO-8601 text (``String(32)``) and a run's totals as one
JSON text column, ``totals``; 0003 (``0003_typed_columns.py``) turns the moments into
``timestamptz`` on PostgreSQL (canonical text on SQLite) and the totals into integer columns
plus a ``breakdown`` JSON. Here a fresh database of each backend is taken to 0002 with the
program's own Alembic configuration, filled with raw SQL the way the previous code wrote
rows (and one run written by a remote runner whose clock has an offset), opened with
``SqlStore`` (which migrates to head) and read back through the repositories. Then it goes
down to 0002 and up again once: the downgrade rebuilds the totals JSON.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from crawlscope.aggregate import RunTotals
from crawlscope.events import EVENT_FIELDS, Action, ActivityEvent
from crawlscope.status import ControlCommand, ControlOutcome, RunStatus
from crawlscope.store import Database, SqlStore
from crawlscope.store.database import _alembic_config
from crawlscope.store.datasets import content_hash
from crawlscope.store.event_log import event_row
from crawlscope.store.schema import metadata
from crawlscope.store.tokens import TokenRecord
from crawlscope.timestamps import utc_now
from tests.store.moments import assert_utc


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# -- what the previous code wrote ------------------------------------------------------------

FULL_TOTALS: dict[str, Any] = {
    "requests": 5,
    "successes": 3,
    "failures": 2,
    "failures_by_type": {"timeout": 1, "http_5xx": 1},
    "retries": 1,
    "errors": 2,
    "errors_by_type": {"timeout": 1, "http_5xx": 1},
    "errors_by_stage": {"request": 2},
    "items_found": 7,
    "new_items": 6,
    "updated_items": 1,
    "duplicates": 0,
    "tasks_done": 3,
    "tasks_failed": 1,
    "tasks_requeued": 0,
    "events": 40,
}
# A remote runner's row: big numbers, and the keys an older runner did not send.
REMOTE_TOTALS: dict[str, Any] = {
    "requests": 2**33,
    "errors": 4,
    "items_found": 11,
    "new_items": 9,
    "errors_by_stage": {"extraction": 4},
}
FRAME: dict[str, Any] = {
    "run_id": "local-1",
    "collection": "books",
    "status": "completed",
    "phase": "details",
    "params": {"pages": 3},
    "started_at": "2026-11-22T09:54:02.000Z",
    "ended_at": "2026-11-22T09:55:03.456Z",
    "duration_s": 61.456,
    "totals": FULL_TOTALS,
    "progress": [{"level": "pages", "done": 3, "total": 3, "percent": 100.0, "eta_s": None}],
    "dataset": "items",
    "dataset_size": 7,
    "last_seq": 4,
    "workers": [{"worker_id": 1, "state": "done", "requests": 5, "successes": 3}],
    "sites": [{"site": "example.org", "requests": 5, "breaker": "closed"}],
    "errors": [{"error_type": "timeout", "error_stage": "request", "count": 1}],
}
RUNS: list[dict[str, Any]] = [
    {
        "id": "local-1",
        "collection": "books",
        "status": "completed",
        "params": '{"pages":3}',
        "origin": "local",
        "created_at": "2026-11-22T09:54:01.123Z",
        "started_at": "2026-11-22T09:54:02.000Z",
        "ended_at": "2026-11-22T09:55:03.456Z",
        "updated_at": "2026-11-22T09:55:03.500Z",
        "heartbeat_at": "2026-11-22T09:55:03.500Z",
        "error": None,
        "dataset": "items",
        "dataset_size": 7,
        "last_seq": 4,
        "totals": json.dumps(FULL_TOTALS),
        "progress": '[{"level":"pages","done":3,"total":3,"percent":100.0,"eta_s":null}]',
        "frame": json.dumps(FRAME),
    },
    {
        "id": "remote-1",
        "collection": "books",
        "status": "running",
        "params": "{}",
        "origin": "remote",
        "created_at": "2026-11-22T10:54:01.123+01:00",  # 09:54:01.123Z
        # from the runner's first event: any ISO form ingest accepts (up to microseconds)
        "started_at": "2026-11-22T10:54:05.123456+01:00",  # 09:54:05.123Z, kept to the ms
        "ended_at": None,
        "updated_at": "2026-11-22T11:00:00.000+01:00",
        "heartbeat_at": "2026-11-22T11:00:00.000+01:00",
        "error": None,
        "dataset": None,
        "dataset_size": None,
        "last_seq": 0,
        "totals": json.dumps(REMOTE_TOTALS),
        "progress": "[]",
        "frame": None,
    },
    {
        "id": "failed-1",
        "collection": "news",
        "status": "failed",
        "params": "{}",
        "origin": "local",
        # after remote-1 in time, before it as text ("10:00Z" < "10:54+01:00")
        "created_at": "2026-11-22T10:00:00.000Z",
        "started_at": "2026-11-22T10:00:00.100Z",
        "ended_at": "2026-11-22T10:00:01.000Z",
        "updated_at": "2026-11-22T10:00:01.000Z",
        "heartbeat_at": "2026-11-22T10:00:01.000Z",
        "error": "ValueError: boom",
        "dataset": None,
        "dataset_size": None,
        "last_seq": 0,
        "totals": "{}",  # the column's default: a run that never saved a frame
        "progress": "[]",
        "frame": None,
    },
    {
        "id": "yesterday",
        "collection": "books",
        "status": "completed",
        "params": "{}",
        "origin": "local",
        "created_at": "2026-11-21T23:59:59.999Z",
        "started_at": None,
        "ended_at": "2026-11-22T00:00:30.000Z",
        "updated_at": "2026-11-22T00:00:30.000Z",
        "heartbeat_at": None,
        "error": None,
        "dataset": None,
        "dataset_size": None,
        "last_seq": 0,
        "totals": json.dumps({"requests": 100, "errors": 10, "items_found": 1000}),
        "progress": "[]",
        "frame": None,
    },
]
COMMANDS = [
    # (command, created_at, handled_at, outcome)
    ("pause", "2026-11-22T09:54:10.000Z", "2026-11-22T09:54:10.250Z", "paused"),
    (
        "cancel",
        "2026-11-22T09:55:00.000Z",
        "2026-11-22T10:55:00.750+01:00",
        "refused: run is completed",
    ),
    ("resume", "2026-11-22T09:55:10.001Z", None, None),
]
ITEMS = [
    # (key, data, first run, last run, created, updated)
    ("k1", {"title": "One", "n": 1}, "local-1", "local-1", "2026-11-22T09:54:30.000Z", None),
    ("k2", {"title": "Zwei «ü»", "n": 2}, "local-1", "remote-1", "2026-11-22T09:54:31.000Z", None),
    ("k3", [1, None, "x"], "remote-1", "remote-1", "2026-11-22T10:54:32.010+01:00", None),
]
TOKENS = [
    # (name, role, hash, prefix, created, last used, revoked)
    ("ci", "operator", "a" * 64, "cs_abc", "2026-11-20T08:00:00.000Z", None, None),
    (
        "browser",
        "viewer",
        "b" * 64,
        "cs_bcd",
        "2026-11-20T08:00:01.000Z",
        "2026-11-22T10:00:00.000+01:00",
        None,
    ),
    (
        "browser",
        "admin",
        "c" * 64,
        "cs_cde",
        "2026-11-19T08:00:00.000Z",
        None,
        "2026-11-19T09:00:00.000Z",
    ),
]
TOKEN_FIELDS = ("name", "role", "hash", "prefix", "created", "used", "revoked")
SESSIONS = [
    # (hash, token name, created, expires)
    ("s" * 64, "browser", "2026-11-22T09:00:00.000Z", "2026-11-22T21:00:00.000Z"),
    ("t" * 64, "browser", "2026-11-22T10:00:00.000+01:00", "2026-11-22T10:30:00.000+01:00"),
]


def _events() -> list[ActivityEvent]:
    ts = ["2026-11-22T09:54:02.001Z", "2026-11-22T09:54:02.500Z", "2026-11-22T09:54:03.000Z"]
    made = [
        ActivityEvent(run_id="local-1", action=Action.RUN_STARTED, worker_id=0, seq=1, ts=ts[0]),
        ActivityEvent(
            run_id="local-1",
            action=Action.FETCHING,
            worker_id=1,
            seq=2,
            ts=ts[1],
            url="http://example.org/1",
            params={"page": 1},
        ),
        ActivityEvent(
            run_id="local-1",
            action=Action.ERROR,
            worker_id=1,
            seq=3,
            ts=ts[2],
            error_type="timeout",
            error_stage="request",
            duration_ms=10_000.0,
            extra={"attempt": [1, 2]},
        ),
        ActivityEvent(run_id="remote-1", action=Action.FETCHING, worker_id=2, seq=1, ts=ts[2]),
    ]
    for n, event in enumerate(made):
        event.id = f"0190e1c2-0000-7000-8000-00000000000{n}"
    return made


def _compact_json(data: Any) -> str:
    """JSON as the dataset store wrote it: keys sorted, no spaces, UTF-8 as is."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _fill(conn: sa.Connection) -> None:
    """Rows as the previous code wrote them, in raw SQL."""
    columns = list(RUNS[0])
    names, values = ", ".join(columns), ", ".join(f":{c}" for c in columns)
    conn.execute(sa.text(f"INSERT INTO runs ({names}) VALUES ({values})"), RUNS)
    conn.execute(
        sa.text(
            "INSERT INTO run_commands (run_id, command, created_at, handled_at, outcome)"
            " VALUES ('local-1', :command, :created_at, :handled_at, :outcome)"
        ),
        [
            {"command": c, "created_at": at, "handled_at": handled, "outcome": outcome}
            for c, at, handled, outcome in COMMANDS
        ],
    )
    conn.execute(
        sa.text(
            "INSERT INTO dataset_items"
            " (dataset, key, data, content_hash, first_run_id, last_run_id, created_at, updated_at)"
            " VALUES ('items', :key, :data, :hash, :first, :last, :created, :updated)"
        ),
        [
            {
                "key": key,
                "data": _compact_json(data),
                "hash": content_hash(data),
                "first": first,
                "last": last,
                "created": created,
                "updated": updated or created,
            }
            for key, data, first, last, created, updated in ITEMS
        ],
    )
    conn.execute(
        sa.text(
            "INSERT INTO api_tokens"
            " (name, role, token_hash, prefix, created_at, last_used_at, revoked_at)"
            " VALUES (:name, :role, :hash, :prefix, :created, :used, :revoked)"
        ),
        [dict(zip(TOKEN_FIELDS, token, strict=True)) for token in TOKENS],
    )
    active = conn.execute(sa.text("SELECT name, id FROM api_tokens WHERE revoked_at IS NULL"))
    ids = {row.name: row.id for row in active}
    conn.execute(
        sa.text(
            "INSERT INTO api_sessions (session_hash, token_id, created_at, expires_at)"
            " VALUES (:hash, :token_id, :created, :expires)"
        ),
        [
            {"hash": h, "token_id": ids[name], "created": created, "expires": expires}
            for h, name, created, expires in SESSIONS
        ],
    )
    names = ", ".join(EVENT_FIELDS)
    values = ", ".join(f":{name}" for name in EVENT_FIELDS)
    conn.execute(
        sa.text(f"INSERT INTO events ({names}) VALUES ({values})"),
        [dict(zip(EVENT_FIELDS, event_row(e), strict=True)) for e in _events()],
    )


def _create(path: str) -> None:
    if not Path(path).exists():
        sqlite3.connect(path).close()


async def _on(url: str, work: Callable[[sa.Connection], Any]) -> Any:
    """Run ``work`` on a connection of a new ``Database`` in one transaction."""
    database = Database(url)
    if database.is_file:
        # Connections never create a SQLite file (only Database.open does): make it here.
        await asyncio.to_thread(_create, database.path)
    try:
        async with database.begin() as conn:
            return await conn.run_sync(work)
    finally:
        await database.close()


def _migrate(conn: sa.Connection, step: Callable[[Any, str], None], revision: str) -> None:
    """What ``Database.open`` does (crawlscope.store.database._upgrade), to ``revision``."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    step(_alembic_config(conn), revision)


def _upgrade(revision: str) -> Callable[[sa.Connection], None]:
    return lambda conn: _migrate(conn, command.upgrade, revision)


def _downgrade(revision: str) -> Callable[[sa.Connection], None]:
    return lambda conn: _migrate(conn, command.downgrade, revision)


def _schema_differences(conn: sa.Connection) -> list[Any]:
    """How the database's tables differ from those the code declares (types, defaults and
    indexes included): nothing, for a database created new or brought up to date."""
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, metadata))


def _revision(conn: sa.Connection) -> str:
    return str(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one())


def _previous_rows(conn: sa.Connection) -> dict[str, Any]:
    """What a database at 0002 holds, as the previous code would read it."""
    runs = conn.execute(sa.text("SELECT id, totals, created_at FROM runs")).all()
    tokens = conn.execute(sa.text("SELECT name, created_at, last_used_at FROM api_tokens"))
    return {
        "totals": {run_id: json.loads(text) for run_id, text, _ in runs},
        "created_at": {run_id: created for run_id, _, created in runs},
        "tokens": sorted(tuple(row) for row in tokens),
    }


# -- the tests -------------------------------------------------------------------------------


def _totals(stored: dict[str, Any]) -> RunTotals:
    return RunTotals(**stored)


async def _new_token(store: SqlStore) -> TokenRecord:
    return await store.tokens.create_token(
        name="after the upgrade", role="viewer", token_hash="d" * 64, prefix="cs_d", now=utc_now()
    )


async def _check_head(store: SqlStore) -> None:
    """Everything the previous code wrote, read through the repositories."""
    assert await store.schema_current()

    # runs: totals as integers and breakdown dicts, moments as aware UTC datetimes
    local = await store.runs.get("local-1")
    assert local is not None
    assert local.totals == _totals(FULL_TOTALS)
    assert local.status is RunStatus.COMPLETED
    assert local.params == {"pages": 3}
    assert (local.dataset, local.dataset_size, local.last_seq) == ("items", 7, 4)
    assert_utc(local.created_at, _at("2026-11-22T09:54:01.123Z"))
    assert_utc(local.started_at, _at("2026-11-22T09:54:02.000Z"))
    assert_utc(local.ended_at, _at("2026-11-22T09:55:03.456Z"))
    assert_utc(local.updated_at, _at("2026-11-22T09:55:03.500Z"))
    assert_utc(local.heartbeat_at, _at("2026-11-22T09:55:03.500Z"))
    assert [p.level for p in local.progress] == ["pages"]
    assert local.frame is not None
    assert local.frame.status is RunStatus.COMPLETED
    assert local.frame.totals == local.totals
    assert [w.worker_id for w in local.frame.workers] == [1]
    assert local.frame.sites[0].site == "example.org"
    assert local.frame.errors[0].count == 1
    assert local.summary().duration_s == 61.456

    remote = await store.runs.get("remote-1")
    assert remote is not None
    assert remote.totals == _totals(REMOTE_TOTALS)
    assert remote.totals.requests == 2**33
    assert remote.totals.errors_by_stage == {"extraction": 4}
    assert remote.totals.failures_by_type == {}
    assert_utc(remote.created_at, datetime(2026, 11, 22, 9, 54, 1, 123000, tzinfo=UTC))
    assert_utc(remote.started_at, datetime(2026, 11, 22, 9, 54, 5, 123000, tzinfo=UTC))
    assert_utc(remote.heartbeat_at, datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
    assert remote.ended_at is None
    assert remote.last_sign_of_life == remote.heartbeat_at

    failed = await store.runs.get("failed-1")
    assert failed is not None
    assert failed.totals == RunTotals()
    assert failed.error == "ValueError: boom"

    # newest first by instant, not by the text it was written as: failed-1 (10:00Z) is
    # newer than remote-1 (10:54:01.123+01:00, the instant of local-1: id decides)
    assert [r.id for r in await store.runs.list()] == [
        "failed-1",
        "remote-1",
        "local-1",
        "yesterday",
    ]
    assert await store.runs.count(status=["completed", "failed"]) == 3
    assert await store.runs.active_ids() == ["remote-1"]
    day = await store.runs.totals_since(_at("2026-11-22T00:00:00Z"))
    assert (day.runs, day.requests, day.items, day.new_items, day.errors) == (
        3,
        5 + 2**33,
        7 + 11,
        6 + 9,
        2 + 4,
    )
    fresher = await store.runs.totals_since(
        _at("2026-11-22T00:00:00Z"), overrides={"remote-1": RunTotals(requests=1, errors=1)}
    )
    assert (fresher.requests, fresher.errors) == (6, 3)
    whole = await store.runs.totals_since(_at("2026-11-21T00:00:00Z"))
    assert (whole.runs, whole.requests) == (4, 105 + 2**33)

    # commands and their outcomes
    pending = await store.commands.unhandled("local-1")
    assert [(c.command, c.created_at) for c in pending] == [
        (ControlCommand.RESUME, _at("2026-11-22T09:55:10.001Z"))
    ]
    assert_utc(pending[0].created_at)
    first, second = pending[0].id - 2, pending[0].id - 1
    assert await store.commands.outcome(first) == ControlOutcome.accepted(ControlCommand.PAUSE)
    assert await store.commands.outcome(second) == ControlOutcome.refused(
        ControlCommand.CANCEL, "run is completed"
    )
    assert await store.commands.outcome(pending[0].id) is None

    # dataset items, and which run saw them
    assert await store.datasets.keys("items") == ["k1", "k2", "k3"]
    assert await store.datasets.items("items") == [data for _, data, *_ in ITEMS]
    assert await store.datasets.run_items("items", "local-1") == (
        2,
        [ITEMS[0][1], ITEMS[1][1]],
    )
    assert await store.datasets.run_items("items", "remote-1") == (
        2,
        [ITEMS[1][1], ITEMS[2][1]],
    )

    # tokens and sessions
    tokens = await store.tokens.list_tokens()
    assert [(t.name, t.role, t.active) for t in tokens] == [
        ("ci", "operator", True),
        ("browser", "viewer", True),
        ("browser", "admin", False),
    ]
    for token in tokens:
        assert_utc(token.created_at)
    assert tokens[0].created_at == _at("2026-11-20T08:00:00.000Z")
    assert tokens[1].last_used_at == datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    assert_utc(tokens[1].last_used_at)
    assert tokens[2].revoked_at == _at("2026-11-19T09:00:00.000Z")
    assert_utc(tokens[2].revoked_at)
    browser = await store.tokens.find_token("browser")
    assert browser is not None
    assert browser.id == tokens[1].id
    assert await store.tokens.active_token_by_hash("b" * 64) == tokens[1]
    assert await store.tokens.active_token_by_hash("c" * 64) is None
    assert await store.tokens.session_count(browser.id) == 2
    # "t…" expires at 10:30+01:00, i.e. 09:30Z: live at 09:29:59.999Z, gone at 09:30Z
    live = await store.tokens.live_session("t" * 64, now=_at("2026-11-22T09:29:59.999Z"))
    assert live is not None
    session, owner = live
    assert_utc(session.created_at, _at("2026-11-22T09:00:00.000Z"))
    assert_utc(session.expires_at, _at("2026-11-22T09:30:00.000Z"))
    assert owner.id == browser.id
    assert await store.tokens.live_session("t" * 64, now=_at("2026-11-22T09:30:00Z")) is None
    assert await store.tokens.live_session("s" * 64, now=_at("2026-11-22T20:59:59Z")) is not None

    # events (a table 0003 does not touch)
    events = _events()
    assert await store.events.read_all("local-1") == events[:3]
    assert await store.events.read_all("remote-1") == events[3:]
    assert await store.events.max_seq("local-1") == 3
    assert await store.events.known_ids([e.id for e in events]) == {e.id for e in events}


async def test_a_database_of_the_previous_schema_opens_with_nothing_lost(database_url: str) -> None:
    await _on(database_url, _upgrade("0002"))
    assert await _on(database_url, _revision) == "0002"
    await _on(database_url, _fill)

    store = SqlStore(database_url)
    await store.open()  # migrates to head
    try:
        await _check_head(store)
        assert await _on(database_url, _schema_differences) == []
        # the upgraded tables take new rows: ids go on from the old ones
        old = await store.commands.unhandled("local-1")
        new = await store.commands.enqueue("local-1", ControlCommand.PAUSE)
        assert [c.id for c in await store.commands.unhandled("local-1")] == [old[0].id, new]
        assert new > old[0].id
        old_tokens = [t.id for t in await store.tokens.list_tokens()]
        token = await _new_token(store)
        assert token.id > max(old_tokens)
        await store.datasets.write("items", "later", [("k1", ITEMS[0][1])])  # same content
        assert await store.datasets.run_items("items", "later") == (1, [ITEMS[0][1]])
        assert (await store.datasets.write("items", "later", [("k2", {"n": 3})])).updated == ["k2"]
    finally:
        await store.close()


async def test_down_to_the_previous_schema_and_up_again(database_url: str) -> None:
    await _on(database_url, _upgrade("0002"))
    await _on(database_url, _fill)
    before = await _on(database_url, _previous_rows)
    await _on(database_url, _upgrade("head"))

    await _on(database_url, _downgrade("0002"))
    assert await _on(database_url, _revision) == "0002"
    after = await _on(database_url, _previous_rows)
    # The totals JSON is rebuilt: every headline count (missing ones as 0) and the breakdown.
    zeros = dict.fromkeys((k for k, v in FULL_TOTALS.items() if isinstance(v, int)), 0)
    breakdown = {"failures_by_type": {}, "errors_by_type": {}, "errors_by_stage": {}}
    assert after["totals"] == {
        "local-1": FULL_TOTALS,
        "remote-1": {**zeros, **breakdown, **REMOTE_TOTALS},
        "failed-1": {**zeros, **breakdown},
        "yesterday": {**zeros, **breakdown, "requests": 100, "errors": 10, "items_found": 1000},
    }
    # Moments are text again, in the one canonical form (the offset resolved to UTC).
    assert after["created_at"] == {
        "local-1": "2026-11-22T09:54:01.123Z",
        "remote-1": "2026-11-22T09:54:01.123Z",
        "failed-1": "2026-11-22T10:00:00.000Z",
        "yesterday": "2026-11-21T23:59:59.999Z",
    }
    assert after["tokens"] == [
        ("browser", "2026-11-19T08:00:00.000Z", None),
        ("browser", "2026-11-20T08:00:01.000Z", "2026-11-22T09:00:00.000Z"),
        ("ci", "2026-11-20T08:00:00.000Z", None),
    ]
    assert before["totals"]["local-1"] == after["totals"]["local-1"]

    store = SqlStore(database_url)
    await store.open()  # and up again
    try:
        await _check_head(store)
        assert await _on(database_url, _schema_differences) == []
    finally:
        await store.close()
