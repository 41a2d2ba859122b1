"""Ingest validation without HTTP (crawlscope.ingest.wire, validate): ``decode_batch`` on raw
bytes, the published schema and its time pattern."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlscope.events import Action, ActivityEvent, new_event_id
from crawlscope.ingest import (
    MAX_NESTING,
    MAX_RUNS_PER_BATCH,
    IngestRejected,
    decode_batch,
    event_index,
    ingest_components,
    ingest_schemas,
)
from crawlscope.ingest import wire as ingest_wire
from crawlscope.ingest.wire import MAX_DICT_BYTES, NO_NUL

TS = "2026-11-22T09:54:01.123Z"


def ev(**fields: Any) -> dict[str, Any]:
    """A valid event as a remote runner would send it, with ``fields`` overriding."""
    event: dict[str, Any] = {
        "run_id": "r1",
        "action": "fetching",
        "worker_id": 1,
        "id": new_event_id(),
        "ts": TS,
    }
    event.update(fields)
    return event


def body(*events: dict[str, Any], **rest: Any) -> bytes:
    return json.dumps({"events": list(events), **rest}).encode()


def rejected(data: bytes, max_events: int = 5000) -> IngestRejected:
    with pytest.raises(IngestRejected) as info:
        decode_batch(data, max_events=max_events)
    return info.value


# -- decode_batch ---------------------------------------------------------------------------


def test_a_valid_batch_decodes_to_activity_events() -> None:
    batch = decode_batch(
        body(ev(), ev(action="found", status_code=200, duration_ms=3.5), ev(seq=99)),
        max_events=10,
    )
    assert [e.action for e in batch.events] == [Action.FETCHING, Action.FOUND, Action.FETCHING]
    assert all(isinstance(e, ActivityEvent) for e in batch.events)
    assert batch.acks == []
    assert batch.runs == []


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (body(ev(), ev(action="nope")), "events[1].action", "nope"),
        (body(ev(worker_id="3")), "events[0].worker_id", "int"),
        (body(ev(worker_id=-1)), "events[0].worker_id", ">= 0"),
        (body(ev(worker_id=1001)), "events[0].worker_id", "1000"),
        (body(ev(status_code=99)), "events[0].status_code", ">= 100"),
        (body(ev(items_count=2**40)), "events[0].items_count", "<= 2147483647"),
        (body(ev(duration_ms=1e300)), "events[0].duration_ms", "<= 1"),
        (body(ev(params=[1, 2])), "events[0].params", "object"),
        (body(ev(bogus=1)), "events[0].bogus", "unknown field"),
        (body(ev(), unexpected=True), "unexpected", "unknown field"),
        (body({k: v for k, v in ev().items() if k != "run_id"}), "events[0].run_id", "required"),
        (body(ev(id="")), "events[0].id", "length >= 1"),
        (body({k: v for k, v in ev().items() if k != "id"}), "events[0].id", "required"),
        (body({k: v for k, v in ev().items() if k != "ts"}), "events[0].ts", "required"),
        (body(ev(id="x" * 65)), "events[0].id", "64"),
        (body(ev(run_id="r" * 65)), "events[0].run_id", "64"),
        (body(ev(ts="yesterday")), "events[0].ts", "ISO-8601"),
        (body(ev(ts="2026-11-22T09:54:01.123")), "events[0].ts", "ISO-8601"),
        (body(ev(ts="2026-02-30T09:54:01.123Z")), "events[0].ts", "a real date"),
        (body(ev(ts="2025-02-29T09:54:01Z")), "events[0].ts", "a real date"),
        (body(ev(ts="0000-01-01T00:00:00Z")), "events[0].ts", "a real date"),
        (body(ev(ts="٢٠٢٦-11-22T09:54:01Z")), "events[0].ts", "ISO-8601"),
        (body(ev(ts=TS + "\n")), "events[0].ts", "time"),
        (body(ev(worker_id=1.5)), "events[0].worker_id", "int"),
        (body(ev(worker_id=2e3)), "events[0].worker_id", "1000"),
        (body(acks=[{"command_id": 2**31, "outcome": "ok"}]), "acks[0].command_id", "<="),
        (body(ev(started_at="soon")), "events[0].started_at", "ISO-8601"),
        (body(ev(method="X" * 17)), "events[0].method", "16"),
        (body(ev(task="t" * 2049)), "events[0].task", "length"),
        (body(ev(error_message="e" * 1001)), "events[0].error_message", "length"),
        (body(ev(url="u" * 9000)), "events[0].url", "length"),
        (body(ev(task="a\u0000b")), "events[0].task", "NUL"),
        (body(ev(extra={"note": ["ok", "a\u0000"]})), "events[0].extra.note[1]", "NUL"),
        (
            body(ev(action="phase_started", worker_id=0, extra={"workers": 10**9})),
            "events[0].extra.workers",
            "1000",
        ),
        (
            body(ev(action="run_paused", worker_id=0, extra={"requeued": "3"})),
            "events[0].extra.requeued",
            "int",
        ),
        (
            body(ev(action="run_completed", worker_id=0, extra={"dataset_size": None})),
            "events[0].extra.dataset_size",
            "int",
        ),
        (
            body(ev(action="run_completed", worker_id=0, extra={"status": "great"})),
            "events[0].extra.status",
            "invalid enum value 'great'",
        ),
        (
            body(ev(action="run_failed", worker_id=0, extra={"finish_reason": ["x"]})),
            "events[0].extra.finish_reason",
            "str",
        ),
        (
            body(ev(action="run_started", worker_id=0, extra={"collection": 5})),
            "events[0].extra.collection",
            "str",
        ),
        (
            body(ev(action="run_progress", worker_id=0, extra={"progress": [{"done": 1}]})),
            "events[0].extra.progress[0].level",
            "required",
        ),
        (
            body(ev(action="run_progress", worker_id=0, extra={"progress": ["x"]})),
            "events[0].extra.progress[0]",
            "object",
        ),
        (
            body(ev(action="uploading", worker_id=0, extra={"quality": {"checked": -1}})),
            "events[0].extra.quality.checked",
            ">= 0",
        ),
        (
            body(ev(action="uploading", worker_id=0, extra={"quality": {"present": {"a": "1"}}})),
            "events[0].extra.quality.present[...]",
            "int",
        ),
        (
            body(
                ev(action="uploading", worker_id=0, extra={"quality": {"errors": {"x" * 101: 1}}})
            ),
            "events[0].extra.quality.errors",
            "a key: expected `str` of length <= 100",
        ),
        (
            body(ev(action="run_started", worker_id=0, extra={"quality": {"fields": "name"}})),
            "events[0].extra.quality.fields",
            "array",
        ),
        (body(acks=[{"command_id": 0, "outcome": "paused"}]), "acks[0].command_id", ">= 1"),
        (body(acks=[{"command_id": 1}]), "acks[0].outcome", "required"),
        (body(runs=[""]), "runs[0]", "length"),
    ],
)
def test_invalid_input_names_the_index_and_field(data: bytes, field: str, words: str) -> None:
    error = rejected(data)
    assert error.status == 422
    assert error.field == field
    assert error.message.startswith(field)
    assert words.lower() in error.message.lower()


def test_malformed_json_and_wrong_shapes() -> None:
    for data in (b"", b"{", b'{"events": [}', b"\xff\xfe", b'{"events": "a\\ud800"}'):
        error = rejected(data)
        assert (error.status, error.field) == (422, "body"), data
        assert "not valid JSON" in error.message
    for data in (b"[]", b"null", b"42", b'"events"'):
        error = rejected(data)
        assert error.status == 422
        assert "Expected `object`" in error.message
    error = rejected(b'{"events": {}}')
    assert (error.status, error.field) == (422, "events")


def test_nesting_is_bounded() -> None:
    deep: Any = "bottom"
    for _ in range(MAX_NESTING - 1):
        deep = [deep]
    decode_batch(body(ev(params={"x": deep})), max_events=10)  # MAX_NESTING with the dict
    error = rejected(body(ev(params={"x": [deep]})))
    assert error.field == "events[0].params"
    error = rejected(body(ev(extra={"x": [deep]})))
    assert error.field == "events[0].extra"
    # Far deeper than Python's recursion limit: still a clean 422, not a crash.
    error = rejected(b'{"events": [{"extra": {"x": ' + b"[" * 5000 + b"]" * 5000 + b"}}]}")
    assert (error.status, error.field) == (422, "body")


@pytest.mark.parametrize("field", ["extra", "params"])
def test_params_and_extra_are_bounded_in_size(field: str) -> None:
    # {"s": "..."} encodes to 8 bytes around the string
    decode_batch(body(ev(**{field: {"s": "x" * (MAX_DICT_BYTES - 8)}})), max_events=10)
    error = rejected(body(ev(**{field: {"s": "x" * (MAX_DICT_BYTES - 7)}})))
    assert (error.status, error.field) == (422, f"events[0].{field}")
    assert f"at most {MAX_DICT_BYTES} allowed" in error.message
    huge = rejected(body(ev(), ev(**{field: {"s": "x" * 4_000_000}})), max_events=10)
    assert huge.field == f"events[1].{field}"


def test_too_many_events_or_runs() -> None:
    error = rejected(body(*(ev() for _ in range(11))), max_events=10)
    assert (error.status, error.field) == (413, "events")
    assert "limit is 10" in error.message
    decode_batch(body(*(ev(run_id=f"r{i}") for i in range(MAX_RUNS_PER_BATCH))), max_events=500)
    error = rejected(body(*(ev(run_id=f"r{i}") for i in range(MAX_RUNS_PER_BATCH + 1))))
    assert error.status == 422
    assert f"at most {MAX_RUNS_PER_BATCH} runs" in error.message


def test_event_index() -> None:
    assert event_index("events[12].action") == 12
    assert event_index("events[0]") == 0
    assert event_index("acks[3].outcome") is None
    assert event_index(None) is None


def test_integral_floats_are_integers() -> None:
    # JSON Schema's "integer" includes 3.0, so the decoder takes it (and stores an int).
    batch = decode_batch(
        body(
            ev(worker_id=3.0, status_code=200.0),
            ev(action="run_paused", worker_id=0, extra={"requeued": 2.0, "note": 1.0}),
            ev(
                action="run_progress",
                worker_id=0,
                extra={"progress": [{"level": "a", "done": 1e0}]},
            ),
            acks=[{"command_id": 7.0, "outcome": "paused"}],
        ),
        max_events=10,
    )
    first, paused, progress = batch.events
    assert (first.worker_id, first.status_code) == (3, 200)
    assert type(first.worker_id) is int
    assert paused.extra == {"requeued": 2, "note": 1.0}  # free keys are left as sent
    assert type(paused.extra["requeued"]) is int
    assert progress.extra == {"progress": [{"level": "a", "done": 1}]}
    assert type(batch.acks[0].command_id) is int


def test_the_openapi_schema_describes_the_limits() -> None:
    schema = ingest_schemas(5000)
    events = schema["properties"]["events"]
    assert events["maxItems"] == 5000
    event = events["items"]
    assert {"run_id", "action", "id", "ts"} <= set(event["required"])
    assert event["properties"]["id"]["maxLength"] == 64
    assert event["properties"]["id"]["pattern"] == NO_NUL
    assert event["additionalProperties"] is False
    assert "fetching" in json.dumps(event["properties"]["action"])
    # Only refers to the components it brings along (OpenAPI resolves '#' at its root).
    components = ingest_components()
    refs = set(re.findall(r'"\$ref": "#/components/schemas/(\w+)"', json.dumps(schema)))
    assert refs == set(components)
    # extra of run_paused has the shape the aggregator reads
    rules = {json.dumps(c["properties"]["action"]): c for c in event["anyOf"]}
    paused = next(rule for action, rule in rules.items() if "run_paused" in action)
    shape = paused["properties"]["extra"]["anyOf"][0]["properties"]
    assert shape["requeued"]["maximum"] == 2**31 - 1


_TS = re.compile(ingest_wire._TS_PATTERN)


_ZONES = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))


@given(st.datetimes(timezones=_ZONES), st.sampled_from(["seconds", "milliseconds", "microseconds"]))
@settings(max_examples=300, deadline=None)
def test_the_time_pattern_takes_every_real_time(moment: datetime, timespec: str) -> None:
    assert _TS.match(moment.isoformat(timespec=timespec))


@given(st.from_regex(_TS, fullmatch=True))
@settings(max_examples=300, deadline=None)
def test_every_time_the_pattern_takes_is_real(text: str) -> None:
    datetime.fromisoformat(text.replace("Z", "+00:00"))


@given(
    st.integers(0, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
)
@settings(max_examples=500, deadline=None)
def test_the_time_pattern_is_exactly_the_calendar(year: int, month: int, day: int) -> None:
    text = f"{year:04d}-{month:02d}-{day:02d}T12:00:00Z"
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
        real = True
    except ValueError:
        real = False
    assert bool(_TS.match(text)) is real
