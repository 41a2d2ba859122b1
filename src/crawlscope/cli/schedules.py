"""``crawlscope schedules``: list, show, add, pause, resume and delete schedules in a database.

A server on the same database sees a change at its next wake-up (``schedule_recheck_s``,
30 s by default). The collection of a schedule added here is checked when it fires (the
CLI does not know the server's collections): a slot of an unknown collection is recorded
as ``failed`` with the reason. Everything else is checked here, each error naming the
option.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crawlscope.cli.choices import CatchUpChoice, OverlapChoice
from crawlscope.cli.common import (
    DbOption,
    console,
    database_url,
    fail,
    open_database,
    run_async,
)

if TYPE_CHECKING:
    from crawlscope.schedules.views import ScheduleView
    from crawlscope.store import Database

__all__ = ["schedules_app"]

schedules_app = typer.Typer(
    no_args_is_help=True, help="List, add, pause, resume and delete schedules."
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
ScheduleArg = Annotated[str, typer.Argument(metavar="ID_OR_NAME", help="Schedule id or name.")]

# ScheduleError.field -> the option that gave it.
_OPTIONS = {
    "name": "NAME",
    "collection": "--collection",
    "interval_s": "--every",
    "cron": "--cron",
    "timezone": "--timezone",
}


async def _open_existing(db: str | None) -> Database:
    """Open the database; a SQLite file that does not exist is an error, not a new file."""
    from sqlalchemy.engine import make_url

    from crawlscope.store import normalize_url

    url = database_url(db)
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        missing = await asyncio.to_thread(_missing_file, str(parsed.database))
        if missing is not None:
            raise fail(f"no database at {missing} (option --db)", 2)
    return await open_database(url)


def _missing_file(name: str) -> Path | None:
    path = Path(name).expanduser()
    return None if path.exists() else path


def _print_json(value: Any) -> None:
    import msgspec

    print(msgspec.json.format(msgspec.json.encode(value), indent=2).decode())


def _when(moment: Any) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}" if moment else "-"


def _timing(view: ScheduleView) -> str:
    if view.cron is not None:
        return f"cron {view.cron} ({view.timezone})"
    return f"every {view.interval_s:g} s"


async def _views(db: str | None, find: str | None = None) -> list[ScheduleView]:
    from crawlscope.schedules.service import ScheduleService
    from crawlscope.store.schedules import ScheduleStore

    database = await _open_existing(db)
    try:
        service = ScheduleService(ScheduleStore(database))
        if find is None:
            return await service.views()
        record = await service.repository.find(find)
        return [] if record is None else [await service.view(record)]
    finally:
        await database.close()


@schedules_app.command("list")
def schedules_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Schedules by name with their next and last run; times are UTC.

    With --json: one JSON array, each element a schedule as in GET /api/schedules.
    """
    from rich.table import Table

    views = run_async(lambda: _views(db))
    if as_json:
        _print_json(views)
        return
    if not views:
        console.print("no schedules (add one with `crawlscope schedules add`)")
        return
    table = Table("id", "name", "collection", "timing", "status", "next run (UTC)", "last run")
    for v in views:
        last = v.last_run
        table.add_row(
            str(v.id),
            v.name,
            v.collection,
            _timing(v),
            v.status,
            _when(v.next_run_at),
            f"{last.run_id} ({last.run_status or '?'})" if last else "-",
        )
    console.print(table, markup=False, highlight=False)


@schedules_app.command("show")
def schedules_show(schedule: ScheduleArg, db: DbOption = None, as_json: JsonOption = False) -> None:
    """One schedule and its recent slots: the runs it started, and why others did not run.

    With --json: the schedule as GET /api/schedules/{id} shows it.
    """
    from rich.table import Table

    found = run_async(lambda: _views(db, schedule))
    if not found:
        raise fail(f"no schedule with id or name {schedule!r} (see `crawlscope schedules list`)")
    view = found[0]
    if as_json:
        _print_json(view)
        return
    lines = [
        f"schedule {view.id} {view.name} ({view.status}, from {view.source})",
        f"  collection {view.collection}, params {view.params}",
        f"  {_timing(view)}; overlap {view.overlap}, catch-up {view.catch_up}",
        f"  next run {_when(view.next_run_at)} UTC"
        + (f" = {view.next_run_local} {view.timezone}" if view.next_run_local else ""),
    ]
    for line in lines:
        console.print(line, markup=False, highlight=False)
    if not view.slots:
        console.print("  no slots yet", markup=False)
        return
    table = Table("slot (UTC)", "outcome", "run", "run status", "reason")
    for s in view.slots:
        table.add_row(
            _when(s.slot_at), s.outcome, s.run_id or "-", s.run_status or "-", s.reason or ""
        )
    console.print(table, markup=False, highlight=False)


def _params(pairs: list[str] | None, given: str | None) -> dict[str, Any]:
    """``--params JSON`` overlaid with ``--param key=value`` (a value is JSON if it parses)."""
    import json

    params: dict[str, Any] = {}
    if given:
        try:
            loaded = json.loads(given)
        except ValueError as exc:
            raise fail(f"--params: not JSON: {exc}", 2) from exc
        if not isinstance(loaded, dict):
            raise fail("--params: must be a JSON object", 2)
        params.update(loaded)
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise fail(f"--param: {pair!r} is not key=value", 2)
        try:
            params[key.strip()] = json.loads(value)
        except ValueError:
            params[key.strip()] = value
    return params


