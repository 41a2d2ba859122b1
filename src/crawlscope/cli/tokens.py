"""``crawlscope tokens``: create, list and revoke API tokens in a database.

The server reads the same tables on every request, so a token created or revoked here
takes effect at once on a running server that uses the same database.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal, get_args

import typer

from crawlscope.cli.common import (
    DbOption,
    console,
    database_url,
    err_console,
    fail,
    open_database,
    run_async,
)

if TYPE_CHECKING:
    from crawlscope.store.tokens import TokenRecord

__all__ = ["ROLE_NAMES", "tokens_app"]

RoleName = Literal["viewer", "operator", "ingest", "admin"]
"""``crawlscope.access.Role``'s values, spelled out: importing ``access`` (the store,
SQLAlchemy) only to build ``--help`` would make every command start slowly."""
ROLE_NAMES: tuple[str, ...] = get_args(RoleName)

tokens_app = typer.Typer(no_args_is_help=True, help="Create, list and revoke API tokens.")


@tokens_app.command("create")
def tokens_create(
    role: Annotated[
        RoleName,
        typer.Option(
            case_sensitive=False,
            help="viewer (read, streams), operator (+ start/pause/resume/cancel), "
            "ingest (POST /api/ingest only), admin (everything, tokens).",
        ),
    ],
    name: Annotated[str, typer.Option(help="Who or what uses the token (unique while active).")],
    db: DbOption = None,
) -> None:
    """Create a token and print it once (only its hash is stored).

    The token alone goes to standard output, so ``TOKEN=$(crawlscope tokens create ...)``
    captures it; the notice goes to standard error.
    """
    from crawlscope.access import Authenticator, Role, validate_token_name
    from crawlscope.store.tokens import TokenExists, TokenStore

    try:
        name = validate_token_name(name)
    except ValueError as exc:
        raise fail(f"--name: {exc}", 2) from exc

    url = database_url(db)

    async def go() -> tuple[str, TokenRecord, str]:
        database = await open_database(url)
        try:
            secret, record = await Authenticator(TokenStore(database)).create_token(
                name, Role(role)
            )
            return secret, record, database.display_url
        finally:
            await database.close()

    try:
        secret, record, where = run_async(go)
    except TokenExists as exc:
        raise fail(f"--name: {exc}; revoke it first or choose another name", 2) from exc
    # The database matters: a server on another database answers "invalid or revoked".
    err_console.print(
        f"Created token {record.id} {record.name} (role {record.role}) in {where}; a server "
        "must use this database to accept it. Store it now: it cannot be shown again.",
        highlight=False,
        markup=False,
    )
    print(secret)


@tokens_app.command("list")
def tokens_list(
    db: DbOption = None,
    active: Annotated[bool, typer.Option("--active", help="Only tokens not revoked.")] = False,
) -> None:
    """Tokens (never their secrets), oldest first; times are UTC."""
    from rich.table import Table

    from crawlscope.store.tokens import TokenStore

    async def go() -> list[TokenRecord]:
        database = await open_database(database_url(db))
        try:
            return await TokenStore(database).list_tokens(include_revoked=not active)
        finally:
            await database.close()

    records = run_async(go)
    if not records:
        console.print("no tokens (create one with `crawlscope tokens create`)")
        return
    table = Table("id", "name", "role", "prefix", "created", "last used", "revoked")
    for r in records:
        table.add_row(
            str(r.id),
            r.name,
            r.role,
            r.prefix + "…",
            _short(r.created_at),
            _short(r.last_used_at),
            _short(r.revoked_at),
        )
    console.print(table)


def _short(moment: datetime | None) -> str:
    """``2026-11-22 21:59`` (UTC, to the minute), so the table fits."""
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"


@tokens_app.command("revoke")
def tokens_revoke(
    token: Annotated[str, typer.Argument(metavar="ID_OR_NAME", help="Token id or name.")],
    db: DbOption = None,
) -> None:
    """Revoke a token: its requests and browser sessions are refused from now on."""
    from crawlscope.access import Authenticator
    from crawlscope.store.tokens import TokenStore

    async def go() -> tuple[TokenRecord, int, bool] | None:
        database = await open_database(database_url(db))
        try:
            store = TokenStore(database)
            found = await store.find_token(token)
            if found is None:
                return None
            result = await Authenticator(store).revoke(found.id)
            if result is None:  # deleted between the two statements; nothing to revoke
                return None
            return result[0], result[1], found.active
        finally:
            await database.close()

    outcome = run_async(go)
    if outcome is None:
        raise fail(f"no token with id or name {token!r} (see `crawlscope tokens list`)")
    record, ended, was_active = outcome
    if not was_active:
        console.print(
            f"token {record.id} {record.name!r} was already revoked ({record.revoked_at})"
        )
        return
    console.print(
        f"revoked token {record.id} {record.name!r} ({record.role}); "
        f"{ended} browser session{'s' if ended != 1 else ''} ended"
    )
