"""The activity event: the one record of everything that happens in a run.

Every number crawlscope shows is derived from a stream of these records. The struct is a
``msgspec.Struct`` because it sits on the hot path: building and encoding one costs well
under a microsecond, several times less than a pydantic model. Validation happens at the
edges (``decode_events`` for ingest, the API's own models) and never per event in the runner.

Optional fields default to ``None`` and are left out of the encoded form when empty.
"""

from __future__ import annotations

import enum
import itertools
import os
import time
from typing import Annotated, Any, Final

import msgspec

__all__ = [
    "MAX_ERROR_MESSAGE",
    "PIPELINE_ACTIONS",
    "SYSTEM_ACTIONS",
    "WORKER_ACTIONS",
    "Action",
    "ActivityEvent",
    "ErrorStage",
    "ErrorType",
    "EventValidationError",
    "decode_events",
    "encode_event",
    "encode_events",
    "new_event_id",
    "truncate_message",
    "utc_now_iso",
]

MAX_ERROR_MESSAGE: Final = 1000
"""``error_message`` is cut to this many characters; the full text stays in the log."""


class Action(enum.StrEnum):
    """What an event says happened."""

    # Hash like the plain string: Enum's default hashes the member *name* in Python code,
    # which is slow on the hot path and breaks lookups that mix members and strings.
    __hash__ = str.__hash__

    # worker actions
    FETCHING = "fetching"
    FOUND = "found"
    ERROR = "error"
    RATE_LIMITED = "rate_limited"
    RETRYING = "retrying"
    WAITING = "waiting"
    SKIPPED = "skipped"
    """A request not sent because the collection's rules forbid it (robots.txt)."""
    COMPLETE = "complete"
    # pipeline actions (worker 0, ``source_worker_id`` names the producer)
    UPLOADING = "uploading"
    DEDUPED = "deduped"
    INSERTED = "inserted"
    UPDATED = "updated"
    # system actions (worker 0)
    RUN_STARTED = "run_started"
    RUN_PROGRESS = "run_progress"
    RUN_PAUSED = "run_paused"
    RUN_RESUMED = "run_resumed"
    RUN_CANCELLED = "run_cancelled"
    RUN_COMPLETED = "run_completed"
    RUN_FAILED = "run_failed"
    PHASE_STARTED = "phase_started"
    PHASE_COMPLETED = "phase_completed"
    BREAKER_OPENED = "breaker_opened"
    BREAKER_HALF_OPEN = "breaker_half_open"
    BREAKER_CLOSED = "breaker_closed"
    ALERT_ACTION = "alert_action"
    """An alert rule acted on the run (``extra``: rule, alert_id, action, outcome)."""


WORKER_ACTIONS: Final = frozenset(
    {
        Action.FETCHING,
        Action.FOUND,
        Action.ERROR,
        Action.RATE_LIMITED,
        Action.RETRYING,
        Action.WAITING,
        Action.SKIPPED,
        Action.COMPLETE,
    }
)
PIPELINE_ACTIONS: Final = frozenset(
    {Action.UPLOADING, Action.DEDUPED, Action.INSERTED, Action.UPDATED}
)
SYSTEM_ACTIONS: Final = frozenset(Action) - WORKER_ACTIONS - PIPELINE_ACTIONS


class ErrorType(enum.StrEnum):
    """Why something failed; the exact HTTP status, if any, is in ``status_code``."""

    __hash__ = str.__hash__

    RATE_LIMIT = "rate_limit"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    HTTP_4XX = "http_4xx"
    HTTP_5XX = "http_5xx"
    PARSE_ERROR = "parse_error"
    HANDLER_ERROR = "handler_error"
    """An unexpected exception in collector code (a bug, data it did not expect)."""
    API_ERROR = "api_error"
    CANCELLED = "cancelled"


class ErrorStage(enum.StrEnum):
    """Where a failure happened. Collectors may name stages of their own as plain strings."""

    __hash__ = str.__hash__

    REQUEST = "request"
    EXTRACTION = "extraction"
    VALIDATION = "validation"
    HANDLER = "handler"
    PIPELINE = "pipeline"


# Constraints are checked only when events are decoded at an edge (ingest, files), never
# when the runner builds them.
_Str200 = Annotated[str, msgspec.Meta(max_length=200)]
_Str2k = Annotated[str, msgspec.Meta(max_length=2048)]
_Str8k = Annotated[str, msgspec.Meta(max_length=8192)]
_NonNeg = Annotated[int, msgspec.Meta(ge=0)]
_NonNegFloat = Annotated[float, msgspec.Meta(ge=0)]
_StatusCode = Annotated[int, msgspec.Meta(ge=100, le=599)]


