"""Serving the built dashboard: files from ``api/static`` and the SPA fallback.

The dashboard is built by Vite (``make dashboard``) into this package, so an installed
wheel serves it without Node. Paths under ``/api``, ``/ws`` and the docs stay the API's.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from crawlscope.api.errors import ApiError

__all__ = ["STATIC_DIR", "mount_dashboard"]

STATIC_DIR = Path(__file__).with_name("static")
_RESERVED = ("api/", "ws/", "docs", "openapi.json", "redoc", "healthz", "readyz", "metrics")

_NOT_BUILT = """<!doctype html><title>crawlscope</title>
<p>The dashboard is not built. Run <code>make dashboard</code> (or <code>make demo</code>);
the API is at <a href="/docs">/docs</a>.</p>"""


def mount_dashboard(app: FastAPI) -> None:
    """Serve ``/assets/*`` and fall back to ``index.html`` for client-side routes."""
    assets = STATIC_DIR / "assets"
    if assets.is_dir():
        app.mount("/assets", StaticFiles(directory=assets), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    async def dashboard(path: str, request: Request) -> Response:
        if path.startswith(_RESERVED):
            raise ApiError(404, f"no such endpoint: {request.method} /{path}")
        file = (STATIC_DIR / path).resolve()
        if path and file.is_file() and STATIC_DIR.resolve() in file.parents:
            return FileResponse(file)
        index = STATIC_DIR / "index.html"
        if index.is_file():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return HTMLResponse(_NOT_BUILT)
