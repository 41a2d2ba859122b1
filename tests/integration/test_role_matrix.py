"""Every route the app exposes, called with no token, each role and a revoked token.

Routes are enumerated from ``app.routes``, so endpoints added later are covered without
touching this file, and a new route without a ``require()`` check fails here. What each
route needs comes from the policy in docs/api.md, written out below, not from the code.
"Allowed" means any status but 401/403 (the probe's body and ids are not valid, so 404 or
422 are expected); refused means exactly 401 (no or bad credentials) or 403 (role).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx
import pytest
import websockets
from fastapi import FastAPI, WebSocket
from fastapi.routing import APIWebSocketRoute, iter_route_contexts
from starlette.routing import Mount, WebSocketRoute
from websockets.asyncio.client import connect as ws_connect

from crawlscope.access import Authenticator, Role
from crawlscope.api import create_app
from crawlscope.api.static import EVERY_METHOD
from crawlscope.config import Settings
from crawlscope.serving import serve_in_loop

# -- the policy (docs/api.md, Access control) -------------------------------------------------

PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    # The dashboard's files and client-side routes; the route takes every method so that
    # unknown API paths are a 404 and wrong methods a 405 (crawlscope.api.static).
    *((method, "/{path:path}") for method in EVERY_METHOD),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/logout"),
    ("GET", "/api/auth/me"),
}
PUBLIC_MOUNTS = {"/assets", "/docs/static"}  # the dashboard's and the API docs' files

# Which required roles each role satisfies.
SATISFIES = {
    Role.VIEWER: {Role.VIEWER},
    Role.OPERATOR: {Role.VIEWER, Role.OPERATOR},
    Role.INGEST: {Role.INGEST},
    Role.ADMIN: {Role.VIEWER, Role.OPERATOR, Role.INGEST, Role.ADMIN},
}

Need = Role | Literal["public", "write"]


def required(method: str, path: str) -> Need:
    """What a route needs. ``write``: an unlisted write route, which must at least refuse
    anonymous, revoked, viewer and ingest callers and admit admin."""
    if (method, path) in PUBLIC:
        return "public"
    shape = re.sub(r"\{[^}]+\}", "{}", path)
    if shape.startswith("/api/tokens"):
        return Role.ADMIN
    if method == "POST" and shape in ("/api/ingest", "/api/ingest/items"):
        return Role.INGEST
    if method == "POST" and re.fullmatch(r"/api/runs(/\{\}/(pause|resume|cancel|retry))?", shape):
        return Role.OPERATOR
    if (method == "POST" and re.fullmatch(r"/api/schedules(/\{\}/(pause|resume))?", shape)) or (
        method in ("PATCH", "DELETE") and shape == "/api/schedules/{}"
    ):
        return Role.OPERATOR
    if method in ("GET", "WS"):
        return Role.VIEWER
    return "write"


def expected(need: Need, who: str) -> set[str]:
    """The acceptable outcomes ("allowed", "401", "403") for caller ``who``."""
    if need == "public":
        return {"allowed"}
    if who in ("anonymous", "revoked"):
        return {"401"}
    role = Role(who)
    if need == "write":
        if role is Role.ADMIN:
            return {"allowed"}
        if role is Role.OPERATOR:
            return {"allowed", "403"}  # the policy for future write routes is theirs to set
        return {"403"}
    return {"allowed"} if need in SATISFIES[role] else {"403"}


# -- probing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    method: str  # an HTTP method, or "WS"
    path: str


def endpoints(app: FastAPI) -> tuple[list[Endpoint], list[str]]:
    """Every (method, path) the app serves, and the mounts it cannot classify."""
    found: set[Endpoint] = set()
    unknown: list[str] = []
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIWebSocketRoute | WebSocketRoute):
            found.add(Endpoint("WS", str(ctx.path)))
        elif isinstance(route, Mount):
            if ctx.path not in PUBLIC_MOUNTS:
                unknown.append(f"mount {ctx.path}: classify it in test_role_matrix.PUBLIC_MOUNTS")
        else:
            for method in ctx.methods or ():
                if method != "HEAD":
                    found.add(Endpoint(method, str(ctx.path)))
    return sorted(found, key=lambda e: (e.path, e.method)), unknown


def concrete(path: str) -> str:
    """A path with every parameter replaced by an id that does not exist."""
    return re.sub(r"\{[^}]+\}", "matrix-probe", path)


async def http_outcome(client: httpx.AsyncClient, e: Endpoint, headers: dict[str, str]) -> str:
    body = {"json": {}} if e.method in ("POST", "PUT", "PATCH") else {}
    # Streamed, so an allowed SSE endpoint answers with its status and is then closed.
    async with client.stream(e.method, concrete(e.path), headers=headers, **body) as resp:
        status = resp.status_code
    return str(status) if status in (401, 403) else "allowed"


async def ws_outcome(base_url: str, e: Endpoint, headers: dict[str, str]) -> str:
    url = base_url.replace("http://", "ws://", 1) + concrete(e.path)
    try:
        async with ws_connect(url, additional_headers=headers, open_timeout=10) as ws:
            try:
                await asyncio.wait_for(ws.recv(), 2)
            except TimeoutError:
                return "allowed"  # accepted and still open
            except websockets.ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else None
                return {4401: "401", 4403: "403"}.get(code or 0, "allowed")
            return "allowed"
    except websockets.InvalidStatus as exc:
        status = exc.response.status_code
        return str(status) if status in (401, 403) else "allowed"


async def violations(base_url: str, app: FastAPI, callers: dict[str, str | None]) -> list[str]:
    """Every (endpoint, caller) whose outcome is not what the policy says."""
    found, problems = endpoints(app)
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        for e in found:
            need = required(e.method, e.path)
            for who, token in callers.items():
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                if e.method == "WS":
                    outcome = await ws_outcome(base_url, e, headers)
                else:
                    outcome = await http_outcome(client, e, headers)
                if outcome not in expected(need, who):
                    want = " or ".join(sorted(expected(need, who)))
                    problems.append(f"{e.method} {e.path} as {who}: got {outcome}, want {want}")
    return problems


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def server_settings(tmp_path: Path) -> Settings:
    return Settings(database_url=str(tmp_path / "server.db"), auth="on")


async def make_callers(app: FastAPI) -> dict[str, str | None]:
    auth = Authenticator(app.state.services.store.tokens)
    callers: dict[str, str | None] = {"anonymous": None}
    for role in Role:
        callers[role.value], _ = await auth.create_token(f"matrix-{role.value}", role)
    revoked, record = await auth.create_token("matrix-revoked", Role.ADMIN)
    await auth.revoke(record.id)
    callers["revoked"] = revoked
    return callers


@pytest.fixture
async def served(server_settings: Settings) -> AsyncIterator[tuple[str, FastAPI]]:
    app = create_app(server_settings)
    async with serve_in_loop(app) as url:
        yield url, app


# -- tests ------------------------------------------------------------------------------------


async def test_every_route_enforces_its_role(served: tuple[str, FastAPI]) -> None:
    url, app = served
    found, _ = endpoints(app)
    paths = {(e.method, e.path) for e in found}
    # The enumeration really sees the app (and the routes this work added).
    for known in [
        ("GET", "/api/tokens"),
        ("POST", "/api/tokens"),
        ("DELETE", "/api/tokens/{token_id}"),
        ("POST", "/api/auth/login"),
        ("GET", "/api/health/system"),
        ("GET", "/healthz"),
        ("GET", "/api/schedules"),
        ("POST", "/api/schedules"),
        ("PATCH", "/api/schedules/{schedule_id}"),
        ("DELETE", "/api/schedules/{schedule_id}"),
        ("POST", "/api/schedules/{schedule_id}/pause"),
        ("POST", "/api/ingest/items"),
        ("GET", "/api/datasets"),
        ("GET", "/api/datasets/{name}/export"),
        ("GET", "/api/runs/{run_id}/items/export"),
    ]:
        assert known in paths
    problems = await violations(url, app, await make_callers(app))
    assert not problems, "\n".join(problems)


async def test_an_unguarded_or_misguarded_route_is_caught(server_settings: Settings) -> None:
    """The matrix is only worth having if it fails for a route that forgot its check."""
    from typing import Annotated

    from fastapi import APIRouter, Depends

    from crawlscope.api.auth import Principal, require

    app = create_app(server_settings)
    extra = APIRouter()

    @extra.get("/api/unguarded")
    async def unguarded() -> dict[str, str]:
        return {"secret": "data"}

    @extra.post("/api/runs/{run_id}/cancel-too-open")
    async def too_open(
        run_id: str, _: Annotated[Principal, Depends(require(Role.VIEWER))]
    ) -> dict[str, str]:
        return {"run_id": run_id}

    @extra.post("/api/runs/{run_id}/cancel")
    async def misguarded(
        run_id: str, _: Annotated[Principal, Depends(require(Role.VIEWER))]
    ) -> dict[str, str]:
        return {"run_id": run_id}

    @extra.websocket("/ws/unguarded")
    async def ws_unguarded(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(json.dumps({"hello": "anyone"}))
        await websocket.close()

    app.include_router(extra)
    app.router.routes.insert(0, app.router.routes.pop())  # before the dashboard catch-all
    async with serve_in_loop(app) as url:
        problems = await violations(url, app, await make_callers(app))
    text = "\n".join(problems)
    assert "GET /api/unguarded as anonymous: got allowed, want 401" in text
    assert "GET /api/unguarded as revoked: got allowed, want 401" in text
    assert "POST /api/runs/{run_id}/cancel-too-open as viewer: got allowed" in text
    assert "POST /api/runs/{run_id}/cancel as viewer: got allowed, want 403" in text
    assert "WS /ws/unguarded as anonymous: got allowed, want 401" in text
    assert "WS /ws/unguarded as ingest: got allowed, want 403" in text
