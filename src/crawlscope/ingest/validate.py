"""Decoding and validating an ingest body as a whole, before anything is published.

Beyond the wire format's limits this checks what only Python can: that times parse, how
deep ``params`` and ``extra`` nest, the ``extra`` fields the aggregator reads (a value it
cannot fold would break the run's numbers), and NUL characters (PostgreSQL cannot store
them in text). Integers sent as integral floats (``3.0``, valid JSON Schema integers) are
accepted and stored as ints.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final

import msgspec
import msgspec.inspect

from crawlscope.events import ActivityEvent
from crawlscope.ingest.wire import (
    EXTRA_RULES,
    MAX_DICT_BYTES,
    MAX_NESTING,
    MAX_RUNS_PER_BATCH,
    IngestBatch,
    IngestRejected,
)

__all__ = ["decode_batch"]

# -- decoding and validation --------------------------------------------------------------

_batch_decoder = msgspec.json.Decoder(IngestBatch)
_BATCH_TYPE = msgspec.inspect.type_info(IngestBatch)
_RULE_TYPES: Final = {
    action: msgspec.inspect.type_info(rule) for action, rule in EXTRA_RULES.items()
}
_GOT_FLOAT: Final = "got `float`"


def _from_msgspec(exc: msgspec.ValidationError) -> IngestRejected:
    """msgspec's ``... - at `$.events[3].action``` -> field ``events[3].action``."""
    text = str(exc)
    reason, _, where = text.rpartition(" - at ")
    if not reason:
        reason, where = text, ""
    if where.startswith("`key` in "):  # a dict's key: name the dict, say it is a key
        where = where.removeprefix("`key` in ")
        reason = f"a key: {reason}"
    path = where.strip("`").removeprefix("$").removeprefix(".")
    if "matching regex" in reason:
        reason = (
            "expected an ISO-8601 time (a real date, 24-hour clock) with a zone, "
            "like 2026-11-22T09:54:01.123Z"
        )
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
        batch = _decode(body)
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
        if event.params is not None:
            if _too_deep(event.params):
                raise _bad(index, "params", f"nested deeper than {MAX_NESTING} levels")
            _check_size(index, "params", event.params)
        if event.extra is not None:
            _check_extra(index, event)
            _check_size(index, "extra", event.extra)
    if b"\\u0000" in body:
        _reject_nul(batch)
    return batch


def _decode(body: bytes) -> IngestBatch:
    try:
        return _batch_decoder.decode(body)
    except msgspec.ValidationError as exc:
        if _GOT_FLOAT not in str(exc):
            raise
    # JSON (and JSON Schema's ``integer``) does not tell 3.0 from 3, but msgspec's strict
    # decoding does; rare, so the slow path: decode untyped, make integral floats at
    # integer fields ints, convert. ``strict=False`` would also take "3" for 3.
    return msgspec.convert(_integral(msgspec.json.decode(body), _BATCH_TYPE), IngestBatch)


def _takes_int(info: msgspec.inspect.Type) -> bool:
    if isinstance(info, msgspec.inspect.IntType):
        return True
    if isinstance(info, msgspec.inspect.UnionType):
        kinds = [type(member) for member in info.types]
        return msgspec.inspect.IntType in kinds and msgspec.inspect.FloatType not in kinds
    return False


def _integral(value: Any, info: msgspec.inspect.Type) -> Any:
    """``value`` with integral floats turned into ints wherever ``info`` expects an int."""
    if isinstance(value, float):
        return int(value) if value.is_integer() and _takes_int(info) else value
    if isinstance(info, msgspec.inspect.UnionType):
        for member in info.types:
            if isinstance(member, msgspec.inspect.StructType | msgspec.inspect.ListType):
                return _integral(value, member)
        return value
    if isinstance(info, msgspec.inspect.StructType) and isinstance(value, dict):
        fields = {field.encode_name: field.type for field in info.fields}
        return {k: _integral(v, fields[k]) if k in fields else v for k, v in value.items()}
    if isinstance(info, msgspec.inspect.ListType) and isinstance(value, list):
        return [_integral(item, info.item_type) for item in value]
    return value


def _bad(index: int, name: str, message: str) -> IngestRejected:
    path = f"events[{index}].{name}"
    return IngestRejected(422, f"{path}: {message}", path)


def _check_time(index: int, name: str, value: str) -> None:
    """The pattern matched (msgspec); is it a real time (no February 30th)?"""
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _bad(index, name, f"not a valid time: {exc}") from exc


def _check_size(index: int, field: str, value: dict[str, Any]) -> None:
    size = len(_encode(value))
    if size > MAX_DICT_BYTES:
        raise _bad(index, field, f"{size} bytes of JSON; at most {MAX_DICT_BYTES} allowed")


_encode = msgspec.json.Encoder().encode


def _check_extra(index: int, event: ActivityEvent) -> None:
    """``extra`` fields the aggregator reads must have the types it expects."""
    extra = event.extra
    if _too_deep(extra):
        raise _bad(index, "extra", f"nested deeper than {MAX_NESTING} levels")
    rule = EXTRA_RULES.get(event.action)
    if rule is not None:
        try:
            try:
                msgspec.convert(extra, rule)
            except msgspec.ValidationError as exc:
                if _GOT_FLOAT not in str(exc):
                    raise
                # The aggregator reads ``extra`` as sent: store the ints, not 3.0.
                extra = _integral(extra, _RULE_TYPES[event.action])
                msgspec.convert(extra, rule)
                event.extra = extra
        except msgspec.ValidationError as exc:
            inner = _from_msgspec(exc)
            name = f"extra.{inner.field}" if inner.field else "extra"
            reason = (
                inner.message.removeprefix(f"{inner.field}: ") if inner.field else inner.message
            )
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