# gc=False: the hub keeps thousands of recent events per run in its ring buffers; untracked,
# they are never traversed by the garbage collector (full collections of a runner process
# took about 50 ms each, measured). Events hold plain data, so none is part of a cycle.
class ActivityEvent(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """One thing that happened in a run (see docs/events.md for every field).

    ``seq`` is assigned by the hub and is the SSE ``id``; ``id`` is globally unique and
    makes ingest idempotent. ``worker_id`` 0 is the system / data pipeline.
    """

    run_id: _Str200
    action: Action
    worker_id: _NonNeg = 0
    seq: _NonNeg = 0
    id: _Str200 = ""
    ts: _Str200 = ""
    phase: _Str200 | None = None
    task: _Str2k | None = None
    category: _Str2k | None = None
    item: _Str2k | None = None
    site: _Str200 | None = None
    url: _Str8k | None = None
    method: _Str200 | None = None
    status_code: _StatusCode | None = None
    params: dict[str, Any] | None = None
    started_at: _Str200 | None = None
    duration_ms: _NonNegFloat | None = None
    attempt: Annotated[int, msgspec.Meta(ge=1)] | None = None
    error_type: ErrorType | None = None
    error_stage: _Str200 | None = None
    error_message: Annotated[str, msgspec.Meta(max_length=MAX_ERROR_MESSAGE)] | None = None
    items_count: _NonNeg | None = None
    new_count: _NonNeg | None = None
    source_worker_id: _NonNeg | None = None
    operation_type: _Str200 | None = None
    extra: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        # Runs on construction in Python and after decoding; kept to two cheap checks.
        if not self.id:
            if self.ts:
                self.id = _stamp()[0]
            else:
                self.id, self.ts = _stamp()
        elif not self.ts:
            self.ts = _ts_now()


# Field order of the encoded tuple form, used by the store for column-ordered inserts.
EVENT_FIELDS: Final = ActivityEvent.__struct_fields__


# --- ids and timestamps -----------------------------------------------------------------

# The counter makes ids unique within a process (``next`` on ``itertools.count`` is atomic
# under the GIL); 30 random bits drawn once make them unique across processes.
_counter = itertools.count(1)
_PROCESS_RANDOM: Final = int.from_bytes(os.urandom(4), "big") & ((1 << 30) - 1)
_MIDDLE: Final = f"-{(0b10 << 14) | (_PROCESS_RANDOM >> 16):04x}-{_PROCESS_RANDOM & 0xFFFF:04x}"
# Per-millisecond cache: [ms, id prefix, ts string]; per-second cache: [sec, ts prefix].
_ms_cache: list[Any] = [-1, "", ""]
_sec_cache: list[Any] = [-1, ""]


def _refresh(ms: int) -> None:
    sec, frac = divmod(ms, 1000)
    if _sec_cache[0] != sec:
        _sec_cache[1] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
        _sec_cache[0] = sec
    h = f"{ms:012x}"
    _ms_cache[1] = f"{h[:8]}-{h[8:]}-7000{_MIDDLE}"
    _ms_cache[2] = f"{_sec_cache[1]}.{frac:03d}Z"
    _ms_cache[0] = ms


def _stamp() -> tuple[str, str]:
    """A fresh ``(id, ts)`` pair from one clock read."""
    ms = time.time_ns() // 1_000_000
    if _ms_cache[0] != ms:
        _refresh(ms)
    n = next(_counter)
    # After the version nibble: 12 zero bits, the variant and the process's random bits
    # (constant), then 32 bits of counter. The counter wraps after 2**32 events, long
    # after the millisecond prefix has moved on, so ids stay unique.
    return f"{_ms_cache[1]}{n & 0xFFFFFFFF:08x}", _ms_cache[2]


def _ts_now() -> str:
    """The current timestamp alone: no id is formatted and no counter value is used."""
    ms = time.time_ns() // 1_000_000
    if _ms_cache[0] != ms:
        _refresh(ms)
    ts: str = _ms_cache[2]
    return ts


def new_event_id() -> str:
    """A UUIDv7-shaped, time-ordered id, unique across processes.

    48 bits of Unix milliseconds, a per-process counter and 30 random bits drawn once per
    process: ``os.urandom`` is not called per event.
    """
    return _stamp()[0]


def utc_now_iso(now: float | None = None) -> str:
    """ISO-8601 UTC with milliseconds, e.g. ``2026-11-22T09:54:01.123Z``."""
    if now is None:
        return _ts_now()
    ms = int(now * 1000)
    sec, frac = divmod(ms, 1000)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(sec))}.{frac:03d}Z"


def truncate_message(message: str, limit: int = MAX_ERROR_MESSAGE) -> str:
    """Cut an error message to ``limit`` characters, marking the cut with an ellipsis."""
    if len(message) <= limit:
        return message
    return message[: limit - 1] + "…"


# --- encoding and edge validation -------------------------------------------------------

_encoder = msgspec.json.Encoder()
_list_decoder = msgspec.json.Decoder(list[ActivityEvent])


class EventValidationError(ValueError):
    """A batch of events failed validation; ``path`` names the offending index and field."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


def encode_event(event: ActivityEvent) -> bytes:
    """JSON bytes with empty optional fields left out."""
    return _encoder.encode(event)


def encode_events(events: list[ActivityEvent]) -> bytes:
    """JSON array bytes."""
    return _encoder.encode(events)


def decode_events(data: bytes | str) -> list[ActivityEvent]:
    """Decode and validate a JSON array of events, as received from another process.

    Raises ``EventValidationError`` whose message names the index and field, for example
    ``Expected `int` >= 0, got `-1` - at `$[3].worker_id```.
    """
    try:
        return _list_decoder.decode(data)
    except msgspec.ValidationError as exc:
        text = str(exc)
        path = text.rsplit(" - at ", 1)[1].strip("`") if " - at " in text else None
        raise EventValidationError(text, path) from exc
    except msgspec.DecodeError as exc:
        raise EventValidationError(f"malformed JSON: {exc}") from exc
