"""Each target site's breaker and last success in /api/health/sites and
/api/health/services, from the live frames of runs that report through ingest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest

from crawlscope.events import Action, ActivityEvent
from tests.integration.conftest import LiveServer


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as c:
        yield c


def _ts(second: int) -> str:
    return f"2026-12-04T10:00:{second:02d}.000Z"


def _events(run_id: str, *events: dict[str, Any]) -> bytes:
    started = ActivityEvent(
        run_id=run_id, action=Action.RUN_STARTED, extra={"collection": "c"}, params={}
    )
    return msgspec.json.encode(
        {"events": [started, *(ActivityEvent(run_id=run_id, **e) for e in events)]}
    )


async def _ingest(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post("/api/ingest", content=body)
    assert response.status_code == 200, response.text


async def test_sites_show_the_worst_breaker_and_the_latest_success(
    client: httpx.AsyncClient,
) -> None:
    a, b = "a.example", "b.example"
    await _ingest(
        client,
        _events(
            "run-1",
            {"action": Action.FETCHING, "worker_id": 1, "site": a, "ts": _ts(1)},
            {"action": Action.FOUND, "worker_id": 1, "site": a, "ts": _ts(2), "duration_ms": 5.0},
            {"action": Action.FETCHING, "worker_id": 1, "site": b, "ts": _ts(3)},
            {"action": Action.FOUND, "worker_id": 1, "site": b, "ts": _ts(4), "duration_ms": 5.0},
        ),
    )
    await _ingest(
        client,
        _events(
            "run-2",
            {"action": Action.FETCHING, "worker_id": 1, "site": a, "ts": _ts(5)},
            {"action": Action.FOUND, "worker_id": 1, "site": a, "ts": _ts(9), "duration_ms": 5.0},
            {"action": Action.FETCHING, "worker_id": 2, "site": a, "ts": _ts(10)},
            {
                "action": Action.ERROR,
                "worker_id": 2,
                "site": a,
                "ts": _ts(11),
                "error_type": "timeout",
                "error_stage": "request",
            },
            {"action": Action.BREAKER_OPENED, "worker_id": 0, "site": a, "ts": _ts(12)},
        ),
    )
    body = (await client.get("/api/health/sites")).json()
    sites = {site["site"]: site for site in body["sites"]}
    assert list(sites) == [a, b]
    # run-2's breaker on a is open: that is what a shows, with when it opened
    assert sites[a]["breaker"] == "open"
    assert sites[a]["breaker_since"] == _ts(12)
    assert sites[a]["last_success_at"] == _ts(9)  # run-2's, the later of the two
    assert sites[a]["requests"] == 3
    assert sorted(sites[a]["runs"]) == ["run-1", "run-2"]
    assert sites[b] == {
        "site": b,
        "breaker": "closed",
        "breaker_since": None,
        "last_success_at": _ts(4),
        "requests": 1,
        "runs": ["run-1"],
    }
    services = (await client.get("/api/health/services")).json()
    assert services["sites"] == body["sites"]

    # the breaker closes again: the site is closed, since then
    await _ingest(
        client,
        msgspec.json.encode(
            {
                "events": [
                    ActivityEvent(
                        run_id="run-2",
                        action=Action.BREAKER_CLOSED,
                        worker_id=0,
                        site=a,
                        ts=_ts(30),
                    )
                ]
            }
        ),
    )
    again = {s["site"]: s for s in (await client.get("/api/health/sites")).json()["sites"]}
    assert (again[a]["breaker"], again[a]["breaker_since"]) == ("closed", _ts(30))
