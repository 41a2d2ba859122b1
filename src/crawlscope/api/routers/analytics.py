"""Analytics over stored history: summary, trends, sites, errors, heatmap, runs and cost.

Every endpoint takes the same range (``since``/``until``, or ``days`` back from ``until``,
7 by default) and optional ``collection``; the answers come from the rollups and run
summaries (``store/analytics.py``), never from raw events. Bad values answer 400/422
naming the field.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from crawlscope.api.errors import ApiError
from crawlscope.api.routers.runs import ServicesDep, Viewer
from crawlscope.api.schemas import documented, errors, json_response
from crawlscope.store.analytics import Range
from crawlscope.store.analytics_range import MAX_POINTS, RESOLUTIONS, epoch, pick_resolution
from crawlscope.store.analytics_runs import OtherCollection, RunMissing
from crawlscope.store.analytics_types import (
    CostReport,
    ErrorReport,
    Heatmap,
    Prices,
    RunComparison,
    RunInsights,
    SiteTable,
    Summary,
    Trends,
)
from crawlscope.store.field_insights import FieldInsights
from crawlscope.timestamps import utc_now

__all__ = ["router"]

router = APIRouter(tags=["analytics"])

DEFAULT_DAYS = 7.0
_MAX_DAYS = 3660.0
_BAD = errors(400, 422)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def analytics_range(
    services: ServicesDep,
    since: Annotated[
        datetime | None,
        Query(description="Start (ISO-8601; UTC if no offset). Not with `days`."),
    ] = None,
    until: Annotated[
        datetime | None, Query(description="End, exclusive (ISO-8601). Default: now.")
    ] = None,
    days: Annotated[
        float | None,
        Query(gt=0, le=_MAX_DAYS, description="Days back from `until` (default 7)."),
    ] = None,
    collection: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Only this collection.")
    ] = None,
) -> Range:
    """The range and filter of an analytics request (400 naming the field if inconsistent)."""
    if since is not None and days is not None:
        raise ApiError(400, "give either since or days, not both", field="days")
    now = utc_now()
    try:
        end = _utc(until) if until is not None else now
        start = _utc(since) if since is not None else end - timedelta(days=days or DEFAULT_DAYS)
    except OverflowError as exc:
        # A moment next to year 1 or 9999 shifted to UTC, or days back past year 1.
        field = "days" if days is not None else "since" if since is not None else "until"
        raise ApiError(400, "the range leaves the years 1..9999", field=field) from exc
    if start >= end:
        raise ApiError(400, "since must be before until", field="since")
    if end - start > timedelta(days=_MAX_DAYS):
        raise ApiError(400, f"the range may span at most {_MAX_DAYS:g} days", field="since")
    keep = timedelta(days=services.settings.minute_rollup_days)
    return Range(since=start, until=end, collection=collection, minute_floor=epoch(now - keep))


RangeDep = Annotated[Range, Depends(analytics_range)]


def _prices(services: ServicesDep) -> dict[str, Prices]:
    return {
        name: Prices(per_request=p.per_request, per_gb=p.per_gb, per_hour=p.per_hour)
        for name, p in services.settings.cost_prices.items()
    }


@router.get(
    "/api/analytics/summary",
    response_model=None,
    responses={**documented(Summary, "Totals over the range"), **_BAD},
)
async def summary(services: ServicesDep, _: Viewer, span: RangeDep) -> Response:
    """Runs, requests, success rate, p50/p95 latency, items, errors and cost over the range."""
    return json_response(await services.store.analytics.summary(span, _prices(services)))


@router.get(
    "/api/analytics/trends",
    response_model=None,
    responses={**documented(Trends, "Buckets over the range"), **_BAD},
)
async def trends(
    services: ServicesDep,
    _: Viewer,
    span: RangeDep,
    resolution: Annotated[
        Literal["1m", "5m", "1h", "1d"] | None,
        Query(description="Bucket length; default picked from the range (docs/api.md)."),
    ] = None,
) -> Response:
    """Items per hour, success rate, response time and error rate per bucket."""
    seconds = (span.until - span.since).total_seconds()
    minutes_kept = epoch(span.since) >= span.minute_floor
    chosen = resolution or pick_resolution(seconds, minutes_kept)
    if seconds / RESOLUTIONS[chosen] > MAX_POINTS:
        raise ApiError(
            400,
            f"{chosen} over this range is more than {MAX_POINTS} buckets; pick a coarser one",
            field="resolution",
        )
    if RESOLUTIONS[chosen] < 3600 and not minutes_kept:
        raise ApiError(
            400,
            f"minute rollups are kept {services.settings.minute_rollup_days:g} days; "
            "this range starts before that, use 1h or 1d",
            field="resolution",
        )
    return json_response(await services.store.analytics.trends(span, chosen))


@router.get(
    "/api/analytics/sites",
    response_model=None,
    responses={**documented(SiteTable, "Sites, most requests first"), **_BAD},
)
async def sites(services: ServicesDep, _: Viewer, span: RangeDep) -> Response:
    """Each target site's requests, success rate, latency, errors and failures by type."""
    return json_response(await services.store.analytics.sites(span))


