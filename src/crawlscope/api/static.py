"""Serving the built dashboard: files from ``api/static`` and the SPA fallback.

The dashboard is built by Vite (``make dashboard``) into this package, so an installed
wheel serves it without Node. Paths under ``/api``, ``/ws`` and the docs stay the API's.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.routing import Match

from crawlscope.api.errors import ApiError

__all__ = ["STATIC_DIR", "mount_dashboard"]

STATIC_DIR = Path(__file__).with_name("static")
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_RESERVED = ("api/", "ws/", "docs", "openapi.json", "redoc", "healthz", "readyz", "metrics")

_NOT_BUILT = """<!doctype html><title>crawlscope</title>
<p>The dashboard is not built. Run <code>make dashboard</code> (or <code>make demo</code>);
the API is at <a href="/docs">/docs</a>.</p>"""


def _allowed_methods(request: Request, path: str) -> list[str]:
    """Methods other routes accept on ``path``: this catch-all GET would otherwise turn a
    wrong method on an API path into a 404 instead of a 405."""
    allowed: list[str] = []
    for method in _METHODS:
        scope = {**request.scope, "method": method, "path": path}
        for route in request.app.router.routes:
            if getattr(route, "endpoint", None) is _dashboard_endpoint(request.app):
                continue
            if route.matches(scope)[0] is Match.FULL:
                allowed.append(method)
                break
    return allowed


def _dashboard_endpoint(app: FastAPI) -> object:
    return app.state.dashboard_endpoint


def mount_dashboard(app: FastAPI) -> None:
    """Serve ``/assets/*`` and fall back to ``index.html`` for client-side routes."""
    assets = STATIC_DIR / "assets"
    if assets.is_dir():
        app.mount("/assets", StaticFiles(directory=assets), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    async def dashboard(path: str, request: Request) -> Response:
        if path.startswith(_RESERVED):
            allowed = _allowed_methods(request, f"/{path}")
            if allowed:
                raise ApiError(
                    405,
                    f"{request.method} is not allowed on /{path}; use {', '.join(allowed)}",
                    headers={"Allow": ", ".join(allowed)},
                )
            raise ApiError(404, f"no such endpoint: {request.method} /{path}")
        file = (STATIC_DIR / path).resolve()
        if path and file.is_file() and STATIC_DIR.resolve() in file.parents:
            return FileResponse(file)
        index = STATIC_DIR / "index.html"
        if index.is_file():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return HTMLResponse(_NOT_BUILT)

    app.state.dashboard_endpoint = dashboard
