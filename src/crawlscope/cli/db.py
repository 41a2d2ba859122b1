"""``crawlscope db``: database maintenance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from crawlscope.cli.common import (
    DbOption,
    console,
    database_url,
    open_database,
    run_async,
)

if TYPE_CHECKING:
    from crawlscope.store.retention import PruneReport

__all__ = ["db_app", "prune_message", "upgrade_message"]

db_app = typer.Typer(no_args_is_help=True, help="Database maintenance.")


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create the database or bring its schema up to date, and say which it did."""

    async def go() -> str:
        database = await open_database(database_url(db))
        await database.close()
        before, after = database.revisions or (None, None)
        return upgrade_message(database.display_url, before, after)

    console.print(run_async(go), markup=False, highlight=False, soft_wrap=True)


def upgrade_message(where: str, before: str | None, after: str | None) -> str:
    """What opening the database did to its schema, given the revisions before and after."""
    if before is None:
        return f"database {where}: schema created at revision {after} (the database was empty)"
    if before != after:
        return f"database {where} upgraded from revision {before} to {after}"
    return f"database {where} already at revision {after} (up to date)"


@db_app.command("prune")
def db_prune(
    db: DbOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count what would be deleted.")
    ] = False,
    raw_event_days: Annotated[
        float | None,
        typer.Option(
            "--raw-event-days",
            min=0.0,
            help="Delete the raw events of runs that ended more than this many days ago.",
            show_default="the settings' raw_event_days, 30",
        ),
    ] = None,
    minute_rollup_days: Annotated[
        float | None,
        typer.Option(
            "--minute-rollup-days",
            min=0.0,
            help="Delete minute rollups older than this many days.",
            show_default="the settings' minute_rollup_days, 30",
        ),
    ] = None,
) -> None:
    """Delete raw events and minute rollups past their retention (docs/configuration.md),
    in short transactions; with --dry-run, say what would be deleted and delete nothing.
    Run summaries, worker cards, charts, hour and day rollups and error groups stay."""
    from crawlscope.config import Settings
    from crawlscope.store.retention import Retention
    from crawlscope.store.series import SeriesStore

    settings = Settings()
    url = database_url(db)

    async def go() -> PruneReport:
        database = await open_database(url)
        try:
            retention = Retention(
                database,
                SeriesStore(database),
                raw_event_days=settings.raw_event_days
                if raw_event_days is None
                else raw_event_days,
                minute_rollup_days=settings.minute_rollup_days
                if minute_rollup_days is None
                else minute_rollup_days,
                batch_rows=settings.prune_batch_rows,
            )
            return await (retention.plan() if dry_run else retention.prune())
        finally:
            await database.close()

    report = run_async(go)
    console.print(prune_message(report), markup=False, highlight=False, soft_wrap=True)


def prune_message(report: PruneReport) -> str:
    """What a prune did, or would do (``report.dry_run``), in one line per kind of row."""
    verb = "would delete" if report.dry_run else "deleted"
    raw = report.raw_before.strftime("%Y-%m-%d %H:%M UTC")
    minutes = report.minutes_before.strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"raw events: {verb} {report.events:,} events of {report.runs:,} "
        f"run{'' if report.runs == 1 else 's'} that ended before {raw}",
        f"frontier tasks: {verb} {report.tasks:,} of those runs (failed ones are kept)",
        f"minute rollups: {verb} {report.minute_rollups:,} rows before {minutes}",
    ]
    if report.dry_run:
        lines.append("dry run: nothing was deleted")
    return "\n".join(lines)
