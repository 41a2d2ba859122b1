"""Roles, secrets, auth modes and session expiry (crawlscope.access).

Tokens and sessions are stored on every backend (``token_store`` is the token repository
of the ``store`` fixture: a SQLite file, then a PostgreSQL database).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlscope.access import (
    SESSION_TTL_S,
    TOKEN_PREFIX,
    AccessConfigError,
    Authenticator,
    Role,
    auth_mode,
    grants,
    hash_secret,
    is_loopback,
    new_session_id,
    new_token,
    parse_role,
    secret_matches,
    validate_token_name,
)
from crawlscope.api.routers.auth import token_name_patterns
from crawlscope.config import Settings
from crawlscope.runner import ConfigError
from crawlscope.store import SqlStore
from crawlscope.store.tokens import TokenExists, TokenStore
from crawlscope.timestamps import from_epoch

# -- roles ------------------------------------------------------------------------------------

# The matrix of docs/api.md, written out rather than derived from the code under test.
EXPECTED = {
    Role.VIEWER: {Role.VIEWER},
    Role.OPERATOR: {Role.VIEWER, Role.OPERATOR},
    Role.INGEST: {Role.INGEST},
    Role.ADMIN: {Role.VIEWER, Role.OPERATOR, Role.INGEST, Role.ADMIN},
}


@pytest.mark.parametrize("held", list(Role))
@pytest.mark.parametrize("required", list(Role))
def test_grants_matches_the_documented_matrix(held: Role, required: Role) -> None:
    assert grants(held, required) is (required in EXPECTED[held])


def test_parse_role_accepts_any_case_and_names_the_choices() -> None:
    assert parse_role(" Operator ") is Role.OPERATOR
    with pytest.raises(ValueError, match="viewer, operator, ingest, admin") as info:
        parse_role("root")
    assert "'root'" in str(info.value)


# -- secrets ----------------------------------------------------------------------------------


def test_tokens_are_prefixed_high_entropy_and_unique() -> None:
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    for token in list(tokens)[:50]:
        assert token.startswith(TOKEN_PREFIX)
        # 32 random bytes in URL-safe base64 are 43 characters.
        assert re.fullmatch(r"cs_[A-Za-z0-9_-]{43}", token)
    assert len({new_session_id() for _ in range(1000)}) == 1000


def test_hash_is_sha256_hex_and_matching_is_exact() -> None:
    token = new_token()
    stored = hash_secret(token)
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored
    assert secret_matches(token, stored)
    assert not secret_matches(token[:-1], stored)
    assert not secret_matches(token + "x", stored)
    assert not secret_matches(new_token(), stored)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("x" * 101, "at most 100"),
        ("bad\nname", "control characters"),
        ("right\u202eto-left", "control characters"),  # a bidi override (format)
        ("zero\u200bwidth", "control characters"),
        ("no\u00a0break", "control characters"),
        ("42", "must not be a number"),
        (" ٤٢ ", "must not be a number"),  # digits of any script
    ],
)
def test_token_names_are_validated(name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_token_name(name)


def test_token_names_are_stripped() -> None:
    assert validate_token_name("  ci runner ") == "ci runner"
    assert validate_token_name("\u3000José's runner 2\t") == "José's runner 2"


# A pool of the characters each rule is about, mixed with arbitrary text.
_NAME_CHARS = st.sampled_from(
    [
        *(" ", "\t", "\n", "\xa0", "\u3000", "\u2028", "\x85", "\x00", "\x7f"),
        *("1", "٣", "²", "a", "é", "-", "]", "\\", "^", "["),
        *("\U0001f600", "\u0378", "\ue000", "\U0010ffff"),
        *("\u200b", "\u202e", "\U000e0001", "\U000e0100"),
    ]
)


@given(st.one_of(st.text(max_size=10), st.lists(_NAME_CHARS, max_size=10).map("".join)))
@settings(max_examples=3000, deadline=None)
def test_the_openapi_name_patterns_match_exactly_what_is_accepted(name: str) -> None:
    """POST /api/tokens documents the rule as two patterns (Schemathesis generates names
    from them): they must accept exactly the names ``validate_token_name`` accepts."""
    shape, not_a_number = token_name_patterns()
    try:
        validate_token_name(name)
        accepted = len(name) <= 100
    except ValueError:
        accepted = False
    documented = bool(re.search(shape, name)) and bool(re.search(not_a_number, name))
    assert documented == accepted


# -- when is authentication required ----------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.53", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.org", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("auth", "host", "required"),
    [
        ("auto", "127.0.0.1", False),
        ("auto", "::1", False),
        ("auto", "0.0.0.0", True),
        ("auto", "10.0.0.5", True),
        ("on", "127.0.0.1", True),
        ("on", "0.0.0.0", True),
        ("off", "127.0.0.1", False),
    ],
)
def test_auth_mode(auth: str, host: str, required: bool) -> None:
    mode = auth_mode(Settings(auth=auth, host=host))  # type: ignore[arg-type]
    assert mode.required is required
    assert host in mode.reason
    assert ("required" in mode.reason) is required


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.org"])
def test_auth_off_off_loopback_is_refused_with_the_setting_named(host: str) -> None:
    with pytest.raises(AccessConfigError, match="CRAWLSCOPE_AUTH=off is refused") as info:
        auth_mode(Settings(auth="off", host=host))
    assert host in str(info.value)
    # The CLI turns ConfigError into a clean error exit.
    assert isinstance(info.value, ConfigError)


# -- tokens and sessions in a real database ---------------------------------------------------


class Clock:
    """A settable clock for the authenticator (seconds since the epoch)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(1_800_000_000.0)


