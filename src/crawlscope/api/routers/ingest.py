"""``POST /api/ingest``: batches of events from runners in other processes (docs/api.md).

The route reads the body within the size limit and maps outcomes to HTTP; decoding,
validation, idempotency and publishing live in ``crawlscope.ingest``. The body is
decoded by msgspec (not a pydantic model per event), so its schema is given to OpenAPI
by hand from the same structs.
"""

from __future__ import annotations

import logging
import time
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
from crawlscope.ingest.wire import HostFigures
from crawlscope.store import StoreError
from crawlscope.store.system_samples import SystemSample

__all__ = ["read_body", "router"]

router = APIRouter(tags=["ingest"])
log = logging.getLogger("crawlscope.ingest")

MAX_HOST_RUNS = 10
"""Runs of one batch the host figures are kept for (a runner seldom reports more)."""

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
        **documented(
            ErrorBody, "The database or Redis is unavailable; send the batch again later", 503
        ),
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
    run_ids: list[str] = []
    try:
        batch = decode_batch(body, max_events=settings.ingest_max_events)
        run_ids = list(dict.fromkeys([*(e.run_id for e in batch.events), *batch.runs]))
        # Its runner is alive, however long the answer takes (Redis or the database may
        # be slow to fail: up to about 10 s for a Redis that stopped answering).
        services.heard_from(run_ids)
        # A run marked interrupted while its runner was silent comes back to life.
        await _revive(services, run_ids)
        result = await ingestor.ingest(batch)
    except IngestRejected as exc:
        raise ApiError(exc.status, exc.message, field=exc.field) from exc
    except IngestUnavailable as exc:
        # The runner is alive (it is asking); the database or Redis is not. Without this
        # an outage longer than ``stale_run_after_s`` would mark its runs interrupted.
        services.heard_from(run_ids)
        raise ApiError(503, str(exc), headers={"Retry-After": "1"}) from exc
    services.heard_from(run_ids)
    if batch.host is not None:
        await _record_host(services, run_ids, batch.host)
    return Response(_encode(result), media_type="application/json")


async def _record_host(services: Services, run_ids: list[str], host: HostFigures) -> None:
    """Keep the runner's machine figures as a system sample of each of the batch's runs
    (at the server's clock: a runner's may be off). Never fails the batch."""
    sample = SystemSample(
        at=int(time.time()),
        cpu_percent=host.cpu_percent,
        memory_percent=host.memory_percent,
        process_rss_mb=host.process_rss_mb,
    )
    try:
        for run_id in run_ids[:MAX_HOST_RUNS]:
            await services.store.system_samples.add(f"run:{run_id}", sample)
    except Exception:
        log.warning("could not store the host figures of runs %s", run_ids, exc_info=True)


async def _revive(services: Services, run_ids: list[str]) -> None:
    try:
        await services.monitor.revive_runs(run_ids)
    except (sa.exc.DBAPIError, StoreError, OSError) as exc:
        raise IngestUnavailable.database(exc) from exc
