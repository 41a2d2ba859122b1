"""Serving the built dashboard: files from ``api/static`` and the SPA fallback.

The dashboard is built by Vite (``make dashboard``) into this package, so an installed
wheel serves it without Node. Paths under ``/api``, ``/ws`` and the docs stay the API's:
the fallback route takes every method, so that on those paths it can answer what the
router would have if it were not there: 405 with ``Allow`` when another method of a real
route fits, else a JSON 404 (a GET-only fallback made Starlette answer 405 for any
non-GET request to an unknown API path).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.routing import Match

from crawlscope.api.errors import ApiError

__all__ = ["EVERY_METHOD", "STATIC_DIR", "mount_dashboard"]

STATIC_DIR = Path(__file__).with_name("static")
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_PAGE_METHODS = ("GET", "HEAD")
# CONNECT is left out: it asks for a tunnel, not a resource (uvicorn does not serve it).
EVERY_METHOD = (*_METHODS, "HEAD", "OPTIONS", "TRACE")
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


def _not_allowed(method: str, path: str, allowed: list[str]) -> ApiError:
    return ApiError(
        405,
        f"{method} is not allowed on /{path}; use {', '.join(allowed)}",
        headers={"Allow": ", ".join(allowed)},
    )


def _dashboard_endpoint(app: FastAPI) -> object:
    return app.state.dashboard_endpoint


def mount_dashboard(app: FastAPI) -> None:
    """Serve ``/assets/*`` and fall back to ``index.html`` for client-side routes."""
    assets = STATIC_DIR / "assets"
    if assets.is_dir():
        app.mount("/assets", StaticFiles(directory=assets), name="assets")

    @app.api_route("/{path:path}", methods=list(EVERY_METHOD), include_in_schema=False)
    async def dashboard(path: str, request: Request) -> Response:
        if path.startswith(_RESERVED):
            allowed = _allowed_methods(request, f"/{path}")
            if allowed:
                raise _not_allowed(request.method, path, allowed)
            raise ApiError(404, f"no such endpoint: {request.method} /{path}")
        if request.method not in _PAGE_METHODS:
            raise _not_allowed(request.method, path, list(_PAGE_METHODS))
        if "\x00" in path:
            raise ApiError(400, "the path contains a NUL byte", field="path")
        file = _static_file(path)
        if file is not None:
            return FileResponse(file)
        if "." in path.rsplit("/", 1)[-1]:
            # A missing file (a stale asset, a typo): the page would be the wrong answer
            # (a browser would run HTML as a script).
            raise ApiError(404, f"no such file: /{path[:200]}", field="path")
        index = STATIC_DIR / "index.html"
        if index.is_file():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return HTMLResponse(_NOT_BUILT)

    app.state.dashboard_endpoint = dashboard


def _static_file(path: str) -> Path | None:
    """The built file at ``path`` inside ``STATIC_DIR``, or None.

    A path that cannot name a file here (too long for the file system, escaping the
    folder) is simply not a file: the caller answers with the page or a 404, never a 500.
    """
    if not path:
        return None
    root = STATIC_DIR.resolve()
    try:
        file = (STATIC_DIR / path).resolve()
        if root in file.parents and file.is_file():
            return file
    except (OSError, ValueError):
        return None
    return None
