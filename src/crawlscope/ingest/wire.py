"""The ingest wire format: what a remote runner sends and what the server answers.

``IngestEvent`` is an ``ActivityEvent`` with the limits of the store built in, so msgspec
checks them while decoding (in C) and the OpenAPI schema states them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, Literal

import msgspec

from crawlscope.events import MAX_ERROR_MESSAGE, Action, ActivityEvent, ErrorType
from crawlscope.runner.collection import MAX_WORKERS
from crawlscope.runner.quality import MAX_FIELD_NAME, MAX_QUALITY_FIELDS
from crawlscope.status import ControlCommand

__all__ = [
    "EXTRA_RULES",
    "INT32",
    "MAX_COUNT",
    "MAX_DICT_BYTES",
    "MAX_ID_LENGTH",
    "MAX_NESTING",
    "MAX_RUNS_PER_BATCH",
    "TIME_PATTERN",
    "Ack",
    "IngestBatch",
    "IngestEvent",
    "IngestRejected",
    "IngestResult",
    "IngestUnavailable",
    "PendingCommand",
    "event_index",
    "ingest_components",
    "ingest_schemas",
]

MAX_ID_LENGTH: Final = 64
"""``id`` and ``run_id`` are stored in 64-character columns."""
MAX_RUNS_PER_BATCH: Final = 100
"""Distinct runs one request may name (events and ``runs`` together)."""
MAX_NESTING: Final = 32
"""Depth of ``params`` / ``extra`` values (deeper ones could not be re-encoded safely)."""
MAX_DICT_BYTES: Final = 64 * 1024
"""Size of ``params`` or ``extra`` of one event, as JSON: context for a person reading the
feed, not a payload (items go to the dataset). Larger ones are refused (422)."""
INT32: Final = 2**31 - 1
"""Integers are stored in 32-bit columns on PostgreSQL."""
MAX_COUNT: Final = 2**53
"""The largest count or seq accepted: exact as a JSON number in every client."""
_MAX_DURATION_MS: Final = 1e10
_MAX_METHOD: Final = 16
# A real calendar date (month lengths, leap years, year 0001-9999: what
# ``datetime.fromisoformat`` accepts), a 24-hour time and a zone. ASCII digits only: Python's
# ``\d`` would match other scripts' digits, JSON Schema's (ECMA-262) would not.
_YEAR: Final = "(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
_LEAP_YEAR: Final = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)"
_DATE: Final = (
    f"({_YEAR}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
    "|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    "|02-(0[1-9]|1[0-9]|2[0-8]))"
    f"|{_LEAP_YEAR}-02-29)"
)
_TS_PATTERN: Final = (
    f"^{_DATE}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{{1,6}})?"
    "(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
TIME_PATTERN: Final = _TS_PATTERN
"""An ISO 8601 time with its zone that names a real moment (shared with other inputs)."""
_INDEX = re.compile(r"^events\[(\d+)\]")

_RunId = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID_LENGTH)]


class Ack(msgspec.Struct, forbid_unknown_fields=True):
    """A runner's answer to a command it received in an earlier response."""

    command_id: Annotated[int, msgspec.Meta(ge=1, le=INT32)]
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
    seq: Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)] = 0
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


_Percent = Annotated[float, msgspec.Meta(ge=0, le=100)]


class HostFigures(msgspec.Struct, forbid_unknown_fields=True):
    """The runner's machine, sampled now and then (``HttpReporter``'s ``host_every_s``)."""

    cpu_percent: _Percent
    memory_percent: _Percent
    process_rss_mb: Annotated[float, msgspec.Meta(ge=0, le=2**40)] | None = None
    hostname: _Str200 | None = None


class IngestBatch(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """The body of ``POST /api/ingest``.

    ``runs`` names runs whose commands the runner wants even when it has no events to send
    (a paused runner is silent but must still hear ``resume``). ``host``: the runner's
    machine now and then, kept as the system samples of the batch's runs.
    """

    events: list[IngestEvent] = []
    acks: list[Ack] = []
    runs: Annotated[list[_RunId], msgspec.Meta(max_length=MAX_RUNS_PER_BATCH)] = []
    host: HostFigures | None = None


# -- the extra fields the aggregator reads --------------------------------------------------

_Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]


