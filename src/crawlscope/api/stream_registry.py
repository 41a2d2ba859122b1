"""Open live streams by the credentials they were opened with, so lost access ends them.

Credentials are checked when an SSE stream or a WebSocket connects; this module keeps them
in force afterwards. Each open stream registers its ``Credential`` (the token id, and the
session when a cookie opened it) and gets a ``StreamWatch``. The stream ends, with a final
``unauthorized`` message (docs/api.md, Live streams), when its watch fires:

* at once when this process revokes the token (``DELETE /api/tokens/{id}``) or ends the
  session (``POST /api/auth/logout``): those routes call ``end_token`` / ``end_session``;
* otherwise within one ``recheck`` period (``Settings.stream_auth_recheck_s``): a token
  revoked by ``crawlscope tokens revoke`` or another server process on the same database,
  or a session that expired, is seen by the periodic re-check.

Streams opened without credentials (authentication off) are not registered at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from crawlscope.access import Principal, hash_secret
from crawlscope.api.auth import SESSION_COOKIE
from crawlscope.store.repositories import TokenRepository
from crawlscope.timestamps import utc_now

__all__ = [
    "LOGGED_OUT",
    "NO_LONGER_VALID",
    "REVOKED",
    "Credential",
    "StreamRegistry",
    "StreamWatch",
    "credential_of",
]

log = logging.getLogger(__name__)

REVOKED = "the token this stream was opened with was revoked"
LOGGED_OUT = "the session this stream was opened with ended (logged out)"
NO_LONGER_VALID = "credentials no longer valid (token revoked or session expired); log in again"


@dataclass(frozen=True)
class Credential:
    """What opened a stream: a token, or a browser session of that token.

    ``session_hash`` is the stored form of the session id (never the id itself); None for
    a bearer token.
    """

    token_id: int
    session_hash: str | None = None


def credential_of(conn: HTTPConnection, principal: Principal) -> Credential | None:
    """The credential behind an authenticated connection; None when auth is off (``LOCAL``).

    ``identify`` takes the bearer header first and the cookie otherwise, so a ``session``
    principal was established by this request's cookie.
    """
    if principal.token_id is None:
        return None
    if principal.via == "session":
        session_id = conn.cookies.get(SESSION_COOKIE)
        if session_id:
            return Credential(principal.token_id, hash_secret(session_id))
    return Credential(principal.token_id)


class StreamWatch:
    """One open stream's handle: ``ended`` resolves with the reason its access ended."""

    __slots__ = ("credential", "ended")

    def __init__(self, credential: Credential) -> None:
        self.credential = credential
        self.ended: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def end(self, reason: str) -> None:
        """Tell the stream to end (once; later calls do nothing)."""
        if not self.ended.done():
            self.ended.set_result(reason)


class StreamRegistry:
    """The open streams of one server process, grouped by credential."""

    def __init__(self) -> None:
        self._streams: dict[Credential, set[StreamWatch]] = {}

    def __len__(self) -> int:
        """Open streams registered now."""
        return sum(map(len, self._streams.values()))

    @contextlib.contextmanager
    def track(self, credential: Credential) -> Iterator[StreamWatch]:
        """Register a stream for as long as the block runs (it is dropped however it ends)."""
        watch = StreamWatch(credential)
        self._streams.setdefault(credential, set()).add(watch)
        try:
            yield watch
        finally:
            watches = self._streams.get(credential)
            if watches is not None:
                watches.discard(watch)
                if not watches:
                    del self._streams[credential]

    def _end(self, credentials: list[Credential], reason: str) -> int:
        ended = 0
        for credential in credentials:
            for watch in self._streams.get(credential, ()):
                if not watch.ended.done():
                    watch.end(reason)
                    ended += 1
        return ended

    def end_token(self, token_id: int, reason: str = REVOKED) -> int:
        """End every stream of this token, by header or by any of its sessions; how many."""
        return self._end([c for c in self._streams if c.token_id == token_id], reason)

    def end_session(self, session_hash: str, reason: str = LOGGED_OUT) -> int:
        """End every stream opened with this session (its stored hash); how many."""
        return self._end([c for c in self._streams if c.session_hash == session_hash], reason)

    async def recheck(self, store: TokenRepository) -> int:
        """Check each registered credential once against the store; end the streams of those
        no longer valid (revoked token, ended or expired session). How many ended."""
        invalid: list[Credential] = []
        now = utc_now()
        for credential in list(self._streams):
            if credential.session_hash is not None:
                valid = await store.live_session(credential.session_hash, now=now) is not None
            else:
                token = await store.get_token(credential.token_id)
                valid = token is not None and token.active
            if not valid:
                invalid.append(credential)
        return self._end(invalid, NO_LONGER_VALID)

    async def recheck_forever(self, store: TokenRepository, interval: float) -> None:
        """``recheck`` every ``interval`` seconds until cancelled.

        A failed check (database unreachable) keeps the streams and is retried next time:
        an outage must not log every dashboard out.
        """
        while True:
            await asyncio.sleep(interval)
            if not self._streams:
                continue
            try:
                ended = await self.recheck(store)
            except Exception:
                log.exception("re-checking the credentials of open streams failed; will retry")
                continue
            if ended:
                log.info("ended %d live stream(s) whose credentials are no longer valid", ended)
