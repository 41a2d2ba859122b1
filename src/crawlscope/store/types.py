"""Column types shared by the tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from crawlscope.timestamps import format_ts, parse_ts

__all__ = ["Timestamp"]


class Timestamp(TypeDecorator[datetime]):
    """A moment in time: an aware UTC ``datetime`` in Python.

    PostgreSQL stores ``timestamp with time zone``. SQLite has no time type: it stores
    the events' ISO-8601 text (``2026-11-22T09:54:01.123Z``, milliseconds), which its own
    date functions read and whose text order is time order, so comparisons and ``ORDER
    BY`` work on the column directly. Text (ISO-8601) is accepted when binding, so a
    moment taken from an event's ``ts`` needs no conversion by the caller.

    Both keep milliseconds (the events' precision): a moment is cut to the millisecond
    when bound, so what is read back is the same on either backend.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(32))
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        moment = parse_ts(value)
        if dialect.name == "sqlite":
            return format_ts(moment)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return parse_ts(value)
