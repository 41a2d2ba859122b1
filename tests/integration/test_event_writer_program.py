"""The event writer program (store/event_writer.py), driven directly through its pipes.

SQLite only: the program writes SQLite files with the standard library's ``sqlite3``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec

from crawlscope.events import EVENT_FIELDS
from crawlscope.store import (
    Database,
    ProcessEventLog,
)
from crawlscope.store import event_writer as writer_program
from crawlscope.store.event_log import event_row
from tests.integration.event_rows import every_kind_of_event, stored_rows

PROGRAM = str(Path(writer_program.__file__).resolve())


# -- the child program itself ------------------------------------------------------------


def _frame(message: list[Any]) -> bytes:
    body = msgspec.msgpack.encode(message)
    return len(body).to_bytes(4, "big") + body


def _answers(data: bytes) -> list[list[Any]]:
    out = []
    while data:
        size = int.from_bytes(data[:4], "big")
        out.append(msgspec.msgpack.decode(data[4 : 4 + size]))
        data = data[4 + size :]
    return out


def _run_program(db: Path, stdin: bytes, columns: str = ",".join(EVENT_FIELDS)) -> Any:
    return subprocess.run(
        [sys.executable, "-P", PROGRAM, str(db), columns],
        input=stdin,
        capture_output=True,
        timeout=30,
        check=False,
    )


async def test_the_program_answers_every_frame_in_order_and_exits_on_eof(
    database: Database, db_path: Path
) -> None:
    rows = [list(event_row(e)) for e in every_kind_of_event("r", 4)]
    bad_row = [*rows[0][:-1]]  # one value short
    stdin = _frame([7, rows[:2]]) + _frame([8, rows[1:]]) + _frame([9, [bad_row]])
    stdin += _frame([10, rows[2:]])
    result = await asyncio.to_thread(_run_program, db_path, stdin)
    assert result.returncode == 0, result.stderr
    answers = _answers(result.stdout)
    assert answers[0][:2] == [0, "ready"]
    assert [a[:2] for a in answers[1:]] == [[7, "ok"], [8, "conflict"], [9, "error"], [10, "ok"]]
    assert answers[1][2] == 2
    assert "UNIQUE" in answers[2][2]
    assert [row[3] for row in stored_rows(db_path)] == [1, 2, 3, 4]


async def test_the_program_refuses_bad_input_with_a_reason(
    database: Database, db_path: Path
) -> None:
    result = await asyncio.to_thread(_run_program, db_path, b"", "run_id,drop table x")
    assert result.returncode == 1
    assert _answers(result.stdout)[0][:2] == [0, "error"]
    assert "invalid column names" in _answers(result.stdout)[0][2]
    result = await asyncio.to_thread(_run_program, db_path, _frame([1]) + b"\x00\x00\x00\x02xx")
    assert result.returncode == 2
    assert _answers(result.stdout)[1][:2] == [-1, "error"]
    assert stored_rows(db_path) == []


async def test_the_writer_ignores_group_signals_meant_for_its_parent(
    process_log: ProcessEventLog,
) -> None:
    await process_log.start()
    pid = process_log.pid
    assert pid is not None
    os.kill(pid, signal.SIGINT)
    os.kill(pid, signal.SIGTERM)
    await asyncio.sleep(0.2)
    await process_log.append([event_row(e) for e in every_kind_of_event("r", 3)])
    assert process_log.pid == pid
    assert await process_log.count("r") == 3
