"""``crawlscope runs start|pause|resume|cancel|retry``: act on runs.

On a local database (``--db``, else the project's) or on a server (``--server``/
``CRAWLSCOPE_SERVER`` with ``--token``/``CRAWLSCOPE_TOKEN``):

* ``pause``/``cancel``/``resume`` of a run in another process leave a command for its
  runner and wait for the answer (exit 0 applied, 1 refused, 3 no answer in time);
* ``resume`` of an *interrupted* run (its runner died) continues it from its saved
  frontier: here, given its collection (``--collection``, else the project's of that
  name), or in the server with ``--server``;
* ``retry`` starts a new run of a finished run's failed tasks, the same two ways;
* ``start`` asks a server to start a registered collection (default server: the
  project's settings, ``http://127.0.0.1:8000``).
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crawlscope.cli.common import (
    DbOption,
    ServerOption,
    TokenOption,
    console,
    database_url,
    fail,
    run_async,
)
from crawlscope.cli.runs import _open_existing, runs_app
from crawlscope.status import ControlCommand, RunStatus

if TYPE_CHECKING:
    from crawlscope.monitor import Monitor
    from crawlscope.runner import Collection, Run

__all__ = ["runs_cancel", "runs_pause", "runs_resume", "runs_retry", "runs_start"]

WaitOption = Annotated[float, typer.Option(min=0, help="Seconds to wait for the runner.")]
CollectionOption = Annotated[
    str | None,
    typer.Option(
        "--collection",
        metavar="MODULE:COLLECTION",
        help="The run's collection, to continue an interrupted run (or retry failed tasks) "
        "in this process (default: the project's collection of that name).",
    ),
]
JsonSummary = Annotated[
    bool, typer.Option("--json", help="No live view; print a JSON summary at the end.")
]


@runs_app.command("start")
def runs_start(
    collection: Annotated[str, typer.Argument(help="A collection the server has registered.")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A run parameter NAME=VALUE (repeatable)."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Workers per phase (1-1000).")
    ] = None,
    server: ServerOption = None,
    token: TokenOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run as JSON.")] = False,
) -> None:
    """Start a registered collection in a server (operator role); prints the run's id."""
    from crawlscope.cli.remote import UsageError, parse_params
    from crawlscope.cli.server_api import ServerApi

    try:
        params = parse_params(param or [])
    except UsageError as exc:
        raise fail(f"{exc} (option --param)", 2) from exc
    with ServerApi(server or _project_server(), token) as api:
        run = api.start(collection, params, workers)
    if as_json:
        print(json.dumps(run), flush=True)
        return
    console.print(
        f"run {run['run_id']} of {collection} started in {api.url} "
        f"(watch it: {api.url}/runs/{run['run_id']})",
        markup=False,
        highlight=False,
    )


