"""Access control without HTTP: roles, secrets, sessions and whether auth is required.

Tokens and session ids are 256-bit random secrets. Only their SHA-256 is stored: a slow
password hash buys nothing for secrets that cannot be guessed, and a plain digest lets a
request be authenticated with one indexed lookup. The HTTP side lives in ``api/auth.py``.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import ipaddress
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from crawlscope.config import Settings
from crawlscope.runner.errors import ConfigError
from crawlscope.store.repositories import TokenRepository
from crawlscope.store.tokens import SessionRecord, TokenRecord
from crawlscope.timestamps import from_epoch

__all__ = [
    "LOCAL",
    "SESSION_TTL_S",
    "TOKEN_PREFIX",
    "AccessConfigError",
    "AuthMode",
    "Authenticator",
    "Principal",
    "Role",
    "auth_mode",
    "grants",
    "hash_secret",
    "is_loopback",
    "is_name_char",
    "new_session_id",
    "new_token",
    "parse_role",
    "secret_matches",
    "validate_token_name",
]

TOKEN_PREFIX = "cs_"
SESSION_TTL_S = 12 * 3600
# last_used_at is bookkeeping for `tokens list`; writing it on every request would turn
# every read into a write, so it is refreshed at most this often per token.
_TOUCH_INTERVAL_S = 60.0


class Role(enum.StrEnum):
    """What a token may do (docs/api.md, Access control)."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    INGEST = "ingest"
    ADMIN = "admin"


# Which required roles each held role satisfies. `ingest` is deliberately not a viewer:
# a remote worker's token should not be able to read the installation's data.
_GRANTS: dict[Role, frozenset[Role]] = {
    Role.VIEWER: frozenset({Role.VIEWER}),
    Role.OPERATOR: frozenset({Role.VIEWER, Role.OPERATOR}),
    Role.INGEST: frozenset({Role.INGEST}),
    Role.ADMIN: frozenset(Role),
}


def grants(held: Role, required: Role) -> bool:
    """Whether a caller holding ``held`` may do what needs ``required``."""
    return required in _GRANTS[held]


def parse_role(value: str) -> Role:
    """``"viewer"`` -> ``Role.VIEWER``; a clear error naming the allowed values otherwise."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ValueError(f"role must be one of {allowed}, got {value!r}") from None


@dataclass(frozen=True)
class Principal:
    """The caller: a token's name and role, or ``local`` when auth is off.

    ``via`` says how it was established (``token``, ``session`` or ``local``);
    ``token_id`` is the token behind a token or session.
    """

    name: str
    role: Role
    via: Literal["token", "session", "local"] = "local"
    token_id: int | None = None


LOCAL = Principal("local", Role.ADMIN, "local")
"""Every caller, when authentication is off (loopback demo)."""


# -- secrets ---------------------------------------------------------------------------------


def new_token() -> str:
    """A new API token: ``cs_`` and 43 URL-safe characters (256 random bits).

    The prefix makes leaked tokens easy to recognise (secret scanners, logs).
    """
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_session_id() -> str:
    """A new session id (256 random bits)."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """The stored form of a token or session id: hex SHA-256."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Whether ``secret`` hashes to ``stored_hash``, compared in constant time."""
    return hmac.compare_digest(hash_secret(secret), stored_hash)


# Control, format (bidi overrides, zero-width), surrogate and separator characters: they
# hide or disguise text in a terminal or a table. Space is the one separator allowed.
_NAME_CATEGORIES_REFUSED = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Zs"})


def is_name_char(char: str) -> bool:
    """Whether ``char`` may appear inside a token name (after stripping)."""
    return char == " " or unicodedata.category(char) not in _NAME_CATEGORIES_REFUSED


def validate_token_name(name: str) -> str:
    """A token name, stripped; ``ValueError`` naming the rule it breaks."""
    name = name.strip()
    if not name:
        raise ValueError("name must not be empty")
    if len(name) > 100:
        raise ValueError(f"name must be at most 100 characters, got {len(name)}")
    if not all(map(is_name_char, name)):
        raise ValueError("name must not contain control characters (or invisible ones)")
    if name.isdigit():
        # `tokens revoke ID_OR_NAME` must never have to guess which one was meant.
        raise ValueError("name must not be a number (numbers are token ids)")
    return name


# -- is authentication required? -------------------------------------------------------------


