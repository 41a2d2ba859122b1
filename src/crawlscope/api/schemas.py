"""Shapes at the HTTP edge: request bodies (pydantic) and response envelopes (msgspec).

Request bodies are pydantic models so FastAPI validates them and reports the field.
Responses are the msgspec frames the rest of crawlscope already produces, encoded by
msgspec (several times cheaper than pydantic for a frame with 50 worker cards). OpenAPI
still documents them: ``documented(...)`` puts a ``$ref`` into a route's ``responses``
and ``install_msgspec_schemas`` adds msgspec's JSON Schema of every referenced type to
``components.schemas``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import msgspec
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.responses import Response
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field

from crawlscope.aggregate import SiteCard, WorkerCard
from crawlscope.events import ActivityEvent
from crawlscope.registry import CollectionInfo
from crawlscope.runner.collection import MAX_WORKERS
from crawlscope.schedules.views import ScheduleView
from crawlscope.site_health import SiteHealth
from crawlscope.status import RunStatus
from crawlscope.store.run_store import DayTotals, RunSummary

__all__ = [
    "MAX_START_BODY_BYTES",
    "CollectionList",
    "ControlAnswer",
    "ErrorBody",
    "EventPage",
    "OverviewBody",
    "RunList",
    "ScheduleCreate",
    "ScheduleList",
    "ScheduleUpdate",
    "SiteList",
    "StartRunRequest",
    "TargetSites",
    "WorkerList",
    "documented",
    "errors",
    "install_msgspec_schemas",
    "json_response",
    "raw_components",
]

MAX_START_BODY_BYTES = 256 * 1024
"""A start request is a name, a worker count and parameters: far below this."""


# -- requests ---------------------------------------------------------------------------


class StartRunRequest(BaseModel):
    """Body of ``POST /api/runs``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    collection: str = Field(
        min_length=1, max_length=100, description="A registered collection's name."
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="Run parameters; validated against the collection's params_schema.",
    )
    workers: int | None = Field(
        default=None,
        ge=1,
        le=MAX_WORKERS,
        description="Workers per phase (default: each phase's own).",
    )


_NULLABLE_IN_PATCH = ("interval_s", "cron")


def _not_null(schema: dict[str, Any]) -> None:
    """The PATCH body's JSON Schema: a field may be absent, but only ``interval_s`` and
    ``cron`` may be null (the route refuses other nulls with a 422 naming the field)."""
    for name, prop in schema.get("properties", {}).items():
        branches = prop.get("anyOf")
        if name in _NULLABLE_IN_PATCH or not branches:
            continue
        kept = [b for b in branches if b != {"type": "null"}]
        if len(kept) == 1:
            del prop["anyOf"]
            prop.update(kept[0])


_OVERLAP = "While the previous run of the schedule is active: skip the slot, queue it "
_OVERLAP += "(start it when that run ends) or allow (start anyway)."
_CATCH_UP = "Slots missed while no server ran: skip them, or start one run now (once)."


class ScheduleCreate(BaseModel):
    """Body of ``POST /api/schedules``: exactly one of ``interval_s`` and ``cron``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=100, description="Unique name.")
    collection: str = Field(
        min_length=1, max_length=200, description="A registered collection's name."
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="Run parameters; validated against the collection's params_schema.",
    )
    interval_s: float | None = Field(
        default=None, description="Seconds between runs (at least the server's minimum)."
    )
    cron: str | None = Field(
        default=None,
        max_length=200,
        description="A five-field cron expression (minute hour day month weekday).",
    )
    timezone: str = Field(
        default="UTC", max_length=64, description="IANA time zone the cron expression uses."
    )
    enabled: bool = Field(default=True, description="False: created paused.")
    overlap: Literal["skip", "queue", "allow"] = Field(default="skip", description=_OVERLAP)
    catch_up: Literal["skip", "once"] = Field(default="skip", description=_CATCH_UP)


class ScheduleUpdate(BaseModel):
    """Body of ``PATCH /api/schedules/{id}``: the fields to change. Giving ``interval_s``
    clears ``cron`` and the other way round (either may also be given as null)."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_not_null)

    # None: not given (absent). Typed ``X | None`` so that validation errors locate the
    # field plainly (``name``); the schema shows them non-null (``_not_null``).
    name: str | None = Field(default=None, min_length=1, max_length=100)
    collection: str | None = Field(default=None, min_length=1, max_length=200)
    params: dict[str, Any] | None = None
    interval_s: float | None = None
    cron: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    enabled: bool | None = None
    overlap: Literal["skip", "queue", "allow"] | None = Field(default=None, description=_OVERLAP)
    catch_up: Literal["skip", "once"] | None = Field(default=None, description=_CATCH_UP)


