"""The ingest wire format: what a remote runner sends and what the server answers.

``IngestEvent`` is an ``ActivityEvent`` with the limits of the store built in, so msgspec
checks them while decoding (in C) and the OpenAPI schema states them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

import msgspec

from crawlscope.events import MAX_ERROR_MESSAGE, Action, ActivityEvent, ErrorType
from crawlscope.runner.collection import MAX_WORKERS

__all__ = [
    "INT32",
    "MAX_ID_LENGTH",
    "MAX_NESTING",
    "MAX_RUNS_PER_BATCH",
    "Ack",
    "IngestBatch",
    "IngestEvent",
    "IngestRejected",
    "IngestResult",
    "IngestUnavailable",
    "PendingCommand",
    "event_index",
    "ingest_schemas",
]

MAX_ID_LENGTH: Final = 64
"""``id`` and ``run_id`` are stored in 64-character columns."""
MAX_RUNS_PER_BATCH: Final = 100
"""Distinct runs one request may name (events and ``runs`` together)."""
MAX_NESTING: Final = 32
"""Depth of ``params`` / ``extra`` values (deeper ones could not be re-encoded safely)."""
INT32: Final = 2**31 - 1
"""Integers are stored in 32-bit columns on PostgreSQL."""
_MAX_DURATION_MS: Final = 1e10
_MAX_METHOD: Final = 16
_TS_PATTERN: Final = (
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
    r"(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$"
)
_INDEX = re.compile(r"^events\[(\d+)\]")

_RunId = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID_LENGTH)]


class Ack(msgspec.Struct, forbid_unknown_fields=True):
    """A runner's answer to a command it received in an earlier response."""

    command_id: Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
    outcome: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


_Str200 = Annotated[str, msgspec.Meta(max_length=200)]
_Str2k = Annotated[str, msgspec.Meta(max_length=2048)]
_WorkerId = Annotated[int, msgspec.Meta(ge=0, le=MAX_WORKERS)]
_Int32 = Annotated[int, msgspec.Meta(ge=0, le=INT32)]
_Time = Annotated[str, msgspec.Meta(pattern=_TS_PATTERN, max_length=32)]


class IngestEvent(ActivityEvent, forbid_unknown_fields=True, kw_only=True):
    """An ``ActivityEvent`` as a remote runner sends it, with the limits of the store.

    ``id`` and ``ts`` are required (a server-made id would defeat idempotency); strings
    fit their columns, integers fit 32 bits, times are ISO-8601 with a zone; an unknown
    field is an error. Every field is redeclared in the parent's order, so instances
    flow through the hub, the aggregator and the recorder exactly like local events.
    """

    run_id: _RunId
    action: Action
    worker_id: _WorkerId = 0
    seq: Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)] = 0
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID_LENGTH)]
    ts: _Time
    phase: _Str200 | None = None
    task: _Str2k | None = None
    category: _Str2k | None = None
    item: _Str2k | None = None
    site: _Str200 | None = None
    url: Annotated[str, msgspec.Meta(max_length=8192)] | None = None
    method: Annotated[str, msgspec.Meta(max_length=_MAX_METHOD)] | None = None
    status_code: Annotated[int, msgspec.Meta(ge=100, le=599)] | None = None
    params: dict[str, Any] | None = None
    started_at: _Time | None = None
    duration_ms: Annotated[float, msgspec.Meta(ge=0, le=_MAX_DURATION_MS)] | None = None
    attempt: Annotated[int, msgspec.Meta(ge=1, le=INT32)] | None = None
    error_type: ErrorType | None = None
    error_stage: _Str200 | None = None
    error_message: Annotated[str, msgspec.Meta(max_length=MAX_ERROR_MESSAGE)] | None = None
    items_count: _Int32 | None = None
    new_count: _Int32 | None = None
    source_worker_id: _WorkerId | None = None
    operation_type: _Str200 | None = None
    extra: dict[str, Any] | None = None


if IngestEvent.__struct_fields__ != ActivityEvent.__struct_fields__:  # pragma: no cover
    # The recorder stores events by field position: a mismatch would corrupt the store.
    raise ImportError("IngestEvent must redeclare every ActivityEvent field, in order")


class IngestBatch(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """The body of ``POST /api/ingest``.

    ``runs`` names runs whose commands the runner wants even when it has no events to send
    (a paused runner is silent but must still hear ``resume``).
    """

    events: list[IngestEvent] = []
    acks: list[Ack] = []
    runs: Annotated[list[_RunId], msgspec.Meta(max_length=MAX_RUNS_PER_BATCH)] = []


class PendingCommand(msgspec.Struct):
    """A pause/resume/cancel request waiting for the runner of ``run_id``."""

    id: int
    run_id: str
    command: str


class IngestResult(msgspec.Struct):
    """What ``POST /api/ingest`` answers."""

    accepted: int
    duplicates: int
    commands: list[PendingCommand]


class IngestRejected(Exception):
    """The batch is refused as a whole; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


class IngestUnavailable(Exception):
    """The database could not be reached; nothing of the batch was published."""


def event_index(field: str | None) -> int | None:
    """The event index a rejection names (``events[3].action`` -> 3), if any."""
    match = _INDEX.match(field or "")
    return int(match.group(1)) if match else None


# -- documentation ------------------------------------------------------------------------


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """Resolve ``#/$defs/X`` references in place (OpenAPI resolves ``#`` at its root)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _inline(value, defs) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_inline(item, defs) for item in schema]
    return schema


def _self_contained(struct: type[msgspec.Struct]) -> dict[str, Any]:
    schema = msgspec.json.schema(struct)
    defs = schema.pop("$defs", {})
    resolved: dict[str, Any] = _inline(schema, defs)
    return resolved


def ingest_schemas(max_events: int) -> dict[str, Any]:
    """The JSON Schema of the request body, self-contained, for OpenAPI."""
    body = _self_contained(IngestBatch)
    events = body["properties"]["events"]
    events["maxItems"] = max_events
    events["items"]["description"] = (
        "An activity event (docs/events.md). `seq` is ignored: the server numbers events. "
        "`extra` of run_started, run_paused, phase_started, run_progress and run_* ends is "
        "checked where the aggregator reads it; params/extra nest at most "
        f"{MAX_NESTING} levels; strings may not contain NUL."
    )
    return body
