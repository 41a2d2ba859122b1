"""Logging in and out, who am I, and token management (admin).

Login trades a token for an HttpOnly, SameSite=Strict session cookie so the dashboard
(and its EventSource/WebSocket connections) never keeps the token in script or URLs.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, Field

from crawlscope.access import LOCAL, Role, hash_secret, is_name_char, validate_token_name
from crawlscope.api.auth import (
    SESSION_COOKIE,
    Principal,
    auth_required,
    authenticator,
    identify,
    require,
)
from crawlscope.api.errors import ApiError
from crawlscope.api.schemas import errors
from crawlscope.api.services import get_services
from crawlscope.store.tokens import TokenExists, TokenRecord

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(tags=["auth"])
AdminDep = Annotated[Principal, Depends(require(Role.ADMIN))]
MAX_TOKEN_ID = 2**31 - 1
"""Token ids are 32-bit integers on PostgreSQL."""


# -- the token name rule as JSON Schema ----------------------------------------------------


_CODE_POINTS = 0x110000


def _flags(chars: Callable[[str], bool]) -> int:
    """One bit per code point (bit ``n`` from the top is U+n): set where ``chars`` accepts."""
    return int.from_bytes(bytes(map(chars, map(chr, range(_CODE_POINTS)))), "big")


def _char_class(flags: int) -> str:
    """A regex character class of the code points whose flag byte is set, written as
    ``[^...]`` when the complement is shorter (generators such as hypothesis enumerate
    the code points a class lists)."""

    def literal(code: int) -> str:
        char = chr(code)
        if char in "\\]^-[":
            return "\\" + char
        # Invisible BMP characters as escapes that Python, Rust and ECMA-262 regexes all
        # read; the rest as themselves.
        return char if char.isprintable() or code > 0xFFFF else f"\\u{code:04x}"

    table = bytearray(flags.to_bytes(_CODE_POINTS, "big"))
    negate = table.count(1) > _CODE_POINTS // 2
    # Surrogates are not characters (no UTF-8 text holds one, and Rust-based validators
    # refuse them in a pattern): leave them out of the listing either way.
    table[0xD800:0xE000] = (b"\x01" if negate else b"\x00") * 0x800
    parts = []
    for run in re.finditer(rb"\x00+" if negate else rb"\x01+", table):
        first, last = run.start(), run.end() - 1
        parts.append(literal(first) if first == last else f"{literal(first)}-{literal(last)}")
    return "[" + ("^" if negate else "") + "".join(parts) + "]"


@functools.cache
def token_name_patterns() -> tuple[str, str]:
    """Two regular expressions that match exactly the names ``validate_token_name`` takes.

    The rule uses Python's Unicode tables (``str.strip``, ``is_name_char``, ``isdigit``),
    so the classes are generated from them, once, when the OpenAPI document is first
    asked for. First: optional whitespace, allowed characters starting and ending with a
    non-space one, optional whitespace. Second: the stripped name has a character that is
    not a digit (a non-digit non-space, or whitespace between two other characters).
    """
    every = int.from_bytes(b"\x01" * _CODE_POINTS, "big")
    space, allowed, digit = _flags(str.isspace), _flags(is_name_char), _flags(str.isdigit)
    s, inner, edge = _char_class(space), _char_class(allowed), _char_class(allowed & ~space)
    shape = f"^{s}*{edge}({inner}*{edge})?{s}*$"
    other = _char_class(every & ~(digit | space))
    non_space = _char_class(every & ~space)
    return shape, f"{other}|{non_space}{s}+{non_space}"


def _token_name_schema(schema: dict[str, Any]) -> None:
    shape, not_a_number = token_name_patterns()
    schema["allOf"] = [{"pattern": shape}, {"pattern": not_a_number}]


class LoginBody(BaseModel):
    """A token to trade for a session cookie."""

    token: str = Field(min_length=1, max_length=200, description="The token's secret.")


class LoginResult(BaseModel):
    """Who the session belongs to and when it expires."""

    name: str
    role: Role
    expires_at: datetime


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
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    active: bool


class TokenList(BaseModel):
    """All tokens, oldest first."""

    tokens: list[TokenInfo]


class TokenCreate(BaseModel):
    """A token to create."""

    name: str = Field(
        min_length=1,
        max_length=100,
        description="Surrounding whitespace is removed; the rest may not contain control, "
        "format (invisible) or separator characters other than spaces, and may not be "
        "only digits (numbers are token ids).",
        json_schema_extra=_token_name_schema,
    )
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
    responses=errors(401, 503, s401="Unknown or revoked token"),
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


@router.post("/api/auth/logout", status_code=204, responses=errors(503))
async def logout(request: Request) -> Response:
    """End the session (if any) and clear its cookie."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        await authenticator(request).logout(session_id)
        # Streams this session opened end now, not at the next periodic re-check.
        get_services(request).streams.end_session(hash_secret(session_id))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get(
    "/api/auth/me", response_model=Me, response_model_exclude_none=True, responses=errors(503)
)
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
    responses=errors(409, 422, s409="An active token has this name"),
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
    responses=errors(404, s404="No such token"),
)
async def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=MAX_TOKEN_ID, description="The token's id.")],
    request: Request,
    caller: AdminDep,
) -> TokenRevoked:
    """Revoke a token now: its requests and browser sessions are refused from here on,
    and its open live streams end."""
    result = await authenticator(request).revoke(token_id)
    if result is None:
        raise ApiError(404, f"no token with id {token_id}", field="token_id")
    record, ended = result
    streams = get_services(request).streams.end_token(token_id)
    log.info(
        "token %r revoked by %r (%d sessions, %d live streams ended)",
        record.name,
        caller.name,
        ended,
        streams,
    )
    return TokenRevoked.model_validate({**_info(record), "sessions_ended": ended})