class AccessConfigError(ConfigError):
    """The access settings are unsafe or contradictory; the message names the setting."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        # Any other name may resolve to a public address: treat it as reachable.
        return False


@dataclass(frozen=True)
class AuthMode:
    """Whether callers must authenticate, and why (for the start-up banner and logs)."""

    required: bool
    reason: str


def auth_mode(settings: Settings) -> AuthMode:
    """Decide from ``settings.auth`` and ``settings.host``; refuse ``off`` off loopback."""
    loopback = is_loopback(settings.host)
    where = f"listening on {settings.host}"
    if settings.auth == "on":
        return AuthMode(True, f"authentication required (CRAWLSCOPE_AUTH=on, {where})")
    if settings.auth == "off":
        if not loopback:
            raise AccessConfigError(
                f"CRAWLSCOPE_AUTH=off is refused: the server would listen on {settings.host}, "
                "which is not a loopback address, and anyone who can reach it could control "
                "runs. Use --host 127.0.0.1, or keep auth on and create a token with "
                "`crawlscope tokens create`."
            )
        return AuthMode(False, f"authentication off (CRAWLSCOPE_AUTH=off, {where})")
    if loopback:
        return AuthMode(
            False,
            f"authentication off: {where} only (set CRAWLSCOPE_AUTH=on to require tokens; "
            "requests relayed by a reverse proxy must authenticate anyway)",
        )
    return AuthMode(True, f"authentication required: {where}, which is not loopback")


# -- authenticating ---------------------------------------------------------------------------


class Authenticator:
    """Checks tokens and sessions against the store; creates and ends sessions.

    Nothing is cached, so a revoked token or ended session is refused on the next request.
    ``clock`` (seconds since the epoch) is injectable so expiry can be tested without waiting.
    """

    def __init__(
        self,
        store: TokenRepository,
        *,
        session_ttl_s: float = SESSION_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.session_ttl_s = session_ttl_s
        self.clock = clock

    async def create_token(self, name: str, role: Role | str) -> tuple[str, TokenRecord]:
        """A new token: the secret (show it once, it is not stored) and its record."""
        name = validate_token_name(name)
        role = role if isinstance(role, Role) else parse_role(role)
        secret = new_token()
        record = await self.store.create_token(
            name=name,
            role=role.value,
            token_hash=hash_secret(secret),
            prefix=secret[: len(TOKEN_PREFIX) + 6],
            now=from_epoch(self.clock()),
        )
        return secret, record

    async def token_principal(self, secret: str) -> Principal | None:
        """The principal of an active token, or None (unknown, revoked or malformed)."""
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
            return None
        record = await self.store.active_token_by_hash(hash_secret(secret))
        if record is None or not secret_matches(secret, record.token_hash):
            return None
        await self._touch(record)
        return Principal(record.name, Role(record.role), "token", record.id)

    async def session_principal(self, session_id: str) -> Principal | None:
        """The principal of a live session (not expired, its token not revoked), or None."""
        if not session_id or len(session_id) > 200:
            return None
        now = from_epoch(self.clock())
        found = await self.store.live_session(hash_secret(session_id), now=now)
        if found is None:
            return None
        session, record = found
        if not secret_matches(session_id, session.session_hash):
            return None
        await self._touch(record)
        return Principal(record.name, Role(record.role), "session", record.id)

    async def login(self, secret: str) -> tuple[Principal, str, SessionRecord] | None:
        """Start a session for a valid token: ``(principal, session id, record)`` or None."""
        principal = await self.token_principal(secret)
        if principal is None or principal.token_id is None:
            return None
        now = self.clock()
        session_id = new_session_id()
        record = await self.store.create_session(
            session_hash=hash_secret(session_id),
            token_id=principal.token_id,
            now=from_epoch(now),
            expires_at=from_epoch(now + self.session_ttl_s),
        )
        return (
            Principal(principal.name, principal.role, "session", principal.token_id),
            (session_id),
            record,
        )

    async def revoke(self, token_id: int) -> tuple[TokenRecord, int] | None:
        """Revoke a token and end its sessions: ``(record, sessions ended)``; None if unknown."""
        return await self.store.revoke_token(token_id, from_epoch(self.clock()))

    async def logout(self, session_id: str) -> bool:
        """End a session; whether there was one."""
        return await self.store.delete_session(hash_secret(session_id))

    async def _touch(self, record: TokenRecord) -> None:
        now = self.clock()
        last = record.last_used_at
        if last is not None and last >= from_epoch(now - _TOUCH_INTERVAL_S):
            return
        await self.store.touch_token(record.id, from_epoch(now))
