"""The dashboard's catch-all route: it must not swallow API paths, must answer every
malformed path with a 4xx (never a 5xx), and serves documents with security headers."""

from __future__ import annotations

import asyncio
import json
import random
import re

import httpx

from crawlscope.api.security_headers import CONTENT_SECURITY_POLICY
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


# -- malformed paths and security headers -----------------------------------------------------


async def _raw_get(url: str, target: str) -> tuple[int, dict[str, str], bytes]:
    """``GET target`` sent byte for byte (no client normalising the path): status, headers
    (lower-case names), body."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        request = f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        writer.write(request.encode("latin-1"))
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
    return status, headers, body


async def test_a_nul_byte_in_the_path_is_a_400(live_server: LiveServer) -> None:
    status, _, body = await _raw_get(live_server.url, "/index.html%00.py")
    assert status == 400
    assert json.loads(body)["error"] == {
        "code": "bad_request",
        "message": "the path contains a NUL byte",
        "field": "path",
    }


async def test_an_overlong_segment_is_not_a_500(live_server: LiveServer) -> None:
    page, _, _ = await _raw_get(live_server.url, "/" + "a" * 10_000)
    asset, _, body = await _raw_get(live_server.url, "/" + "a" * 10_000 + ".js")
    assert page == 200  # a client-side route as far as anyone can tell: the page
    assert asset == 404
    assert json.loads(body)["error"]["field"] == "path"


async def test_a_missing_file_is_a_404_not_the_page(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        response = await client.get("/assets/index-gone.js")
        stale = await client.get("/old-bundle.js")
    assert response.status_code == 404
    assert stale.status_code == 404
    assert stale.json()["error"]["message"] == "no such file: /old-bundle.js"


_PIECES = [
    "%00",
    "%2e%2e",
    "..",
    "%2f",
    "%5c",
    "\\",
    "%ff",
    "%c3%28",
    "%e2%82",
    "%25",
    "~",
    "%20",
    "é".encode().decode("latin-1"),
    "con",
    "index.html",
    "assets",
    ".",
    "a" * 300,
    "x" * 5000,
    ";",
    "?q=%00",
    "#",
]


async def test_fuzzed_paths_never_get_a_5xx(live_server: LiveServer) -> None:
    rng = random.Random(20261204)
    statuses: dict[int, int] = {}
    for _ in range(300):
        segments = [
            "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 3)))
            for _ in range(rng.randint(1, 4))
        ]
        target = "/" + "/".join(segments)
        status, _, _ = await _raw_get(live_server.url, target)
        assert status < 500, target[:300]
        statuses[status] = statuses.get(status, 0) + 1
    assert set(statuses) <= {200, 400, 404}
    assert statuses.get(400, 0) > 0  # NUL bytes were among them


async def test_security_headers(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        page = await client.get("/runs/x")
        api = await client.get("/api/runs")
        docs = await client.get("/docs")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert page.headers["x-frame-options"] == "DENY"
    for response in (page, api, docs):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert "content-security-policy" not in api.headers  # JSON, not a document
    # The API docs bring their own policy: this server's files only, nothing from a CDN.
    policy = docs.headers["content-security-policy"]
    assert "connect-src 'self'" in policy
    assert "script-src 'self' 'sha256-" in policy
    assert "http" not in policy
    assert docs.headers["x-frame-options"] == "DENY"


async def test_the_api_docs_load_their_files_from_this_server(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        for page in ("/docs", "/redoc"):
            html = (await client.get(page)).text
            sources = re.findall(r'(?:src|href)="([^"]+)"', html)
            assert sources, page
            for source in sources:
                assert source.startswith("/docs/static/"), (page, source)
                asset = await client.get(source)
                assert asset.status_code == 200, source
                assert len(asset.content) > 1000, source
        missing = await client.get("/docs/static/nope.js")
        assert missing.status_code == 404
        nul = await client.get("/docs/static/%00")
        assert nul.status_code in (400, 404)
