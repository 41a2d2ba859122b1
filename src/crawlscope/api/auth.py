"""Who is calling: the ``require(role)`` dependency used by every route, and its WebSocket twin.

Credentials are ``Authorization: Bearer <token>`` or the session cookie set by
``POST /api/auth/login`` (so a browser's EventSource needs no token in its URL). No or
bad credentials answer 401 with ``WWW-Authenticate: Bearer``; a valid caller whose role is
not enough answers 403. When authentication is off (loopback demo) every caller is
``LOCAL``, an admin. Roles, secrets and sessions themselves live in ``crawlscope.access``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket, WebSocketState

from crawlscope.access import LOCAL, Authenticator, AuthMode, Principal, Role, auth_mode, grants
from crawlscope.api.errors import ApiError
from crawlscope.config import Settings

__all__ = [
    "SESSION_COOKIE",
    "WS_FORBIDDEN",
    "WS_UNAUTHORIZED",
    "Principal",
    "Role",
    "auth_required",
    "authenticate",
    "authenticate_websocket",
    "authenticator",
    "identify",
    "require",
    "server_auth_mode",
]

log = logging.getLogger(__name__)

SESSION_COOKIE = "crawlscope_session"
WS_UNAUTHORIZED = 4401
WS_FORBIDDEN = 4403
# Headers a reverse proxy adds. On a loopback server in "auto" mode they mean the request
# came from elsewhere, so it must authenticate even though the listener is loopback-only.
_PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def server_auth_mode(conn: HTTPConnection) -> AuthMode:
    """The app's mode: decided once by ``create_app``, else from its settings."""
    mode = getattr(conn.app.state, "auth_mode", None)
    if isinstance(mode, AuthMode):
        return mode
    settings: Settings = conn.app.state.settings
    return auth_mode(settings)


def auth_required(conn: HTTPConnection) -> bool:
    """Whether this request must carry credentials."""
    if server_auth_mode(conn).required:
        return True
    settings: Settings = conn.app.state.settings
    return settings.auth == "auto" and any(h in conn.headers for h in _PROXY_HEADERS)


def authenticator(conn: HTTPConnection) -> Authenticator:
    """An ``Authenticator`` over the server's database."""
    return Authenticator(conn.app.state.services.store.tokens)


def _unauthorized(message: str, *, invalid: bool = False, clear_cookie: bool = False) -> ApiError:
    challenge = 'Bearer realm="crawlscope"'
    if invalid:
        challenge += ', error="invalid_token"'
    headers = {"WWW-Authenticate": challenge}
    if clear_cookie:
        headers["Set-Cookie"] = f"{SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict"
    return ApiError(401, message, headers=headers)


async def identify(conn: HTTPConnection) -> Principal | None:
    """The caller named by the request's credentials; None when it carries none.

    Raises a 401 ``ApiError`` for a malformed header, an unknown or revoked token, or an
    expired or ended session. The bearer header wins over the cookie.
    """
    header = conn.headers.get("authorization")
    if header is not None:
        scheme, _, secret = header.strip().partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret:
            raise _unauthorized("the Authorization header must be 'Bearer <token>'", invalid=True)
        principal = await authenticator(conn).token_principal(secret)
        if principal is None:
            raise _unauthorized("invalid or revoked token", invalid=True)
        return principal
    session_id = conn.cookies.get(SESSION_COOKIE)
    if session_id:
        principal = await authenticator(conn).session_principal(session_id)
        if principal is None:
            raise _unauthorized(
                "session expired or ended; log in again", invalid=True, clear_cookie=True
            )
        return principal
    return None


def _foreign_origin(conn: HTTPConnection) -> str | None:
    """The request's ``Origin`` if it is neither this server nor a configured CORS origin."""
    origin = conn.headers.get("origin")
    if origin is None:
        return None
    settings: Settings = conn.app.state.settings
    if origin in settings.cors_origins:
        return None
    # Host and port only: behind a TLS-terminating proxy the scheme seen here may differ.
    if urlsplit(origin).netloc.lower() == conn.headers.get("host", "").lower():
        return None
    return origin


async def authenticate(conn: HTTPConnection, role: Role) -> Principal:
    """The caller, who must hold ``role`` (or one that includes it); else a 401/403 error."""
    if not auth_required(conn):
        principal = LOCAL
    else:
        found = await identify(conn)
        if found is None:
            raise _unauthorized(
                "authentication required: send 'Authorization: Bearer <token>' "
                "or log in with POST /api/auth/login"
            )
        principal = found
        # SameSite=Strict keeps other *sites'* pages from using the cookie, but a sibling
        # subdomain is the same site: refuse its state-changing requests and sockets.
        changes = conn.scope["type"] == "websocket" or conn.scope["method"] not in _SAFE_METHODS
        foreign = _foreign_origin(conn) if principal.via == "session" and changes else None
        if foreign is not None:
            raise ApiError(
                403,
                f"cross-origin request from {foreign} refused for a session cookie; "
                "send a bearer token instead",
            )
    if not grants(principal.role, role):
        raise ApiError(
            403, f"{principal.name!r} has role {principal.role.value!r}; this needs {role.value!r}"
        )
    conn.state.principal = principal
    return principal


def require(role: Role) -> Callable[[HTTPConnection], Awaitable[Principal]]:
    """Dependency factory: the caller must hold ``role`` (or one that includes it).

    ``Depends(require(Role.VIEWER))``. The returned dependency carries ``required_role``
    so tooling (the role-matrix test) can see what a route asks for. On a WebSocket route
    it rejects the handshake with HTTP 401/403; ``authenticate_websocket`` instead
    accepts and closes with 4401/4403, which browsers can read.
    """

    async def dependency(conn: HTTPConnection) -> Principal:
        return await authenticate(conn, role)

    dependency.required_role = role  # type: ignore[attr-defined]
    dependency.__name__ = f"require_{role.value}"
    return dependency


async def authenticate_websocket(ws: WebSocket, role: Role) -> Principal | None:
    """Check a WebSocket before it is accepted; None if refused (the socket is then closed).

    A refused socket is accepted only to be closed at once with 4401 (no or bad
    credentials) or 4403 (role not enough): a browser cannot see the status of a rejected
    handshake, but it can read a close code. Nothing is sent before the close.

    Usage::

        principal = await authenticate_websocket(ws, Role.VIEWER)
        if principal is None:
            return
        await ws.accept()
    """
    try:
        return await authenticate(ws, role)
    except ApiError as exc:
        code = WS_FORBIDDEN if exc.status == 403 else WS_UNAUTHORIZED
        if ws.client_state == WebSocketState.CONNECTING:
            await ws.accept()
        # Close reasons are limited to 123 bytes by the protocol.
        await ws.close(code=code, reason=exc.message.encode()[:123].decode(errors="ignore"))
        return None