_FieldName = Annotated[str, msgspec.Meta(max_length=MAX_FIELD_NAME)]
# One more key than the quality fields: ``$``, errors anywhere else.
_FieldCounts = Annotated[dict[_FieldName, _Count], msgspec.Meta(max_length=MAX_QUALITY_FIELDS + 1)]


class StartedQuality(msgspec.Struct):
    """``run_started``'s ``extra.quality``: the fields whose coverage the run reports."""

    fields: Annotated[list[_FieldName], msgspec.Meta(max_length=MAX_QUALITY_FIELDS)] = []
    schema: _Str200 | None = None


class StartedExtra(msgspec.Struct):
    """``extra`` of ``run_started``: what the run's row shows."""

    collection: _Str200 | None = None
    dataset: _Str200 | None = None
    quality: StartedQuality | msgspec.UnsetType = msgspec.UNSET


class BatchQuality(msgspec.Struct):
    """``uploading``'s ``extra.quality``: one batch's items validated, fields counted."""

    checked: _Count = 0
    invalid: _Count = 0
    present: _FieldCounts = {}
    errors: _FieldCounts = {}


class UploadingExtra(msgspec.Struct):
    """``extra`` of ``uploading``."""

    quality: BatchQuality | msgspec.UnsetType = msgspec.UNSET


class PausedExtra(msgspec.Struct):
    """``extra`` of ``run_paused``: why, and how many tasks went back on their queues."""

    reason: Annotated[str, msgspec.Meta(max_length=2048)] | None = None
    requeued: Annotated[int, msgspec.Meta(ge=0, le=INT32)] = 0


class PhaseExtra(msgspec.Struct):
    """``extra`` of ``phase_started``: the phase's worker count and its first worker id
    (phases that overlap number their workers on from the phase before)."""

    workers: Annotated[int, msgspec.Meta(ge=0, le=MAX_WORKERS)] = 0
    first_worker: Annotated[int, msgspec.Meta(ge=1, le=INT32)] = 1


class EndExtra(msgspec.Struct):
    """``extra`` of ``run_completed``, ``run_cancelled`` and ``run_failed``."""

    dataset_size: _Count | msgspec.UnsetType = msgspec.UNSET
    finish_reason: Annotated[str, msgspec.Meta(max_length=2048)] | msgspec.UnsetType = msgspec.UNSET
    status: Literal["completed", "completed_with_errors"] | msgspec.UnsetType = msgspec.UNSET
    """``run_completed`` only: how the run's outcome rules judged it."""


class ProgressLevelExtra(msgspec.Struct):
    """One level of ``run_progress``'s ``extra.progress``."""

    level: _Str200
    done: _Count = 0
    total: _Count = 0
    open: bool = False
    """A running phase may still add to ``total``."""


class ProgressExtra(msgspec.Struct):
    """``extra`` of ``run_progress``."""

    progress: Annotated[list[ProgressLevelExtra], msgspec.Meta(max_length=100)] = []


EXTRA_RULES: Final[dict[str, type[msgspec.Struct]]] = {
    Action.RUN_STARTED: StartedExtra,
    Action.RUN_PAUSED: PausedExtra,
    Action.PHASE_STARTED: PhaseExtra,
    Action.RUN_COMPLETED: EndExtra,
    Action.RUN_CANCELLED: EndExtra,
    Action.RUN_FAILED: EndExtra,
    Action.RUN_PROGRESS: ProgressExtra,
    Action.UPLOADING: UploadingExtra,
}
"""The ``extra`` shape per action, where the aggregator reads ``extra`` (other keys are free)."""


class PendingCommand(msgspec.Struct):
    """A pause/resume/cancel request waiting for the runner of ``run_id``."""

    id: int
    run_id: str
    command: ControlCommand


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
    """The database or Redis could not be used; the runner sends the batch again later
    (503 with ``Retry-After``)."""

    @classmethod
    def database(cls, exc: BaseException) -> IngestUnavailable:
        """The database failed with ``exc``: said in one line (the driver's message, not
        the statement and its parameters, which SQLAlchemy's text carries)."""
        # Imported here: remote runners import this module and never load the store.
        from crawlscope.store.health import classify

        cause, message = classify(exc)
        return cls(f"the database is unavailable ({cause}): {message}")


