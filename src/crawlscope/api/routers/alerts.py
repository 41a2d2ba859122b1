"""Alerts: rules (list, add, change, delete, history, reload files), alerts and their
timeline, silences, channels, test notifications, delivery attempts, variables.

Reading needs the viewer role; changing rules and silences and sending a test need the
operator role. A bad rule, matcher or channel is a 400 whose ``error.field`` names the
field and whose message says where (a rule file's line) and why.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from crawlscope.alerts.channels import ChannelError, redact
from crawlscope.alerts.model import AlertState, RuleError
from crawlscope.alerts.parsing import parse_duration, parse_rule
from crawlscope.alerts.service import AlertService
from crawlscope.alerts.variables import VARIABLES
from crawlscope.api.alert_schemas import (
    AlertCounts,
    AlertList,
    ChannelInfo,
    ChannelList,
    DeliveryList,
    RuleBody,
    RuleInfo,
    RuleList,
    SilenceBody,
    SilenceList,
    TestBody,
    TimelineEntry,
    TimelineList,
    VariableInfo,
    VariableList,
)
from crawlscope.api.errors import ApiError
from crawlscope.api.routers.runs import Operator, ServicesDep, Viewer
from crawlscope.api.schemas import documented, errors, json_response
from crawlscope.api.services import Services
from crawlscope.ingest.wire import TIME_PATTERN
from crawlscope.timestamps import parse_ts

__all__ = ["router"]

router = APIRouter(tags=["alerts"])
RuleName = Annotated[str, Path(min_length=1, max_length=100, description="The rule's name.")]


def _alerts(services: Services) -> AlertService:
    if services.alerts is None:
        raise ApiError(503, "alerting is switched off on this server (alerts_enabled)")
    return services.alerts


@contextlib.contextmanager
def _as_api_errors() -> Iterator[None]:
    try:
        yield
    except RuleError as exc:
        raise ApiError(400, str(exc), field=exc.field) from exc
    except ChannelError as exc:
        raise ApiError(400, str(exc), field="url") from exc


def _counts(service: AlertService) -> AlertCounts:
    counts = AlertCounts()
    for alert in service.evaluator.tracker.open.values():
        if alert.state is AlertState.FIRING:
            counts.firing += 1
        else:
            counts.pending += 1
    return counts


@router.get("/api/alerts", response_model=None, responses=documented(AlertList, "Alerts"))
async def list_alerts(
    services: ServicesDep,
    _: Viewer,
    run_id: Annotated[str | None, Query(max_length=64)] = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Response:
    """Open alerts (pending and firing, live), then resolved ones newest first."""
    service = _alerts(services)
    alerts = await service.alerts(run_id=run_id, open_only=open_only, limit=limit)
    return json_response(AlertList(alerts=alerts, counts=_counts(service)))


@router.get(
    "/api/alerts/counts", response_model=None, responses=documented(AlertCounts, "Open alerts")
)
async def alert_counts(services: ServicesDep, _: Viewer) -> Response:
    """How many alerts fire and are pending now (the navigation's badge)."""
    return json_response(_counts(_alerts(services)))


@router.get(
    "/api/alerts/timeline",
    response_model=None,
    responses={**documented(TimelineList, "State changes"), **errors(400, 422)},
)
async def timeline(
    services: ServicesDep,
    _: Viewer,
    run_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[
        str | None,
        Query(max_length=40, pattern=TIME_PATTERN, description="ISO 8601 with a zone"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> Response:
    """Every state change of alerts (pending, firing, resolved), newest first."""
    service = _alerts(services)
    try:
        moment = parse_ts(since) if since else None
    except ValueError:
        raise ApiError(400, f"since: {since!r} is not an ISO 8601 time", field="since") from None
    rows = await service.store.transitions(run_id=run_id, since=moment, limit=limit)
    return json_response(
        TimelineList(
            entries=[
                TimelineEntry(
                    alert_id=row.alert_id,
                    rule=row.rule,
                    state=str(row.state),
                    at=row.at if isinstance(row.at, str) else row.at.isoformat(),
                    value=row.value,
                    summary=row.summary or "",
                    labels=row.labels,
                )
                for row in rows
            ]
        )
    )


@router.get("/api/alerts/rules", response_model=None, responses=documented(RuleList, "Rules"))
async def list_rules(services: ServicesDep, _: Viewer) -> Response:
    """Every rule in force, with its last evaluation, value and open alerts."""
    service = _alerts(services)
    return json_response(
        RuleList(
            rules=[
                RuleInfo(
                    rule=view.rule,
                    evaluated_at=view.status.evaluated_at,
                    subjects=view.status.subjects,
                    holding=view.status.holding,
                    value=view.status.value,
                    error=view.status.error,
                    firing=view.firing,
                    pending=view.pending,
                )
                for view in service.rules()
            ],
            file_error=service.file_error,
        )
    )


@router.put(
    "/api/alerts/rules/{name}",
    response_model=None,
    responses={
        **documented(RuleInfo, "The rule as saved"),
        **errors(400, 409, 422, s400="A bad rule: `error.field` names the field"),
    },
)
async def put_rule(
    name: RuleName, body: RuleBody, services: ServicesDep, who: Operator
) -> Response:
    """Add or replace a rule kept in the database (with its history). Built-in rules and
    rules from files are changed in their files."""
    service = _alerts(services)
    if body.name != name:
        raise ApiError(400, f"the body names rule {body.name!r}, the path {name!r}", field="name")
    with _as_api_errors():
        rule = parse_rule(body.mapping(), source="api")
        await service.save_rule(rule, by=who.name)
    return json_response(RuleInfo(rule=rule))


@router.delete(
    "/api/alerts/rules/{name}",
    status_code=204,
    response_model=None,
    responses=errors(400, 404, s404="No API rule of that name"),
)
async def delete_rule(name: RuleName, services: ServicesDep, who: Operator) -> Response:
    """Delete a rule kept in the database; its open alerts resolve."""
    with _as_api_errors():
        deleted = await _alerts(services).delete_rule(name, by=who.name)
    if not deleted:
        raise ApiError(404, f"no API rule named {name!r}", field="name")
    return Response(status_code=204)


@router.get("/api/alerts/rules/{name}/history", response_model=None)
async def rule_history(name: RuleName, services: ServicesDep, _: Viewer) -> Response:
    """Every change of an API rule, newest first."""
    changes = await _alerts(services).store.rule_history(name)
    return json_response({"changes": changes})


@router.post(
    "/api/alerts/rules/reload",
    response_model=None,
    responses={**documented(RuleList, "The rules now in force"), **errors(400)},
)
async def reload_rules(services: ServicesDep, who: Operator) -> Response:
    """Read the project's rule files again; a bad file is a 400 naming the file and line,
    and the rules in force stay."""
    with _as_api_errors():
        await _alerts(services).reload_files()
    return await list_rules(services, who)


@router.get(
    "/api/alerts/silences", response_model=None, responses=documented(SilenceList, "Silences")
)
async def list_silences(services: ServicesDep, _: Viewer) -> Response:
    """Silences, in force or not, newest first."""
    silences = await _alerts(services).store.list_silences()
    return json_response(SilenceList(silences=silences))


@router.post(
    "/api/alerts/silences",
    status_code=201,
    response_model=None,
    responses=errors(400, 422),
)
async def add_silence(body: SilenceBody, services: ServicesDep, who: Operator) -> Response:
    """Hold back notifications of alerts matching every matcher until the end time."""
    service = _alerts(services)
    with _as_api_errors():
        duration = (
            timedelta(seconds=parse_duration(body.duration, "duration")) if body.duration else None
        )
        try:
            ends_at = parse_ts(body.ends_at) if body.ends_at else None
        except ValueError:
            raise RuleError("ends_at must be an ISO 8601 time", field="ends_at") from None
        silence = await service.add_silence(
            body.matchers, duration=duration, ends_at=ends_at, comment=body.comment, by=who.name
        )
    return json_response(silence, status_code=201)


@router.delete(
    "/api/alerts/silences/{silence_id}",
    response_model=None,
    responses=errors(404, s404="No such silence"),
)
async def expire_silence(
    silence_id: Annotated[str, Path(min_length=1, max_length=64)],
    services: ServicesDep,
    _: Operator,
) -> Response:
    """End a silence now."""
    silence = await _alerts(services).expire_silence(silence_id)
    if silence is None:
        raise ApiError(404, f"no silence {silence_id!r}", field="silence_id")
    return json_response(silence)


@router.get(
    "/api/alerts/channels", response_model=None, responses=documented(ChannelList, "Channels")
)
async def list_channels(services: ServicesDep, _: Viewer) -> Response:
    """The channels declared in the rule files (URLs with secrets hidden)."""
    book = _alerts(services).book
    return json_response(
        ChannelList(
            channels=[
                ChannelInfo(name=c.name, url=redact(c.url), send_resolved=c.send_resolved)
                for c in book.channels.values()
            ],
            default_channels=list(book.default_channels),
        )
    )


@router.post("/api/alerts/test", response_model=None, responses=errors(400, 422, 502))
async def send_test(body: TestBody, services: ServicesDep, who: Operator) -> Response:
    """Send a test notification to a declared channel (or an Apprise URL) now; the
    answer is the delivery attempt (502 if it could not be delivered)."""
    service = _alerts(services)
    if not body.channel and not body.url:
        raise ApiError(400, "name a channel or give a url", field="channel")
    with _as_api_errors():
        channel = service.channel(body.channel, body.url)
    attempt = await service.send_test(channel, by=who.name)
    if attempt is None or not attempt.delivered:
        error = attempt.error if attempt is not None else "not sent"
        raise ApiError(502, f"the test notification was not delivered: {error}", field="channel")
    return json_response(attempt)


@router.get(
    "/api/alerts/deliveries",
    response_model=None,
    responses=documented(DeliveryList, "Delivery attempts"),
)
async def deliveries(
    services: ServicesDep,
    _: Viewer,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """Every attempt to deliver a notification, newest first."""
    rows = await _alerts(services).store.deliveries(limit=limit)
    return json_response(DeliveryList(deliveries=rows))


@router.get(
    "/api/alerts/variables",
    response_model=None,
    responses=documented(VariableList, "Variables"),
)
async def variables(_: Viewer) -> Response:
    """Every variable rule conditions may use, with its type and meaning."""
    return json_response(
        VariableList(
            variables=[
                VariableInfo(name=f"{root}.{name}", type=variable.type, doc=variable.doc)
                for root, fields in VARIABLES.items()
                for name, variable in fields.items()
            ]
        )
    )
