"""``POST /api/ingest``: batches of events from runners in other processes (docs/api.md).

The route reads the body within the size limit and maps outcomes to HTTP; decoding,
validation, idempotency and publishing live in ``crawlscope.ingest``. The body is
decoded by msgspec (not a pydantic model per event), so its schema is given to OpenAPI
by hand from the same structs.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request, Response

from crawlscope.api.auth import Role, require
from crawlscope.api.errors import ApiError
from crawlscope.api.schemas import ErrorBody, documented, raw_components
from crawlscope.api.services import Services, get_services
from crawlscope.config import Settings
from crawlscope.ingest import (
    Ingestor,
    IngestRejected,
    IngestResult,
    IngestUnavailable,
    decode_batch,
    ingest_components,
    ingest_schemas,
)
from crawlscope.store import StoreError

__all__ = ["read_body", "router"]

router = APIRouter(tags=["ingest"])

_encode = msgspec.json.Encoder().encode
_DEFAULTS = Settings.model_fields
_BODY_SCHEMA = ingest_schemas(int(_DEFAULTS["ingest_max_events"].default))
raw_components(ingest_components())
ServicesDep = Annotated[Services, Depends(get_services)]


def get_ingestor(request: Request, services: ServicesDep) -> Ingestor:
    """The app's ``Ingestor``, bound to the current services (a new one per lifespan)."""
    ingestor: Ingestor | None = getattr(request.app.state, "ingestor", None)
    if ingestor is None or ingestor.target is not services.monitor:
        ingestor = Ingestor(
            services.monitor,
            services.store,
            store_timeout=services.settings.ingest_store_timeout_s,
        )
        request.app.state.ingestor = ingestor
    return ingestor


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(400, "Content-Length must be a number", field="content-length")
        if int(declared) > limit:
            raise ApiError(413, f"the body has {declared} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"the body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/api/ingest",
    summary="Ingest a batch of events from a remote runner",
    dependencies=[Depends(require(Role.INGEST))],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _BODY_SCHEMA}},
        }
    },
    responses={
        **documented(IngestResult, "Accepted; `commands` are pending requests for the runs"),
        **documented(ErrorBody, "Content-Length is not a number", 400),
        **documented(ErrorBody, "An event names a run that is not a remote run", 409),
        **documented(ErrorBody, "The body or the number of events exceeds the limit", 413),
        **documented(ErrorBody, "Invalid; `error.field` names the index and field", 422),
        **documented(ErrorBody, "The database is unavailable; retry later", 503),
    },
)
async def ingest(
    request: Request,
    services: ServicesDep,
    ingestor: Annotated[Ingestor, Depends(get_ingestor)],
) -> Response:
    """Validate the whole batch, publish its new events, record acks, return commands.

    Idempotent by event id: events already received are counted as `duplicates`. A
    rejected batch publishes nothing. The answer is sent once the events are stored.
    """
    settings = services.settings
    body = await read_body(request, settings.ingest_max_bytes)
    try:
        batch = decode_batch(body, max_events=settings.ingest_max_events)
        run_ids = list(dict.fromkeys([*(e.run_id for e in batch.events), *batch.runs]))
        # A run marked interrupted while its runner was silent comes back to life.
        await _revive(services, run_ids)
        result = await ingestor.ingest(batch)
    except IngestRejected as exc:
        raise ApiError(exc.status, exc.message, field=exc.field) from exc
    except IngestUnavailable as exc:
        raise ApiError(503, str(exc), headers={"Retry-After": "1"}) from exc
    services.heard_from(run_ids)
    return Response(_encode(result), media_type="application/json")


async def _revive(services: Services, run_ids: list[str]) -> None:
    try:
        await services.monitor.revive_runs(run_ids)
    except (sa.exc.DBAPIError, StoreError, OSError) as exc:
        raise IngestUnavailable(f"the database is unavailable: {exc}") from exc
