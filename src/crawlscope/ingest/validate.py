"""Decoding and validating an ingest body as a whole, before anything is published.

Beyond the wire format's limits this checks what only Python can: that times are real
times (no February 30th), how deep ``params`` and ``extra`` nest, the ``extra`` fields the
aggregator reads (a value it cannot fold would break the run's numbers), and NUL
characters (PostgreSQL cannot store them in text).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Final

import msgspec

from crawlscope.events import Action, ActivityEvent
from crawlscope.ingest.wire import (
    INT32,
    MAX_NESTING,
    MAX_RUNS_PER_BATCH,
    IngestBatch,
    IngestRejected,
)
from crawlscope.runner.collection import MAX_WORKERS

__all__ = ["decode_batch"]

_MAX_COUNT: Final = 2**53
_Str200 = Annotated[str, msgspec.Meta(max_length=200)]


# -- the extra fields the aggregator reads ------------------------------------------------

_Count = Annotated[int, msgspec.Meta(ge=0, le=_MAX_COUNT)]


class _StartedExtra(msgspec.Struct):
    collection: _Str200 | None = None
    dataset: _Str200 | None = None


class _PausedExtra(msgspec.Struct):
    reason: Annotated[str, msgspec.Meta(max_length=2048)] | None = None
    requeued: Annotated[int, msgspec.Meta(ge=0, le=INT32)] = 0


class _PhaseExtra(msgspec.Struct):
    workers: Annotated[int, msgspec.Meta(ge=0, le=MAX_WORKERS)] = 0


class _EndExtra(msgspec.Struct):
    dataset_size: _Count | msgspec.UnsetType = msgspec.UNSET


class _Level(msgspec.Struct):
    level: _Str200
    done: _Count = 0
    total: _Count = 0


class _ProgressExtra(msgspec.Struct):
    progress: Annotated[list[_Level], msgspec.Meta(max_length=100)] = []


_EXTRA_RULES: Final[dict[str, type[msgspec.Struct]]] = {
    Action.RUN_STARTED: _StartedExtra,
    Action.RUN_PAUSED: _PausedExtra,
    Action.PHASE_STARTED: _PhaseExtra,
    Action.RUN_COMPLETED: _EndExtra,
    Action.RUN_CANCELLED: _EndExtra,
    Action.RUN_FAILED: _EndExtra,
    Action.RUN_PROGRESS: _ProgressExtra,
}


# -- decoding and validation --------------------------------------------------------------

_batch_decoder = msgspec.json.Decoder(IngestBatch)


def _from_msgspec(exc: msgspec.ValidationError) -> IngestRejected:
    """msgspec's ``... - at `$.events[3].action``` -> field ``events[3].action``."""
    text = str(exc)
    reason, _, where = text.rpartition(" - at ")
    if not reason:
        reason, where = text, ""
    path = where.strip("`").removeprefix("$").removeprefix(".")
    if "matching regex" in reason:
        reason = "expected an ISO-8601 time with a zone, like 2026-11-22T09:54:01.123Z"
    unknown = re.match(r"Object (?:contains unknown|missing required) field `([^`]*)`", reason)
    if unknown:
        path = f"{path}.{unknown.group(1)}" if path else unknown.group(1)
    return IngestRejected(422, f"{path}: {reason}" if path else reason, path or None)


def decode_batch(body: bytes, *, max_events: int) -> IngestBatch:
    """Decode and validate a whole request body; ``IngestRejected`` names what is wrong.

    413 for more than ``max_events`` events; otherwise 422 with the field path
    (``events[3].action``, or ``body`` when the body is not JSON at all).
    """
    try:
        batch = _batch_decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise _from_msgspec(exc) from exc
    except msgspec.DecodeError as exc:
        raise IngestRejected(422, f"body is not valid JSON: {exc}", "body") from exc
    except RecursionError as exc:
        raise IngestRejected(422, "body is nested too deeply", "body") from exc
    if len(batch.events) > max_events:
        raise IngestRejected(
            413, f"{len(batch.events)} events in one batch; the limit is {max_events}", "events"
        )
    run_ids = {event.run_id for event in batch.events}
    run_ids.update(batch.runs)
    if len(run_ids) > MAX_RUNS_PER_BATCH:
        raise IngestRejected(
            422, f"one batch may name at most {MAX_RUNS_PER_BATCH} runs, got {len(run_ids)}"
        )
    valid_times: set[str] = set()
    for index, event in enumerate(batch.events):
        if event.ts not in valid_times:
            _check_time(index, "ts", event.ts)
            valid_times.add(event.ts)
        if event.started_at is not None and event.started_at not in valid_times:
            _check_time(index, "started_at", event.started_at)
            valid_times.add(event.started_at)
        if event.params is not None and _too_deep(event.params):
            raise _bad(index, "params", f"nested deeper than {MAX_NESTING} levels")
        if event.extra is not None:
            _check_extra(index, event)
    if b"\\u0000" in body:
        _reject_nul(batch)
    return batch


def _bad(index: int, name: str, message: str) -> IngestRejected:
    path = f"events[{index}].{name}"
    return IngestRejected(422, f"{path}: {message}", path)


def _check_time(index: int, name: str, value: str) -> None:
    """The pattern matched (msgspec); is it a real time (no February 30th)?"""
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _bad(index, name, f"not a valid time: {exc}") from exc


def _check_extra(index: int, event: ActivityEvent) -> None:
    """``extra`` fields the aggregator reads must have the types it expects."""
    extra = event.extra
    if _too_deep(extra):
        raise _bad(index, "extra", f"nested deeper than {MAX_NESTING} levels")
    rule = _EXTRA_RULES.get(event.action)
    if rule is not None:
        try:
            msgspec.convert(extra, rule)
        except msgspec.ValidationError as exc:
            inner = _from_msgspec(exc)
            name = f"extra.{inner.field}" if inner.field else "extra"
            reason = str(exc).rpartition(" - at ")[0] or str(exc)
            raise _bad(index, name, reason) from exc


def _too_deep(value: Any) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_NESTING:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, dict | list))
    return False


def _nul_path(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                return path
            found = _nul_path(item, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _nul_path(item, f"{path}[{i}]")
            if found:
                return found
    return None


def _reject_nul(batch: IngestBatch) -> None:
    """NUL characters cannot be stored in PostgreSQL text; refuse them on every backend."""
    for index, event in enumerate(batch.events):
        for name in event.__struct_fields__:
            found = _nul_path(getattr(event, name), f"events[{index}].{name}")
            if found:
                raise IngestRejected(422, f"{found}: NUL characters are not allowed", found)
    for index, ack in enumerate(batch.acks):
        if "\x00" in ack.outcome:
            path = f"acks[{index}].outcome"
            raise IngestRejected(422, f"{path}: NUL characters are not allowed", path)
    for index, run_id in enumerate(batch.runs):
        if "\x00" in run_id:
            path = f"runs[{index}]"
            raise IngestRejected(422, f"{path}: NUL characters are not allowed", path)
