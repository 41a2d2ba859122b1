"""Security headers on every response, and a Content-Security-Policy on the dashboard.

A pure ASGI middleware (it only adds headers to ``http.response.start``), so streaming
responses such as the SSE streams pass through untouched.

The policy allows only what the built dashboard uses (its own scripts, styles, images,
fonts, and API calls and streams to the same origin), so injected markup cannot load or
run anything; ``tests/e2e`` load every page in Chromium and fail on any violation. A
response that brings a policy of its own keeps it: the interactive API docs (``/docs``,
``/redoc``, ``api.docs_pages``) allow their inline start-up script by hash.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_SECURITY_POLICY", "SecurityHeaders"]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

_EVERY_RESPONSE = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
_DOCUMENTS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Adds ``X-Content-Type-Options``/``Referrer-Policy`` everywhere, and the CSP and
    ``X-Frame-Options`` to HTML documents (a header the response set is kept)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = list(_EVERY_RESPONSE)
                if _is_html(headers):
                    extra += _DOCUMENTS
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name.lower() == b"content-type":
            return value.lower().startswith(b"text/html")
    return False
