"""JSON log lines: the promised keys, the record's extra fields, tracebacks, and values
JSON cannot hold."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from crawlscope.logs import JsonLineFormatter


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord("crawlscope.x", logging.WARNING, __file__, 1, "%d left", (3,), None)
    record.__dict__.update(extra)
    return record


def test_a_record_is_one_line_of_json_with_its_extra_fields() -> None:
    record = _record(run_id="r1", when=datetime(2026, 12, 4, tzinfo=UTC))
    text = JsonLineFormatter().format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert line["level"] == "warning"
    assert line["logger"] == "crawlscope.x"
    assert line["message"] == "3 left"
    assert line["run_id"] == "r1"
    assert line["when"] == "2026-12-04 00:00:00+00:00"  # not JSON: its str
    stamp = datetime.fromisoformat(line["timestamp"])
    assert stamp.tzinfo is not None
    assert line["timestamp"].endswith("Z")
    assert abs(stamp.timestamp() - record.created) < 0.001
    # nothing of LogRecord's own attributes leaks in
    assert set(line) == {"timestamp", "level", "logger", "message", "run_id", "when"}


def test_an_exception_goes_with_its_traceback_on_the_same_line() -> None:
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        record = logging.LogRecord(
            "crawlscope.y", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    text = JsonLineFormatter().format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert line["exception"].startswith("Traceback")
    assert "ValueError: bad\nthing" in line["exception"]
