"""Naming the cause of a failed write (store/health.py)."""

from __future__ import annotations

import errno
import sqlite3

import pytest
import sqlalchemy as sa

from crawlscope.store.database import DatabaseFileGone
from crawlscope.store.health import StorageStatus, classify
from crawlscope.store.process_event_log import EventWriterError


@pytest.mark.parametrize(
    ("exc", "cause"),
    [
        (sqlite3.OperationalError("database or disk is full"), "disk_full"),
        (
            EventWriterError("event writer could not store a batch: database or disk is full"),
            "disk_full",
        ),
        (OSError(errno.ENOSPC, "No space left on device"), "disk_full"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "read_only"),
        (OSError(errno.EROFS, "Read-only file system"), "read_only"),
        (
            EventWriterError("cannot open database x: unable to open (read-only file system)"),
            "read_only",
        ),
        (DatabaseFileGone("the database file /d/c.db was deleted"), "file_gone"),
        (
            DatabaseFileGone("the database file /d/c.db was replaced by another file"),
            "file_replaced",
        ),
        (
            EventWriterError("cannot open database x: unable to open (no such file: deleted)"),
            "file_gone",
        ),
        (sqlite3.OperationalError("database is locked"), "locked"),
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"), "unreachable"),
        (RuntimeError("something else"), "error"),
    ],
)
def test_causes(exc: BaseException, cause: str) -> None:
    assert classify(exc)[0] == cause


def test_the_driver_error_inside_sqlalchemy_is_read() -> None:
    wrapped = sa.exc.OperationalError(
        "INSERT ...", {}, sqlite3.OperationalError("database or disk is full")
    )
    assert classify(wrapped) == ("disk_full", "database or disk is full")


def test_a_failure_carries_its_advice_and_a_sentence() -> None:
    status = StorageStatus.failing("read_only", "attempt to write", unstored=7, failing_for_s=3.14)
    assert status.advice == "make the database file and its folder writable again"
    assert status.sentence() == "read_only: attempt to write"
    assert (status.ok, status.unstored, status.failing_for_s) == (False, 7, 3.1)
    assert StorageStatus(ok=True).sentence() == "storage works"
