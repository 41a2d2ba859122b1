"""The closed sets of values options take, as enums: typer turns them into real choices
(``--help`` lists them, anything else is an error naming the option, exit code 2).

Spelled out here rather than imported from where they are used (the demo catalog, the
access rules, pydantic settings): building ``--help`` must not import those.
tests/unit/test_cli_choices.py checks that both spellings agree.
"""

from __future__ import annotations

import enum

__all__ = [
    "AuthSetting",
    "CatchUpChoice",
    "DemoFaults",
    "DemoScale",
    "LogFormat",
    "LogLevel",
    "OverlapChoice",
]


class DemoScale(enum.StrEnum):
    """Size of the demo marketplace (``crawlscope.demo.catalog.SCALES``)."""

    TINY = "tiny"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


class DemoFaults(enum.StrEnum):
    """Fault injection of the demo site: the demo's mix, or a well-behaved site."""

    DEMO = "demo"
    OFF = "off"


class AuthSetting(enum.StrEnum):
    """``Settings.auth``."""

    AUTO = "auto"
    ON = "on"
    OFF = "off"


class LogLevel(enum.StrEnum):
    """crawlscope's log level (``Settings.log_level``)."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class LogFormat(enum.StrEnum):
    """How the server writes its log (``Settings.log_format``)."""

    TEXT = "text"
    JSON = "json"


class OverlapChoice(enum.StrEnum):
    """``crawlscope.schedules.OverlapPolicy``."""

    SKIP = "skip"
    QUEUE = "queue"
    ALLOW = "allow"


class CatchUpChoice(enum.StrEnum):
    """``crawlscope.schedules.CatchUpPolicy``."""

    SKIP = "skip"
    ONCE = "once"
