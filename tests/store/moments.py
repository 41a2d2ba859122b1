"""What every repository promises about moments: aware UTC datetimes, kept to the millisecond."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["assert_utc", "to_ms"]


def to_ms(value: datetime) -> datetime:
    """``value`` cut to whole milliseconds: what the store keeps."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def assert_utc(value: datetime | None, expected: datetime | None = None) -> None:
    """``value`` is an aware datetime in UTC (and, given ``expected``, the same instant to the
    millisecond)."""
    assert isinstance(value, datetime), value
    assert value.tzinfo is UTC, value.tzinfo
    if expected is not None:
        assert value == to_ms(expected), (value, expected)
