"""The activity event (events.py): encoding, ids and timestamps, and edge validation."""

from __future__ import annotations

import json
import re

import msgspec
import pytest

from crawlscope.events import (
    MAX_ERROR_MESSAGE,
    PIPELINE_ACTIONS,
    SYSTEM_ACTIONS,
    WORKER_ACTIONS,
    Action,
    ActivityEvent,
    ErrorStage,
    ErrorType,
    EventValidationError,
    decode_events,
    encode_event,
    encode_events,
    new_event_id,
    truncate_message,
    utc_now_iso,
)

UUID_SHAPE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TS_SHAPE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _full_event() -> ActivityEvent:
    return ActivityEvent(
        run_id="run1",
        action=Action.ERROR,
        worker_id=3,
        seq=17,
        phase="catalog",
        task="Laptops, page 2",
        category="Electronics / Laptops",
        item="Deluxe Lamp 4",
        site="127.0.0.1:8001",
        url="http://127.0.0.1:8001/c/4?page=2",
        method="GET",
        status_code=503,
        params={"page": 2},
        started_at="2026-11-22T09:54:01.000Z",
        duration_ms=12.5,
        attempt=2,
        error_type=ErrorType.HTTP_5XX,
        error_stage=ErrorStage.REQUEST,
        error_message="HTTP 503: busy",
        items_count=0,
        new_count=0,
        source_worker_id=3,
        operation_type="item_batch",
        extra={"delay_s": 0.5},
    )


def test_optional_fields_are_left_out_never_null() -> None:
    event = ActivityEvent(run_id="r", action=Action.FETCHING, worker_id=2, seq=1)
    data = json.loads(encode_event(event))
    assert set(data) == {"run_id", "action", "worker_id", "seq", "id", "ts"}
    assert b"null" not in encode_event(event)


def test_every_field_round_trips() -> None:
    event = _full_event()
    encoded = encode_event(event)
    assert b"null" not in encoded
    data = json.loads(encoded)
    assert set(data) == set(ActivityEvent.__struct_fields__)
    (decoded,) = decode_events(b"[" + encoded + b"]")
    assert decoded == event


def test_zero_counts_are_kept_but_none_is_omitted() -> None:
    # items_count=0 is information ("the task found nothing"), unlike an absent count.
    event = ActivityEvent(run_id="r", action=Action.COMPLETE, worker_id=1, items_count=0)
    assert json.loads(encode_event(event))["items_count"] == 0
    assert "new_count" not in json.loads(encode_event(event))


def test_encode_events_is_a_json_array() -> None:
    events = [ActivityEvent(run_id="r", action=Action.FOUND, worker_id=1) for _ in range(3)]
    data = json.loads(encode_events(events))
    assert [e["id"] for e in data] == [e.id for e in events]


def test_events_get_unique_time_ordered_uuid_shaped_ids_and_ms_timestamps() -> None:
    events = [ActivityEvent(run_id="r", action=Action.FOUND) for _ in range(5000)]
    ids = [e.id for e in events]
    assert len(set(ids)) == len(ids)
    assert all(UUID_SHAPE.match(i) for i in ids)
    assert ids == sorted(ids)
    assert all(TS_SHAPE.match(e.ts) for e in events)
    assert UUID_SHAPE.match(new_event_id())


def test_given_id_and_ts_are_kept() -> None:
    event = ActivityEvent(run_id="r", action=Action.FOUND, id="abc", ts="2026-01-01T00:00:00.000Z")
    assert (event.id, event.ts) == ("abc", "2026-01-01T00:00:00.000Z")
    only_id = ActivityEvent(run_id="r", action=Action.FOUND, id="abc")
    assert only_id.id == "abc"
    assert TS_SHAPE.match(only_id.ts)


def test_utc_now_iso_formats_a_given_time() -> None:
    assert utc_now_iso(0.0) == "1970-01-01T00:00:00.000Z"
    assert utc_now_iso(1_790_000_000.1234) == "2026-09-21T14:13:20.123Z"
    assert TS_SHAPE.match(utc_now_iso())


def test_truncate_message() -> None:
    assert truncate_message("short") == "short"
    exact = "x" * MAX_ERROR_MESSAGE
    assert truncate_message(exact) == exact
    cut = truncate_message("y" * 5000)
    assert len(cut) == MAX_ERROR_MESSAGE
    assert cut.endswith("…")


