"""Migration 0004 (a run's finish reason, room for ``completed_with_errors``) on a database
with rows, on every backend: up from 0003 with nothing lost, down again with the new
status turned back into one the previous code reads.

The database is filled the way ``test_upgrade`` fills it (raw SQL at 0002, the rows the
code of that time wrote) and taken to 0003 first, so 0004 meets rows 0003 converted.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from crawlscope.aggregate import RunFrame
from crawlscope.status import RunStatus
from crawlscope.store import SqlStore
from crawlscope.store.database import head_revision
from tests.store.test_upgrade import (
    _downgrade,
    _fill,
    _on,
    _revision,
    _schema_differences,
    _upgrade,
)

REASON = "2 of 5 tasks failed (40%)"


def _rows(conn: sa.Connection) -> dict[str, dict[str, Any]]:
    """Every run as raw columns, with its frame decoded."""
    rows = conn.execute(sa.text("SELECT * FROM runs")).mappings().all()
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        values = dict(row)
        values["frame"] = json.loads(values["frame"]) if values["frame"] else None
        found[values["id"]] = values
    return found


async def _stored(url: str) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = await _on(url, _rows)
    return result


async def test_0004_up_with_rows_and_down_again(database_url: str) -> None:
    await _on(database_url, _upgrade("0002"))
    await _on(database_url, _fill)
    await _on(database_url, _upgrade("0003"))
    before = await _stored(database_url)

    store = SqlStore(database_url)
    await store.open()  # 0003 -> head
    try:
        assert await _on(database_url, _revision) == head_revision()
        assert await _on(database_url, _schema_differences) == []
        after = await _stored(database_url)
        # Nothing changed but the new, empty column: no reason is made up for old runs.
        assert {run_id: row.pop("finish_reason") for run_id, row in after.items()} == dict.fromkeys(
            before
        )
        # (0009's column, empty too: no run of 0003 had its events pruned.)
        assert {row.pop("events_pruned_at") for row in after.values()} == {None}
        assert after == before
        local = await store.runs.get("local-1")
        assert local is not None
        assert (local.status, local.finish_reason) == (RunStatus.COMPLETED, None)
        assert local.frame is not None
        assert local.frame.finish_reason is None

        # A run of the new code: a status of 21 characters and its reason.
        await store.runs.save_frame(
            RunFrame(
                run_id="new",
                collection="books",
                status=RunStatus.COMPLETED_WITH_ERRORS,
                started_at="2026-12-06T10:00:00.000Z",
                ended_at="2026-12-06T10:00:09.000Z",
                finish_reason=REASON,
            )
        )
        new = await store.runs.get("new")
        assert new is not None
        assert (new.status, new.finish_reason) == (RunStatus.COMPLETED_WITH_ERRORS, REASON)
    finally:
        await store.close()

    await _on(database_url, _downgrade("0003"))
    assert await _on(database_url, _revision) == "0003"
    down = await _stored(database_url)
    # The previous code knows no completed_with_errors: the row and its frame say completed.
    assert down["new"]["status"] == "completed"
    assert down["new"]["frame"]["status"] == "completed"
    assert "finish_reason" not in down["new"]
    assert {k: v for k, v in down.items() if k != "new"} == before

    store = SqlStore(database_url)
    await store.open()  # and up again
    try:
        assert await _on(database_url, _schema_differences) == []
        again = await store.runs.get("new")
        assert again is not None
        assert (again.status, again.finish_reason) == (RunStatus.COMPLETED, None)
    finally:
        await store.close()
