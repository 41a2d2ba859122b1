"""``crawlscope runs resume`` and ``runs retry``: take up a run again.

``resume`` a paused run asks its runner to go on (like ``pause``/``cancel``); ``resume`` an
*interrupted* run (its runner died: a crash, ``kill -9``, a reboot) continues it here,
from the frontier it saved, given its collection. ``retry`` starts a new run of a finished
run's failed tasks.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crawlscope.cli.common import DbOption, database_url, fail, run_async
from crawlscope.cli.runs import WaitOption, _control, _open_existing, runs_app
from crawlscope.status import ControlCommand, RunStatus

if TYPE_CHECKING:
    from crawlscope.monitor import Monitor
    from crawlscope.runner import Collection, Run

__all__ = ["runs_resume", "runs_retry"]

CollectionOption = Annotated[
    str | None,
    typer.Option(
        "--collection",
        metavar="MODULE:COLLECTION",
        help="The run's collection, to continue an interrupted run (or retry failed tasks) "
        "in this process.",
    ),
]
JsonSummary = Annotated[
    bool, typer.Option("--json", help="No live view; print a JSON summary at the end.")
]


@runs_app.command("resume")
def runs_resume(
    run_id: str,
    db: DbOption = None,
    wait: WaitOption = 5.0,
    collection: CollectionOption = None,
    as_json: JsonSummary = False,
) -> None:
    """Resume a paused run; or continue an interrupted one here from its saved frontier
    (only the tasks in flight when it stopped run again)."""
    status = run_async(lambda: _status(db, run_id))
    if status is not RunStatus.INTERRUPTED:
        _control(ControlCommand.RESUME, run_id, db, wait)
        return
    target = _collection(collection, run_id, "continue it here", db)

    async def make(monitor: Monitor) -> Run:
        return await monitor.resume_run(target, run_id)

    _execute(db, make, as_json)


@runs_app.command("retry")
def runs_retry(
    run_id: str,
    db: DbOption = None,
    collection: CollectionOption = None,
    as_json: JsonSummary = False,
) -> None:
    """Start a new run, here, of the tasks that failed for good in a finished run."""
    target = _collection(collection, run_id, "retry its failed tasks here", db)

    async def make(monitor: Monitor) -> Run:
        return await monitor.retry_failed(target, run_id)

    _execute(db, make, as_json)


async def _collection_name(db: str | None, run_id: str) -> str:
    from crawlscope.store import RunStore

    database = await _open_existing(db)
    try:
        record = await RunStore(database).get(run_id)
    finally:
        await database.close()
    if record is None:
        raise fail(f"no run with id {run_id!r} in the database")
    return record.collection


async def _status(db: str | None, run_id: str) -> RunStatus:
    from crawlscope.store import RunStore

    database = await _open_existing(db)
    try:
        record = await RunStore(database).get(run_id)
    finally:
        await database.close()
    if record is None:
        raise fail(f"no run with id {run_id!r} in the database")
    return record.status


def _collection(target: str | None, run_id: str, doing: str, db: str | None) -> Collection:
    from crawlscope.cli.remote import UsageError, load_collection
    from crawlscope.project import project_collection

    if target is None:
        # The project's collection of that name, if the project has it.
        named = project_collection(run_async(lambda: _collection_name(db, run_id)))
        if named is not None:
            return named
        raise fail(
            f"run {run_id}: to {doing}, name its collection with --collection MODULE:COLLECTION "
            f"(a server that has it registered can: POST /api/runs/{run_id}/resume)",
            2,
        )
    try:
        return load_collection(target)
    except UsageError as exc:
        raise fail(f"{exc} (option --collection)", 2) from exc


def _execute(db: str | None, make: Any, as_json: bool) -> None:
    from crawlscope.cli.local_run import run_here
    from crawlscope.monitor import ResumeRefused

    async def go() -> dict[str, Any]:
        try:
            return await run_here(database_url(db), make, as_json=as_json)
        except ResumeRefused as exc:
            raise fail(str(exc), 1) from exc

    summary = run_async(go)
    if as_json:
        print(json.dumps(summary), flush=True)
    raise typer.Exit(0 if summary["status"] == RunStatus.COMPLETED else 1)