@schedules_app.command("add")
def schedules_add(
    name: Annotated[str, typer.Argument(help="A unique name.")],
    collection: Annotated[
        str, typer.Option(help="The collection to run (registered on the server).")
    ],
    every: Annotated[
        float | None, typer.Option("--every", help="Seconds between runs (or --cron).")
    ] = None,
    cron: Annotated[
        str | None, typer.Option(help="Cron expression, five fields, e.g. '30 2 * * *'.")
    ] = None,
    timezone: Annotated[
        str, typer.Option("--timezone", help="IANA time zone of the cron expression.")
    ] = "UTC",
    param: Annotated[
        list[str] | None, typer.Option("--param", help="A parameter, key=value (repeatable).")
    ] = None,
    params: Annotated[str | None, typer.Option("--params", help="Parameters as JSON.")] = None,
    overlap: Annotated[
        OverlapChoice,
        typer.Option(case_sensitive=False, help="While the previous run is active."),
    ] = OverlapChoice.SKIP,
    catch_up: Annotated[
        CatchUpChoice,
        typer.Option("--catch-up", case_sensitive=False, help="Slots missed while no server ran."),
    ] = CatchUpChoice.SKIP,
    paused: Annotated[bool, typer.Option("--paused", help="Create it paused.")] = False,
    db: DbOption = None,
) -> None:
    """Add a schedule: every N seconds (--every) or a cron expression (--cron)."""
    from crawlscope.config import Settings
    from crawlscope.schedules.model import (
        CatchUpPolicy,
        OverlapPolicy,
        ScheduleError,
        ScheduleSpec,
        check_spec,
    )
    from crawlscope.store import ScheduleExists
    from crawlscope.store.schedules import ScheduleRecord, ScheduleStore
    from crawlscope.timestamps import utc_now

    spec = ScheduleSpec(
        name=name,
        collection=collection,
        params=_params(param, params),
        interval_s=every,
        cron=cron,
        timezone=timezone,
        enabled=not paused,
        overlap=OverlapPolicy(overlap.value),
        catch_up=CatchUpPolicy(catch_up.value),
    )
    try:
        spec = check_spec(spec, min_interval_s=Settings().schedule_min_interval_s)
    except ScheduleError as exc:
        option = _OPTIONS.get(exc.field, exc.field)
        message = str(exc).replace("interval_s", "the interval")
        if "exactly one" in message:
            option, message = "--every/--cron", "give exactly one of --every and --cron"
        raise fail(f"{option}: {message}", 2) from exc

    async def go() -> ScheduleRecord:
        database = await open_database(database_url(db))
        try:
            return await ScheduleStore(database).create(spec, now=utc_now())
        finally:
            await database.close()

    try:
        record = run_async(go)
    except ScheduleExists as exc:
        raise fail(f"NAME: {exc}; choose another name or delete it first", 2) from exc
    console.print(
        f"added schedule {record.id} {record.name!r}: {record.collection}, "
        + (
            f"cron {record.cron} ({record.timezone})"
            if record.cron
            else f"every {record.interval_s:g} s"
        )
        + (" (paused)" if not record.enabled else ""),
        markup=False,
        highlight=False,
    )


def _change(schedule: str, db: str | None, action: str) -> None:
    from crawlscope.schedules.service import ScheduleService, UnknownSchedule
    from crawlscope.store.schedules import ScheduleStore

    async def go() -> str | None:
        database = await _open_existing(db)
        try:
            service = ScheduleService(ScheduleStore(database))
            record = await service.repository.find(schedule)
            if record is None:
                return None
            try:
                if action == "delete":
                    await service.delete(record.id)
                else:
                    await service.set_enabled(record.id, action == "resume")
            except UnknownSchedule:
                return None  # deleted meanwhile
            return f"schedule {record.id} {record.name!r}"
        finally:
            await database.close()

    done = run_async(go)
    if done is None:
        raise fail(f"no schedule with id or name {schedule!r} (see `crawlscope schedules list`)")
    words = {"pause": "paused", "resume": "resumed", "delete": "deleted"}
    console.print(f"{words[action]} {done}", markup=False, highlight=False)


@schedules_app.command("pause")
def schedules_pause(schedule: ScheduleArg, db: DbOption = None) -> None:
    """Pause a schedule: no slot is taken until it is resumed."""
    _change(schedule, db, "pause")


@schedules_app.command("resume")
def schedules_resume(schedule: ScheduleArg, db: DbOption = None) -> None:
    """Resume a schedule; slots count from now (the paused ones are not caught up)."""
    _change(schedule, db, "resume")


@schedules_app.command("delete")
def schedules_delete(schedule: ScheduleArg, db: DbOption = None) -> None:
    """Delete a schedule and its slot records; the runs it started stay."""
    _change(schedule, db, "delete")
