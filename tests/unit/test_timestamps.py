"""The one timestamp parser and format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from crawlscope.timestamps import format_ts, parse_ts, seconds_between


def test_parses_the_events_format_as_aware_utc() -> None:
    parsed = parse_ts("2026-11-22T09:54:01.123Z")
    assert parsed == datetime(2026, 11, 22, 9, 54, 1, 123000, tzinfo=UTC)
    assert parsed.tzinfo is UTC


def test_offsets_are_converted_to_utc() -> None:
    assert parse_ts("2026-11-22T10:54:01+01:00") == datetime(2026, 11, 22, 9, 54, 1, tzinfo=UTC)


def test_naive_text_and_datetimes_mean_utc() -> None:
    assert parse_ts("2026-11-22 09:54:01") == datetime(2026, 11, 22, 9, 54, 1, tzinfo=UTC)
    assert parse_ts(datetime(2026, 1, 1)) == datetime(2026, 1, 1, tzinfo=UTC)


def test_aware_datetimes_are_converted() -> None:
    east = timezone(timedelta(hours=3))
    assert parse_ts(datetime(2026, 1, 1, 3, tzinfo=east)) == datetime(2026, 1, 1, tzinfo=UTC)


def test_garbage_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Invalid isoformat"):
        parse_ts("yesterday")


def test_format_is_the_events_format() -> None:
    value = datetime(2026, 11, 22, 9, 54, 1, 123456, tzinfo=UTC)
    assert format_ts(value) == "2026-11-22T09:54:01.123Z"
    assert parse_ts(format_ts(value)) == value.replace(microsecond=123000)


def test_seconds_between() -> None:
    assert seconds_between("2026-01-01T00:00:00Z", "2026-01-01T00:01:30.5Z") == 90.5
    assert seconds_between(None, "2026-01-01T00:00:00Z") is None
    # an end before the start (clock skew between machines) is not a negative duration
    assert seconds_between("2026-01-01T00:00:10Z", "2026-01-01T00:00:00Z") == 0.0
    assert seconds_between(datetime.now(UTC) - timedelta(seconds=5), None) == pytest.approx(
        5, abs=1
    )
