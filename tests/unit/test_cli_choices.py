"""The command line's choices, defaults and variables agree with what they stand for.

The CLI spells these out (cli/choices.py, cli/common.py, the option defaults) so that
building ``--help`` imports neither pydantic-settings nor the demo nor the access rules;
these tests keep both spellings equal.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, get_args, get_type_hints

import pytest
from typer.models import OptionInfo
from typer.testing import CliRunner

from crawlscope.cli import app
from crawlscope.cli.choices import (
    AuthSetting,
    CatchUpChoice,
    DemoFaults,
    DemoScale,
    LogFormat,
    LogLevel,
    OverlapChoice,
)
from crawlscope.cli.common import DEFAULT_DATABASE
from crawlscope.cli.serve import serve
from crawlscope.config import Settings
from crawlscope.demo.catalog import SCALES
from crawlscope.schedules import CatchUpPolicy, OverlapPolicy
from crawlscope.status import RunStatus

# Option of `crawlscope serve` -> the setting it overrides (and whose variable it reads).
SERVE_SETTINGS = {
    "host": "host",
    "port": "port",
    "db": "database_url",
    "auth": "auth",
    "log_level": "log_level",
    "log_format": "log_format",
    "access_log": "access_log",
    "demo": "demo",
    "demo_scale": "demo_scale",
    "demo_repeat": "demo_repeat_s",
}
# Every command with a --db option.
DB_COMMANDS = [
    ["serve"],
    ["demo"],
    ["export"],
    ["runs", "list"],
    ["runs", "show"],
    ["runs", "pause"],
    ["runs", "resume"],
    ["runs", "cancel"],
    ["db", "upgrade"],
    ["tokens", "create"],
    ["tokens", "list"],
    ["tokens", "revoke"],
    ["schedules", "list"],
    ["schedules", "show"],
    ["schedules", "add"],
    ["schedules", "pause"],
    ["schedules", "resume"],
    ["schedules", "delete"],
]


def _options(command: Callable[..., Any]) -> dict[str, tuple[OptionInfo, Any]]:
    """A command function's options: name -> (typer's OptionInfo, default)."""
    hints = get_type_hints(command, include_extras=True)
    found = {}
    for name, parameter in inspect.signature(command).parameters.items():
        infos = [m for m in getattr(hints[name], "__metadata__", ()) if isinstance(m, OptionInfo)]
        if infos:
            found[name] = (infos[0], parameter.default)
    return found


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "250", "TERMINAL_WIDTH": "250"})
    return result.exit_code, " ".join(result.output.split())


def test_choices_are_the_values_they_stand_for() -> None:
    assert [s.value for s in DemoScale] == list(SCALES)
    assert {s.value for s in AuthSetting} == set(get_args(Settings.model_fields["auth"].annotation))
    assert [level.value for level in LogLevel] == ["debug", "info", "warning", "error"]
    assert {f.value for f in LogFormat} == set(
        get_args(Settings.model_fields["log_format"].annotation)
    )
    assert {f.value for f in DemoFaults} == {"demo", "off"}
    assert [c.value for c in OverlapChoice] == [p.value for p in OverlapPolicy]
    assert [c.value for c in CatchUpChoice] == [p.value for p in CatchUpPolicy]


def test_serve_options_read_their_variables_with_the_settings_defaults() -> None:
    defaults = Settings.model_construct()
    options = _options(serve)
    for option, setting in SERVE_SETTINGS.items():
        info, default = options[option]
        assert info.envvar == f"CRAWLSCOPE_{setting.upper()}", option
        if setting in ("demo_repeat_s", "demo"):  # flags with their own defaults
            continue
        # Unset, the settings decide (so a project's crawlscope.toml applies); the help
        # shows the settings' own default.
        assert default is None, option
        shown = str(info.show_default)
        if setting == "access_log":  # a flag pair: its default reads as on/off
            assert shown.startswith("on" if defaults.access_log else "off")
            continue
        assert str(getattr(defaults, setting)) in shown, option
    assert defaults.database_url == DEFAULT_DATABASE


def test_help_shows_variables_and_defaults() -> None:
    code, shown = _cli("serve", "--help")
    assert code == 0
    for option, setting in SERVE_SETTINGS.items():
        assert f"[env var: CRAWLSCOPE_{setting.upper()}]" in shown, option
    for default in ("127.0.0.1", "8000", "auto", "info", "small"):
        assert f"[default: ({default}, or the project's)]" in shown, default
    assert "[default: 15.0]" in shown
    for command in DB_COMMANDS:
        code, shown = _cli(*command, "--help")
        assert code == 0, command
        assert "[env var: CRAWLSCOPE_DATABASE_URL]" in shown, command
        assert f"[default: (the project's, else {DEFAULT_DATABASE})]" in shown, command


@pytest.mark.parametrize(
    ("command", "option", "values"),
    [
        (["runs", "list"], "--status", [s.value for s in RunStatus]),
        (["serve"], "--auth", ["auto", "on", "off"]),
        (["serve"], "--log-level", ["debug", "info", "warning", "error"]),
        (["serve"], "--log-format", ["text", "json"]),
        (["serve"], "--demo-scale", list(SCALES)),
        (["demo"], "--scale", list(SCALES)),
        (["demo"], "--faults", ["demo", "off"]),
        (["tokens", "create", "--name", "x"], "--role", ["viewer", "operator", "ingest", "admin"]),
    ],
)
def test_closed_sets_are_choices(command: list[str], option: str, values: list[str]) -> None:
    """An unknown value stops at the option (exit code 2) and the error lists the choices;
    --help lists them too."""
    code, shown = _cli(*command, option, "bogus", "--db", "/nonexistent/never-opened.db")
    assert code == 2, shown
    assert f"Invalid value for '{option}'" in shown
    assert "'bogus' is not one of" in shown
    assert ", ".join(repr(v) for v in values) in shown
    code, shown = _cli(*command[:2], "--help")
    assert "|".join(values) in shown.replace(" ", "")
