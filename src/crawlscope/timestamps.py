"""Timestamps: one parser, one format, always timezone-aware UTC.

Events carry their time as ISO-8601 text with milliseconds (``2026-11-22T09:54:01.123Z``,
made on the hot path by ``crawlscope.events``); the store keeps real timestamp columns;
everything in between uses aware ``datetime`` values and converts here.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["format_ts", "from_epoch", "parse_ts", "seconds_between", "utc_now"]


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def from_epoch(seconds: float) -> datetime:
    """A Unix time as an aware UTC datetime, cut to milliseconds (what the store keeps)."""
    return datetime.fromtimestamp(int(seconds * 1000) / 1000, UTC)


def parse_ts(value: str | datetime) -> datetime:
    """An ISO-8601 timestamp (``Z`` or an offset; naive means UTC) as an aware UTC datetime.

    Raises ``ValueError`` for text that is not ISO-8601.
    """
    if isinstance(value, datetime):
        parsed = value
    else:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_ts(value: datetime) -> str:
    """``2026-11-22T09:54:01.123Z``: the events' format (UTC, milliseconds)."""
    value = parse_ts(value)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"


def seconds_between(start: str | datetime | None, end: str | datetime | None) -> float | None:
    """Seconds from ``start`` to ``end`` (or to now when ``end`` is None), never negative,
    rounded to milliseconds; None without a start."""
    if start is None or start == "":
        return None
    stop = parse_ts(end) if end else utc_now()
    return round(max(0.0, (stop - parse_ts(start)).total_seconds()), 3)
