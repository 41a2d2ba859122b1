"""Bad input to the runs API: each answer is the specified 4xx with the JSON error shape.

Never a 5xx, always ``error.field`` naming the input at fault, and nothing stored: after
every test the runs and events tables are still empty.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import pytest_asyncio

from crawlscope.api import create_app
from crawlscope.api.schemas import MAX_START_BODY_BYTES
from crawlscope.config import Settings
from crawlscope.registry import MAX_PARAMS_BYTES, CollectionRegistry
from crawlscope.runner import Collection, Task, TaskContext
from crawlscope.serving import serve_in_loop


class ShopParams(msgspec.Struct, forbid_unknown_fields=True):
    base_url: str
    pages: int = 3
    tags: list[str] = []

    def __post_init__(self) -> None:
        if not self.base_url.startswith("http://127.0.0.1"):
            raise ValueError("base_url must be on 127.0.0.1")


async def _never_runs(ctx: TaskContext, task: Task) -> None:
    raise AssertionError("no request in this file may start a run")


def _shop() -> Collection:
    collection = Collection("shop", params=ShopParams)
    collection.seed(lambda params: [Task("home")])
    collection.add_phase("catalog", _never_runs)
    return collection


pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class Server:
    client: httpx.AsyncClient
    db: Path


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    """One real server for the whole file (starting one per test would dominate its runtime).

    Its only collection requires ``base_url``.
    """
    db = tmp_path_factory.mktemp("errors") / "server.db"
    registry = CollectionRegistry()
    registry.register(_shop())
    app = create_app(Settings(database_url=str(db)), registry=registry)
    async with (
        serve_in_loop(app) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        yield Server(http, db)


@pytest_asyncio.fixture(loop_scope="module")
async def client(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    """The server's client; after each test, checks that nothing was stored."""
    yield server.client
    listing = (await server.client.get("/api/runs")).json()
    assert listing["total"] == 0
    assert listing["runs"] == []
    with contextlib.closing(sqlite3.connect(server.db)) as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM events").fetchone() == (0,)


def _check(response: httpx.Response, status: int, code: str, field: str | None) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error.get("field") == field, error
    message: str = error["message"]
    assert message
    assert len(message) < 2000  # huge inputs are not echoed back
    return message


async def _post_raw(
    client: httpx.AsyncClient, body: bytes, content_type: str | None = "application/json"
) -> httpx.Response:
    headers = {"content-type": content_type} if content_type else {}
    return await client.post("/api/runs", content=body, headers=headers)


# -- POST /api/runs: the body ------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"{bad", b'{"collection": "shop",}', b"\xff\xfe", b'{"collection": "shop"'],
)
async def test_malformed_json_is_422_body(client: httpx.AsyncClient, body: bytes) -> None:
    message = _check(await _post_raw(client, body), 422, "invalid", "body")
    assert "not valid JSON" in message


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", "application/json"),
        (b"[]", "application/json"),
        (b'"shop"', "application/json"),
        (b"null", "application/json"),
        (b'{"collection": "shop"}', "text/plain"),
        (b"collection=shop", "application/x-www-form-urlencoded"),
        (b'{"collection": "shop"}', None),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_422_body(
    client: httpx.AsyncClient, body: bytes, content_type: str | None
) -> None:
    _check(await _post_raw(client, body, content_type), 422, "invalid", "body")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "collection"),
        ({"collection": 5}, "collection"),
        ({"collection": None}, "collection"),
        ({"collection": ""}, "collection"),
        ({"collection": "x" * 5000}, "collection"),
        ({"collection": "shop", "params": []}, "params"),
        ({"collection": "shop", "params": "base_url=x"}, "params"),
        ({"collection": "shop", "params": None}, "params"),
        ({"collection": "shop", "workers": "3"}, "workers"),
        ({"collection": "shop", "workers": 2.5}, "workers"),
        ({"collection": "shop", "workers": True}, "workers"),
        ({"collection": "shop", "workers": 0}, "workers"),
        ({"collection": "shop", "workers": 1001}, "workers"),
        ({"collection": "shop", "workers": 10**30}, "workers"),
        ({"collection": "shop", "colour": "red"}, "colour"),
    ],
)
async def test_wrong_types_and_ranges_are_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/runs", json=body)
    message = _check(response, 422, "invalid", field)
    assert message.startswith(f"{field}: ")


