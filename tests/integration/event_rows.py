"""Event rows for the event-writer tests: events using every kind of column value, and
the rows a SQLite file holds, read with the standard library."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from crawlscope.events import EVENT_FIELDS, Action, ActivityEvent

__all__ = ["every_kind_of_event", "stored_rows"]


def every_kind_of_event(run_id: str, n: int, start: int = 1) -> list[ActivityEvent]:
    """Events using every kind of column value: text, unicode, ints, floats, JSON, None."""
    out = []
    for seq in range(start, start + n):
        out.append(
            ActivityEvent(
                run_id=run_id,
                action=Action.ERROR if seq % 4 == 0 else Action.FOUND,
                worker_id=seq % 5,
                seq=seq,
                phase="catalog",
                task=f"catégorie {seq} \u2013 «page» 🕷",
                url=f"http://127.0.0.1:1/p/{seq}?q=a%20b",
                status_code=500 if seq % 4 == 0 else 200,
                duration_ms=seq / 3,
                attempt=1 + seq % 2,
                error_type="http_5xx" if seq % 4 == 0 else None,
                error_message="boom\nline two" if seq % 4 == 0 else None,
                params={"page": seq, "nested": {"x": [1.5, None, "ü"]}},
                extra={"big": 2**53 + seq} if seq % 3 == 0 else None,
            )
        )
    return out


def stored_rows(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as con:
        columns = ",".join(EVENT_FIELDS)
        return con.execute(f"SELECT {columns} FROM events ORDER BY run_id, seq").fetchall()
