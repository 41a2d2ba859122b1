"""API tokens and browser sessions: the ``api_tokens`` and ``api_sessions`` tables.

Only hashes of secrets are stored (``crawlscope.access`` makes them). Revoking a token
ends its sessions in the same transaction, so a session cannot outlive its token.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
import sqlalchemy as sa

from crawlscope.store.database import Database
from crawlscope.store.schema import api_sessions, api_tokens

__all__ = ["SessionRecord", "TokenExists", "TokenRecord", "TokenStore"]


class TokenExists(ValueError):
    """An active token already has this name."""


class TokenRecord(msgspec.Struct, kw_only=True):
    """A stored token (never the secret)."""

    id: int
    name: str
    role: str
    prefix: str
    token_hash: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Not revoked."""
        return self.revoked_at is None


class SessionRecord(msgspec.Struct, kw_only=True):
    """A stored browser session (never the session id itself)."""

    session_hash: str
    token_id: int
    created_at: datetime
    expires_at: datetime


_TOKEN_COLUMNS = [
    api_tokens.c.id,
    api_tokens.c.name,
    api_tokens.c.role,
    api_tokens.c.prefix,
    api_tokens.c.token_hash,
    api_tokens.c.created_at,
    api_tokens.c.last_used_at,
    api_tokens.c.revoked_at,
]


def _token(row: sa.Row[tuple[object, ...]]) -> TokenRecord:
    return msgspec.convert({str(k): v for k, v in row._mapping.items()}, TokenRecord)


class TokenStore:
    """Reads and writes tokens and sessions."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def create_token(
        self, *, name: str, role: str, token_hash: str, prefix: str, now: datetime
    ) -> TokenRecord:
        """Insert a token; ``TokenExists`` if an active token has the same name."""
        async with self.database.begin() as conn:
            taken = await conn.scalar(
                sa.select(api_tokens.c.id).where(
                    api_tokens.c.name == name, api_tokens.c.revoked_at.is_(None)
                )
            )
            if taken is not None:
                raise TokenExists(f"an active token named {name!r} exists (id {taken})")
            try:
                result = await conn.execute(
                    api_tokens.insert().values(
                        name=name, role=role, token_hash=token_hash, prefix=prefix, created_at=now
                    )
                )
            except sa.exc.IntegrityError as exc:
                # Lost a race with another process creating the same name.
                raise TokenExists(f"an active token named {name!r} exists") from exc
            token_id = int(result.inserted_primary_key[0])
        return TokenRecord(
            id=token_id,
            name=name,
            role=role,
            prefix=prefix,
            token_hash=token_hash,
            created_at=now,
        )

    async def list_tokens(self, *, include_revoked: bool = True) -> list[TokenRecord]:
        """Tokens in creation order."""
        query = sa.select(*_TOKEN_COLUMNS).order_by(api_tokens.c.id)
        if not include_revoked:
            query = query.where(api_tokens.c.revoked_at.is_(None))
        async with self.database.connect() as conn:
            return [_token(row) for row in await conn.execute(query)]

    async def get_token(self, token_id: int) -> TokenRecord | None:
        """A token by id, revoked or not."""
        async with self.database.connect() as conn:
            row = (
                await conn.execute(sa.select(*_TOKEN_COLUMNS).where(api_tokens.c.id == token_id))
            ).first()
        return None if row is None else _token(row)

    async def find_token(self, id_or_name: str) -> TokenRecord | None:
        """A token by id (digits) or by name (the active one, else the newest revoked)."""
        text = id_or_name.strip()
        if text.isdigit():
            return await self.get_token(int(text))
        query = (
            sa.select(*_TOKEN_COLUMNS)
            .where(api_tokens.c.name == text)
            # The active token first, then the most recently created revoked one.
            .order_by(
                sa.case((api_tokens.c.revoked_at.is_(None), 0), else_=1), api_tokens.c.id.desc()
            )
            .limit(1)
        )
        async with self.database.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _token(row)

    async def active_token_by_hash(self, token_hash: str) -> TokenRecord | None:
        """The unrevoked token with this hash."""
        async with self.database.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(*_TOKEN_COLUMNS).where(
                        api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None)
                    )
                )
            ).first()
        return None if row is None else _token(row)

    async def touch_token(self, token_id: int, now: datetime) -> None:
        """Record that a token was just used."""
        async with self.database.begin() as conn:
            await conn.execute(
                api_tokens.update().where(api_tokens.c.id == token_id).values(last_used_at=now)
            )

    async def revoke_token(self, token_id: int, now: datetime) -> tuple[TokenRecord, int] | None:
        """Revoke a token and delete its sessions: ``(record, sessions ended)``, None if unknown.

        Revoking a revoked token keeps its first ``revoked_at``.
        """
        async with self.database.begin() as conn:
            await conn.execute(
                api_tokens.update()
                .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            ended = await conn.execute(
                api_sessions.delete().where(api_sessions.c.token_id == token_id)
            )
            row = (
                await conn.execute(sa.select(*_TOKEN_COLUMNS).where(api_tokens.c.id == token_id))
            ).first()
        if row is None:
            return None
        return _token(row), int(ended.rowcount or 0)

    async def create_session(
        self, *, session_hash: str, token_id: int, now: datetime, expires_at: datetime
    ) -> SessionRecord:
        """Store a new session; expired sessions are swept out in the same transaction."""
        async with self.database.begin() as conn:
            await conn.execute(api_sessions.delete().where(api_sessions.c.expires_at <= now))
            await conn.execute(
                api_sessions.insert().values(
                    session_hash=session_hash,
                    token_id=token_id,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
        return SessionRecord(
            session_hash=session_hash, token_id=token_id, created_at=now, expires_at=expires_at
        )

    async def live_session(
        self, session_hash: str, *, now: datetime
    ) -> tuple[SessionRecord, TokenRecord] | None:
        """The unexpired session with this hash and its (unrevoked) token."""
        query = (
            sa.select(
                api_sessions.c.session_hash,
                api_sessions.c.token_id,
                api_sessions.c.created_at.label("session_created_at"),
                api_sessions.c.expires_at,
                *_TOKEN_COLUMNS,
            )
            .join(api_tokens, api_tokens.c.id == api_sessions.c.token_id)
            .where(
                api_sessions.c.session_hash == session_hash,
                api_sessions.c.expires_at > now,
                api_tokens.c.revoked_at.is_(None),
            )
        )
        async with self.database.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        m = row._mapping
        session = SessionRecord(
            session_hash=m["session_hash"],
            token_id=m["token_id"],
            created_at=m["session_created_at"],
            expires_at=m["expires_at"],
        )
        return session, msgspec.convert(
            {str(c.name): m[c.name] for c in _TOKEN_COLUMNS}, TokenRecord
        )

    async def delete_session(self, session_hash: str) -> bool:
        """End one session; whether it existed."""
        async with self.database.begin() as conn:
            result = await conn.execute(
                api_sessions.delete().where(api_sessions.c.session_hash == session_hash)
            )
        return bool(result.rowcount)

    async def session_count(self, token_id: int | None = None) -> int:
        """Stored sessions (of one token), expired ones included until swept."""
        query = sa.select(sa.func.count()).select_from(api_sessions)
        if token_id is not None:
            query = query.where(api_sessions.c.token_id == token_id)
        async with self.database.connect() as conn:
            return int(await conn.scalar(query) or 0)