def test_action_groups_partition_the_actions() -> None:
    assert set(Action) == WORKER_ACTIONS | PIPELINE_ACTIONS | SYSTEM_ACTIONS
    assert not WORKER_ACTIONS & PIPELINE_ACTIONS
    assert not WORKER_ACTIONS & SYSTEM_ACTIONS
    assert not PIPELINE_ACTIONS & SYSTEM_ACTIONS
    assert "breaker_opened" in SYSTEM_ACTIONS


def test_enum_members_and_strings_are_interchangeable_as_keys() -> None:
    counts = {Action.FOUND: 1, ErrorType.TIMEOUT: 2}
    assert counts["found"] == 1
    assert counts["timeout"] == 2


# -- edge validation ----------------------------------------------------------------------------


def _batch(*events: dict[str, object]) -> bytes:
    return json.dumps(list(events)).encode()


GOOD = {"run_id": "r", "action": "found", "worker_id": 1}


def test_decode_accepts_minimal_events_and_fills_id_and_ts() -> None:
    (event,) = decode_events(_batch({"run_id": "r", "action": "run_started"}))
    assert event.worker_id == 0
    assert UUID_SHAPE.match(event.id)
    assert TS_SHAPE.match(event.ts)


def test_decode_accepts_text() -> None:
    assert len(decode_events(json.dumps([GOOD, GOOD]))) == 2


@pytest.mark.parametrize(
    ("bad", "path"),
    [
        ({"action": "nope"}, "$[1].action"),
        ({"worker_id": -1}, "$[1].worker_id"),
        ({"worker_id": "one"}, "$[1].worker_id"),
        ({"seq": -5}, "$[1].seq"),
        ({"status_code": 99}, "$[1].status_code"),
        ({"status_code": 600}, "$[1].status_code"),
        ({"attempt": 0}, "$[1].attempt"),
        ({"duration_ms": -1.0}, "$[1].duration_ms"),
        ({"error_type": "oops"}, "$[1].error_type"),
        ({"error_message": "m" * (MAX_ERROR_MESSAGE + 1)}, "$[1].error_message"),
        ({"run_id": "r" * 201}, "$[1].run_id"),
        ({"site": "s" * 201}, "$[1].site"),
        ({"task": "t" * 2049}, "$[1].task"),
        ({"url": "u" * 8193}, "$[1].url"),
        ({"params": ["not", "a", "dict"]}, "$[1].params"),
        ({"extra": "text"}, "$[1].extra"),
    ],
)
def test_decode_names_index_and_field(bad: dict[str, object], path: str) -> None:
    with pytest.raises(EventValidationError) as info:
        decode_events(_batch(GOOD, {**GOOD, **bad}))
    assert info.value.path == path
    assert path in str(info.value)


def test_decode_names_a_missing_required_field() -> None:
    with pytest.raises(EventValidationError) as info:
        decode_events(_batch(GOOD, GOOD, {"action": "found"}))
    assert "run_id" in str(info.value)
    assert info.value.path == "$[2]"


def test_decode_limits_are_inclusive() -> None:
    ok = {**GOOD, "error_message": "m" * MAX_ERROR_MESSAGE, "run_id": "r" * 200}
    (event,) = decode_events(_batch(ok))
    assert len(event.error_message or "") == MAX_ERROR_MESSAGE


@pytest.mark.parametrize(
    "payload",
    [b"", b"[", b"[{]", b"not json", b'[{"run_id": "r", "action": "found"},]'],
)
def test_malformed_json_is_a_validation_error(payload: bytes) -> None:
    with pytest.raises(EventValidationError, match="malformed JSON"):
        decode_events(payload)


def test_decode_requires_an_array() -> None:
    with pytest.raises(EventValidationError, match="array"):
        decode_events(json.dumps(GOOD))


def test_validation_error_is_a_value_error() -> None:
    # API layers catch ValueError for 4xx answers.
    with pytest.raises(ValueError):  # noqa: PT011
        decode_events(b"[1]")


def test_building_events_in_code_does_not_validate() -> None:
    # The hot path trusts the runner; only decode_events checks limits.
    event = ActivityEvent(run_id="r", action=Action.ERROR, error_message="m" * 5000)
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b"[" + encode_event(event) + b"]", type=list[ActivityEvent])