@runs_app.command("pause")
def runs_pause(
    run_id: str,
    db: DbOption = None,
    wait: WaitOption = 5.0,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Pause a running run (in any process using the same database, or a server's)."""
    _act(ControlCommand.PAUSE, run_id, db, wait, server, token)


@runs_app.command("cancel")
def runs_cancel(
    run_id: str,
    db: DbOption = None,
    wait: WaitOption = 5.0,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Cancel a run: workers stop within a second, in-flight tasks are recorded as cancelled."""
    _act(ControlCommand.CANCEL, run_id, db, wait, server, token)


@runs_app.command("resume")
def runs_resume(
    run_id: str,
    db: DbOption = None,
    wait: WaitOption = 5.0,
    collection: CollectionOption = None,
    as_json: JsonSummary = False,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Resume a paused run, or continue an interrupted one from its saved frontier.

    An interrupted run continues here (only the tasks in flight when it stopped run
    again), or in the server with --server.
    """
    if server:
        _act(ControlCommand.RESUME, run_id, db, wait, server, token)
        return
    status = run_async(lambda: _status(db, run_id))
    if status is not RunStatus.INTERRUPTED:
        _act(ControlCommand.RESUME, run_id, db, wait, None, None)
        return
    target = _collection(collection, run_id, "continue it here", db)

    async def make(monitor: Monitor) -> Run:
        return await monitor.resume_run(target, run_id, on_auto_pause="wait")

    _execute(db, make, as_json)


@runs_app.command("retry")
def runs_retry(
    run_id: str,
    db: DbOption = None,
    collection: CollectionOption = None,
    as_json: JsonSummary = False,
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Start a new run of the tasks that failed for good in a finished run."""
    if server:
        from crawlscope.cli.server_api import ServerApi

        with ServerApi(server, token) as api:
            run = api.control(run_id, "retry")
        console.print(
            f"run {run['run_id']} retries the failed tasks of {run_id} in {api.url}",
            markup=False,
            highlight=False,
        )
        return
    target = _collection(collection, run_id, "retry its failed tasks here", db)

    async def make(monitor: Monitor) -> Run:
        return await monitor.retry_failed(target, run_id, on_auto_pause="wait")

    _execute(db, make, as_json)


# -- the pieces -----------------------------------------------------------------------


def _act(
    command: ControlCommand,
    run_id: str,
    db: str | None,
    wait: float,
    server: str | None,
    token: str | None,
) -> None:
    if server:
        from crawlscope.cli.server_api import ServerApi

        with ServerApi(server, token) as api:
            answer = api.control(run_id, command.value)
        if answer["outcome"] == "queued":
            raise fail(f"{command} queued for run {run_id}, but no runner answered yet", 3)
        console.print(f"run {run_id}: {answer['outcome']}", markup=False, highlight=False)
        return
    _control(command, run_id, db, wait)


def _control(command: ControlCommand, run_id: str, db: str | None, wait: float) -> None:
    from crawlscope.store import CommandQueue, RunStore
    from crawlscope.timestamps import seconds_between

    async def go() -> tuple[int, str]:
        database = await _open_existing(db)
        try:
            record = await RunStore(database).get(run_id)
            if record is None:
                return 1, f"no run with id {run_id!r} in the database"
            if record.status.terminal:
                return 1, f"run {run_id} is {record.status}; it cannot be {command.done}"
            queue = CommandQueue(database)
            command_id = await queue.enqueue(run_id, command)
            deadline = asyncio.get_running_loop().time() + wait
            while asyncio.get_running_loop().time() < deadline:
                outcome = await queue.outcome(command_id)
                if outcome is not None:
                    if outcome.applied:
                        return 0, f"run {run_id}: {outcome.word}"
                    return 1, f"run {run_id}: {command} refused: {outcome.reason}"
                await asyncio.sleep(0.1)
            beat = record.last_sign_of_life
            return 3, (
                f"{command} queued for run {run_id}, but no runner acknowledged it "
                f"within {wait:g}s (last heartbeat {seconds_between(beat, None) or 0:.0f}s ago)"
            )
        finally:
            await database.close()

    code, message = run_async(go)
    if code:
        raise fail(message, code)
    console.print(message, markup=False, highlight=False)


def _project_server() -> str:
    """The server of the project's settings (host and port), as a URL."""
    from crawlscope.config import Settings

    settings = Settings()
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{settings.port}"


async def _record(db: str | None, run_id: str) -> Any:
    from crawlscope.store import RunStore

    database = await _open_existing(db)
    try:
        record = await RunStore(database).get(run_id)
    finally:
        await database.close()
    if record is None:
        raise fail(f"no run with id {run_id!r} in the database")
    return record


async def _status(db: str | None, run_id: str) -> RunStatus:
    record = await _record(db, run_id)
    status: RunStatus = record.status
    return status


def _collection(target: str | None, run_id: str, doing: str, db: str | None) -> Collection:
    from crawlscope.cli.remote import UsageError, load_collection
    from crawlscope.project import project_collection

    if target is None:
        # The project's collection of that name, if the project has it.
        record = run_async(lambda: _record(db, run_id))
        named = project_collection(record.collection)
        if named is not None:
            return named
        raise fail(
            f"run {run_id}: to {doing}, name its collection with --collection MODULE:COLLECTION "
            f"(or ask a server that has it registered: --server URL)",
            2,
        )
    try:
        return load_collection(target)
    except UsageError as exc:
        raise fail(f"{exc} (option --collection)", 2) from exc


def _execute(db: str | None, make: Any, as_json: bool) -> None:
    from crawlscope.cli.local_run import finish, run_here
    from crawlscope.monitor import ResumeRefused

    async def go() -> dict[str, Any]:
        try:
            return await run_here(database_url(db), make, as_json=as_json)
        except ResumeRefused as exc:
            raise fail(str(exc), 1) from exc

    raise finish(run_async(go), as_json)
