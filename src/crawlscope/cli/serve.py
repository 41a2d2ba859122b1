"""``crawlscope serve``: the API, live streams and dashboard on one port.

Everything that can be wrong with the options (database location, address, port, auth
mode) is checked before uvicorn starts, so a mistake is one clear line naming the option
and exit code 2, not a traceback. While serving, the terminal shows the URL, whether
authentication is on, and one live line per active run (rich ``Live``, about once a
second); log records are printed above that line instead of through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crawlscope.cli.choices import AuthSetting, DemoScale, LogFormat, LogLevel
from crawlscope.cli.common import (
    DbOption,
    fail,
    open_database,
    run_async,
)

if TYPE_CHECKING:
    import uvicorn

    from crawlscope.access import AuthMode
    from crawlscope.config import Settings

# The server's modules (uvicorn, pydantic settings, the access rules, rich's live view)
# are imported when the command runs, not when the command line is built.

__all__ = ["serve"]

# Which option (or variable) sets each setting, for error messages.
_OPTION = {
    "database_url": "--db",
    "host": "--host",
    "port": "--port",
    "auth": "--auth",
    "log_level": "--log-level",
    "log_format": "--log-format",
    "access_log": "--access-log",
    "demo_scale": "--demo-scale",
    "demo_repeat_s": "--demo-repeat",
}


def serve(
    host: Annotated[
        str | None,
        typer.Option(
            envvar="CRAWLSCOPE_HOST",
            help="Address to listen on. Anything but loopback turns authentication on "
            "(see --auth).",
            show_default="127.0.0.1, or the project's",
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=65535,
            envvar="CRAWLSCOPE_PORT",
            help="Port to listen on; 0 picks a free one.",
            show_default="8000, or the project's",
        ),
    ] = None,
    db: DbOption = None,
    auth: Annotated[
        AuthSetting | None,
        typer.Option(
            envvar="CRAWLSCOPE_AUTH",
            case_sensitive=False,
            help="auto: authentication required unless listening on loopback only; on: "
            "always; off: never (refused for non-loopback addresses).",
            show_default="auto, or the project's",
        ),
    ] = None,
    log_level: Annotated[
        LogLevel | None,
        typer.Option(
            envvar="CRAWLSCOPE_LOG_LEVEL",
            case_sensitive=False,
            help="crawlscope's log level (uvicorn's start-up messages only at debug).",
            show_default="info, or the project's",
        ),
    ] = None,
    log_format: Annotated[
        LogFormat | None,
        typer.Option(
            envvar="CRAWLSCOPE_LOG_FORMAT",
            case_sensitive=False,
            help="text: readable lines; json: one JSON object per line on stderr (timestamp, "
            "level, logger, message, extra fields), the banner and run lines included.",
            show_default="text, or the project's",
        ),
    ] = None,
    access_log: Annotated[
        bool | None,
        typer.Option(
            "--access-log/--no-access-log",
            envvar="CRAWLSCOPE_ACCESS_LOG",
            help="Log one line per HTTP request and WebSocket (logger crawlscope.access).",
            show_default="off, or the project's",
        ),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            envvar="CRAWLSCOPE_DEMO",
            help="Also serve the demo site and start a demo run.",
        ),
    ] = False,
    demo_scale: Annotated[
        DemoScale | None,
        typer.Option(
            envvar="CRAWLSCOPE_DEMO_SCALE",
            case_sensitive=False,
            help="Demo catalog size.",
            show_default="small, or the project's",
        ),
    ] = None,
    demo_repeat: Annotated[
        float,
        typer.Option(
            min=0,
            envvar="CRAWLSCOPE_DEMO_REPEAT_S",
            help="With --demo: seconds between the end of a demo run and the start of the "
            "next, so there is always a run to watch.",
        ),
    ] = 15.0,
    demo_once: Annotated[
        bool, typer.Option("--demo-once", help="With --demo: one demo run only.")
    ] = False,
) -> None:
    """Serve the API and the dashboard."""
    from crawlscope.access import AccessConfigError, auth_mode

    # Every option reads its CRAWLSCOPE_* variable itself (typer); an option left unset is
    # left to the settings, so the project file's [settings] apply (docs/configuration.md).
    given: dict[str, Any] = {
        "host": host,
        # 0 ("any free port") is not a valid setting: the bound port replaces it below.
        "port": port or None,
        "database_url": db,
        "auth": auth.value if auth else None,
        "log_level": log_level.value if log_level else None,
        "log_format": log_format.value if log_format else None,
        "access_log": access_log,
        "demo_scale": demo_scale.value if demo_scale else None,
    }
    settings = _settings(
        {
            **{name: value for name, value in given.items() if value is not None},
            "demo": demo,
            "demo_repeat_s": None if demo_once else demo_repeat,
        }
    )
    try:
        mode = auth_mode(settings)
    except AccessConfigError as exc:
        raise fail(f"{exc} (options --auth, --host)", 2) from exc
    # Opening migrates the schema: a bad --db fails here, before anything listens.
    from crawlscope.project import find_project

    project = find_project()
    if project is not None:
        project.schedule_specs()  # a bad [[schedules]] entry stops here, named
    created = run_async(lambda: _check_database(settings.database_url))
    sock = _listen(settings.host, settings.port if port is None else port)
    settings = settings.model_copy(update={"port": sock.getsockname()[1]})
    try:
        code = asyncio.run(_serve(settings, sock, mode, created=created))
    except KeyboardInterrupt:  # a second Ctrl-C while shutting down
        code = 130
    finally:
        sock.close()
    raise typer.Exit(code)


def _settings(overrides: dict[str, Any]) -> Settings:
    import pydantic

    from crawlscope.config import Settings

    try:
        return Settings(**overrides)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first.get("loc") else "settings"
        where = _OPTION.get(name, f"CRAWLSCOPE_{name.upper()}")
        if where.startswith("--"):
            where = f"option {where} or CRAWLSCOPE_{name.upper()}"
        raise fail(f"invalid {name}: {first['msg']} ({where})", 2) from exc


async def _check_database(url: str) -> bool:
    """Open (create, migrate) the database before serving; whether it was new."""
    database = await open_database(url)
    await database.close()
    return database.revisions is not None and database.revisions[0] is None


def _listen(host: str, port: int) -> socket.socket:
    from crawlscope.serving import bind_socket

    try:
        return bind_socket(host, port)
    except (OSError, OverflowError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise fail(f"cannot listen on {host}:{port}: {reason} (options --host, --port)", 2) from exc


def _server(config: uvicorn.Config) -> uvicorn.Server:
    """uvicorn's server, minus re-raising the signal that stopped it.

    uvicorn re-raises SIGINT/SIGTERM after a graceful shutdown so a host program sees
    them; here the shutdown *is* the program's end, and re-raising would turn a clean
    stop into a KeyboardInterrupt traceback or exit code 143.
    """
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            handled = (signal.SIGINT, signal.SIGTERM)
            original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
            try:
                yield
            finally:
                for sig, handler in original.items():
                    signal.signal(sig, handler)

    return Server(config)


async def _serve(
    settings: Settings, sock: socket.socket, mode: AuthMode, *, created: bool = False
) -> int:
    import uvicorn

    from crawlscope.api import create_app
    from crawlscope.cli.serve_output import configure_logging, uvicorn_level
    from crawlscope.cli.serve_watch import watch_runs

    out = configure_logging(settings.log_level, settings.log_format)
    # Start-up is reported by the banner below (URL, auth, demo); the log at the chosen
    # level resumes after it, unless debugging. In JSON the banner is log lines itself.
    crawlscope_log = logging.getLogger("crawlscope")
    level = getattr(logging, settings.log_level.upper())
    if level > logging.DEBUG and not out.json_lines:
        crawlscope_log.setLevel(max(level, logging.WARNING))
    app = create_app(settings, freeze_gc=True)
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level=uvicorn_level(settings.log_level),
        # uvicorn's access logger is shared with the demo site's server: see api.access_log.
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=3,
    )
    server = _server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]), name="uvicorn")
    while not server.started:
        if serving.done():
            await serving
            out.say(
                "Error: the server did not start (see the log above)",
                style="bold red",
                level=logging.ERROR,
            )
            return 1
        await asyncio.sleep(0.02)
    services = app.state.services
    shown = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{shown}:{settings.port}"
    out.say(f"crawlscope on {url} (API docs at {url}/docs)", style="bold", url=url)
    out.say(
        f"auth: {'on' if mode.required else 'off'} - {mode.reason}", auth_required=mode.required
    )
    if mode.required and not await services.store.tokens.list_tokens(include_revoked=False):
        # Without one nobody can use this server, the admin included: say how to start.
        out.say(
            "no token yet: create the first with `crawlscope tokens create --role admin "
            f"--name me --db {services.store.data_path or services.store.display_url}`",
            style="bold yellow",
            level=logging.WARNING,
        )
    # The start-up check above opened it first: it knows whether the database was new.
    new = " (new: there was no database there, an empty one was created)"
    fresh = created or services.store.created
    out.say(
        f"database: {services.store.display_url}{new if fresh else ''}",
        database=services.store.display_url,
    )
    if settings.work_queue == "redis":
        out.say(
            "work queue: redis - runs started here run their tasks in `crawlscope worker` "
            "processes (docs/deployment.md#distributed-workers)",
            work_queue="redis",
        )
    if services.demo_url:
        runs = ", ".join(run.run_id for run in services.manager.running) or "none"
        out.say(
            f"demo site on {services.demo_url}; demo run {runs} started "
            f'(start another: POST {url}/api/runs {{"collection": "demo"}})',
            demo_url=services.demo_url,
        )
    if not out.json_lines:
        out.say("Ctrl-C stops the server", style="dim")
    crawlscope_log.setLevel(level)
    await watch_runs(services, serving, out)
    await serving
    if services.unstored_at_stop:
        out.say(
            f"crawlscope stopped; {services.unstored_at_stop} events could not be stored "
            f"within {settings.shutdown_timeout_s:g}s (see the log above)",
            style="bold red",
            level=logging.ERROR,
            unstored=services.unstored_at_stop,
        )
        return 1
    out.say("crawlscope stopped")
    return 0
