"""The dashboard's catch-all route must not swallow API paths."""

from __future__ import annotations

import httpx

from tests.integration.conftest import LiveServer


async def test_wrong_method_on_an_api_path_is_405_not_404(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        response = await client.get("/api/ingest")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["error"]["code"] == "method_not_allowed"


async def test_unknown_api_path_is_a_json_404(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        response = await client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "no such endpoint: GET /api/no-such-thing"


async def test_client_side_routes_get_the_dashboard(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        response = await client.get("/runs/some-run-id")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


async def test_other_methods_on_dashboard_pages_are_405(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        response = await client.post("/runs/some-run-id")
        head = await client.head("/runs/some-run-id")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert head.status_code == 200


async def test_an_unknown_api_path_is_404_whatever_the_method(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        posted = await client.post("/api/runs/x/restart")
        deleted = await client.delete("/ws/no-such-socket")
    assert posted.status_code == 404
    assert posted.json()["error"]["message"] == "no such endpoint: POST /api/runs/x/restart"
    assert deleted.status_code == 404
    assert deleted.json()["error"]["code"] == "not_found"
