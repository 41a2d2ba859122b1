"""API tokens and browser sessions (``TokenRepository``) on every backend (the ``store``
fixture). The authentication rules built on them are tested in tests/unit/test_access.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from crawlscope.store import SqlStore
from crawlscope.store.tokens import TokenExists, TokenRecord
from tests.store.moments import assert_utc

T0 = datetime(2026, 11, 22, 9, 54, 1, 123456, tzinfo=UTC)  # microseconds: kept to the ms


async def _token(
    store: SqlStore, name: str, *, role: str = "viewer", at: datetime = T0
) -> TokenRecord:
    return await store.tokens.create_token(
        name=name, role=role, token_hash=f"hash-of-{name}-{at.timestamp()}", prefix="cs_ab", now=at
    )


async def test_a_token_is_stored_with_its_moments(store: SqlStore) -> None:
    created = await _token(store, "ci", role="operator")
    stored = await store.tokens.get_token(created.id)
    assert stored is not None
    assert (stored.name, stored.role, stored.prefix) == ("ci", "operator", "cs_ab")
    assert stored.token_hash == created.token_hash
    assert_utc(stored.created_at, T0)
    assert (stored.last_used_at, stored.revoked_at) == (None, None)
    assert stored.active
    assert await store.tokens.get_token(created.id + 1000) is None
    assert await store.tokens.active_token_by_hash(created.token_hash) == stored
    assert await store.tokens.active_token_by_hash("unknown") is None


async def test_a_moment_with_an_offset_is_stored_as_the_same_instant(store: SqlStore) -> None:
    paris = datetime(2026, 11, 22, 10, 54, 1, 123000, tzinfo=timezone(timedelta(hours=1)))
    record = await _token(store, "remote", at=paris)
    stored = await store.tokens.get_token(record.id)
    assert stored is not None
    assert_utc(stored.created_at, paris)
    assert stored.created_at.hour == 9  # in UTC, not in the offset it was given in


async def test_active_names_are_unique_but_reusable_after_revoking(store: SqlStore) -> None:
    first = await _token(store, "ci")
    with pytest.raises(TokenExists, match="'ci'"):
        await _token(store, "ci", at=T0 + timedelta(seconds=1))
    assert [t.id for t in await store.tokens.list_tokens()] == [first.id]
    revoked = await store.tokens.revoke_token(first.id, T0 + timedelta(seconds=2))
    assert revoked is not None
    second = await _token(store, "ci", role="admin", at=T0 + timedelta(seconds=3))
    assert second.id != first.id
    found = await store.tokens.find_token("ci")
    assert found is not None
    assert (found.id, found.role) == (second.id, "admin")
    by_id = await store.tokens.find_token(f" {first.id} ")
    assert by_id is not None
    assert not by_id.active
    assert await store.tokens.find_token("nobody") is None
    assert await store.tokens.find_token("999999") is None
    # revoked both: the name finds the newest revoked one
    await store.tokens.revoke_token(second.id, T0 + timedelta(seconds=4))
    newest = await store.tokens.find_token("ci")
    assert newest is not None
    assert newest.id == second.id


async def test_list_tokens_in_creation_order(store: SqlStore) -> None:
    a = await _token(store, "a")
    b = await _token(store, "b")
    c = await _token(store, "c")
    await store.tokens.revoke_token(b.id, T0)
    assert [t.id for t in await store.tokens.list_tokens()] == [a.id, b.id, c.id]
    active = await store.tokens.list_tokens(include_revoked=False)
    assert [t.id for t in active] == [a.id, c.id]
    for token in await store.tokens.list_tokens():
        assert_utc(token.created_at, T0)


async def test_revoking_ends_the_tokens_sessions_and_keeps_its_first_time(store: SqlStore) -> None:
    token = await _token(store, "browser")
    other = await _token(store, "other")
    expires = T0 + timedelta(hours=1)
    for n in range(3):
        await store.tokens.create_session(
            session_hash=f"s{n}", token_id=token.id, now=T0, expires_at=expires
        )
    await store.tokens.create_session(
        session_hash="kept", token_id=other.id, now=T0, expires_at=expires
    )
    assert await store.tokens.session_count() == 4
    assert await store.tokens.session_count(token.id) == 3
    revoked_at = T0 + timedelta(minutes=5)
    result = await store.tokens.revoke_token(token.id, revoked_at)
    assert result is not None
    record, ended = result
    assert ended == 3
    assert_utc(record.revoked_at, revoked_at)
    assert not record.active
    assert await store.tokens.session_count(token.id) == 0
    assert await store.tokens.session_count() == 1
    assert await store.tokens.active_token_by_hash(token.token_hash) is None
    assert await store.tokens.live_session("s0", now=T0) is None
    again = await store.tokens.revoke_token(token.id, revoked_at + timedelta(hours=1))
    assert again is not None
    assert again[0].revoked_at == record.revoked_at
    assert again[1] == 0
    assert await store.tokens.revoke_token(10_000, T0) is None


async def test_a_live_session_until_it_expires(store: SqlStore) -> None:
    token = await _token(store, "browser", role="operator")
    expires = T0 + timedelta(hours=1)
    session = await store.tokens.create_session(
        session_hash="s", token_id=token.id, now=T0, expires_at=expires
    )
    assert (session.session_hash, session.token_id) == ("s", token.id)
    live = await store.tokens.live_session("s", now=expires - timedelta(milliseconds=1))
    assert live is not None
    found, owner = live
    assert (found.session_hash, found.token_id) == ("s", token.id)
    assert_utc(found.created_at, T0)
    assert_utc(found.expires_at, expires)
    assert (owner.id, owner.name, owner.role) == (token.id, "browser", "operator")
    assert_utc(owner.created_at, T0)
    assert await store.tokens.live_session("s", now=expires) is None
    assert await store.tokens.live_session("unknown", now=T0) is None


async def test_a_new_session_sweeps_out_expired_ones(store: SqlStore) -> None:
    token = await _token(store, "browser")
    for n in range(3):
        await store.tokens.create_session(
            session_hash=f"old{n}", token_id=token.id, now=T0, expires_at=T0 + timedelta(hours=1)
        )
    assert await store.tokens.session_count(token.id) == 3  # expired ones count until swept
    later = T0 + timedelta(hours=1)
    await store.tokens.create_session(
        session_hash="new", token_id=token.id, now=later, expires_at=later + timedelta(hours=1)
    )
    assert await store.tokens.session_count(token.id) == 1
    assert await store.tokens.live_session("new", now=later) is not None


async def test_deleting_a_session(store: SqlStore) -> None:
    token = await _token(store, "browser")
    for name in ("a", "b"):
        await store.tokens.create_session(
            session_hash=name, token_id=token.id, now=T0, expires_at=T0 + timedelta(hours=1)
        )
    assert await store.tokens.delete_session("a")
    assert not await store.tokens.delete_session("a")
    assert await store.tokens.live_session("a", now=T0) is None
    assert await store.tokens.live_session("b", now=T0) is not None
    assert await store.tokens.session_count(token.id) == 1


async def test_touch_records_the_last_use(store: SqlStore) -> None:
    token = await _token(store, "worker", role="ingest")
    used = T0 + timedelta(seconds=30, microseconds=999)
    await store.tokens.touch_token(token.id, used)
    stored = await store.tokens.get_token(token.id)
    assert stored is not None
    assert_utc(stored.last_used_at, used)
    await store.tokens.touch_token(token.id, used + timedelta(minutes=2))
    again = await store.tokens.get_token(token.id)
    assert again is not None
    assert_utc(again.last_used_at, used + timedelta(minutes=2))
    await store.tokens.touch_token(10_000, used)  # an unknown token: nothing happens
