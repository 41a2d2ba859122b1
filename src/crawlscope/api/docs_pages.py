"""``/docs`` (Swagger UI) and ``/redoc`` served without any network access.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so on a machine without
internet access (or behind a strict proxy) they are blank. The same pages here load the
files the ``fastapi-offline`` package ships (Swagger UI's bundle and CSS, ReDoc's
standalone bundle), mounted at ``/docs/static``; docs/api.md says why that package.

Each page gets a Content-Security-Policy of its own that allows only this server:
scripts from ``'self'`` plus the page's inline start-up script by its hash, styles inline
(both UIs set them from JavaScript), ReDoc's search worker from a ``blob:``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["DOCS_ASSETS", "mount_api_docs"]

DOCS_ASSETS = Path(str(files("fastapi_offline") / "static"))
"""swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js, favicon.png."""
_STATIC = "/docs/static"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _with_policy(page: HTMLResponse) -> HTMLResponse:
    """``page`` with a policy allowing this server's files and its own inline scripts."""
    html = bytes(page.body).decode()
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    policy = "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {hashes}".rstrip(),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "worker-src 'self' blob:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": policy})


def mount_api_docs(app: FastAPI) -> None:
    """Serve ``/docs``, ``/docs/oauth2-redirect``, ``/redoc`` and their files (the app
    must be created with ``docs_url=None, redoc_url=None``)."""
    app.mount(_STATIC, StaticFiles(directory=DOCS_ASSETS), name="docs-static")
    title = app.title

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _with_policy(
            get_swagger_ui_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{title} - API",
                oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
                swagger_js_url=f"{root}{_STATIC}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{_STATIC}/swagger-ui.css",
                swagger_favicon_url=f"{root}{_STATIC}/favicon.png",
            )
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return _with_policy(get_swagger_ui_oauth2_redirect_html())

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _with_policy(
            get_redoc_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{title} - API reference",
                redoc_js_url=f"{root}{_STATIC}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{_STATIC}/favicon.png",
                with_google_fonts=False,
            )
        )