async def test_unknown_collection_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/runs", json={"collection": "nope"})
    message = _check(response, 400, "bad_request", "collection")
    assert message == "no collection named 'nope' (registered: shop)"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "params.base_url"),  # required, and this collection has no default
        ({"base_url": 5}, "params.base_url"),
        ({"base_url": "http://example.com"}, "params.base_url"),  # its own check
        ({"base_url": "http://127.0.0.1:1", "pages": "ten"}, "params.pages"),
        ({"base_url": "http://127.0.0.1:1", "tags": ["a", 1]}, "params.tags[1]"),
        ({"base_url": "http://127.0.0.1:1", "depth": 3}, "params.depth"),
        ({"base_url": "http://127.0.0.1:1", "blob": "x" * MAX_PARAMS_BYTES}, "params"),
    ],
)
async def test_bad_params_are_400_naming_the_parameter(
    client: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/runs", json={"collection": "shop", "params": params})
    _check(response, 400, "bad_request", field)


async def test_huge_bodies_are_413(client: httpx.AsyncClient) -> None:
    huge = {"collection": "x" * (MAX_START_BODY_BYTES + 1)}
    response = await client.post("/api/runs", json=huge)
    message = _check(response, 413, "payload_too_large", "body")
    assert f"{MAX_START_BODY_BYTES:,}" in message
    params = {"base_url": "http://127.0.0.1:1", "blob": "y" * 2_000_000}
    response = await client.post("/api/runs", json={"collection": "shop", "params": params})
    _check(response, 413, "payload_too_large", "body")


# -- query parameters --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "nope"}, "status"),
        ({"status": "x" * 10_000}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 10**30}, "offset"),
    ],
)
async def test_bad_list_queries_are_422(
    client: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    _check(await client.get("/api/runs", params=params), 422, "invalid", field)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"action": "nope"}, "action"),
        ({"action": "FETCHING"}, "action"),
        ({"error_type": "nope"}, "error_type"),
        ({"limit": 0}, "limit"),
        ({"limit": 5001}, "limit"),
        ({"after_seq": -1}, "after_seq"),
        ({"after_seq": 2**70}, "after_seq"),
        ({"after_seq": "x"}, "after_seq"),
        ({"worker_id": "w1"}, "worker_id"),
        ({"worker_id": -3}, "worker_id"),
    ],
)
async def test_bad_event_queries_are_422_before_the_run_is_looked_up(
    client: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    response = await client.get("/api/runs/some-run/events", params=params)
    _check(response, 422, "invalid", field)


async def test_event_query_limits_are_inclusive(client: httpx.AsyncClient) -> None:
    # valid values get past validation to the (404) lookup of the unknown run
    for params in ({"limit": 1}, {"limit": 5000}, {"after_seq": 2**53}, {"action": "found"}):
        response = await client.get("/api/runs/some-run/events", params=params)
        _check(response, 404, "not_found", "run_id")


# -- ids, methods and paths --------------------------------------------------------------


@pytest.mark.parametrize(
    "run_id",
    ["nope", "x" * 10_000, "%00", "'; DROP TABLE runs; --", "💥", "a b"],
)
async def test_unknown_or_odd_run_ids_are_404(client: httpx.AsyncClient, run_id: str) -> None:
    for suffix in ("", "/workers", "/sites", "/events"):
        _check(await client.get(f"/api/runs/{run_id}{suffix}"), 404, "not_found", "run_id")
    for command in ("pause", "resume", "cancel"):
        response = await client.post(f"/api/runs/{run_id}/{command}")
        _check(response, 404, "not_found", "run_id")


async def test_wrong_methods_and_paths_are_json_errors(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/runs")
    _check(response, 405, "method_not_allowed", None)
    assert response.headers["allow"] == "GET, POST"
    response = await client.put("/api/runs/x/pause")
    _check(response, 405, "method_not_allowed", None)
    assert response.headers["allow"] == "POST"
    # a GET on an API path that only takes POST is a 405 too, naming what it takes
    response = await client.get("/api/runs/x/pause")
    _check(response, 405, "method_not_allowed", None)
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"])
@pytest.mark.parametrize("path", ["/api/runs/x/restart", "/api/nothing", "/ws/nothing/here"])
async def test_unknown_api_paths_are_a_json_404_for_every_method(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    # The dashboard's fallback route takes every method; on API paths it must not turn
    # an unknown endpoint into a 405 (nor serve the dashboard).
    message = _check(await client.request(method, path), 404, "not_found", None)
    assert message == f"no such endpoint: {method} {path}"
    response = await client.head(path)
    assert response.status_code == 404
