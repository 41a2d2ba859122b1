"""Logging in and out, who am I, and token management (admin).

Login trades a token for an HttpOnly, SameSite=Strict session cookie so the dashboard
(and its EventSource/WebSocket connections) never keeps the token in script or URLs.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from crawlscope.access import LOCAL, Role, validate_token_name
from crawlscope.api.auth import (
    SESSION_COOKIE,
    Principal,
    auth_required,
    authenticator,
    identify,
    require,
)
from crawlscope.api.errors import ApiError
from crawlscope.store.tokens import TokenExists, TokenRecord

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(tags=["auth"])
AdminDep = Annotated[Principal, Depends(require(Role.ADMIN))]


class LoginBody(BaseModel):
    """A token to trade for a session cookie."""

    token: str = Field(min_length=1, max_length=200)


class LoginResult(BaseModel):
    """Who the session belongs to and when it expires."""

    name: str
    role: Role
    expires_at: str


class Me(BaseModel):
    """What the dashboard needs to know about the caller."""

    authenticated: bool = Field(description="The request carried valid credentials.")
    name: str | None = Field(None, description="Who the server takes the caller for.")
    role: Role | None = None
    auth_required: bool = Field(description="Requests without credentials are refused.")


class TokenInfo(BaseModel):
    """A token as listed (never its secret)."""

    id: int
    name: str
    role: Role
    prefix: str = Field(description="The first characters of the secret, to tell tokens apart.")
    created_at: str
    last_used_at: str | None = None
    revoked_at: str | None = None
    active: bool


class TokenList(BaseModel):
    """All tokens, oldest first."""

    tokens: list[TokenInfo]


class TokenCreate(BaseModel):
    """A token to create."""

    name: str = Field(min_length=1, max_length=100)
    role: Role


class TokenCreated(TokenInfo):
    """A new token with its secret: shown this once, only a hash is stored."""

    token: str


class TokenRevoked(TokenInfo):
    """A revoked token and how many browser sessions ended with it."""

    sessions_ended: int


def _info(record: TokenRecord) -> dict[str, object]:
    return {
        "id": record.id,
        "name": record.name,
        "role": Role(record.role),
        "prefix": record.prefix,
        "created_at": record.created_at,
        "last_used_at": record.last_used_at,
        "revoked_at": record.revoked_at,
        "active": record.active,
    }


@router.post(
    "/api/auth/login",
    response_model=LoginResult,
    responses={401: {"description": "unknown or revoked token"}},
)
async def login(body: LoginBody, request: Request, response: Response) -> LoginResult:
    """Trade a token for a session cookie (HttpOnly, SameSite=Strict)."""
    auth = authenticator(request)
    started = await auth.login(body.token.strip())
    if started is None:
        raise ApiError(
            401,
            "invalid or revoked token",
            field="token",
            headers={"WWW-Authenticate": 'Bearer realm="crawlscope", error="invalid_token"'},
        )
    principal, session_id, session = started
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(auth.session_ttl_s),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    log.info("session started for token %r (%s)", principal.name, principal.role.value)
    return LoginResult(name=principal.name, role=principal.role, expires_at=session.expires_at)


@router.post("/api/auth/logout", status_code=204)
async def logout(request: Request) -> Response:
    """End the session (if any) and clear its cookie."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        await authenticator(request).logout(session_id)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/api/auth/me", response_model=Me, response_model_exclude_none=True)
async def me(request: Request) -> Me:
    """Who the server takes the caller for, and whether it requires authentication."""
    try:
        principal = await identify(request)
    except ApiError:
        principal = None  # bad credentials: simply not authenticated; /me never fails
    required = auth_required(request)
    effective = principal if principal is not None else (None if required else LOCAL)
    return Me(
        authenticated=principal is not None,
        name=effective.name if effective else None,
        role=effective.role if effective else None,
        auth_required=required,
    )


@router.get("/api/tokens", response_model=TokenList, response_model_exclude_none=True)
async def list_tokens(request: Request, _: AdminDep) -> TokenList:
    """Every token, revoked ones included."""
    records = await authenticator(request).store.list_tokens()
    return TokenList(tokens=[TokenInfo.model_validate(_info(r)) for r in records])


@router.post(
    "/api/tokens",
    status_code=201,
    response_model=TokenCreated,
    response_model_exclude_none=True,
    responses={409: {"description": "an active token has this name"}},
)
async def create_token(body: TokenCreate, request: Request, caller: AdminDep) -> TokenCreated:
    """Create a token; its secret is in this response only."""
    try:
        name = validate_token_name(body.name)
    except ValueError as exc:
        raise ApiError(422, f"name: {exc}", field="name") from exc
    try:
        secret, record = await authenticator(request).create_token(name, body.role)
    except TokenExists as exc:
        raise ApiError(409, str(exc), field="name") from exc
    log.info("token %r (%s) created by %r", record.name, record.role, caller.name)
    return TokenCreated.model_validate({**_info(record), "token": secret})


@router.delete(
    "/api/tokens/{token_id}",
    response_model=TokenRevoked,
    response_model_exclude_none=True,
    responses={404: {"description": "no such token"}},
)
async def revoke_token(token_id: int, request: Request, caller: AdminDep) -> TokenRevoked:
    """Revoke a token now: its requests and browser sessions are refused from here on."""
    result = await authenticator(request).revoke(token_id)
    if result is None:
        raise ApiError(404, f"no token with id {token_id}", field="token_id")
    record, ended = result
    log.info("token %r revoked by %r (%d sessions ended)", record.name, caller.name, ended)
    return TokenRevoked.model_validate({**_info(record), "sessions_ended": ended})