def event_index(field: str | None) -> int | None:
    """The event index a rejection names (``events[3].action`` -> 3), if any."""
    match = _INDEX.match(field or "")
    return int(match.group(1)) if match else None


# -- documentation ------------------------------------------------------------------------

NO_NUL: Final = "^[^\\u0000]*$"
"""JSON Schema pattern of a string without NUL characters (PostgreSQL cannot store them)."""
JSON_VALUE: Final = "IngestJsonValue"
"""The ``components.schemas`` name of a free JSON value (``params``, ``extra``)."""
_JSON_VALUE_REF: Final = {"$ref": f"#/components/schemas/{JSON_VALUE}"}


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


def _no_nul(schema: Any) -> Any:
    """State what ``decode_batch`` checks in Python: no NUL in any string or key, and
    free objects (``params``, ``extra``, unknown keys of ``extra``) hold such values."""
    if isinstance(schema, list):
        return [_no_nul(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _no_nul(value) for key, value in schema.items()}
    if out.get("type") == "string" and "pattern" not in out and "enum" not in out:
        out["pattern"] = NO_NUL
    if out.get("type") == "object" and "additionalProperties" not in out:
        out["additionalProperties"] = _JSON_VALUE_REF
        out["propertyNames"] = {"pattern": NO_NUL}
    return out


def _self_contained(struct: type[msgspec.Struct]) -> dict[str, Any]:
    schema = msgspec.json.schema(struct)
    defs = schema.pop("$defs", {})
    resolved: dict[str, Any] = _no_nul(_inline(schema, defs))
    return resolved


def _extra_rules() -> list[dict[str, Any]]:
    """One alternative per ``extra`` shape: ``action`` is one of the shape's actions and
    ``extra`` is null or that shape; a last one for the actions whose ``extra`` is free.

    A flat union rather than one ``if``/``then`` per shape: it says the same, and its size
    grows with the shapes, where tools that expand ``if``/``then`` (schemathesis's
    canonicaliser) give up beyond five of them."""
    by_shape: dict[type[msgspec.Struct], list[str]] = {}
    for action, shape in EXTRA_RULES.items():
        by_shape.setdefault(shape, []).append(str(action))
    alternatives = []
    for shape, actions in by_shape.items():
        extra = _self_contained(shape)
        extra.pop("title", None)
        alternatives.append(
            {
                "properties": {
                    "action": {"enum": actions},
                    "extra": {"anyOf": [extra, {"type": "null"}]},
                }
            }
        )
    free = sorted(str(action) for action in Action if action not in EXTRA_RULES)
    alternatives.append({"properties": {"action": {"enum": free}}})
    return alternatives


def ingest_schemas(max_events: int) -> dict[str, Any]:
    """The JSON Schema of the request body for OpenAPI: every limit ``decode_batch``
    enforces that JSON Schema can state. It refers to ``ingest_components()`` only."""
    body = _self_contained(IngestBatch)
    events = body["properties"]["events"]
    events["maxItems"] = max_events
    event = events["items"]
    event["description"] = (
        "An activity event (docs/events.md). `seq` is ignored: the server numbers events. "
        "Integers may be sent as integral numbers (`3.0`). `extra` of run_started, "
        "run_paused, phase_started, run_progress and run_* ends has the shape the "
        f"aggregator reads; params/extra nest at most {MAX_NESTING} levels and hold at most "
        f"{MAX_DICT_BYTES} bytes of JSON each; strings and keys may not contain NUL."
    )
    event["anyOf"] = _extra_rules()
    body["description"] = (
        "A batch of events, acknowledgements and runs to poll commands for. One batch names "
        f"at most {MAX_RUNS_PER_BATCH} distinct runs (event run ids and `runs` together)."
    )
    return body


def ingest_components() -> dict[str, Any]:
    """The ``components.schemas`` entries ``ingest_schemas`` refers to."""
    return {
        JSON_VALUE: {
            "description": "A JSON value without NUL characters in its strings or keys.",
            "anyOf": [
                {"type": ["null", "boolean", "number"]},
                {"type": "string", "pattern": NO_NUL},
                {"type": "array", "items": _JSON_VALUE_REF},
                {
                    "type": "object",
                    "additionalProperties": _JSON_VALUE_REF,
                    "propertyNames": {"pattern": NO_NUL},
                },
            ],
        }
    }