# -- responses --------------------------------------------------------------------------


class ErrorDetail(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What went wrong; ``field`` names the one input at fault, if there is one."""

    code: str
    message: str
    field: str | None = None


class ErrorBody(msgspec.Struct, kw_only=True):
    """Every error response: ``{"error": {"code", "message", "field"?}}``."""

    error: ErrorDetail


class RunList(msgspec.Struct, kw_only=True):
    """A page of runs, newest first, and how many match the filter in all."""

    runs: list[RunSummary]
    total: int
    limit: int
    offset: int


class ControlAnswer(msgspec.Struct, kw_only=True):
    """What pause/resume/cancel did: ``outcome`` is paused, resumed, cancelled or queued
    (its runner has not answered yet); ``status`` is the run's status afterwards."""

    run_id: str
    outcome: Literal["paused", "resumed", "cancelled", "queued"]
    status: RunStatus


class WorkerList(msgspec.Struct, kw_only=True):
    """Every worker card of a run."""

    run_id: str
    workers: list[WorkerCard]


class SiteList(msgspec.Struct, kw_only=True):
    """Every site a run has sent requests to."""

    run_id: str
    sites: list[SiteCard]


class TargetSites(msgspec.Struct, kw_only=True):
    """``GET /api/health/sites``: every target site of the runs live here (``site_health``)."""

    sites: list[SiteHealth]


class ItemPage(msgspec.Struct, kw_only=True):
    """Dataset items of a run (inserted by it or last seen by it), ordered by key."""

    run_id: str
    dataset: str | None
    total: int
    items: list[Any]


class EventPage(msgspec.Struct, kw_only=True):
    """Stored events in seq order; ``next_after_seq`` is null when the page reached the end."""

    events: list[ActivityEvent]
    next_after_seq: int | None


class CollectionList(msgspec.Struct, kw_only=True):
    """The collections this server can start."""

    collections: list[CollectionInfo]


class ScheduleList(msgspec.Struct, kw_only=True):
    """Every schedule, by name, with its next and last runs."""

    schedules: list[ScheduleView]


class OverviewBody(msgspec.Struct, kw_only=True):
    """Today's totals (UTC day), active runs and the latest finished runs."""

    today: DayTotals
    active: list[RunSummary]
    recent: list[RunSummary]


_encoder = msgspec.json.Encoder()


def json_response(value: Any, status_code: int = 200) -> Response:
    """``value`` (msgspec structs, dicts, lists) encoded by msgspec."""
    return Response(_encoder.encode(value), status_code=status_code, media_type="application/json")


# -- OpenAPI ----------------------------------------------------------------------------

_DOCUMENTED: dict[str, type[Any]] = {}
_RAW: dict[str, dict[str, Any]] = {}
_COMPONENTS = "#/components/schemas/{name}"


def _ref(kind: type[Any]) -> dict[str, Any]:
    _DOCUMENTED[kind.__name__] = kind
    return {"$ref": _COMPONENTS.format(name=kind.__name__)}


def documented(kind: type[Any], description: str, status: int = 200) -> dict[int | str, Any]:
    """A ``responses=`` entry saying that ``status`` returns a JSON ``kind`` (a msgspec type)."""
    return {
        status: {
            "description": description,
            "content": {"application/json": {"schema": _ref(kind)}},
        }
    }


_MEANING = {
    400: "Bad request (unknown collection, bad parameters)",
    401: "No credentials, or a bad, revoked or expired token or session",
    403: "The caller's role is not enough, or a session cookie used cross-origin",
    404: "No such run",
    409: "The transition is not allowed in the run's current status",
    413: "Request body too large",
    422: "Invalid input; `error.field` names it",
    503: "The database is unavailable; retry later",
}
_BODY_UNREADABLE = "The body could not be read (not UTF-8, or not JSON)"


def errors(*statuses: int, **descriptions: str) -> dict[int | str, Any]:
    """``responses=`` entries for error statuses, all with the JSON error shape.

    ``descriptions`` overrides the generic wording per status: ``errors(404, s404="...")``.
    """
    schema = {"application/json": {"schema": _ref(ErrorBody)}}
    return {
        s: {
            "description": descriptions.get(f"s{s}", _MEANING.get(s, "Error")),
            "content": schema,
        }
        for s in statuses
    }


def raw_components(components: dict[str, dict[str, Any]]) -> None:
    """Add hand-written JSON Schemas to ``components.schemas`` (referenced by a route)."""
    _RAW.update(components)


def _merge(target: dict[str, Any], extra: dict[str, Any]) -> None:
    for name, schema in extra.items():
        existing = target.get(name)
        if existing is None:
            target[name] = schema
        elif set(existing.get("enum", ())) != set(schema.get("enum", ())) or (
            "enum" not in existing and existing != schema
        ):
            # Two different types under one name would make one of the documents wrong.
            raise RuntimeError(f"OpenAPI component {name!r} is defined twice, differently")


def install_msgspec_schemas(app: FastAPI, kinds: Iterable[type[Any]] = ()) -> None:
    """Add the JSON Schema of every ``documented`` msgspec type to the app's OpenAPI."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        types = {**_DOCUMENTED, **{k.__name__: k for k in kinds}}
        _, components = msgspec.json.schema_components(
            list(types.values()), ref_template=_COMPONENTS
        )
        target = schema.setdefault("components", {}).setdefault("schemas", {})
        _merge(target, components)
        _merge(target, _RAW)
        _document_errors(app, schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


# -- error responses every route can give ------------------------------------------------------


def _requires_role(dependant: Dependant) -> bool:
    """Whether a route depends on ``require(role)`` (``crawlscope.api.auth``)."""
    stack = [dependant]
    while stack:
        current = stack.pop()
        if getattr(current.call, "required_role", None) is not None:
            return True
        stack.extend(current.dependencies)
    return False


def _document_errors(app: FastAPI, schema: dict[str, Any]) -> None:
    """Document the statuses that come from the app rather than from a route's own code.

    A route behind ``require(role)`` answers 401/403 (credentials) and 503 (the token
    store is unreachable); a JSON body that cannot be read is 400; FastAPI's own 422
    entry is replaced by the JSON error shape the app really sends (``api/errors.py``).
    """
    error = errors(400, 401, 403, 422, 503, s400=_BODY_UNREADABLE)
    paths = schema.get("paths", {})
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        guarded = _requires_role(route.dependant)
        for method in context.methods or ():
            operation = paths.get(context.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            if "HTTPValidationError" in str(responses.get("422", "")):
                responses["422"] = error[422]
            if "requestBody" in operation:
                responses.setdefault("400", error[400])
            if guarded:
                for status in (401, 403, 503):
                    responses.setdefault(str(status), error[status])
    # FastAPI's validation-error shapes are never sent: drop them once unreferenced.
    components = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        if name in components and _COMPONENTS.format(name=name) not in str(schema):
            components.pop(name)