@router.get(
    "/api/analytics/errors",
    response_model=None,
    responses={**documented(ErrorReport, "Error groups, most frequent first"), **_BAD},
)
async def error_groups(
    services: ServicesDep,
    _: Viewer,
    span: RangeDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Most groups returned.")] = 50,
) -> Response:
    """Errors grouped by type, stage and message fingerprint, with counts over time."""
    return json_response(await services.store.analytics.errors(span, limit))


@router.get(
    "/api/analytics/heatmap",
    response_model=None,
    responses={**documented(Heatmap, "Hour x weekday cells"), **_BAD},
)
async def heatmap(
    services: ServicesDep,
    _: Viewer,
    span: RangeDep,
    tz: Annotated[
        str,
        Query(
            min_length=1,
            max_length=64,
            description="IANA time zone of the weekdays and hours (the dashboard sends "
            "the browser's), e.g. `Europe/Berlin`.",
        ),
    ] = "UTC",
) -> Response:
    """Requests, items, errors and success rate per hour of day and weekday, in `tz`."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ApiError(
            400, f"unknown time zone {tz!r} (an IANA name such as Europe/Berlin)", field="tz"
        ) from exc
    return json_response(await services.store.analytics.heatmap(span, zone))


@router.get(
    "/api/analytics/insights",
    response_model=None,
    responses={**documented(RunInsights, "Items per run, oldest first"), **_BAD},
)
async def insights(
    services: ServicesDep,
    _: Viewer,
    span: RangeDep,
    limit: Annotated[int, Query(ge=1, le=2000, description="Newest runs returned.")] = 500,
) -> Response:
    """Items found, new, updated and duplicate per run created in the range."""
    return json_response(await services.store.analytics.insights(span, limit))


@router.get(
    "/api/analytics/fields",
    response_model=None,
    responses={**documented(FieldInsights, "Per-field value counts and distributions"), **_BAD},
)
async def fields(
    services: ServicesDep,
    _: Viewer,
    span: RangeDep,
    field: Annotated[
        list[str] | None,
        Query(max_length=20, description="Fields to describe (default: the declared ones)."),
    ] = None,
    sample: Annotated[
        int, Query(ge=1, le=50_000, description="Newest items changed in the range read.")
    ] = 5000,
) -> Response:
    """Dataset insights of one collection: per field, how many items have it, its most
    common values and, for numbers, min, max, mean, p50, p95 and a histogram, over the
    newest `sample` items of its dataset changed in the range."""
    if span.collection is None:
        message = "dataset insights are per collection: give collection"
        raise ApiError(400, message, field="collection")
    if field and any(not name or len(name) > 200 for name in field):
        raise ApiError(400, "a field name has 1 to 200 characters", field="field")
    return json_response(await services.store.analytics.fields(span, field, sample))


@router.get(
    "/api/analytics/costs",
    response_model=None,
    responses={**documented(CostReport, "Cost per run and in total"), **_BAD},
)
async def costs(
    services: ServicesDep,
    _: Viewer,
    span: RangeDep,
    limit: Annotated[int, Query(ge=1, le=2000, description="Newest runs listed.")] = 500,
) -> Response:
    """Each run's cost (requests, GB, hours at `cost_prices`) and cost per 1,000 items."""
    report = await services.store.analytics.costs(span, _prices(services), limit)
    return json_response(report)


@router.get(
    "/api/analytics/compare",
    response_model=None,
    responses={
        **documented(RunComparison, "Two runs and their differences"),
        **errors(400, 404, 422),
    },
)
async def compare(
    services: ServicesDep,
    _: Viewer,
    a: Annotated[str, Query(min_length=1, max_length=64, description="The first run's id.")],
    b: Annotated[str, Query(min_length=1, max_length=64, description="The second run's id.")],
) -> Response:
    """Two runs of one collection side by side with `b - a` and `(b - a) / a`."""
    try:
        result = await services.store.analytics.compare(a, b, _prices(services))
    except RunMissing as exc:
        raise ApiError(404, str(exc), field=exc.field) from exc
    except OtherCollection as exc:
        raise ApiError(400, str(exc), field="b") from exc
    return json_response(result)