@pytest.fixture
def auth(token_store: TokenStore, clock: Clock) -> Authenticator:
    return Authenticator(token_store, session_ttl_s=3600, clock=clock)


async def _everything_stored(store: SqlStore) -> bytes:
    """Every byte the database holds: the SQLite file and its journals (closed first), or
    every row of every table as text on PostgreSQL."""
    if store.backend == "sqlite":
        await store.close()
        path = Path(store.data_path)
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    async with store.database.connect() as conn:
        tables = await conn.scalars(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        )
        rows = []
        for table in tables.all():
            rows += (await conn.scalars(sa.text(f'SELECT CAST(t AS text) FROM "{table}" t'))).all()
    return "\n".join(rows).encode()


async def test_token_round_trip_stores_only_the_hash(auth: Authenticator, store: SqlStore) -> None:
    secret, record = await auth.create_token("ci", "operator")
    assert record.role == "operator"
    assert record.token_hash == hash_secret(secret)
    assert secret.startswith(record.prefix)
    principal = await auth.token_principal(secret)
    assert principal is not None
    assert (principal.name, principal.role, principal.via) == ("ci", Role.OPERATOR, "token")
    assert principal.token_id == record.id
    assert await auth.token_principal(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert await auth.token_principal("not-a-token") is None
    raw = await _everything_stored(store)
    assert secret.encode() not in raw
    assert hash_secret(secret).encode() in raw


async def test_active_names_are_unique_but_reusable_after_revoking(auth: Authenticator) -> None:
    _, first = await auth.create_token("ci", Role.VIEWER)
    with pytest.raises(TokenExists, match="'ci'"):
        await auth.create_token("ci", Role.ADMIN)
    await auth.revoke(first.id)
    secret, second = await auth.create_token("ci", Role.ADMIN)
    assert second.id != first.id
    found = await auth.store.find_token("ci")
    assert found is not None
    assert found.id == second.id
    by_id = await auth.store.find_token(str(first.id))
    assert by_id is not None
    assert not by_id.active
    assert await auth.token_principal(secret) is not None


async def test_revoked_token_and_its_sessions_are_refused(auth: Authenticator) -> None:
    secret, record = await auth.create_token("browser", Role.VIEWER)
    started = await auth.login(secret)
    assert started is not None
    _, session_id, _ = started
    assert await auth.session_principal(session_id) is not None
    result = await auth.revoke(record.id)
    assert result is not None
    revoked, ended = result
    assert revoked.revoked_at is not None
    assert ended == 1
    assert await auth.token_principal(secret) is None
    assert await auth.session_principal(session_id) is None
    assert await auth.login(secret) is None
    # Revoking twice keeps the first time.
    again = await auth.revoke(record.id)
    assert again is not None
    assert again[0].revoked_at == revoked.revoked_at
    assert await auth.revoke(10_000) is None


async def test_session_expires_after_its_ttl(auth: Authenticator, clock: Clock) -> None:
    secret, _ = await auth.create_token("browser", Role.OPERATOR)
    started = await auth.login(secret)
    assert started is not None
    principal, session_id, record = started
    assert principal.via == "session"
    assert record.expires_at == from_epoch(clock.now + 3600)
    assert session_id not in record.session_hash
    clock.now += 3599
    live = await auth.session_principal(session_id)
    assert live is not None
    assert (live.name, live.role) == ("browser", Role.OPERATOR)
    clock.now += 1
    assert await auth.session_principal(session_id) is None
    # The token itself does not expire.
    assert await auth.token_principal(secret) is not None


async def test_logout_ends_only_that_session(auth: Authenticator) -> None:
    secret, _ = await auth.create_token("browser", Role.VIEWER)
    first = await auth.login(secret)
    second = await auth.login(secret)
    assert first is not None
    assert second is not None
    assert first[1] != second[1]
    assert await auth.logout(first[1])
    assert not await auth.logout(first[1])
    assert await auth.session_principal(first[1]) is None
    assert await auth.session_principal(second[1]) is not None
    assert await auth.session_principal("") is None
    assert await auth.session_principal("x" * 500) is None


async def test_login_sweeps_expired_sessions(
    auth: Authenticator, token_store: TokenStore, clock: Clock
) -> None:
    secret, record = await auth.create_token("browser", Role.VIEWER)
    for _ in range(3):
        assert await auth.login(secret) is not None
    assert await token_store.session_count(record.id) == 3
    clock.now += 3601
    assert await auth.login(secret) is not None
    assert await token_store.session_count(record.id) == 1


async def test_last_used_is_recorded_at_most_once_a_minute(
    auth: Authenticator, token_store: TokenStore, clock: Clock
) -> None:
    secret, record = await auth.create_token("worker", Role.INGEST)
    assert record.last_used_at is None
    await auth.token_principal(secret)
    first = await token_store.get_token(record.id)
    assert first is not None
    assert first.last_used_at == from_epoch(clock.now)
    clock.now += 30
    await auth.token_principal(secret)
    same = await token_store.get_token(record.id)
    assert same is not None
    assert same.last_used_at == first.last_used_at
    clock.now += 31
    await auth.token_principal(secret)
    later = await token_store.get_token(record.id)
    assert later is not None
    assert later.last_used_at == from_epoch(clock.now)


def test_default_session_ttl_is_hours_not_days() -> None:
    assert 3600 <= SESSION_TTL_S <= 24 * 3600
