"""The open-stream registry (crawlscope.api.stream_registry), on the token store of every
backend (``token_store``)."""

from __future__ import annotations

import time

import pytest
from starlette.requests import Request

from crawlscope.access import LOCAL, Authenticator, Principal, Role, hash_secret
from crawlscope.api.auth import SESSION_COOKIE
from crawlscope.api.stream_registry import (
    LOGGED_OUT,
    NO_LONGER_VALID,
    REVOKED,
    Credential,
    StreamRegistry,
    credential_of,
)
from crawlscope.store.tokens import TokenStore


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": raw})


def test_credential_of_names_the_token_and_the_session_by_its_hash() -> None:
    by_cookie = _request({"cookie": f"{SESSION_COOKIE}=abc"})
    assert credential_of(by_cookie, Principal("d", Role.VIEWER, "session", 7)) == Credential(
        7, hash_secret("abc")
    )
    assert credential_of(_request({}), Principal("ci", Role.OPERATOR, "token", 3)) == Credential(3)
    assert credential_of(by_cookie, LOCAL) is None  # authentication off: nothing to watch


async def test_streams_are_dropped_however_they_end() -> None:
    registry = StreamRegistry()

    def failing_stream() -> None:
        with registry.track(Credential(2)):
            assert len(registry) == 3
            raise RuntimeError("the client went away")

    with registry.track(Credential(1)) as first, registry.track(Credential(1)):
        with pytest.raises(RuntimeError, match="went away"):
            failing_stream()
        assert len(registry) == 2
    assert len(registry) == 0
    assert registry.end_token(1) == 0  # nothing left to end
    assert not first.ended.done()


async def test_end_token_and_end_session_pick_their_streams() -> None:
    registry = StreamRegistry()
    with (
        registry.track(Credential(1)) as bearer,
        registry.track(Credential(1, "s1")) as session,
        registry.track(Credential(1, "s2")) as other_session,
        registry.track(Credential(2)) as other_token,
    ):
        assert registry.end_session("s2") == 1
        assert other_session.ended.result() == LOGGED_OUT
        assert registry.end_token(1) == 2  # the bearer stream and the remaining session
        assert (bearer.ended.result(), session.ended.result()) == (REVOKED, REVOKED)
        assert registry.end_token(1) == 0  # each stream is ended once
        assert not other_token.ended.done()
        assert len(registry) == 4  # ending tells a stream to stop; it leaves when it closes
    assert len(registry) == 0


async def test_recheck_ends_revoked_ended_and_expired_credentials(token_store: TokenStore) -> None:
    auth = Authenticator(token_store)
    _, revoked = await auth.create_token("revoked", Role.VIEWER)
    kept_secret, kept = await auth.create_token("kept", Role.VIEWER)
    started = await auth.login(kept_secret)
    assert started is not None
    _, kept_session, _ = started
    logged_out = await auth.login(kept_secret)
    assert logged_out is not None
    in_the_past = Authenticator(token_store, session_ttl_s=1, clock=lambda: time.time() - 60)
    expired = await in_the_past.login(kept_secret)
    assert expired is not None

    registry = StreamRegistry()
    with (
        registry.track(Credential(revoked.id)) as revoked_stream,
        registry.track(Credential(kept.id)) as kept_stream,
        registry.track(Credential(kept.id, hash_secret(kept_session))) as kept_session_stream,
        registry.track(Credential(kept.id, hash_secret(logged_out[1]))) as logged_out_stream,
        registry.track(Credential(kept.id, hash_secret(expired[1]))) as expired_stream,
        registry.track(Credential(9999)) as unknown_stream,
    ):
        assert await registry.recheck(token_store) == 2
        assert expired_stream.ended.result() == NO_LONGER_VALID
        assert unknown_stream.ended.result() == NO_LONGER_VALID
        assert not revoked_stream.ended.done()
        assert not logged_out_stream.ended.done()

        await auth.revoke(revoked.id)
        await auth.logout(logged_out[1])
        assert await registry.recheck(token_store) == 2
        assert revoked_stream.ended.result() == NO_LONGER_VALID
        assert logged_out_stream.ended.result() == NO_LONGER_VALID
        assert not kept_stream.ended.done()
        assert not kept_session_stream.ended.done()
